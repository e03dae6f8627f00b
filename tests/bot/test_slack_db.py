"""The database: migrations applied on start are safe when several replicas start at once."""

from __future__ import annotations

import subprocess
import sys

import sqlalchemy as sa

from bot.db import make_engine

MIGRATE = "import sys; from bot.db import make_engine, migrate; migrate(make_engine(sys.argv[1]))"


def test_replicas_starting_together_migrate_once(database_url):
    """Four app replicas (separate processes, as behind a load balancer) migrate the same empty
    database at the same moment: all succeed and the schema is at head once (PostgreSQL serialises
    them with an advisory lock; a SQLite file with a lock file beside it)."""
    procs = [
        subprocess.Popen([sys.executable, "-c", MIGRATE, database_url], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], [r[1].decode()[-500:] for r in results]
    engine = make_engine(database_url)
    with engine.connect() as conn:
        versions = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
        tables = set(sa.inspect(conn).get_table_names())
    engine.dispose()
    assert len(versions) == 1
    assert {"gpucost_history", "slack_installations"} <= tables
