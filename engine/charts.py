"""Charts of ``plan`` and ``curve`` results: their data (pure), and a PNG of it (matplotlib).

- :func:`series` gives what a chart of a result shows, as plain data read from the result's table
  (and, for a plan, its API offers and limits): any front end can draw it its own way (an Excel
  chart over the spilled table, the Slack app's upload, the CLI's ``--png``).
- :func:`png` draws that data with matplotlib. **The one exception to the engine's rule of
  pydantic and the standard library only**: matplotlib is imported inside the function, never at
  module level, so importing this module (or anything in the engine) does not need it; the
  estimators never import this module (``tests/engine/test_layers.py``). matplotlib comes with the
  ``slack`` extra; without it, :func:`png` raises a one-line :class:`GpucostError` saying how to
  install it.

Plan chart: cost per million output tokens [currency, log scale] against output tokens per second
per user (1 / TPOT): every listed configuration, the frontier, the best configuration, the
``tpot_max`` limit and the API offers' output prices. Curve chart: output tokens per second per GPU
against tokens per second per user, one line per layout and the frontier.

Imports ``results`` and ``errors`` (and matplotlib inside :func:`png`); nothing in the engine imports it
but ``cli``.
"""

from __future__ import annotations

import io
from typing import Any

from engine.errors import GpucostError
from engine.results import Result

INSTALL_HINT = "pip install 'gpucost[slack]' (or pip install matplotlib)"


def _rows(r: Result) -> list[dict[str, Any]]:
    if r.table is None or r.kind not in ("plan", "curve"):
        raise GpucostError(f"'{r.kind}' answers have no chart", hint="charts draw plan and curve answers")
    return [dict(zip(r.table.columns, row, strict=True)) for row in r.table.rows]


def series(r: Result) -> dict[str, Any]:
    """What the chart of ``r`` shows (see the module docstring), as plain data: ``title``, axis labels,
    ``log_y``, and ``series``: a list of ``{"name", "x", "y", "style"}`` (style: ``points``,
    ``frontier``, ``best``, ``line``), plus ``hlines`` (``{"name", "y"}``) and ``vlines`` (``{"name", "x"}``)."""
    rows = _rows(r)
    per_user = "output tokens/s per user (1 / time per output token)"
    if r.kind == "curve":
        by_layout: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_layout.setdefault(f"{row['gpus_per_replica']}x {row['layout']}", []).append(row)
        lines = [
            {"name": name, "x": [p["tokens_per_s_per_user"] for p in pts],
             "y": [p["tokens_per_s_per_gpu"] for p in pts], "style": "line"}
            for name, pts in by_layout.items()
        ]  # fmt: skip
        front = sorted((p for p in rows if p["pareto"]), key=lambda p: p["tokens_per_s_per_user"])
        lines.append({"name": "frontier", "x": [p["tokens_per_s_per_user"] for p in front],
                      "y": [p["tokens_per_s_per_gpu"] for p in front], "style": "frontier"})  # fmt: skip
        return {"title": r.title, "x_label": per_user, "y_label": "output tokens/s per GPU", "log_y": False,
                "series": lines, "hlines": [], "vlines": []}  # fmt: skip
    cur = r.currency
    front = sorted((p for p in rows if p["pareto"]), key=lambda p: p["tokens_per_s_per_user"])
    best = rows[0]
    label = lambda p: f"{p['gpus']}x {p['gpu']} {p['dtype']} {p['engine']} batch {p['batch']}"  # noqa: E731
    out: dict[str, Any] = {
        "title": r.title,
        "x_label": per_user,
        "y_label": f"cost per million output tokens [{cur}]",
        "log_y": True,
        "series": [
            {"name": "configurations", "x": [p["tokens_per_s_per_user"] for p in rows],
             "y": [p["cost_per_million_output_tokens"] for p in rows], "style": "points"},
            {"name": "frontier", "x": [p["tokens_per_s_per_user"] for p in front],
             "y": [p["cost_per_million_output_tokens"] for p in front], "style": "frontier",
             "labels": [label(p) for p in front]},
            {"name": "cheapest per day: " + label(best), "x": [best["tokens_per_s_per_user"]],
             "y": [best["cost_per_million_output_tokens"]], "style": "best"},
        ],
        "hlines": [],
        "vlines": [],
    }  # fmt: skip
    tpot_max = r.inputs.get("tpot_max_s")
    if isinstance(tpot_max, (int, float)) and tpot_max > 0:
        out["vlines"].append({"name": f"tpot_max ({1 / tpot_max:.3g} tokens/s per user)", "x": 1 / tpot_max})
    if cur == "USD":  # API prices are given in USD; drawn only beside costs in USD
        for o in r.api or []:
            out["hlines"].append({"name": f"{o.provider} output price", "y": o.usd_per_million_output_tokens})
    return out


def png(r: Result, width_in: float = 8.0, height_in: float = 5.0, dpi: int = 100) -> bytes:
    """The chart of ``r`` as PNG bytes (matplotlib, imported here only: see the module docstring)."""
    data = series(r)
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib.figure import Figure
    except ImportError:
        raise GpucostError("drawing a chart needs matplotlib, which is not installed", hint=INSTALL_HINT) from None
    fig = Figure(figsize=(width_in, height_in), dpi=dpi)
    ax = fig.subplots()
    for s in data["series"]:
        if s["style"] == "points":
            ax.scatter(s["x"], s["y"], s=8, color="#B8C4D0", label=s["name"], zorder=1)
        elif s["style"] == "frontier":
            ax.plot(s["x"], s["y"], "-o", color="#1F5F99", markersize=4, linewidth=2, label=s["name"], zorder=3)
        elif s["style"] == "best":
            ax.scatter(s["x"], s["y"], s=90, marker="*", color="#D9472B", label=s["name"], zorder=4)
        else:
            ax.plot(s["x"], s["y"], "-o", markersize=3, linewidth=1, label=s["name"], zorder=2)
    for h in data["hlines"]:
        ax.axhline(h["y"], linestyle="--", linewidth=1, color="#7A7A7A", zorder=0)
        ax.annotate(h["name"], (0.99, h["y"]), xycoords=("axes fraction", "data"), ha="right", va="bottom", fontsize=7)
    for v in data["vlines"]:
        ax.axvline(v["x"], linestyle=":", linewidth=1, color="#7A7A7A", zorder=0)
        ax.annotate(v["name"], (v["x"], 0.99), xycoords=("data", "axes fraction"), ha="left", va="top", fontsize=7,
                    rotation=90)  # fmt: skip
    if data["log_y"]:
        ax.set_yscale("log")
    ax.set_xlabel(data["x_label"])
    ax.set_ylabel(data["y_label"])
    ax.set_title(data["title"][:100], fontsize=9)
    ax.grid(True, which="both", linewidth=0.3, alpha=0.5)
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
