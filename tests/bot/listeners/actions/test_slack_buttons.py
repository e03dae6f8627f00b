"""The buttons under every answer: Share to channel, Explain, Compare GPUs (lazy listeners)."""

from __future__ import annotations

import engine
from engine.config import EngineConfig

QUERY = "70B 8xH100 in=500 out=300"


def _button_value(slack) -> str:
    body = slack.command(QUERY).json()
    actions = next(b for b in body["blocks"] if b["type"] == "actions")
    return actions["elements"][0]["value"]


def test_share_posts_in_channel_naming_sharer_and_query(slack, mock):
    value = _button_value(slack)
    r = slack.click("gpucost_share", value, user="U7", name="share")
    assert r.status_code == 200 and r.text == ""  # plain ack
    post = mock.wait_for(lambda: mock.responses("share"))[0].json
    expected = engine.run(value, config=EngineConfig())
    assert post["response_type"] == "in_channel"
    assert post["replace_original"] is False
    assert "<@U7>" in post["text"] and expected.headline() in post["text"]
    blob = str(post["blocks"])
    assert f"/gpucost {expected.query}" in blob and "Shared by <@U7>" in blob
    assert all(b["type"] != "actions" for b in post["blocks"])  # no private buttons in the channel


def test_explain_replies_with_formula_trace(slack, mock):
    value = _button_value(slack)
    assert slack.click("gpucost_explain", value, name="explain").status_code == 200
    post = mock.wait_for(lambda: mock.responses("explain"))[0].json
    expected = engine.run(f"explain {value}", config=EngineConfig())
    assert post["response_type"] == "ephemeral"
    blob = str(post["blocks"])
    for step in expected.trace[:3]:
        assert step.name in blob
    assert post["text"]


def test_compare_button_replies_and_uploads_chart(slack, mock):
    value = _button_value(slack)
    assert slack.click("gpucost_compare", value, channel="C9", name="compare").status_code == 200
    post = mock.wait_for(lambda: mock.responses("compare"))[0].json
    assert post["response_type"] == "ephemeral"
    assert post["blocks"][0]["type"] == "header"
    complete = mock.wait_for(lambda: mock.api_calls("files.completeUploadExternal"))[0]
    assert complete.params["channel_id"] == "DU1"  # private: the clicking user's DM with the app
    assert mock.uploads()[0].body.startswith(b"\x89PNG")


def _buttons(slack, query: str) -> dict[str, str]:
    body = slack.command(query).json()
    actions = next(b for b in body["blocks"] if b["type"] == "actions")
    return {e["action_id"]: e["value"] for e in actions["elements"]}


def test_compare_works_under_a_daily_answer(slack, mock):
    """Issue 16 item 10: the button used to run 'compare daily ...' (":x: '4xH100' is not a price")."""
    daily = engine.run("daily llama-3-70b H100 requests=5M in=800 out=400", config=EngineConfig())
    buttons = _buttons(slack, "daily llama-3-70b H100 requests=5M in=800 out=400")
    assert buttons["gpucost_compare"] == "compare " + daily.query.removeprefix("daily ")
    assert buttons["gpucost_share"] == daily.query
    slack.click("gpucost_compare", buttons["gpucost_compare"], name="daily")
    post = mock.wait_for(lambda: mock.responses("daily"))[0].json
    expected = engine.run(buttons["gpucost_compare"], config=EngineConfig())
    assert expected.kind == "compare" and not post["text"].startswith(":x:") and "not a price" not in post["text"]
    assert expected.headline() in post["text"] and "requests=5M" in expected.query


def test_no_compare_button_where_compare_does_not_apply(slack):
    for query in ("train 7B H100 tokens=2T", "daily llama-3-70b H100 requests=5M in=800 out=400 disagg"):
        buttons = _buttons(slack, query)
        assert set(buttons) == {"gpucost_share", "gpucost_explain"}, query


def test_an_old_compare_button_still_compares_its_query(slack, mock):
    """Buttons posted before the value became the compare query carry the estimate's query."""
    slack.click("gpucost_compare", QUERY, name="old")
    post = mock.wait_for(lambda: mock.responses("old"))[0].json
    assert engine.run(f"compare {QUERY}", config=EngineConfig()).headline() in post["text"]
