"""What reaches the logs of ``python -m bot`` at DEBUG: never the OAuth ``code`` or ``state`` (in
bolt's and slack_sdk's own lines included), never a secret, and never a line that a request's
text started (issue 16 item 3)."""

from __future__ import annotations

import re

import httpx
from bot_process import BotProcess, bot_env
from slack_driver import SlackDriver, oauth_install

CLIENT_SECRET = "oauth-client-secret-5e6f"


def test_oauth_code_and_state_never_reach_the_logs(mock, tmp_path):
    env = bot_env(
        mock.api_url,
        tmp_path,
        SLACK_BOT_TOKEN=None,
        SLACK_CLIENT_ID="111.222",
        SLACK_CLIENT_SECRET=CLIENT_SECRET,
        SLACK_REDIRECT_URI="https://gpucost.example.com/slack/oauth_redirect",
    )
    with BotProcess(env, tmp_path) as bot, httpx.Client(timeout=10) as http:
        bot.wait_ready()
        good = oauth_install(http, bot.url, mock, "TA", "xoxb-ta-secret", code="good-code-7d1c")
        # A code Slack refuses: bolt logs "Failed to fetch oauth.v2.access result with code: ..."
        r = http.get(bot.url + "/slack/install")
        bad_state = r.cookies["slack-app-oauth-state"]
        http.cookies.set("slack-app-oauth-state", bad_state)
        r = http.get(bot.url + f"/slack/oauth_redirect?code=bad-code-3a9b&state={bad_state}")
        assert r.status_code != 200
    out = bot.output
    assert "Failed to fetch oauth.v2.access result with code: ***" in out  # the warning ran, masked
    assert "Sending a request" in out and "oauth.v2.access" in out  # slack_sdk's DEBUG lines ran
    for secret in ("good-code-7d1c", "bad-code-3a9b", good, bad_state, CLIENT_SECRET, "xoxb-ta-secret"):
        assert secret not in out, secret


def test_request_text_cannot_forge_a_log_line(mock, tmp_path):
    mock.tokens["xoxb-main-token-1234"] = "T1"
    env = bot_env(mock.api_url, tmp_path)
    forged = "2026-01-01 00:00:00,000 ERROR bot: FORGED by the request"
    with BotProcess(env, tmp_path) as bot, httpx.Client(timeout=10) as http:
        bot.wait_ready()
        slack = SlackDriver(bot.url, env["SLACK_SIGNING_SECRET"], mock, http)
        assert slack.command(f"70B 8xH100\n{forged}\r\n{forged}").status_code == 200
        assert slack.command(f"nosuchthing\n{forged}").status_code == 200
    out = bot.output
    assert "FORGED by the request" in out  # the text was logged (at DEBUG), on the request's own line
    stamp = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ")
    for line in out.splitlines():
        if "FORGED" in line:
            assert stamp.match(line) and not line.startswith("2026-01-01 00:00:00,000"), line
        assert len(line) < 5000
