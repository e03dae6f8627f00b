"""Database engine and migrations for the Slack app.

``make_engine`` builds the SQLAlchemy engine from ``DATABASE_URL`` (SQLite file by default,
PostgreSQL through psycopg 3); ``migrate`` applies the Alembic migrations in ``bot/migrations``
(run on every start; a no-op when the schema is current).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def make_engine(url: str) -> Engine:
    """A SQLAlchemy engine for ``url``; SQLite gets WAL. Every wait is bounded by
    :data:`bot.store.DB_TIMEOUT_S`: SQLite's busy handler, PostgreSQL's connect and lock waits, and
    waits for a pooled connection, so a database that hangs fails fast instead of holding requests."""
    from bot.store import DB_TIMEOUT_S

    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url,
            connect_args={"timeout": DB_TIMEOUT_S, "check_same_thread": False},
            pool_size=20,
            max_overflow=20,
            pool_timeout=DB_TIMEOUT_S,
        )

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record) -> None:  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            # WAL lets readers run while one request writes; NORMAL is durable enough for settings.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    timeout_ms = int(DB_TIMEOUT_S * 1000)
    return sa.create_engine(
        url,
        pool_size=20,
        max_overflow=20,
        pool_timeout=DB_TIMEOUT_S,  # no pool_pre_ping: bot.store retries once on a dead connection
        connect_args={
            "connect_timeout": max(1, round(DB_TIMEOUT_S)),  # libpq takes whole seconds
            "options": f"-c lock_timeout={timeout_ms}",
        },
    )


def alembic_config(engine: Engine):
    """An Alembic ``Config`` pointing at the bundled migrations and ``engine``."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> None:
    """Apply all migrations up to ``head``. Replicas starting together take turns: PostgreSQL through
    an advisory lock (``migrations/env.py``), a SQLite file through an exclusive lock on a file next
    to it (pysqlite runs DDL outside a transaction, so SQLite's own lock does not serialise them)."""
    from alembic import command

    with _sqlite_file_lock(engine):
        command.upgrade(alembic_config(engine), "head")


@contextlib.contextmanager
def _sqlite_file_lock(engine: Engine) -> Iterator[None]:
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if not path or path == ":memory:":
        yield
        return
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock (one replica per SQLite file is the norm there)
        yield
        return
    with open(f"{path}.migrate-lock", "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
