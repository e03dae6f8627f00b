"""``/gpucost <query>`` end to end: signed form body in, ephemeral Block Kit answer out."""

from __future__ import annotations

import engine
from engine.config import EngineConfig
from engine.errors import GpucostError

QUERY = "70B 8xH100 in=500 out=300"


def block_types(blocks: list[dict]) -> list[str]:
    return [b["type"] for b in blocks]


def test_estimate_is_acked_ephemeral_with_blocks_and_text(slack, mock, running):
    r = slack.command(QUERY)
    assert r.status_code == 200
    body = r.json()
    expected = engine.run(QUERY, config=EngineConfig())
    assert body["response_type"] == "ephemeral"
    # the plain text fallback carries the engine's headline (with the headline cost)
    assert expected.headline() in body["text"]
    types = block_types(body["blocks"])
    assert types[0] == "header"
    assert "actions" in types and "context" in types
    actions = next(b for b in body["blocks"] if b["type"] == "actions")
    assert [e["action_id"] for e in actions["elements"]] == [
        "gpucost_share",
        "gpucost_explain",
        "gpucost_compare",
    ]
    assert [e["value"] for e in actions["elements"]] == [expected.query, expected.query, f"compare {expected.query}"]
    text = str(body["blocks"])
    if expected.breakdown:
        assert "Cost breakdown" in text
    for a in expected.assumptions[:3]:
        assert a.name in text
    # The answer went back in the ack: nothing was posted to Slack for it.
    assert mock.responses() == []
    assert [c.method for c in mock.api_calls()] == ["auth.test"]  # once, at start-up (token check)
    hist = running.store.list_history("T1", "U1")
    assert [h.query for h in hist] == [expected.query]


def test_bad_input_gets_engine_message_and_hint(slack):
    try:
        engine.run("70B 8xNOSUCHGPU", config=EngineConfig())
    except GpucostError as err:
        message = str(err)
    else:  # pragma: no cover - the engine must reject an unknown GPU
        raise AssertionError("engine accepted an unknown GPU")
    r = slack.command("70B 8xNOSUCHGPU")
    assert r.status_code == 200
    body = r.json()
    assert body["response_type"] == "ephemeral"
    assert body["text"] == message
    assert "/gpucost help" in str(body["blocks"])
    assert "Traceback" not in r.text


def test_unknown_subcommand_is_one_line_with_hint(slack):
    body = slack.command("frobnicate everything").json()
    assert body["response_type"] == "ephemeral"
    assert "\n" not in body["text"]
    assert "/gpucost help" in str(body["blocks"])


def test_help_has_examples_and_workspace_commands(slack):
    for text in ("help", ""):
        body = slack.command(text).json()
        assert body["response_type"] == "ephemeral"
        blob = str(body["blocks"])
        assert "price set H100 1.85usd" in blob
        assert "/gpucost history" in blob
        assert body["text"]


def test_workspace_currency_reaches_the_engine(slack, running):
    running.store.set_currency("T1", "CNY", "UADMIN")
    body = slack.command(QUERY).json()
    expected = engine.run(QUERY, config=EngineConfig(currency="CNY"))
    assert expected.currency == "CNY"
    assert expected.headline() in body["text"]


def test_queries_cannot_touch_server_files(slack, running, tmp_path, monkeypatch):
    """A Slack message must not probe or write the server's files: config.json paths (absolute,
    relative, digit-led like a parameter count), import, calibrate and the SkyPilot import are
    refused with one line; a Hugging Face id of a catalog model still works (no file is read)."""
    secret = tmp_path / "config.json"
    secret.write_text('{"num_hidden_layers": 2, "hidden_size": 64, "num_attention_heads": 2, "vocab_size": 10}')
    (tmp_path / "7b").mkdir()
    (tmp_path / "7b" / "config.json").write_text(secret.read_text())
    monkeypatch.chdir(tmp_path)  # the server runs in this process: relative paths resolve here
    for query in (
        f"{secret} H100",
        "7b/config.json H100",
        "7b/../../../etc/passwd H100",
        "explain 7b/config.json H100",
        "/etc/passwd H100",
        f"import {secret} 8xH100",
        f"calibrate shared {secret} llama-3-8b H100",
        f"prices import-skypilot {secret}",
    ):
        body = slack.command(query).json()
        assert body["response_type"] == "ephemeral"
        assert "does not allow" in body["text"] and "\n" not in body["text"], query
    ok = slack.command("meta-llama/Meta-Llama-3-8B H100 2usd").json()
    assert "Llama 3 8B" in ok["text"]
