"""Alembic environment: runs migrations on the engine handed over by :func:`bot.db.migrate`, or on
``DATABASE_URL`` when run from the command line (``alembic -c bot/alembic.ini upgrade head``)."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import text

from bot.store import metadata

config = context.config
engine = config.attributes.get("engine")
if engine is None:
    from bot.db import make_engine
    from bot.settings import DEFAULT_DATABASE_URL, normalize_database_url

    engine = make_engine(normalize_database_url(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)))

with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Replicas starting together would race to create the same tables: the first takes this
            # transaction-scoped lock and migrates; the others wait, then find the schema current.
            connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('gpucost-migrations'))"))
        context.run_migrations()
    connection.commit()
