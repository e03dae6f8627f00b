"""The bar chart ``/gpucost compare`` uploads: cost per million tokens across GPUs (PNG).

Only plotting: the numbers come from the engine's compare table. matplotlib is imported here,
lazily, so starting the app and answering commands does not pay for it.
"""

from __future__ import annotations

import io
from typing import Any

from engine.results import Table


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
