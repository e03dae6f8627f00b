"""The gate before bolt (issue 16 items 2-4): unsigned or malformed requests are 401/400 with no
traceback and one bounded log line; replays and Slack's retries are acknowledged, not run twice."""

from __future__ import annotations

import json
import logging
import time

import pytest
from slack_driver import command_body, sign

SECRET = "test-signing-secret"
QUERY = "70B 8xH100 in=500 out=300"


def _post(http, running, body: bytes, headers: dict[str, str]):
    return http.post(running.url + "/slack/events", content=body, headers=headers)


@pytest.mark.parametrize(
    ("body", "content_type", "extra"),
    [
        (b"payload=%7Bnot-json", "application/x-www-form-urlencoded", {}),
        (b"payload=[1,2]", "application/x-www-form-urlencoded", {}),
        (b"\xff\xfe\x00junk", "application/x-www-form-urlencoded", {}),
        (b'["a", "list"]', "application/json", {}),
        (b"command=%2Fgpucost&text=x", "application/x-www-form-urlencoded", {"X-Slack-Request-Timestamp": "abc"}),
    ],
)
def test_unsigned_junk_is_401_without_a_traceback(http, running, mock, caplog, body, content_type, extra) -> None:
    headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": str(int(time.time()))}
    headers |= {"X-Slack-Signature": "v0=" + "0" * 64} | extra
    with caplog.at_level(logging.DEBUG):
        r = _post(http, running, body, headers)
    assert r.status_code == 401
    assert "Traceback" not in caplog.text
    rejected = [rec for rec in caplog.records if rec.name == "bot.gate"]
    assert len(rejected) == 1 and "junk" not in rejected[0].getMessage() and "not-json" not in rejected[0].getMessage()
    assert [c.method for c in mock.api_calls()] == ["auth.test"]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("payload=%7Bnot-json", "application/x-www-form-urlencoded"),
        ("payload=[1,2]", "application/x-www-form-urlencoded"),
        ('["a", "list"]', "application/json"),
        ("{not json", "application/json"),
    ],
)
def test_signed_but_malformed_is_400(http, running, caplog, body, content_type) -> None:
    headers = {"Content-Type": content_type, **sign(SECRET, body)}
    with caplog.at_level(logging.DEBUG):
        r = _post(http, running, body.encode(), headers)
    assert r.status_code == 400 and "Traceback" not in caplog.text


def test_a_signed_non_utf8_body_is_400(http, running) -> None:
    import hashlib
    import hmac

    body = b"text=\xff\xfe"
    ts = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
    }
    assert _post(http, running, body, headers).status_code == 400


def test_a_replayed_command_is_acknowledged_and_not_run_again(http, running, mock) -> None:
    body = command_body(QUERY, team="T1", user="U1", channel="C1", response_url=mock.response_url("r"))
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(SECRET, body)}
    first = _post(http, running, body.encode(), headers)
    assert first.status_code == 200 and first.content
    again = _post(http, running, body.encode(), headers)
    assert again.status_code == 200 and again.content == b""
    time.sleep(0.5)
    assert len(running.store.list_history("T1", "U1")) == 1


def test_a_retried_event_is_processed_once(slack, mock) -> None:
    event = {"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home", "event_ts": "1700000000.1"}
    assert slack.event(event, event_id="EvSAME").status_code == 200
    mock.wait_for(lambda: mock.api_calls("views.publish"))
    r = slack.event(event, event_id="EvSAME", retry=1)  # a new signature, the same event
    assert r.status_code == 200
    time.sleep(0.5)
    assert len(mock.api_calls("views.publish")) == 1


def test_the_replay_record_is_shared_through_the_database(running) -> None:
    """Two stores on one database (two replicas) see each other's keys; past the window a key is new."""
    from bot.store import Store

    other = Store(running.store.engine)
    now = time.time()
    assert running.store.remember_request("sig:abc", now, 600) is True
    assert other.remember_request("sig:abc", now + 1, 600) is False
    assert other.remember_request("sig:abc", now + 601, 600) is True


def test_a_rejection_log_line_is_bounded(http, running, caplog) -> None:
    body = ("payload=" + "A" * 60_000 + "\nforged log line").encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Signature": "v0=bad"}
    with caplog.at_level(logging.DEBUG):
        r = _post(http, running, body, headers)
    assert r.status_code == 401
    text = "\n".join(rec.getMessage() for rec in caplog.records)
    assert "forged log line" not in text and len(text) < 2_000
    assert json.loads(r.content)["ok"] is False
