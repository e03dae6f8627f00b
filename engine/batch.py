"""Column evaluation for spreadsheets: one query, one column of values, one metric.

``evaluate_many("1.17e8 P4 0.3", "model", [1e8, 2e8, ...], "cost_per_request")`` parses the base
query once and answers each row; identical values are computed once. A bad row returns its error
message (a string) instead of a number, so one bad cell never spoils a column.

A column of models for an inference metric (``=AIGC_COST(A2:A10001, "H100", 2.5)``) resolves what
the rows share once (GPU, price, currency, serving plan, traffic) and then runs per row only what
depends on the model: :func:`engine.sizing.size_dims`, the roofline point and
:func:`engine.costs.serving_fields`, the functions a single estimate calls. Every other column runs
one estimate per row.

Imports the estimators' public functions and ``commands``; nothing in the engine imports it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from engine.architecture import dense_dims
from engine.commands import default_config, run_query
from engine.config import EngineConfig
from engine.costs import INFERENCE_FIELDS, serving_fields
from engine.errors import GpucostError
from engine.query import Query, parse_option, parse_query
from engine.resolve import looks_like_path, resolve, resolve_arch
from engine.results import Result
from engine.service import peak_to_average, requests_per_day
from engine.serving import ServingPlan, check_context, serving_plan, size_replica
from engine.sizing import size_dims

POSITIONAL = ("model", "gpu", "price")
Row = Callable[[object], "float | str"]


def _check_metric(metric: str) -> None:
    if metric not in Result.NUMBER_KEYS:
        raise GpucostError(f"unknown metric '{metric}'", hint="use a result field such as cost_per_request")


def _metric_value(r: Result, metric: str) -> float | str:
    v = getattr(r, metric)
    if v is None:
        return f"{metric} not available for this query" + (f" ({r.warnings[0]})" if r.warnings else "")
    v = float(v)
    return v if math.isfinite(v) else f"{metric} is not finite"


def _text(v: object) -> str:
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return str(v)


def _with(base: Query, column: str, v: object) -> Query:
    """``base`` with ``column`` set to ``v`` (None or empty: left as is)."""
    q = base.model_copy(deep=True)
    if v is not None and v != "":
        if column in POSITIONAL:
            setattr(q, column, _text(v))
        else:
            k, typed, canon = parse_option(column, _text(v))
            q.values[k] = typed
            q.options[k] = canon
    return q


def evaluate_many(
    base_query: str, column: str, values: list[object], metric: str, config: EngineConfig | None = None
) -> list[float | str]:
    """``metric`` of ``base_query`` with ``column`` set to each of ``values`` (None = leave as is)."""
    cfg = config or default_config()
    base = parse_query(base_query)
    _check_metric(metric)
    row: Row | None = None
    if column == "model" and not any(isinstance(v, str) and looks_like_path(v) for v in values):
        row = _model_rows(base, values, metric, cfg)
    if row is None:

        def row(v: object) -> float | str:
            return _metric_value(run_query(_with(base, column, v), cfg, trace=False), metric)

    cache: dict[object, float | str] = {}
    out: list[float | str] = []
    for v in values:
        key = v if isinstance(v, (str, int, float, type(None))) else str(v)
        if key not in cache:
            try:
                cache[key] = row(v)
            except GpucostError as exc:
                cache[key] = str(exc)
        out.append(cache[key])
    return out


def _model_rows(base: Query, values: list[object], metric: str, cfg: EngineConfig) -> Row | None:
    """The per-row function of a model column of an inference metric, or None when the rows need
    one whole estimate each: another kind or metric, no price for a cost (the single estimate's
    message names the reason), or a base query that does not resolve (each row then says why)."""
    first = next((v for v in values if v is not None and v != ""), None)
    if base.kind != "inference" or metric not in INFERENCE_FIELDS or first is None:
        return None
    try:
        ctx = resolve(_with(base, "model", first), cfg)
        plan = serving_plan(ctx)
        r_day = requests_per_day(ctx, plan.s_in, plan.s_out)
        peak = peak_to_average(ctx)
    except GpucostError:
        return None
    if ctx.price is None and metric.startswith("cost_"):
        return None
    if ctx.arch.release_dtype is not None and "dtype" not in base.values:  # the plan is that model's own
        return None

    def fallback(v: object) -> float | str:
        return _metric_value(run_query(_with(base, "model", v), cfg, trace=False), metric)

    return _sizer(plan, base.model, ctx.price, r_day, peak, metric, "dtype" in base.values, fallback)


def _sizer(
    plan: ServingPlan,
    default: str | None,
    price: float | None,
    r_day: float,
    peak: float,
    metric: str,
    dtype_given: bool,
    fallback: Row,
) -> Row:
    """Size the replica of one row's model, run the roofline there and read ``metric``.

    A parameter count in range goes straight to the inferred shape's dimensions (``dense_dims``, the
    numbers ``infer_dense`` gives, without a model object per row); anything else resolves like a
    query's model token, and a model served at a precision of its own (``release_dtype``) takes
    ``fallback``, a whole estimate."""
    rf = plan.roofline

    def row(v: object) -> float | str:
        if v is None or v == "":
            v = default
        if v is None:
            raise GpucostError("the query names no model", hint="give a model or a parameter count")
        n = _plain_count(v)
        sz = dims = None
        if n is not None:
            dims = dense_dims(n)
            sz = size_dims(dims, rf, plan.asked, plan.batch_opt, plan.limits, metric in _LATENCY)
        if sz is None:  # a named model, or a count that fits nowhere (its error comes from size_replica)
            arch = resolve_arch(_text(v))
            if arch.release_dtype not in (None, plan.dtype) and not dtype_given:
                return fallback(v)  # served at its release precision: a plan of its own
            check_context(arch, plan.s_in, plan.s_out)
            sz = size_replica(arch, rf, plan.asked, plan.batch_opt, plan.limits)
            dims = arch.dims
        p = rf.point(dims, sz.layout, sz.batch, sz.terms, sz.max_batch)
        value = serving_fields(p, sz.gpus, plan.util, price, r_day, peak)[metric]
        if value is None:
            return f"{metric} not available for this query"
        return float(value) if math.isfinite(value) else f"{metric} is not finite"

    return row


_PLAIN = frozenset("0123456789.eE+-")
#: The metrics that read a TTFT (the others are computed without the two TTFTs, a third of a row's work).
_LATENCY = frozenset({"ttft_s", "ttft_loaded_s", "request_latency_s"})


def _plain_count(v: object) -> float | None:
    """A parameter count written as a plain number (``1e8``, ``70000000000.0``) within the range of
    inferred shapes, else None (the row then goes through the query grammar's number parser)."""
    if type(v) is str and _PLAIN.issuperset(v) and v[:1].isdigit():
        try:
            v = float(v)
        except ValueError:
            return None
    if type(v) in (int, float) and 1e5 <= v <= 1e14:  # type: ignore[operator]
        return float(v)  # type: ignore[arg-type]
    return None
