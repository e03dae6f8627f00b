"""Listings, tables and history as Slack shows them (issue 16 item 11): every row of history, tables
that fit (at most 72 characters a line, short headers with units), what was left out said under
them with the terminal command that shows all of it, price sources kept, plural nouns right."""

from __future__ import annotations

import re

import pytest

import engine
from bot.store import Price
from bot.tables import TABLE_WIDTH


def _code_lines(body) -> list[str]:
    lines = []
    for b in body["blocks"]:
        text = (b.get("text") or {}).get("text", "")
        for block in re.findall(r"```(.*?)```", text, flags=re.S):
            lines += block.split("\n")
    return lines


def _context(body) -> str:
    return " ".join(e["text"] for b in body["blocks"] if b["type"] == "context" for e in b["elements"])


@pytest.mark.parametrize(
    ("query", "rows", "command"),
    [
        ("gpus", 47, "`gpucost gpus`"),
        ("models", 38, "`gpucost models`"),
        ("prices H100", None, "`gpucost prices H100 --all`"),
        ("prices H100 --all", 306, "`gpucost prices H100 all=true`"),
    ],
)
def test_listings_fit_and_say_what_is_left_out(slack, query, rows, command):
    expected = engine.run(query)
    body = slack.command(query).json()
    lines = _code_lines(body)
    assert lines and max(map(len, lines)) <= TABLE_WIDTH, max(lines, key=len)
    assert "_" not in lines[0]  # headers are words with units, not snake_case
    shown = len(lines) - 1
    note = _context(body)
    assert command in note and "in a terminal" in note
    if len(expected.table.rows) > shown:
        more = len(expected.table.rows) - shown
        assert f"{more:,} more rows" in note
    if rows is not None:  # at least as long as the issue saw it cut (the catalogs grow)
        assert len(expected.table.rows) >= rows


def test_compare_table_fits_and_keeps_its_price_sources(slack):
    body = slack.command("compare 70B in=500 out=300").json()
    lines = _code_lines(body)
    assert max(map(len, lines)) <= TABLE_WIDTH and lines[0].split()[:2] == ["#", "GPU"]
    note = _context(body)
    expected = engine.run("compare 70B in=500 out=300")
    for row in expected.table.rows:
        source = row[expected.table.columns.index("price_source")]
        assert f"{row[expected.table.columns.index('gpu')]}: {source}" in note


def test_history_shows_all_ten_however_long(slack, running):
    for i in range(10):
        running.store.add_history("T1", "U1", f"70B 8xH100 in={100 + i} out=300", f"headline {i} " + "x" * 900)
    body = slack.command("history").json()
    assert body["text"] == "Your last 10 estimates"
    blob = "\n".join(b["text"]["text"] for b in body["blocks"] if b["type"] == "section")
    for i in range(10):
        assert f"in={100 + i} out=300`" in blob and f"headline {i} " in blob
        assert f"\n{i + 1}. `" in "\n" + blob or blob.startswith(f"{i + 1}. `")
    for b in body["blocks"]:
        if b["type"] == "section":
            assert len(b["text"]["text"]) <= 3000 and b["text"]["text"].count("`") % 2 == 0


def test_one_of_a_thing_is_singular(slack, running):
    running.store.add_history("T1", "U1", "70B 8xH100", "a headline")
    assert slack.command("history").json()["text"] == "Your last estimate"
    running.store.set_price("T1", Price("h100-sxm-80gb", 1.5, "USD", "UADMIN"))
    assert slack.command("price list").json()["text"] == "1 negotiated price"
    assert slack.command("settings").json()["text"].endswith("1 negotiated price")


def test_cost_breakdown_is_one_line_a_component(slack):
    expected = engine.run("daily llama-3-70b H100 requests=5M in=800 out=400")
    body = slack.command("daily llama-3-70b H100 requests=5M in=800 out=400").json()
    section = next(b["text"]["text"] for b in body["blocks"] if "Cost breakdown" in str(b))
    assert "```" not in section
    for line in expected.breakdown:
        assert f"• {line.component}: " in section
