"""The bar chart ``/gpucost compare`` uploads: cost per million tokens across GPUs (PNG).

Only plotting: the numbers come from the engine's compare table. matplotlib is imported here,
lazily, so starting the app and answering commands does not pay for it.

Drawing a chart costs about 0.1 s of CPU in matplotlib, under the GIL: in the server's process,
dozens of Compare GPUs clicks would slow every command and every other reply. :class:`ChartRenderer`
draws them in one worker process instead (spawned, so it inherits none of the server's threads).
"""

from __future__ import annotations

import io
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from engine.results import Table

log = logging.getLogger(__name__)


def cost_column(table: Table) -> int | None:
    """Index of the column holding cost per million tokens, or ``None``."""
    for i, col in enumerate(table.columns):
        c = str(col).lower().replace("_", " ")
        if ("million" in c or "1m" in c or "mtok" in c) and ("cost" in c or "$" in c or "price" in c or "/" in c):
            return i
    return None


def bar_chart_png(table: Table, title: str, currency: str) -> bytes | None:
    """A horizontal bar chart of the cost column against the first column; ``None`` if nothing to plot."""
    col = cost_column(table)
    if col is None:
        return None
    names = [str(c).lower() for c in table.columns]
    label_col = names.index("gpu") if "gpu" in names else 0
    labels: list[str] = []
    values: list[float] = []
    for row in table.rows:
        v: Any = row[col] if col < len(row) else None
        if isinstance(v, (int, float)) and v == v:
            labels.append(str(row[label_col]))
            values.append(float(v))
    if not values:
        return None
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 0.45 * len(values) + 1.5), dpi=100)
    ax = fig.subplots()
    ax.barh(labels[::-1], values[::-1], color="#4A90D9")
    ax.set_xlabel(f"{table.columns[col]} [{currency}]")
    ax.set_title(title[:80], fontsize=10)
    for y, v in enumerate(values[::-1]):
        ax.text(v, y, f" {v:.3g}", va="center", fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _exit_with_parent(parent: int) -> None:
    """In the worker process: exit as soon as the server process is gone (killed, crashed), so no
    worker outlives it holding memory and the server's stdout."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="gpucost-chart-parent").start()


def warm() -> bool:
    """Import matplotlib (in the worker process, before the first chart is asked for)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure  # noqa: F401

    return True


class ChartRenderer:
    """Draws charts in one worker process (started on first use); in this process if it breaks."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._closed = False

    def _executor(self) -> ProcessPoolExecutor | None:
        with self._lock:
            if self._pool is None and not self._closed:
                self._pool = ProcessPoolExecutor(
                    max_workers=1,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_exit_with_parent,
                    initargs=(os.getpid(),),
                )
            return self._pool

    def warm_up(self) -> None:
        """Start the worker and load matplotlib in it, without waiting (so the first chart is quick)."""
        pool = self._executor()
        if pool is not None:
            pool.submit(warm)

    def render(self, table: Table, title: str, currency: str, timeout_s: float = 60.0) -> bytes | None:
        """:func:`bar_chart_png` in the worker process [PNG bytes, or None when there is nothing to plot]."""
        pool = self._executor()
        if pool is not None:
            try:
                return pool.submit(bar_chart_png, table, title, currency).result(timeout=timeout_s)
            except BrokenProcessPool:
                log.warning("the chart worker process died; drawing charts in the server process")
                with self._lock:
                    self._pool, self._closed = None, True
        return bar_chart_png(table, title, currency)

    def shutdown(self) -> None:
        """Stop the worker and wait for it to exit (charts not started are dropped; their jobs say so)."""
        with self._lock:
            pool, self._pool, self._closed = self._pool, None, True
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
