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


def _check_metric(metric: str) -> None:
    if metric not in Result.NUMBER_KEYS:
        raise GpucostError(f"unknown metric '{metric}'", hint="use a result field such as cost_per_request")


def _metric_value(r: object, metric: str) -> float | str:
    _check_metric(metric)
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
    from engine.chain import evaluate

    cfg = config or EngineConfig()
    base = parse_query(base_query)
    _check_metric(metric)
    if column == "model" and base.kind in ("inference", "daily") and not _file_token(values, cfg):
        fast = _model_column(base, values, metric, cfg)
        if fast is not None:
            return fast
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
            val: float | str = _metric_value(evaluate(q, cfg, lean=True), metric)
        except GpucostError as exc:
            val = str(exc)
        cache[key] = val
        out.append(val)
    return out


def _model_column(base, values: list[object], metric: str, cfg: EngineConfig) -> list[float | str] | None:
    """A column of models (usually parameter counts) on one GPU: the GPU, price, currency, options
    and traffic are resolved once, then each row runs only the per-model part of the chain: the
    replica sizing and roofline (``ServingPlan.size``) and the same field formulas as a single
    estimate (``inference_fields``). None when the base query itself does not resolve."""
    import dataclasses

    from engine.chain import (
        INFERENCE_FIELDS,
        _peak,
        _traffic,
        daily,
        infer,
        resolve_arch,
        resolve_ctx,
        serving_plan,
    )

    first = next((v for v in values if v is not None and v != ""), None)
    if first is None:
        return None
    try:
        q0 = base.model_copy(update={"model": _text(first), "values": dict(base.values)})
        template = resolve_ctx(q0, cfg, lean=True)
        template.lean = True
        if base.kind == "inference" and metric in INFERENCE_FIELDS:
            plan = serving_plan(template)
            r_day = _traffic(template, plan.s_in, plan.s_out)
            peak = _peak(template)
        else:
            plan = None
    except GpucostError:
        return None
    row = _row_sizer(plan, template.price, r_day, peak, metric) if plan is not None else None
    cache: dict[object, float | str] = {}
    out: list[float | str] = []
    for v in values:
        key = v if isinstance(v, (str, int, float, type(None))) else str(v)
        if key not in cache:
            if v is None or v == "":
                v = base.model
            try:
                if v is None:
                    raise GpucostError("the query names no model", hint="give a model or a parameter count")
                if row is not None:
                    cache[key] = row(v)
                else:
                    arch = resolve_arch(_text(v))
                    q = template.q.model_copy(update={"values": dict(template.q.values)})
                    ctx = dataclasses.replace(template, q=q, arch=arch, assumptions=[], warnings=[])
                    cache[key] = _metric_value((infer if base.kind == "inference" else daily)(ctx), metric)
            except GpucostError as exc:
                cache[key] = str(exc)
        out.append(cache[key])
    return out


def _row_sizer(plan, price: float | None, r_day: float, peak: float, metric: str):
    """A function that turns one row of a model column into ``metric``: size the replica, run the
    roofline, read the field (the same functions a single estimate calls).

    A number in range goes straight to the inferred shape's :class:`~engine.architecture.Dims`
    (``dense_dims``: no model object per row; the same numbers as ``infer_dense``, a test checks it);
    anything else resolves like a query's model token."""
    from engine.architecture import dense_dims
    from engine.chain import ServingFields, resolve_arch, size_numbers

    rf, wb, asked, bopt, tpot_max, util = plan.roofline, plan.wb, plan.asked, plan.bopt, plan.tpot_max, plan.util

    def row(v: object) -> float | str:
        n = _plain_count(v)
        sized = None
        if n is not None:
            dims = dense_dims(n)
            sized = size_numbers(dims, rf, wb, asked, bopt, tpot_max)
        if sized is None:  # a named model, or a count that fits nowhere (its error comes from size())
            sz = plan.size(resolve_arch(_text(v)))
            gpus, p = sz.gpus, sz.point
        else:
            gpus, _, _, mb, batch, terms, _, _ = sized
            p = rf.point(dims, gpus, batch, terms)
            p.max_batch = mb
        value = getattr(ServingFields(p, gpus, util, price, r_day, peak), metric)
        if value is None:
            return f"{metric} not available for this query"
        return float(value) if math.isfinite(value) else f"{metric} is not finite"

    return row


_PLAIN = frozenset("0123456789.eE+-")


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


def _file_token(values: list[object], cfg: EngineConfig) -> bool:
    """A column naming config.json files goes the slow way, where file access is checked per row."""
    from engine.chain import looks_like_path

    return any(isinstance(v, str) and looks_like_path(v) for v in values)
