"""Persistence for the Slack app: workspace settings, negotiated prices, history, rate limits.

SQLAlchemy Core over SQLite (default) or PostgreSQL. The schema is created by the Alembic
migrations in ``bot/migrations`` (applied on start by :func:`bot.db.migrate`); the table objects
here must match them. Every query is filtered by ``team_id``: one workspace never sees another's
rows. Slack's own OAuth tables (installations and bots) belong to slack_sdk's installation store.

When the database fails, every method raises :class:`StoreUnavailable` instead of the driver's
error, and for :data:`RETRY_AFTER_S` after a connection-level failure the store does not even try
(a circuit breaker): a request then pays no connection timeout, so the app can still answer
estimates within Slack's 3 seconds. :meth:`Store.health_check` always tries, with a write.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import ParamSpec, TypeVar

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

#: After a connection-level failure, how long the store answers "unavailable" without trying [s].
RETRY_AFTER_S = 5.0

#: How often the replay record's expired keys are deleted [s] (by whichever request comes next).
PRUNE_EVERY_S = 30.0

#: Longest wait for SQLite's write lock (here and in SQLite's busy handler), a PostgreSQL
#: connection, or a pooled connection [s]: the ack budget is Slack's 3 s, and a command makes a
#: few database calls, so a database that does not answer in 2 s is treated as unavailable.
DB_TIMEOUT_S = 2.0

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

health = sa.Table(
    "gpucost_health",
    metadata,
    sa.Column("replica", sa.String(200), primary_key=True),
    sa.Column("checked_at", sa.Float, nullable=False),
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
_PRUNE_SEEN = sa.delete(seen_requests).where(seen_requests.c.seen_at < sa.bindparam("cutoff"))
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


class StoreUnavailable(Exception):
    """The database cannot be used right now (unreachable, read-only, locked, or failing)."""


#: Driver errors that mean the database (not the statement) is the problem: they open the breaker.
_CONNECTION_ERRORS = (exc.OperationalError, exc.InterfaceError, exc.TimeoutError, exc.DisconnectionError)

P = ParamSpec("P")
T = TypeVar("T")


def _guarded(method: Callable[P, T]) -> Callable[P, T]:
    """Run a Store method through the breaker; driver errors become :class:`StoreUnavailable`.

    A pooled connection found dead (the database restarted since it was opened) is not an outage:
    SQLAlchemy then invalidates the pool, and the call is made once more on a new connection. This
    is SQLAlchemy's "optimistic" disconnect handling, used instead of ``pool_pre_ping``, which cost a
    round trip per checkout (a third of a command's database time on PostgreSQL)."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        store: Store = args[0]  # type: ignore[assignment]
        store._check_breaker()
        for attempt in (1, 2):
            try:
                result = method(*args, **kwargs)
            except exc.DBAPIError as err:
                if attempt == 1 and err.connection_invalidated:
                    continue
                raise store._failed(err) from err
            except exc.SQLAlchemyError as err:
                raise store._failed(err) from err
            store._succeeded()
            return result
        raise AssertionError("unreachable")

    return wrapper


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


_STORES: weakref.WeakKeyDictionary[Engine, Store] = weakref.WeakKeyDictionary()


class Store:
    """All reads and writes of the app's own tables, each scoped to one workspace (``team_id``)."""

    @classmethod
    def for_engine(cls, engine: Engine) -> Store:
        """The one store of ``engine`` (shared by the gate and the listeners: one SQLite write lock
        and one breaker per database)."""
        store = _STORES.get(engine)
        if store is None:
            store = _STORES[engine] = cls(engine)
        return store

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._down_until = 0.0
        self._down_since: float | None = None
        self._replica = f"{socket.gethostname()}:{os.getpid()}"[:200]
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
        seen = _upsert(engine, seen_requests).values(key=sa.bindparam("key"), seen_at=sa.bindparam("now"))
        self._remember = seen.on_conflict_do_update(
            index_elements=["key"],
            set_={"seen_at": seen.excluded.seen_at},
            where=seen_requests.c.seen_at < sa.bindparam("cutoff"),
        ).returning(seen_requests.c.seen_at)
        self._next_prune = 0.0

    # -- availability ----------------------------------------------------------------------------
    def available(self) -> bool:
        """False while the breaker is open (a connection-level failure less than RETRY_AFTER_S ago)."""
        return time.monotonic() >= self._down_until

    def _check_breaker(self) -> None:
        if not self.available():
            raise StoreUnavailable("the database failed moments ago")

    def _failed(self, err: BaseException) -> StoreUnavailable:
        """Record a failure; a connection-level one opens the breaker (logged once per outage)."""
        if isinstance(err, (*_CONNECTION_ERRORS, StoreUnavailable)):
            self._down_until = time.monotonic() + RETRY_AFTER_S
            if self._down_since is None:
                self._down_since = time.monotonic()
                log.warning("database unavailable (%s); answering without it", _short(err))
        else:
            log.error("database statement failed: %s", _short(err))
        return err if isinstance(err, StoreUnavailable) else StoreUnavailable(_short(err))

    def _succeeded(self) -> None:
        if self._down_since is not None:
            log.warning("database available again after %.0f s", time.monotonic() - self._down_since)
            self._down_since = None
            self._down_until = 0.0

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """SQLite: one writer at a time, waiting at most DB_TIMEOUT_S (a stuck writer must not queue
        every request behind it). PostgreSQL: no lock."""
        if not self._sqlite:
            yield
            return
        if not self._lock.acquire(timeout=DB_TIMEOUT_S):
            raise StoreUnavailable("timed out waiting for the SQLite write lock")
        try:
            self._check_breaker()  # it may have opened while this thread waited
            yield
        finally:
            self._lock.release()

    def health_check(self) -> tuple[bool, str]:
        """Write this replica's row in ``gpucost_health`` (a read-only or locked database fails here,
        where ``SELECT 1`` would pass); ``(ok, reason)``. Always tries, whatever the breaker says."""
        stmt = _upsert(self.engine, health).values(replica=self._replica, checked_at=time.time())
        stmt = stmt.on_conflict_do_update(index_elements=["replica"], set_={"checked_at": stmt.excluded.checked_at})
        try:
            if self._sqlite and not self._lock.acquire(timeout=DB_TIMEOUT_S):
                raise StoreUnavailable("timed out waiting for the SQLite write lock")
            try:
                with self.engine.begin() as conn:
                    conn.execute(stmt)
            finally:
                if self._sqlite:
                    self._lock.release()
        except (exc.SQLAlchemyError, StoreUnavailable) as err:
            self._failed(err)  # logs the driver's message; the caller (an HTTP probe) gets the kind only
            return False, type(getattr(err, "orig", None) or err).__name__
        self._succeeded()
        return True, ""

    @_guarded
    def workspace(self, team_id: str) -> tuple[str | None, list[Price]]:
        """The workspace's currency (``None`` if never set) and negotiated prices, in one round trip."""
        with self.engine.connect() as conn:
            currency = conn.execute(_SEL_CURRENCY, {"team_id": team_id}).scalar_one_or_none()
            rows = conn.execute(_SEL_PRICES, {"team_id": team_id}).all()
        return currency, [Price(r.gpu, r.price_per_gpu_hour, r.currency, r.set_by) for r in rows]

    # -- settings ------------------------------------------------------------------------------
    @_guarded
    def get_currency(self, team_id: str) -> str | None:
        """The workspace's default currency, or ``None`` when never set."""
        with self.engine.connect() as conn:
            return conn.execute(_SEL_CURRENCY, {"team_id": team_id}).scalar_one_or_none()

    @_guarded
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
    @_guarded
    def list_prices(self, team_id: str) -> list[Price]:
        """The workspace's negotiated prices, by GPU name."""
        return self.workspace(team_id)[1]

    @_guarded
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

    @_guarded
    def clear_price(self, team_id: str, gpu: str | None) -> int:
        """Remove the price for ``gpu`` (all prices when ``None``); returns how many were removed."""
        c = price_overrides.c
        stmt = sa.delete(price_overrides).where(c.team_id == team_id)
        if gpu is not None:
            stmt = stmt.where(sa.func.lower(c.gpu) == gpu.lower())
        with self._writing(), self.engine.begin() as conn:
            return conn.execute(stmt).rowcount or 0

    # -- history -------------------------------------------------------------------------------
    @_guarded
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

    @_guarded
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
    @_guarded
    def hit(self, team_id: str, user_id: str, now: float | None = None) -> int:
        """Count one command of the user in the current one-minute window; returns the count so far.

        A fixed window kept in the database, so replicas behind a load balancer share it.
        """
        window = int((time.time() if now is None else now) // 60)
        with self._writing(), self.engine.begin() as conn:
            return int(conn.execute(self._hit, {"team_id": team_id, "user_id": user_id, "window": window}).scalar_one())

    @_guarded
    def remember_request(self, key: str, now: float, window_s: float) -> bool:
        """Record a request's replay key; True the first time within ``window_s`` seconds (an older
        record is replaced), False for a replay. Records past the window are deleted every
        :data:`PRUNE_EVERY_S` (the upsert alone decides; pruning only bounds the table)."""
        params = {"key": key, "now": now, "cutoff": now - window_s}
        prune = time.monotonic() >= self._next_prune
        with self._writing(), self.engine.begin() as conn:
            if prune:
                self._next_prune = time.monotonic() + PRUNE_EVERY_S
                conn.execute(_PRUNE_SEEN, params)
            row = conn.execute(self._remember, params).first()
        return row is not None  # no row: the key was there within the window, nothing updated


def _short(err: BaseException) -> str:
    """One line naming a database error: its class and the driver's first line."""
    inner = getattr(err, "orig", None) or err
    first = (str(inner).strip().splitlines() or [""])[0][:200]
    return f"{type(inner).__name__}: {first}" if first else type(inner).__name__
