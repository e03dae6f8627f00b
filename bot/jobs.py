"""The work the app owes after an ack (bolt lazy listeners), so none is lost without a word.

A button click, a compare chart, a workspace change or the Home tab is acknowledged at once and
finished by a lazy listener on bolt's ``listener_executor``. Each is a :class:`Job` here from its ack
(:meth:`Jobs.expect`, before bolt submits the lazy listener) to its end (:meth:`Jobs.done`), so that
on shutdown (SIGTERM: uvicorn stops taking requests, then the app's lifespan ends) :meth:`Jobs.shutdown`
can wait for the queue to drain, up to a grace period, and then, for every job it could not finish,
log one line and tell the user through the job's ``response_url`` to try again, rather than leave an
acknowledged click unanswered (issue 16 item 8).

The lazy-listener pool is a :class:`~concurrent.futures.ThreadPoolExecutor` of ``GPUCOST_LAZY_WORKERS``
threads, sized for I/O (replies and Web API calls wait on Slack; the engine's CPU work is short and
serialised by the GIL anyway). Charts get their own small pool (:meth:`Jobs.background`), drawn in
a worker process (:class:`bot.chart.ChartRenderer`), so a burst of Compare GPUs clicks never holds
the threads that answer the other clicks; plans are computed in worker processes of their own
(:class:`bot.plans.PlanRunner`), which the lazy listener owing the answer waits for.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass

from slack_sdk.webhook import WebhookClient

log = logging.getLogger(__name__)

#: Threads uploading charts (each waits on the chart worker process, then on Slack's API).
CHART_THREADS = 4

#: How long each "could not finish" message may take to post at shutdown [s]; they go out 8 at a time,
#: and all of them within :data:`APOLOGY_BUDGET_S`.
APOLOGY_TIMEOUT_S = 2.0
APOLOGY_BUDGET_S = 5.0


@dataclass(frozen=True)
class Job:
    """Work acknowledged to Slack and not finished yet."""

    id: int
    label: str  # what the user asked for ("Share to channel", "compare chart", ...)
    team: str
    user: str
    response_url: str | None
    since: float  # time.monotonic() at the ack


class Jobs:
    """The lazy-listener pool and the jobs acknowledged on it (thread-safe)."""

    def __init__(self, workers: int, plan_workers: int = 1) -> None:
        from bot.chart import ChartRenderer
        from bot.plans import PlanRunner

        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="gpucost-lazy")
        self.charts = ThreadPoolExecutor(max_workers=CHART_THREADS, thread_name_prefix="gpucost-chart")
        self.renderer = ChartRenderer()
        self.plans = PlanRunner(plan_workers)
        self._ids = itertools.count(1)
        self._pending: dict[int, Job] = {}
        self._cond = threading.Condition()
        self._closing = False

    def expect(self, label: str, team: str, user: str, response_url: str | None) -> int:
        """Record a job at its ack; returns its id (for :meth:`done`)."""
        job = Job(next(self._ids), label, team, user, response_url, time.monotonic())
        with self._cond:
            self._pending[job.id] = job
        return job.id

    def done(self, job_id: int | None) -> None:
        """The job's reply went out (or it failed and said so): forget it."""
        if job_id is None:
            return
        with self._cond:
            self._pending.pop(job_id, None)
            self._cond.notify_all()

    def background(
        self,
        label: str,
        team: str,
        user: str,
        response_url: str | None,
        work: Callable[[], None],
        on_error: Callable[[], None] | None = None,
    ) -> None:
        """Run ``work`` on the chart pool as a job of its own (done however it ends; a failure is
        logged and ``on_error`` tells the user)."""
        job_id = self.expect(label, team, user, response_url)

        def run() -> None:
            try:
                work()
            except Exception:
                log.exception("%s failed", label)
                if on_error is not None:
                    try:
                        on_error()
                    except Exception as err:
                        log.warning("could not tell the user that %s failed: %s", label, type(err).__name__)
            finally:
                self.done(job_id)

        try:
            self.charts.submit(run)
        except RuntimeError:  # shutting down: the pool takes no new work
            log.warning("%s not started: shutting down", label)
            self.done(job_id)
            if on_error is not None:
                on_error()

    def pending(self) -> list[Job]:
        """The jobs acknowledged and not finished, oldest first."""
        with self._cond:
            return sorted(self._pending.values(), key=lambda j: j.id)

    def drain(self, timeout_s: float) -> list[Job]:
        """Wait up to ``timeout_s`` [s] for every pending job to finish; returns those that did not."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._pending and (left := deadline - time.monotonic()) > 0:
                self._cond.wait(left)
            return sorted(self._pending.values(), key=lambda j: j.id)

    def shutdown(self, grace_s: float) -> list[Job]:
        """On SIGTERM: drain for ``grace_s`` [s]; then cancel what has not started, log every unfinished
        job in one line each and tell its user to try again. Returns the unfinished jobs."""
        waiting = len(self.pending())
        if waiting:
            log.info("shutting down: finishing %d acknowledged request(s), up to %.0f s", waiting, grace_s)
        unfinished = self.drain(grace_s)
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.charts.shutdown(wait=False, cancel_futures=True)
        self.plans.shutdown()
        self.renderer.shutdown()
        told: dict[int, bool] = {}
        if unfinished:
            with ThreadPoolExecutor(max_workers=8, thread_name_prefix="gpucost-apology") as pool:
                futures = {pool.submit(self._apologise, job): job.id for job in unfinished}
                wait(futures, timeout=APOLOGY_BUDGET_S)
                told = {futures[f]: f.done() and not f.exception() and bool(f.result()) for f in futures}
        now = time.monotonic()
        for job in unfinished:
            log.warning(
                "shutdown: could not finish %s for user %s in team %s (acknowledged %.1f s ago)%s",
                job.label,
                job.user,
                job.team,
                now - job.since,
                "; the user was asked to try again" if told.get(job.id) else "; the user could not be told",
            )
        if waiting:
            log.info("shutdown: %d of %d acknowledged request(s) finished", waiting - len(unfinished), waiting)
        return unfinished

    @staticmethod
    def _apologise(job: Job) -> bool:
        """Tell the user, through the job's response_url, that the app restarted mid-way."""
        if not job.response_url:
            return False
        text = f"gpucost restarted before it could finish your {job.label}; please try again in a moment."
        try:
            resp = WebhookClient(job.response_url, timeout=int(APOLOGY_TIMEOUT_S)).send_dict(
                {"text": text, "response_type": "ephemeral", "replace_original": False}
            )
        except Exception:
            return False
        return 200 <= resp.status_code < 300
