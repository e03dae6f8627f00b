"""The API price catalog: sourced, dated rows only; offers per model; a workload priced by hand."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from engine import run
from engine.api_prices import (
    API_COLUMNS,
    ApiOffer,
    api_catalog,
    offers,
    parse_offers,
    price_workload,
    workload_cost,
)
from engine.config import EngineConfig
from engine.errors import GpucostError, UnknownNameError

ROOT = Path(__file__).resolve().parents[2]
HEAD = ",".join(API_COLUMNS) + "\n"
ROW = "kimi-k2,moonshot,kimi-k2-0905-preview,open-weight,0.6,0.15,2.5,USD,2026-03-26,https://example.org/p,,\n"


def _row(**change: str) -> str:
    values = dict(zip(API_COLUMNS, next(csv.reader([ROW])), strict=True))
    values.update(change)
    return HEAD + ",".join(values[c] for c in API_COLUMNS) + "\n"


def test_a_row_without_source_url_or_date_is_refused() -> None:
    assert len(parse_offers(_row(), "t.csv")) == 1
    with pytest.raises(GpucostError, match=r"line 2 .* has no source_url"):
        parse_offers(_row(source_url=""), "t.csv")
    with pytest.raises(GpucostError, match="has no as_of"):
        parse_offers(_row(as_of=""), "t.csv")
    with pytest.raises(GpucostError, match="as_of"):
        parse_offers(_row(as_of="March 2026"), "t.csv")
    with pytest.raises(GpucostError, match="source_url"):
        parse_offers(_row(source_url="moonshot pricing page"), "t.csv")
    with pytest.raises(GpucostError, match="currency"):
        parse_offers(_row(currency="EUR"), "t.csv")
    with pytest.raises(GpucostError, match="input_per_mtok"):
        parse_offers(_row(input_per_mtok="-1"), "t.csv")


def test_every_shipped_offer_is_sourced_dated_and_in_a_known_currency() -> None:
    rows = api_catalog()
    assert len(rows) >= 20
    for o in rows:
        assert o.source_url.startswith("https://") and len(o.as_of) == 10, o
        assert o.currency in ("USD", "CNY") and o.kind in ("open-weight", "closed")
    assert {o.provider for o in rows if o.closed} == {"openai", "anthropic", "google"}
    # the shipped catalog is the source table, validated (built by scripts/build_catalogs.py)
    src = parse_offers((ROOT / "data" / "api_prices.csv").read_text(encoding="utf-8"), "data/api_prices.csv")
    assert sorted(src, key=repr) == sorted(rows, key=repr)


def test_offers_of_a_model() -> None:
    got = offers("gpt-oss-120b")
    assert {o.provider for o in got} >= {"groq", "cerebras"}
    groq = next(o for o in got if o.provider == "groq")
    assert (groq.input_per_mtok, groq.cached_input_per_mtok, groq.output_per_mtok) == (0.15, 0.075, 0.6)
    assert offers("llama-3-8b") == []  # in the model catalog, but no published price in ours
    with pytest.raises(UnknownNameError) as e:
        offers("kimi-k3")
    assert "kimi-k2" in e.value.suggestions


def test_workload_cost_by_hand() -> None:
    o = ApiOffer(
        model="m", provider="p", provider_model="m", kind="open-weight", input_per_mtok=0.6,
        cached_input_per_mtok=0.15, output_per_mtok=2.5, currency="USD", as_of="2026-03-26",
        source_url="https://example.org",
    )  # fmt: skip
    # 1M requests x 800 in (half cached) + 400 out:
    # 400M x 0.6 + 400M x 0.15 + 400M x 2.5 per 1e6 = 240 + 60 + 1000 = 1300 USD/day
    c = workload_cost(o, 1e6, 800, 400, cache_hit=0.5)
    assert c.cost_per_day == pytest.approx(1300)
    assert (c.input_cost_per_day, c.cached_input_cost_per_day, c.output_cost_per_day) == pytest.approx((240, 60, 1000))
    assert not c.cached_billed_as_input and c.fx == ""
    cny = workload_cost(o, 1e6, 800, 400, cache_hit=0.5, currency="CNY", config=EngineConfig(cny_per_usd=7.0))
    assert cny.cost_per_day == pytest.approx(9100) and "7 CNY per USD" in cny.fx
    # no published cached price: cache hits are billed at the input price, and the result says so
    plain = o.model_copy(update={"cached_input_per_mtok": None})
    c2 = workload_cost(plain, 1e6, 800, 400, cache_hit=0.5)
    assert c2.cost_per_day == pytest.approx(480 + 1000) and c2.cached_billed_as_input
    with pytest.raises(GpucostError, match="share"):
        workload_cost(o, 1, 1, 1, cache_hit=1.5)


def test_a_cny_offer_stays_cny_and_converts_for_the_workload() -> None:
    (o,) = parse_offers(_row(currency="CNY", input_per_mtok="4", cached_input_per_mtok="", output_per_mtok="16"), "t")
    assert o.currency == "CNY" and o.input_per_mtok == 4
    c = workload_cost(o, 1000, 1000, 1000, currency="USD", config=EngineConfig(cny_per_usd=8.0))
    # 1M tokens in x 4 CNY + 1M out x 16 CNY = 20 CNY = 2.5 USD at 8 CNY/USD
    assert c.cost_per_day == pytest.approx(2.5) and c.currency == "USD"


def test_price_workload_ranks_offers_cheapest_first() -> None:
    costs = price_workload("gpt-oss-120b", 10_000, 1000, 500)
    per_day = [c.cost_per_day for c in costs]
    assert per_day == sorted(per_day) and len(costs) == len(offers("gpt-oss-120b"))
    assert costs[0].offer.provider == "groq"  # 10M x 0.15 + 5M x 0.6 = 4.5 < 10M x 0.35 + 5M x 0.75 = 7.25
    assert costs[0].cost_per_day == pytest.approx(4.5)


def test_api_listing_and_workload_through_the_engine() -> None:
    r = run("api kimi-k2 requests=1M in=800 out=400 cache_hit=0.5")
    assert r.kind == "api" and r.table is not None
    cols = r.table.columns
    first = dict(zip(cols, r.table.rows[0], strict=True))
    assert first["provider"] == "moonshot" and first["cost_per_day_usd"] == pytest.approx(1300)
    assert first["source"].startswith("https://") and first["as_of"] == "2026-03-26"
    assert r.text and r.text.startswith("cheapest: moonshot")
    everything = run("api")
    assert len(everything.table.rows) == len(api_catalog())  # type: ignore[union-attr]
    with pytest.raises(GpucostError, match="needs the tokens"):
        run("api kimi-k2 requests=1M")
    with pytest.raises(GpucostError, match="does not apply"):
        run("api kimi-k2 gpus=8")


def test_cli_api_unknown_model_is_one_line_with_a_suggestion() -> None:
    p = subprocess.run([sys.executable, "-m", "engine", "api", "kimi-k3"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 2
    assert p.stderr.count("\n") <= 1 and "kimi-k2" in p.stderr and "Traceback" not in p.stderr
    argv = [sys.executable, "-m", "engine", "--json", "api", "deepseek-v3.1"]
    j = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert j.returncode == 0 and '"kind": "api"' in j.stdout and "api-docs.deepseek.com" in j.stdout
