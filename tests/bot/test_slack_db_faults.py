"""The database unavailable (issue 16 item 6): commands still get their estimate, within Slack's
3 seconds, with one line saying history and workspace prices are unavailable; workspace commands
say so in one line; /healthz tests a write (503 when the database is gone or read-only); everything
comes back when the database does. On SQLite and PostgreSQL, with real faults (tests/bot/faults.py)."""

from __future__ import annotations

import contextlib
import time

import pytest
import sqlalchemy as sa
from conftest import PG_URL
from faults import TcpProxy, proxied, read_only, sqlite_gone
from slack_driver import SECRET, SlackDriver, oauth_install
from sqlalchemy.engine import make_url

from bot.replies import DB_DOWN_ERROR, DB_DOWN_NOTICE, HISTORY_NOT_SAVED, NOT_SHARED_DB_DOWN
from bot.store import Price

QUERY = "70B 8xH100 in=500 out=300"


@pytest.fixture
def faulty(serve, database_url):
    """``(start, outage)``: ``start(**settings)`` serves the app on a database that ``outage()`` (a
    context manager) takes away: PostgreSQL behind a TCP proxy that is cut, or a SQLite file that
    is replaced by a directory."""
    proxy = None
    if database_url.startswith("postgresql"):
        u = make_url(database_url)
        proxy = TcpProxy((u.host or "127.0.0.1", u.port or 5432))
        database_url = proxied(database_url, proxy)
    running = []

    def start(**overrides):
        running.append(serve(database_url=database_url, **overrides))
        return running[-1]

    @contextlib.contextmanager
    def outage():
        if proxy is not None:
            proxy.cut()
            try:
                yield
            finally:
                proxy.restore()
        else:
            with sqlite_gone(running[-1].db):
                yield

    yield start, outage
    if proxy is not None:
        proxy.close()


def _notice(body) -> str:
    return next(e["text"] for b in body["blocks"] if b["type"] == "context" for e in b["elements"])


def test_commands_answer_without_the_database(faulty, mock, http):
    start, outage = faulty
    running = start()
    slack = SlackDriver(running.url, SECRET, mock, http)
    running.store.set_price("T1", Price("H100", 1.0, "USD", "UADMIN"))
    with outage():
        t0 = time.monotonic()
        r = slack.command(QUERY)
        assert r.status_code == 200 and time.monotonic() - t0 < 3
        body = r.json()
        assert "actions" in [b["type"] for b in body["blocks"]]  # the estimate, with its buttons
        assert DB_DOWN_NOTICE in body["text"] and DB_DOWN_NOTICE in _notice(body)
        assert "$3.99" in str(body["blocks"])  # the catalog price, as the notice says, not the workspace's $1
        for command in ("history", "price list", "settings"):
            reply = slack.command(command).json()
            assert reply["text"] == DB_DOWN_ERROR and "\n" not in reply["text"], command
        health = http.get(running.url + "/healthz")
        assert health.status_code == 503 and health.json()["ok"] is False
        value = next(b for b in body["blocks"] if b["type"] == "actions")["elements"][0]["value"]
        assert slack.click("gpucost_share", value, name="share").status_code == 200
        shared = mock.wait_for(lambda: mock.responses("share"))[0].json
        assert shared["response_type"] == "ephemeral" and shared["text"] == NOT_SHARED_DB_DOWN
    assert http.get(running.url + "/healthz").status_code == 200  # probes, and closes the breaker
    body = slack.command(QUERY).json()
    assert DB_DOWN_NOTICE not in body["text"] and "$1.00" in str(body["blocks"])
    assert len(running.store.list_history("T1", "U1")) == 1  # only the command made after recovery


def test_healthz_needs_a_database_that_takes_writes(faulty, mock, http):
    start, _ = faulty
    running = start()
    slack = SlackDriver(running.url, SECRET, mock, http)
    with read_only(running.db):
        with running.db.connect() as conn:  # reads work: SELECT 1 alone would say "ok"
            assert conn.execute(sa.text("SELECT 1")).scalar_one() == 1
        assert http.get(running.url + "/healthz").status_code == 503
        t0 = time.monotonic()
        body = slack.command(QUERY).json()
        assert time.monotonic() - t0 < 3
        assert "actions" in [b["type"] for b in body["blocks"]]
        assert DB_DOWN_NOTICE in body["text"] or HISTORY_NOT_SAVED in body["text"]
    assert http.get(running.url + "/healthz").status_code == 200


def test_oauth_workspace_is_answered_without_the_database(faulty, mock, http):
    start, outage = faulty
    running = start(
        slack_bot_token=None,
        slack_client_id="111.222",
        slack_client_secret="oauth-client-secret",
        slack_redirect_uri="https://gpucost.example.com/slack/oauth_redirect",
    )
    oauth_install(http, running.url, mock, "TA", "xoxb-ta")
    slack = SlackDriver(running.url, SECRET, mock, http)
    with outage():
        r = slack.command(QUERY, team="TA")
        assert r.status_code == 200
        assert DB_DOWN_NOTICE in r.json()["text"]


def test_home_tab_says_settings_are_unavailable(faulty, mock, http):
    start, outage = faulty
    running = start()
    slack = SlackDriver(running.url, SECRET, mock, http)
    with outage():
        event = {"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home", "event_ts": "1.2"}
        assert slack.event(event).status_code == 200
        view = mock.wait_for(lambda: mock.api_calls("views.publish"))[0].params["view"]
        assert DB_DOWN_ERROR in str(view) and "/gpucost 70B 8xH100" in str(view)


@pytest.mark.parametrize("database_url", ["postgresql"] if PG_URL else [], indirect=True)
def test_a_restarted_database_costs_no_answer_its_notice(faulty, mock, http):
    """The pool holds connections the database has dropped (a restart): the first statement on one
    fails, SQLAlchemy invalidates the pool and bot.store runs it again on a new connection, so the
    command gets its full answer (no pool_pre_ping round trip on every checkout). PostgreSQL only:
    a SQLite connection cannot be dropped by its database; CI always runs PostgreSQL."""
    start, outage = faulty
    running = start()
    slack = SlackDriver(running.url, SECRET, mock, http)
    for _ in range(3):
        assert DB_DOWN_NOTICE not in slack.command(QUERY).json()["text"]  # connections now pooled
    with outage():
        pass  # every pooled connection dropped; nothing tried while it was down
    body = slack.command(QUERY).json()
    assert DB_DOWN_NOTICE not in body["text"] and HISTORY_NOT_SAVED not in body["text"]
    assert len(running.store.list_history("T1", "U1")) == 4
