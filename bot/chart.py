"""The charts the app uploads (PNG): a compare's bar chart of cost per million tokens across GPUs,
drawn here, and a plan's or a curve's frontier chart, drawn by ``engine.charts.png``.

Only plotting: the numbers come from the engine's results. matplotlib is imported lazily, so
starting the app and answering commands does not pay for it.

Drawing a chart costs 0.1-0.3 s of CPU in matplotlib, under the GIL: in the server's process,
dozens of Compare GPUs clicks would slow every command and every other reply. :class:`ChartRenderer`
draws them in one worker process instead (:mod:`bot.workers`).
"""

from __future__ import annotations

import io
import logging
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from bot.workers import WorkerProcesses
from engine.results import Result, Table

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


def result_png(result: Result) -> bytes | None:
    """The chart of any result that has one: a compare's bar chart (:func:`bar_chart_png`), a plan's or a
    curve's frontier chart (``engine.charts.png``, the chart ``gpucost plan --png`` saves); else None."""
    if result.kind in ("plan", "curve"):
        from engine.charts import png

        return png(result)
    if result.table is None:
        return None
    return bar_chart_png(result.table, result.title or result.query, result.currency)


def warm() -> bool:
    """Import matplotlib (in the worker process, before the first chart is asked for)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure  # noqa: F401

    import engine.charts  # noqa: F401

    return True


class ChartRenderer:
    """Draws charts in one worker process (:class:`bot.workers.WorkerProcesses`, started on first use);
    in this process if it breaks."""

    def __init__(self) -> None:
        self._workers = WorkerProcesses("chart", 1)
        self._in_process = False

    def warm_up(self) -> None:
        """Start the worker and load matplotlib in it, without waiting (so the first chart is quick)."""
        self._workers.warm_up(warm)

    def render_result(self, result: Result, timeout_s: float = 60.0) -> bytes | None:
        """:func:`result_png` in the worker process [PNG bytes, or None when there is nothing to plot]."""
        if not self._in_process and not self._workers.closed:
            try:
                return self._workers.submit(result_png, result).result(timeout=timeout_s)
            except BrokenProcessPool:
                log.warning("the chart worker process died; drawing charts in the server process")
                self._in_process = True
                self._workers.shutdown(wait=False)
        return result_png(result)

    def shutdown(self) -> None:
        """Stop the worker and wait for it to exit (charts not started are dropped; their jobs say so)."""
        self._workers.shutdown(wait=True)
