"""Real faults for the Slack app's tests: a database that goes away or stops taking writes.

- :class:`TcpProxy` sits between the app and PostgreSQL on 127.0.0.1; :meth:`TcpProxy.cut` closes
  every connection and refuses new ones (the server or the network gone), :meth:`TcpProxy.restore`
  lets them through again.
- :func:`sqlite_gone` replaces a SQLite file by a directory (the volume gone): new connections fail.
- :func:`read_only` makes writes fail while reads work: another connection holds SQLite's write
  lock, or PostgreSQL sessions start read-only (a failover to a standby).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url


class TcpProxy:
    """Forwards 127.0.0.1:<port> to ``upstream`` (host, port) until cut."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = 0
        self._listener: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self.restore()

    def restore(self) -> None:
        """Accept connections (again) on the same port."""
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        sock.listen(64)
        self.port = sock.getsockname()[1]
        self._listener = sock
        threading.Thread(target=self._accept, args=(sock,), daemon=True).start()

    def cut(self) -> None:
        """Close the listening socket and every open connection: new connections are refused."""
        assert self._listener is not None
        with contextlib.suppress(OSError):  # wakes the thread blocked in accept(); close() alone does not
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._listener = None
        with self._lock:
            conns, self._conns = self._conns, []
        for c in conns:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)
            c.close()

    def close(self) -> None:
        """Stop for good."""
        if self._listener is not None:
            self.cut()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


def proxied(url: str, proxy: TcpProxy) -> str:
    """``url`` with its host and port replaced by the proxy's."""
    return make_url(url).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)


@contextlib.contextmanager
def sqlite_gone(db: Engine) -> Iterator[None]:
    """The SQLite file is replaced by a directory: the app's new connections fail to open it."""
    path = Path(str(db.url.database))
    db.dispose()  # the pool's open handles would keep the old file alive
    moved = path.with_suffix(".away")
    path.rename(moved)
    path.mkdir()
    try:
        yield
    finally:
        path.rmdir()
        moved.rename(path)


@contextlib.contextmanager
def read_only(db: Engine) -> Iterator[None]:
    """Reads work, writes fail: SQLite's write lock held by another connection, or PostgreSQL
    sessions that start read-only (``default_transaction_read_only``, as on a standby)."""
    if db.dialect.name == "sqlite":
        other = sa.create_engine(db.url, connect_args={"timeout": 1})
        with other.connect() as conn:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield
            finally:
                conn.exec_driver_sql("ROLLBACK")
        other.dispose()
        return
    name = db.url.database
    admin = sa.create_engine(db.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    db.dispose()  # new sessions pick the setting up
    try:
        yield
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql("SET default_transaction_read_only = off")
            conn.exec_driver_sql(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
        admin.dispose()
        db.dispose()
