"""Fixtures of the Slack app's tests: the Slack Web API mock, a database (SQLite file in
``tmp_path``, and PostgreSQL too when ``GPUCOST_TEST_DATABASE_URL`` is set), and the real HTTP
server (uvicorn + bolt's ASGI adapter) on 127.0.0.1 at an ephemeral port."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from slack_bolt import App
from slack_driver import SECRET, SlackDriver
from slack_mock import SlackMock
from sqlalchemy.engine import Engine

from bot.app import build_app, service_of
from bot.db import make_engine, migrate
from bot.server import create_asgi_app
from bot.settings import BotSettings, normalize_database_url
from bot.store import Store

PG_URL = os.environ.get("GPUCOST_TEST_DATABASE_URL")
DATABASES = ["sqlite"] + (["postgresql"] if PG_URL else [])


@pytest.fixture
def mock() -> Iterator[SlackMock]:
    """The Slack Web API mock, with users U1 (member) and UADMIN (admin) in team T1."""
    m = SlackMock(users={"UADMIN": {"is_admin": True}, "UOWNER": {"is_owner": True}}).start()
    yield m
    m.stop()


def _reset_postgres(url: str) -> None:
    eng = sa.create_engine(normalize_database_url(url))
    meta = sa.MetaData()
    meta.reflect(eng)
    meta.drop_all(eng)
    with eng.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    eng.dispose()


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """A fresh, empty database: a SQLite file in ``tmp_path``, or the (wiped) PostgreSQL test DB."""
    if request.param == "postgresql":
        assert PG_URL
        _reset_postgres(PG_URL)
        return normalize_database_url(PG_URL)
    return f"sqlite:///{tmp_path / 'gpucost-slack.sqlite3'}"


@dataclass
class Running:
    """A running app: its URL, bolt App, database and store."""

    url: str
    app: App
    db: Engine
    store: Store
    settings: BotSettings


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture
def serve(mock: SlackMock, database_url: str) -> Iterator[Callable[..., Running]]:
    """Start the real HTTP server (uvicorn, bolt's ASGI adapter) with settings overrides."""
    servers: list[tuple[uvicorn.Server, threading.Thread, Engine, App]] = []

    def start(**overrides: Any) -> Running:
        values: dict[str, Any] = {
            "slack_signing_secret": SECRET,
            "slack_bot_token": "xoxb-test",
            "slack_api_url": mock.api_url,
            "database_url": database_url,
            **overrides,
        }
        settings = BotSettings(_env_file=None, **values)
        db = make_engine(settings.database_url)
        migrate(db)
        app = build_app(settings, db)
        asgi = create_asgi_app(
            app,
            db,
            settings.gpucost_max_body_bytes,
            signing_secret=settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else "",
        )
        sock = _free_socket()
        server = uvicorn.Server(uvicorn.Config(asgi, log_config=None, access_log=False, lifespan="off"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        servers.append((server, thread, db, app))
        port = sock.getsockname()[1]
        return Running(f"http://127.0.0.1:{port}", app, db, Store(db), settings)

    yield start
    for server, thread, db, app in servers:
        server.should_exit = True
        thread.join(timeout=10)
        # The worker processes (plans, charts) of this app: stopped here rather than left to exit
        # with pytest, so tests do not pile them up.
        jobs = service_of(app).jobs
        jobs.plans.shutdown()
        jobs.renderer.shutdown()
        db.dispose()


@pytest.fixture
def running(serve: Callable[..., Running]) -> Running:
    """The app in single-workspace mode (token ``xoxb-test`` of team T1)."""
    return serve()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    """A plain HTTP client."""
    with httpx.Client(timeout=15) as client:
        yield client


@pytest.fixture
def slack(running: Running, mock: SlackMock, http: httpx.Client) -> SlackDriver:
    """Sends signed Slack requests to the single-workspace app."""
    return SlackDriver(running.url, SECRET, mock, http)
