"""Worker processes for the app's CPU-heavy work, off the server's GIL.

Python threads share one interpreter lock: a thread that computes for seconds makes every other
thread of the server (uvicorn's event loop, the acks, the replies) wait for it in 5 ms turns, and
each I/O step of theirs waits for a turn again. Measured here (2 cores, SQLite, 400 signed
commands at concurrency 20): the ack p50/p99 was 57/82 ms with the server idle, 1,425/2,104 ms
while one 3.4 s ``plan`` ran in a thread of the server, and 36/70 ms while it ran in another
process. So charts (:mod:`bot.chart`) and plans (:mod:`bot.plans`) run in :class:`WorkerProcesses`.

A pool is spawned (it inherits none of the server's threads or sockets) on first use or at
start-up (:meth:`WorkerProcesses.warm_up`), and each worker exits by itself as soon as the server
process is gone, even when the server is killed outright. Imports only the standard library.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

log = logging.getLogger(__name__)


def _exit_with_parent(parent: int) -> None:
    """In a worker process: exit as soon as the server process is gone (killed, crashed), so no
    worker outlives it holding memory and the server's stdout."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="gpucost-worker-parent").start()


class WorkerProcesses:
    """A pool of ``processes`` spawned worker processes, started on first use and started again
    after a worker died (its pool is then broken: the work it had is lost, and said so by
    :class:`BrokenProcessPool` to whoever waits for it)."""

    def __init__(self, name: str, processes: int) -> None:
        self.name = name
        self.processes = processes
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._closed = False

    @property
    def closed(self) -> bool:
        """True after :meth:`shutdown`: nothing new is taken."""
        return self._closed

    def _executor(self) -> ProcessPoolExecutor | None:
        with self._lock:
            if self._pool is None and not self._closed:
                self._pool = ProcessPoolExecutor(
                    max_workers=self.processes,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_exit_with_parent,
                    initargs=(os.getpid(),),
                )
            return self._pool

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """Run ``fn(*args)`` in a worker (``fn`` and its arguments must pickle). Raises
        ``RuntimeError`` once shut down."""
        pool = self._executor()
        if pool is None:
            raise RuntimeError(f"the {self.name} workers are shut down")
        try:
            return pool.submit(fn, *args)
        except BrokenProcessPool:
            self.forget(pool)
            pool = self._executor()
            if pool is None:
                raise RuntimeError(f"the {self.name} workers are shut down") from None
            return pool.submit(fn, *args)

    def forget(self, pool: ProcessPoolExecutor | None = None) -> None:
        """Drop a broken pool (the next :meth:`submit` starts a new one)."""
        with self._lock:
            if pool is None or self._pool is pool:
                broken, self._pool = self._pool, None
            else:
                return
        if broken is not None:
            log.warning("a %s worker process died; starting new ones", self.name)
            broken.shutdown(wait=False, cancel_futures=True)

    def warm_up(self, fn: Callable[[], Any]) -> None:
        """Start every worker now and run ``fn`` (imports) in each, without waiting, so the first
        real request does not pay for the spawn."""
        pool = self._executor()
        if pool is not None:
            for _ in range(self.processes):
                pool.submit(fn)

    def shutdown(self, wait: bool = True) -> None:
        """Take no more work, drop what has not started, and (``wait``) wait for the workers to
        finish what they run and exit."""
        with self._lock:
            pool, self._pool, self._closed = self._pool, None, True
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=True)
