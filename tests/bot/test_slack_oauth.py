"""Multi-workspace OAuth: /slack/install, /slack/oauth_redirect with slack_sdk's SQLAlchemy stores,
then each workspace's commands use its own bot token and see only its own data."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from slack_driver import SECRET, SlackDriver

CLIENT_ID = "111.222"


@pytest.fixture
def oauth(serve, mock):
    return serve(
        slack_bot_token=None,
        slack_client_id=CLIENT_ID,
        slack_client_secret="oauth-client-secret",
        slack_redirect_uri="https://gpucost.example.com/slack/oauth_redirect",
    )


def install(http, running, mock, team: str, token: str) -> None:
    mock.oauth_codes[f"code-{team}"] = {"team": team, "token": token}
    r = http.get(running.url + "/slack/install")
    assert r.status_code == 200
    state = r.cookies["slack-app-oauth-state"]
    link = next(part for part in r.text.split('"') if part.startswith("https://slack.com/oauth/v2/authorize"))
    q = parse_qs(urlsplit(link.replace("&amp;", "&")).query)
    assert q["client_id"] == [CLIENT_ID] and q["state"] == [state]
    assert "commands" in q["scope"][0] and "users:read" in q["scope"][0]
    http.cookies.set("slack-app-oauth-state", state)
    r = http.get(running.url + f"/slack/oauth_redirect?code=code-{team}&state={state}")
    assert r.status_code == 200, r.text
    # Replaying the same redirect fails: the state was consumed.
    assert http.get(running.url + f"/slack/oauth_redirect?code=code-{team}&state={state}").status_code == 401
    http.cookies.clear()


def test_install_flow_stores_installation(oauth, mock, http):
    install(http, oauth, mock, "TA", "xoxb-ta")
    access = mock.api_calls("oauth.v2.access")[0]
    assert access.params["code"] == "code-TA"
    with oauth.db.connect() as conn:
        rows = conn.execute(sa.text("SELECT team_id, bot_token, client_id FROM slack_installations")).all()
        bots = conn.execute(sa.text("SELECT team_id FROM slack_bots")).all()
    assert [(r.team_id, r.bot_token, r.client_id) for r in rows] == [("TA", "xoxb-ta", CLIENT_ID)]
    assert [b.team_id for b in bots] == ["TA"]


def test_bad_or_reused_state_is_refused(oauth, mock, http):
    mock.oauth_codes["code-TA"] = {"team": "TA", "token": "xoxb-ta"}
    http.cookies.set("slack-app-oauth-state", "forged")
    r = http.get(oauth.url + "/slack/oauth_redirect?code=code-TA&state=forged")
    assert r.status_code == 401
    assert mock.api_calls("oauth.v2.access") == []


def test_workspaces_are_isolated(oauth, mock, http):
    install(http, oauth, mock, "TA", "xoxb-ta")
    install(http, oauth, mock, "TB", "xoxb-tb")
    mock.users["UA"] = {"is_admin": True}
    slack = SlackDriver(oauth.url, SECRET, mock, http)
    _, body = slack.change("price set H100 0.99usd", team="TA", user="UA")
    assert "0.99" in body["text"]
    assert mock.api_calls("users.info")[-1].token == "xoxb-ta"
    assert [p.price_per_gpu_hour for p in oauth.store.list_prices("TA")] == [0.99]
    assert oauth.store.list_prices("TB") == []
    listed = slack.command("price list", team="TB", user="UA").json()
    assert "no negotiated prices" in listed["text"]
    assert {c.token for c in mock.api_calls("auth.test")} == {"xoxb-ta", "xoxb-tb"}
    slack.command("70B 8xH100 in=500 out=300", team="TB", user="UA")
    assert oauth.store.list_history("TA", "UA") == []
    assert len(oauth.store.list_history("TB", "UA")) == 1


def test_uninstalled_workspace_is_told_how_to_install(oauth, mock, http):
    slack = SlackDriver(oauth.url, SECRET, mock, http)
    r = slack.command("70B 8xH100 in=500 out=300", team="TZ", name="tz")
    assert r.status_code == 200 and "blocks" not in r.text
    post = mock.wait_for(lambda: mock.responses("tz"))[0].json
    assert "not installed in this workspace" in post["text"]
    assert "<https://gpucost.example.com/slack/install|" in post["text"]
    assert oauth.store.list_history("TZ", "U1") == []


def _row_counts(db) -> dict[str, int]:
    tables = sa.inspect(db).get_table_names()
    with db.connect() as conn:
        return {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables}


def test_install_page_writes_no_rows(oauth, http):
    """Anonymous GETs of /slack/install cost the database nothing (issue 16 item 5)."""
    before = _row_counts(oauth.db)
    states = set()
    for _ in range(50):
        r = http.get(oauth.url + "/slack/install")
        assert r.status_code == 200
        states.add(r.cookies["slack-app-oauth-state"])
        http.cookies.clear()
    assert len(states) == 50
    assert _row_counts(oauth.db) == before
    assert "slack_oauth_states" not in before  # migration 0003 dropped slack_sdk's state table


def _redirect(http, running, state: str):
    http.cookies.set("slack-app-oauth-state", state)
    try:
        return http.get(running.url + f"/slack/oauth_redirect?code=code-TA&state={state}")
    finally:
        http.cookies.clear()


def test_expired_or_tampered_state_is_refused(oauth, mock, http):
    import time

    from bot.app import STATE_EXPIRATION_S
    from bot.oauth_state import SignedOAuthStateStore

    mock.oauth_codes["code-TA"] = {"team": "TA", "token": "xoxb-ta"}
    # A state this app signed (same client secret), issued just past its lifetime.
    old = SignedOAuthStateStore(
        "oauth-client-secret", STATE_EXPIRATION_S, lambda *a: True, clock=lambda: time.time() - STATE_EXPIRATION_S - 5
    ).issue()
    assert _redirect(http, oauth, old).status_code == 401
    fresh = http.get(oauth.url + "/slack/install").cookies["slack-app-oauth-state"]
    http.cookies.clear()
    issued, nonce, mac = fresh.split(".")
    for forged in (f"{int(issued) + 1}.{nonce}.{mac}", f"{issued}.{nonce}x.{mac}", f"{issued}.{nonce}.{'0' * 32}"):
        assert _redirect(http, oauth, forged).status_code == 401
    assert mock.api_calls("oauth.v2.access") == []
    # The genuine one still works, once.
    assert _redirect(http, oauth, fresh).status_code == 200
    assert _redirect(http, oauth, fresh).status_code == 401
