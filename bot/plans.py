"""``plan`` queries, run in worker processes of their own.

A plan searches tens of thousands of configurations: 0.1-4 s of pure-Python CPU (``plan
gpt-oss-120b requests=1M tpot_max=50ms`` over every GPU kind: 3.4 s here). In a thread of the
server it would hold the GIL and slow every other ack to seconds (:mod:`bot.workers` has the
figures), so :class:`PlanRunner` runs them in ``GPUCOST_PLAN_WORKERS`` spawned processes, and the
lazy listener that owes the answer only waits for it. The queue is bounded: past
:data:`QUEUE_PER_WORKER` plans waiting per worker, a new one is refused at once with a one-line
"busy" message rather than answered minutes later. The engine itself is called exactly as
everywhere else (``engine.run(query, config)``), so a plan's answer here is the command line's.
"""

from __future__ import annotations

import threading
from concurrent.futures import CancelledError, TimeoutError
from concurrent.futures.process import BrokenProcessPool

from bot.workers import WorkerProcesses
from engine.config import EngineConfig
from engine.errors import GpucostError
from engine.results import Result

#: Plans that may wait per worker process before new ones are refused as "busy". A choice: at the
#: slowest plans seen here (3-4 s) the last in line waits about half a minute.
QUEUE_PER_WORKER = 8
#: Longest wait for one plan's answer, its time in the queue included [s]. Plans take seconds; this
#: only stops a listener from waiting forever on a worker that hangs.
PLAN_TIMEOUT_S = 120.0


class PlannerBusy(Exception):
    """Too many plans are queued; the message says so in a line for the user."""

    def __init__(self, in_flight: int) -> None:
        super().__init__(
            f"gpucost is computing {in_flight} plan{'s' if in_flight != 1 else ''} already, the most it queues; "
            "please try again in a minute."
        )


class PlannerFailed(Exception):
    """The plan did not come back (its worker died, it timed out, the app is stopping)."""


def run_plan(query: str, config: EngineConfig) -> Result:
    """In a worker process: the plan, as ``engine.run`` answers it (bad input raises ``GpucostError``,
    which pickles back with its message)."""
    import engine

    return engine.run(query, config=config)


def warm() -> bool:
    """In a worker process: import the engine and load its catalogs before the first plan."""
    import engine

    engine.run("gpus")
    return True


class PlanRunner:
    """The plan worker processes and the plans in flight on them (thread-safe)."""

    def __init__(self, processes: int) -> None:
        self.workers = WorkerProcesses("plan", processes)
        self.limit = (QUEUE_PER_WORKER + 1) * processes  # running and waiting
        self._in_flight = 0
        self._lock = threading.Lock()

    @property
    def in_flight(self) -> int:
        """Plans running or waiting for a worker."""
        with self._lock:
            return self._in_flight

    def busy(self) -> bool:
        """True when a new plan would be refused."""
        return self.in_flight >= self.limit

    def warm_up(self) -> None:
        """Start the workers and load the engine in them, without waiting."""
        self.workers.warm_up(warm)

    def run(self, query: str, config: EngineConfig, timeout_s: float = PLAN_TIMEOUT_S) -> Result:
        """The plan of ``query`` from a worker process. Raises ``GpucostError`` for bad input (the
        engine's one line), :class:`PlannerBusy` when the queue is full, :class:`PlannerFailed` when
        no answer came back."""
        with self._lock:
            if self._in_flight >= self.limit:
                raise PlannerBusy(self._in_flight)
            self._in_flight += 1
        try:
            try:
                future = self.workers.submit(run_plan, query, config)
            except RuntimeError:
                raise PlannerFailed("the app is shutting down") from None
            try:
                return future.result(timeout=timeout_s)
            except GpucostError:
                raise
            except TimeoutError:
                future.cancel()
                raise PlannerFailed(f"no answer within {timeout_s:.0f} s") from None
            except BrokenProcessPool:
                self.workers.forget()
                raise PlannerFailed("its worker process died") from None
            except CancelledError:
                raise PlannerFailed("the app is shutting down") from None
        finally:
            with self._lock:
                self._in_flight -= 1

    def shutdown(self) -> None:
        """Take no more plans; drop those not started (their listeners are told); do not wait for
        the running ones (their workers exit with the server)."""
        self.workers.shutdown(wait=False)
