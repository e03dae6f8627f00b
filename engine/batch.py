"""Fast column evaluation for spreadsheets: one query, one column of values, one metric.

``evaluate_many("1.17e8 P4 0.3", "model", [1e8, 2e8, ...], "cost_per_request")`` parses the base
query once and re-runs only the chain for each value; identical values are computed once. A bad row
returns its error message (a string) instead of a number, so one bad cell never spoils a column.

Imports only pydantic, the standard library and engine modules.
"""

from __future__ import annotations

import math

from engine.config import EngineConfig
from engine.errors import GpucostError
from engine.query import parse_option, parse_query
from engine.results import Result

POSITIONAL = ("model", "gpu", "price")


def _metric_value(r: Result, metric: str) -> float | str:
    if not hasattr(r, metric) or metric in ("assumptions", "warnings", "breakdown", "trace", "table", "inputs"):
        raise GpucostError(f"unknown metric '{metric}'", hint="use a result field such as cost_per_request")
    v = getattr(r, metric)
    if v is None:
        return f"{metric} not available for this query" + (f" ({r.warnings[0]})" if r.warnings else "")
    v = float(v)
    return v if math.isfinite(v) else f"{metric} is not finite"


def _text(v: object) -> str:
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return str(v)


def evaluate_many(
    base_query: str, column: str, values: list[object], metric: str, config: EngineConfig | None = None
) -> list[float | str]:
    """``metric`` of ``base_query`` with ``column`` set to each of ``values`` (None = leave as is)."""
    from engine.chain import run_query

    cfg = config or EngineConfig()
    base = parse_query(base_query)
    cache: dict[object, float | str] = {}
    out: list[float | str] = []
    for v in values:
        key = v if isinstance(v, (str, int, float, type(None))) else str(v)
        if key in cache:
            out.append(cache[key])
            continue
        try:
            q = base.model_copy(deep=True)
            if v is not None and v != "":
                if column in POSITIONAL:
                    setattr(q, column, _text(v))
                else:
                    k, typed, canon = parse_option(column, _text(v))
                    q.values[k] = typed
                    q.options[k] = canon
            val: float | str = _metric_value(run_query(q, cfg, trace=False), metric)
        except GpucostError as exc:
            val = str(exc)
        cache[key] = val
        out.append(val)
    return out
