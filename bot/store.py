"""Persistence for the Slack app: workspace settings, negotiated prices, history, rate limits.

SQLAlchemy Core over SQLite (default) or PostgreSQL. The schema is created by the Alembic
migrations in ``bot/migrations`` (applied on start by :func:`bot.db.migrate`); the table objects
here must match them. Every query is filtered by ``team_id``: one workspace never sees another's
rows. Slack's own OAuth tables (installations, bots, states) belong to slack_sdk's stores.
"""

from __future__ import annotations

import threading
import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Engine

metadata = sa.MetaData()

workspace_settings = sa.Table(
    "gpucost_workspace_settings",
    metadata,
    sa.Column("team_id", sa.String(32), primary_key=True),
    sa.Column("currency", sa.String(8), nullable=False),
    sa.Column("updated_by", sa.String(32), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

price_overrides = sa.Table(
    "gpucost_price_overrides",
    metadata,
    sa.Column("team_id", sa.String(32), primary_key=True),
    sa.Column("gpu", sa.String(64), primary_key=True),
    sa.Column("price_per_gpu_hour", sa.Float, nullable=False),
    sa.Column("currency", sa.String(8), nullable=False),
    sa.Column("set_by", sa.String(32), nullable=False),
    sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
)

history = sa.Table(
    "gpucost_history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("team_id", sa.String(32), nullable=False),
    sa.Column("user_id", sa.String(32), nullable=False),
    sa.Column("query", sa.Text, nullable=False),
    sa.Column("headline", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("gpucost_history_team_user_idx", "team_id", "user_id", "id"),
)

seen_requests = sa.Table(
    "gpucost_seen_requests",
    metadata,
    sa.Column("key", sa.String(80), primary_key=True),
    sa.Column("seen_at", sa.Float, nullable=False),
    sa.Index("gpucost_seen_requests_at_idx", "seen_at"),
)

rate_limits = sa.Table(
    "gpucost_rate_limits",
    metadata,
    sa.Column("team_id", sa.String(32), primary_key=True),
    sa.Column("user_id", sa.String(32), primary_key=True),
    sa.Column("window_start", sa.BigInteger, nullable=False),
    sa.Column("count", sa.Integer, nullable=False),
)

#: How many estimates ``/gpucost history`` shows (and the store keeps) per user.
HISTORY_KEEP = 10

# Statements on the request path are built once: building SQLAlchemy expressions per request
# cost more than running them on SQLite.
_TEAM, _USER = sa.bindparam("team_id"), sa.bindparam("user_id")
_SEL_CURRENCY = sa.select(workspace_settings.c.currency).where(workspace_settings.c.team_id == _TEAM)
_SEL_PRICES = (
    sa.select(
        price_overrides.c.gpu,
        price_overrides.c.price_per_gpu_hour,
        price_overrides.c.currency,
        price_overrides.c.set_by,
    )
    .where(price_overrides.c.team_id == _TEAM)
    .order_by(price_overrides.c.gpu)
)
_INS_HISTORY = history.insert()
_PRUNE_HISTORY = sa.delete(history).where(
    history.c.team_id == _TEAM,
    history.c.user_id == _USER,
    history.c.id.not_in(
        sa.select(history.c.id)
        .where(history.c.team_id == _TEAM, history.c.user_id == _USER)
        .order_by(history.c.id.desc())
        .limit(HISTORY_KEEP)
        .scalar_subquery()
    ),
)


@dataclass(frozen=True)
class Price:
    """A workspace's negotiated price for one GPU [currency per GPU-hour]."""

    gpu: str
    price_per_gpu_hour: float
    currency: str
    set_by: str


@dataclass(frozen=True)
class HistoryItem:
    """One past estimate of a user."""

    query: str
    headline: str
    created_at: datetime


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _upsert(engine: Engine, table: sa.Table):
    """The dialect's INSERT that supports ``ON CONFLICT DO UPDATE`` (SQLite and PostgreSQL)."""
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


class Store:
    """All reads and writes of the app's own tables, each scoped to one workspace (``team_id``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # SQLite allows one writer at a time; queueing writers on a lock here is much faster than
        # SQLite's busy handler, which sleeps and retries. PostgreSQL needs no such lock.
        self._sqlite = engine.dialect.name == "sqlite"
        self._lock = threading.Lock()
        hit = _upsert(engine, rate_limits).values(
            team_id=_TEAM, user_id=_USER, window_start=sa.bindparam("window"), count=1
        )
        c = rate_limits.c
        self._hit = hit.on_conflict_do_update(
            index_elements=["team_id", "user_id"],
            set_={
                "count": sa.case((c.window_start == hit.excluded.window_start, c.count + 1), else_=1),
                "window_start": hit.excluded.window_start,
            },
        ).returning(c.count)

    def _writing(self) -> AbstractContextManager[object]:
        return self._lock if self._sqlite else nullcontext()

    def workspace(self, team_id: str) -> tuple[str | None, list[Price]]:
        """The workspace's currency (``None`` if never set) and negotiated prices, in one round trip."""
        with self.engine.connect() as conn:
            currency = conn.execute(_SEL_CURRENCY, {"team_id": team_id}).scalar_one_or_none()
            rows = conn.execute(_SEL_PRICES, {"team_id": team_id}).all()
        return currency, [Price(r.gpu, r.price_per_gpu_hour, r.currency, r.set_by) for r in rows]

    # -- settings ------------------------------------------------------------------------------
    def get_currency(self, team_id: str) -> str | None:
        """The workspace's default currency, or ``None`` when never set."""
        with self.engine.connect() as conn:
            return conn.execute(_SEL_CURRENCY, {"team_id": team_id}).scalar_one_or_none()

    def set_currency(self, team_id: str, currency: str, user_id: str) -> None:
        """Set the workspace's default currency."""
        stmt = _upsert(self.engine, workspace_settings).values(
            team_id=team_id, currency=currency, updated_by=user_id, updated_at=_now()
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["team_id"],
            set_={
                "currency": stmt.excluded.currency,
                "updated_by": stmt.excluded.updated_by,
                "updated_at": stmt.excluded.updated_at,
            },
        )
        with self._writing(), self.engine.begin() as conn:
            conn.execute(stmt)

    # -- prices --------------------------------------------------------------------------------
    def list_prices(self, team_id: str) -> list[Price]:
        """The workspace's negotiated prices, by GPU name."""
        return self.workspace(team_id)[1]

    def set_price(self, team_id: str, price: Price) -> None:
        """Add or replace the workspace's price for ``price.gpu``."""
        stmt = _upsert(self.engine, price_overrides).values(
            team_id=team_id,
            gpu=price.gpu,
            price_per_gpu_hour=price.price_per_gpu_hour,
            currency=price.currency,
            set_by=price.set_by,
            set_at=_now(),
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["team_id", "gpu"],
            set_={k: stmt.excluded[k] for k in ("price_per_gpu_hour", "currency", "set_by", "set_at")},
        )
        with self._writing(), self.engine.begin() as conn:
            conn.execute(stmt)

    def clear_price(self, team_id: str, gpu: str | None) -> int:
        """Remove the price for ``gpu`` (all prices when ``None``); returns how many were removed."""
        c = price_overrides.c
        stmt = sa.delete(price_overrides).where(c.team_id == team_id)
        if gpu is not None:
            stmt = stmt.where(sa.func.lower(c.gpu) == gpu.lower())
        with self._writing(), self.engine.begin() as conn:
            return conn.execute(stmt).rowcount or 0

    # -- history -------------------------------------------------------------------------------
    def add_history(self, team_id: str, user_id: str, query: str, headline: str) -> None:
        """Record an estimate and keep only the user's last :data:`HISTORY_KEEP`."""
        row = {
            "team_id": team_id,
            "user_id": user_id,
            "query": query,
            "headline": headline[:2000],
            "created_at": _now(),
        }
        with self._writing(), self.engine.begin() as conn:
            conn.execute(_INS_HISTORY, row)
            conn.execute(_PRUNE_HISTORY, {"team_id": team_id, "user_id": user_id})

    def list_history(self, team_id: str, user_id: str, limit: int = HISTORY_KEEP) -> list[HistoryItem]:
        """The user's last estimates in this workspace, newest first."""
        c = history.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(c.query, c.headline, c.created_at)
                .where(c.team_id == team_id, c.user_id == user_id)
                .order_by(c.id.desc())
                .limit(limit)
            ).all()
        return [HistoryItem(r.query, r.headline, r.created_at) for r in rows]

    # -- rate limit ----------------------------------------------------------------------------
    def hit(self, team_id: str, user_id: str, now: float | None = None) -> int:
        """Count one command of the user in the current one-minute window; returns the count so far.

        A fixed window kept in the database, so replicas behind a load balancer share it.
        """
        window = int((time.time() if now is None else now) // 60)
        with self._writing(), self.engine.begin() as conn:
            return int(conn.execute(self._hit, {"team_id": team_id, "user_id": user_id, "window": window}).scalar_one())

    def remember_request(self, key: str, now: float, window_s: float) -> bool:
        """Record a request's replay key; True the first time within ``window_s`` seconds (an older
        record is replaced), False for a replay. Records past the window are pruned as it goes."""
        t = seen_requests
        insert = _upsert(self.engine, t).values(key=key, seen_at=now)
        upsert = insert.on_conflict_do_update(
            index_elements=["key"], set_={"seen_at": now}, where=t.c.seen_at < now - window_s
        ).returning(t.c.seen_at)
        with self._writing(), self.engine.begin() as conn:
            conn.execute(sa.delete(t).where(t.c.seen_at < now - window_s))
            row = conn.execute(upsert).first()
        return row is not None  # no row: the key was there within the window, nothing updated
