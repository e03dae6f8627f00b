"""Database engine and migrations for the Slack app.

``make_engine`` builds the SQLAlchemy engine from ``DATABASE_URL`` (SQLite file by default,
PostgreSQL through psycopg 3); ``migrate`` applies the Alembic migrations in ``bot/migrations``
(run on every start; a no-op when the schema is current).
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def make_engine(url: str) -> Engine:
    """A SQLAlchemy engine for ``url``; SQLite gets WAL and a busy timeout for concurrent requests."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, pool_size=20, max_overflow=20
        )

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record) -> None:  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            # WAL lets readers run while one request writes; NORMAL is durable enough for settings.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return sa.create_engine(url, pool_size=20, max_overflow=20, pool_pre_ping=True)


def alembic_config(engine: Engine):
    """An Alembic ``Config`` pointing at the bundled migrations and ``engine``."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> None:
    """Apply all migrations up to ``head``."""
    from alembic import command

    command.upgrade(alembic_config(engine), "head")
