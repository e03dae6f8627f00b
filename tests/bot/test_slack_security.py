"""Safety: signature checks (forged, wrong secret, stale), oversized bodies, long queries,
the per-user rate limit and workspace isolation."""

from __future__ import annotations

import time

from slack_driver import command_body

QUERY = "70B 8xH100 in=500 out=300"


def _nothing_happened(mock, running) -> None:
    assert [c.method for c in mock.api_calls()] == ["auth.test"]  # only the start-up token check
    assert mock.responses() == []
    assert running.store.list_history("T1", "U1") == []


def test_forged_signature_is_401(slack, mock, running, http):
    body = command_body(QUERY, team="T1", user="U1", channel="C1", response_url=mock.response_url("x"))
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": str(int(time.time())),
        "X-Slack-Signature": "v0=" + "0" * 64,
    }
    r = http.post(running.url + "/slack/events", content=body, headers=headers)
    assert r.status_code == 401
    r = http.post(
        running.url + "/slack/events",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 401
    _nothing_happened(mock, running)


def test_wrong_secret_is_401(slack, mock, running):
    r = slack.command(QUERY, secret="not-the-secret")
    assert r.status_code == 401
    _nothing_happened(mock, running)


def test_stale_timestamp_is_401(slack, mock, running):
    r = slack.command(QUERY, timestamp=int(time.time()) - 6 * 60)
    assert r.status_code == 401
    _nothing_happened(mock, running)


def test_tampered_body_is_401(slack, mock, running, http):
    from slack_driver import sign

    body = command_body(QUERY, team="T1", user="U1", channel="C1", response_url=mock.response_url("x"))
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign("test-signing-secret", body)}
    r = http.post(running.url + "/slack/events", content=body.replace("T1", "T2"), headers=headers)
    assert r.status_code == 401
    _nothing_happened(mock, running)


def test_oversized_body_is_413(slack, mock, running):
    r = slack.command("x" * (running.settings.gpucost_max_body_bytes + 10))
    assert r.status_code == 413
    _nothing_happened(mock, running)


def test_long_query_gets_friendly_refusal(slack, running):
    limit = running.settings.gpucost_max_query_chars
    body = slack.command("70B " + "x" * limit).json()
    assert body["response_type"] == "ephemeral"
    assert f"at most {limit}" in body["text"]
    assert running.store.list_history("T1", "U1") == []


def test_rate_limit_per_user_per_minute(serve, mock, http):
    from slack_driver import SECRET, SlackDriver

    running = serve(gpucost_rate_limit_per_minute=3)
    slack = SlackDriver(running.url, SECRET, mock, http)
    for _ in range(3):
        assert "blocks" in slack.command("help").json()
    refused = slack.command(QUERY).json()
    assert "most allowed per person" in refused["text"]
    assert refused["response_type"] == "ephemeral"
    # Another user, and the same user id in another workspace, are counted apart.
    assert "most allowed" not in slack.command("help", user="U2").json()["text"]
    assert "most allowed" not in slack.command("help", team="T2").json()["text"]
    assert running.store.list_history("T1", "U1") == []


def test_healthz(running, http):
    r = http.get(running.url + "/healthz")
    assert r.status_code == 200
    assert r.json() == {"ok": True, "database": "ok"}
    assert http.get(running.url + "/nope").status_code == 404
