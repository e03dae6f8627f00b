"""Slack's Web API slow or down (issue 16 item 7): every request is acknowledged within Slack's
3 seconds whatever the Web API does, the Web API work happens after the ack with a short timeout,
and the user is told what failed (never "not an admin" because Slack could not be asked, never a
lost chart without a word, never a 500 for the Home tab)."""

from __future__ import annotations

import logging
import time

from slack_driver import SECRET, SlackDriver

from bot.store import Price

QUERY = "70B 8xH100 in=500 out=300"
HOME = {"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home", "event_ts": "1.2"}


def _timed(call):
    t0 = time.monotonic()
    r = call()
    return r, time.monotonic() - t0


def test_slow_api_every_ack_is_fast_and_the_work_still_happens(running, slack, mock):
    mock.delays["*"] = 4.0  # within SLACK_API_TIMEOUT_S (5 s): slow, not failed
    r, took = _timed(lambda: slack.command("price set H100 1.85usd", user="UADMIN", name="set"))
    assert r.status_code == 200 and took < 3
    assert "Checking with Slack" in r.json()["text"]
    done = mock.wait_for(lambda: mock.responses("set"), timeout=15)[0].json
    assert "Set this workspace's" in done["text"] and "price to $1.85/GPU-hour" in done["text"]
    assert [p.price_per_gpu_hour for p in running.store.list_prices("T1")] == [1.85]
    r, took = _timed(lambda: slack.command("settings currency CNY", user="UADMIN", name="cur"))
    assert r.status_code == 200 and took < 3
    r, took = _timed(lambda: slack.event(HOME))
    assert r.status_code == 200 and took < 3
    mock.wait_for(lambda: mock.api_calls("views.publish"), timeout=15)
    assert "CNY" in mock.wait_for(lambda: mock.responses("cur"), timeout=15)[0].json["text"]
    r, took = _timed(lambda: slack.command("settings"))
    assert took < 3 and "CNY" in r.json()["text"]


def test_api_slower_than_the_timeout_is_said_and_nothing_changes(serve, mock, http):
    running = serve(slack_api_timeout_s=1.0)
    slack = SlackDriver(running.url, SECRET, mock, http)
    mock.delays["users.info"] = 3.0
    ack, reply = slack.change("price set H100 1.85usd", user="UADMIN")
    assert "Checking with Slack" in ack["text"]
    assert "Nothing was changed" in reply["text"] and "did not answer in time" in reply["text"]
    assert "Only workspace admins" not in reply["text"]
    assert running.store.list_prices("T1") == []


def test_users_info_failing_is_not_a_refusal(slack, mock, running):
    for code in ("ratelimited", "internal_error"):
        mock.errors["users.info"] = code
        _, reply = slack.change("price clear all", user="UADMIN", name=code)
        assert reply["text"].startswith("Nothing was changed") and code in reply["text"]
    running.store.set_price("T1", Price("H100", 1.0, "USD", "UADMIN"))
    assert len(running.store.list_prices("T1")) == 1


def test_api_down_compare_chart_failure_is_told(slack, mock):
    mock.api_status = 503
    slack.command("compare 70B in=500 out=300", name="cmp")
    post = mock.wait_for(lambda: mock.responses("cmp"), timeout=15)[0].json
    assert "chart could not be sent" in post["text"] and "HTTP 503" in post["text"]
    body = slack.command(QUERY).json()
    value = next(b for b in body["blocks"] if b["type"] == "actions")["elements"][2]["value"]
    slack.click("gpucost_compare", value, name="btn")
    posts = mock.wait_for(lambda: len(mock.responses("btn")) >= 2 and mock.responses("btn"), timeout=15)
    assert posts[0].json["blocks"][0]["type"] == "header"  # the ranking itself
    assert "chart could not be sent" in posts[1].json["text"]


def test_api_down_home_tab_is_acknowledged_and_logged(slack, mock, caplog):
    mock.api_status = 503
    with caplog.at_level(logging.WARNING):
        r, took = _timed(lambda: slack.event(HOME))
        assert r.status_code == 200 and took < 3
        mock.wait_for(lambda: mock.api_calls("views.publish"))
        deadline = time.monotonic() + 10
        while "views.publish of the Home tab failed" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.05)
    assert "views.publish of the Home tab failed: Slack answered HTTP 503" in caplog.text
