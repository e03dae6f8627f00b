"""Result models every estimate returns (pydantic v2).

A result is something a person can audit, like an Infracost breakdown: the resolved inputs, the
headline numbers, the cost breakdown (component, quantity, unit, unit price, cost), the
assumptions with their provenance, warnings, a formula trace, and the canonical query string that
reproduces it. ``Result.to_json_dict()`` gives the stable JSON keys the CLI's ``--json`` prints.

This module imports only pydantic, the standard library and ``engine.units``; never ``format``
(which reads results), ``bot`` or ``excel``.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from engine._model import empty_dict, empty_list
from engine.units import fmt_money, fmt_num

Kind = Literal[
    "inference", "daily", "train", "compare", "plan", "curve", "gpus", "models", "prices", "explain", "help", "import",
    "api",
]  # fmt: skip


class Assumption(BaseModel):
    """One input the estimate used that the user did not give (or did), with where it comes from."""

    model_config = ConfigDict(frozen=True)

    name: str
    value: str
    source: str
    user_given: bool = False


class BreakdownLine(BaseModel):
    """One audited cost line: quantity x unit price = cost (all in the result's currency)."""

    model_config = ConfigDict(frozen=True, allow_inf_nan=False)

    component: str
    quantity: float
    unit: str
    unit_price: float
    cost: float


class TraceStep(BaseModel):
    """One step of the formula trace behind a number: ``name = formula = value unit`` [ref]."""

    model_config = ConfigDict(frozen=True, allow_inf_nan=False)

    name: str
    formula: str
    value: float
    unit: str
    ref: str = ""


class Sensitivity(BaseModel):
    """How much one assumption moves the headline cost over its documented plausible range."""

    assumption: str
    low: str
    high: str
    cost_at_low: float
    cost_at_high: float
    swing_pct: float


class Table(BaseModel):
    """A plain table (compare rankings, catalog listings)."""

    columns: list[str]
    rows: list[list[Any]]


class ApiOffer(BaseModel):
    """One API offer for the planned model, priced for the plan's workload (``plan`` results).

    Prices per million tokens in USD (converted at the FX rate named in the assumptions when the
    provider publishes another currency; ``currency_as_published`` says which); ``cost_per_day`` in
    the result's currency."""

    model_config = ConfigDict(frozen=True, allow_inf_nan=False)

    provider: str
    model: str
    provider_model: str
    usd_per_million_input_tokens: float
    usd_per_million_cached_input_tokens: float | None = None
    usd_per_million_output_tokens: float
    currency_as_published: str = "USD"
    cost_per_day: float
    cost_per_request: float
    as_of: str
    source: str


class Result(BaseModel):
    """What every engine call returns. Fields not relevant to a kind stay ``None``.

    Units are in the field names or documented here: times in seconds, costs in ``currency``.
    Every number is finite (``allow_inf_nan=False``): a NaN or infinity is an engine bug, never an answer.
    """

    # extra="forbid": a misspelt field is an error, not a silently dropped number.
    # allow_inf_nan=False: every float field (numbers here, in breakdown lines and trace steps) is finite.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    kind: Kind
    query: str = Field(description="canonical query string that reproduces this result")
    title: str = ""
    currency: str = "USD"
    inputs: dict[str, Any] = Field(default_factory=empty_dict)

    gpus: int | None = None
    gpus_per_replica: int | None = None
    replicas: int | None = None
    batch: int | None = None
    max_batch: int | None = None
    tokens_per_s: float | None = None
    tokens_per_s_per_gpu: float | None = None
    requests_per_s: float | None = None
    ttft_s: float | None = None
    ttft_loaded_s: float | None = Field(
        default=None, description="time to first token arriving at a replica running its batch [s]"
    )
    tpot_s: float | None = None
    request_latency_s: float | None = None
    memory_per_gpu_gb: float | None = None
    price_per_gpu_hour: float | None = None
    cost_per_request: float | None = Field(
        default=None, description="the fleet's cost at the stated traffic per request (peak headroom included)"
    )
    cost_per_million_input_tokens: float | None = None
    cost_per_million_output_tokens: float | None = None
    cost_per_million_tokens: float | None = None
    cost_per_million_cache_miss_input_tokens: float | None = Field(
        default=None,
        description="with cache_hit=: the input cost over the input tokens the prefix cache missed (hits skip prefill)",
    )
    cost_per_hour: float | None = None
    cost_per_day: float | None = None
    cost_per_month: float | None = None
    replica_cost_per_request: float | None = Field(
        default=None, description="one replica's GPU time at the target utilisation, before peak headroom"
    )
    replica_cost_per_million_input_tokens: float | None = None
    replica_cost_per_million_output_tokens: float | None = None
    replica_cost_per_million_tokens: float | None = None
    gpu_hours: float | None = None
    days: float | None = None
    cost: float | None = None
    flops: float | None = None
    energy_kwh: float | None = None
    energy_cost: float | None = None
    api: list[ApiOffer] | None = Field(
        default=None, description="plan: API offers for the same model and workload, cheapest per day first"
    )
    break_even_requests_per_day: float | None = Field(
        default=None,
        description="plan: the traffic above which self-hosting (its cheapest configuration at each traffic) "
        "always costs less than the cheapest API offer; at it both cost the same",
    )

    breakdown: list[BreakdownLine] = Field(default_factory=empty_list)
    assumptions: list[Assumption] = Field(default_factory=empty_list)
    warnings: list[str] = Field(default_factory=empty_list)
    sensitivity: list[Sensitivity] = Field(default_factory=empty_list)
    table: Table | None = None
    text: str | None = Field(default=None, description="free text (help)")
    trace: list[TraceStep] = Field(
        default_factory=empty_list, description="the formula trace behind the numbers, step by step"
    )

    #: The stable keys of ``--json``, in order. Keys that do not apply to a kind are left out,
    #: except ``assumptions``, ``warnings`` and ``breakdown``, which are always present (maybe empty),
    #: and a plan's ``api`` and ``break_even_requests_per_day`` (``[]`` and ``null`` when none).
    JSON_KEYS: ClassVar[tuple[str, ...]] = (
        "kind",
        "query",
        "currency",
        "gpus",
        "gpus_per_replica",
        "replicas",
        "batch",
        "max_batch",
        "tokens_per_s",
        "tokens_per_s_per_gpu",
        "requests_per_s",
        "ttft_s",
        "ttft_loaded_s",
        "tpot_s",
        "request_latency_s",
        "memory_per_gpu_gb",
        "price_per_gpu_hour",
        "cost_per_request",
        "cost_per_million_input_tokens",
        "cost_per_million_output_tokens",
        "cost_per_million_tokens",
        "cost_per_million_cache_miss_input_tokens",
        "cost_per_hour",
        "cost_per_day",
        "cost_per_month",
        "replica_cost_per_request",
        "replica_cost_per_million_input_tokens",
        "replica_cost_per_million_output_tokens",
        "replica_cost_per_million_tokens",
        "gpu_hours",
        "days",
        "cost",
        "flops",
        "energy_kwh",
        "energy_cost",
        "break_even_requests_per_day",
        "api",
        "inputs",
        "assumptions",
        "warnings",
        "breakdown",
        "trace",
        "sensitivity",
        "table",
        "text",
    )
    #: The keys of ``JSON_KEYS`` that hold one number (what a spreadsheet cell can show): the fields
    #: typed ``int | None`` or ``float | None`` (set below, from the fields).
    NUMBER_KEYS: ClassVar[tuple[str, ...]]

    def to_json_dict(self) -> dict[str, Any]:
        """The result as plain JSON data: stable keys, absent (None/empty) ones left out."""
        data = self.model_dump(mode="json")
        out: dict[str, Any] = {}
        for key in self.JSON_KEYS:
            value = data.get(key)
            if value is None or value == [] or value == {}:
                if key in ("assumptions", "warnings", "breakdown"):
                    out[key] = value if value is not None else []
                elif self.kind == "plan" and key in ("api", "break_even_requests_per_day"):
                    out[key] = value  # a plan always says: no offer ([]), no break-even (null)
                continue
            out[key] = value
        return out

    def headline(self) -> str:
        """One line with the headline numbers, for plain-text fallbacks (Slack ``text``, tooltips)."""
        return headline(self)


Result.NUMBER_KEYS = tuple(
    k
    for k in Result.JSON_KEYS
    if k in Result.model_fields and Result.model_fields[k].annotation in (int | None, float | None)
)


def headline(r: Result) -> str:
    """One line with the headline numbers."""
    m = lambda x: fmt_money(x, r.currency)  # noqa: E731
    if r.kind == "inference":
        bits = [f"{fmt_num(r.tokens_per_s or 0)} tok/s on {r.gpus_per_replica} GPU(s)"]
        if r.cost_per_request is not None:
            bits += [
                f"{m(r.cost_per_request)}/request",
                f"{m(r.cost_per_million_output_tokens or 0)}/M output tokens",
                f"{m(r.cost_per_day or 0)}/day for {r.replicas} replica(s)",
            ]
        return (r.title + ": " if r.title else "") + ", ".join(bits)
    if r.kind == "daily":
        bits = [f"{r.gpus} GPUs ({r.replicas} x {r.gpus_per_replica})"]
        if r.cost_per_day is not None:
            bits += [
                f"{m(r.cost_per_day)}/day",
                f"{m(r.cost_per_month or 0)}/month",
                f"{m(r.cost_per_request or 0)}/request",
            ]
        return (r.title + ": " if r.title else "") + ", ".join(bits)
    if r.kind == "train":
        bits = [f"{fmt_num(r.gpu_hours or 0)} GPU-hours", f"{r.days:.3g} days on {r.gpus} GPUs"]
        if r.cost is not None:
            bits.append(f"{m(r.cost)}")
        return (r.title + ": " if r.title else "") + ", ".join(bits)
    if r.kind == "compare" and r.table and r.table.rows:
        best = r.table.rows[0]
        if r.cost_per_million_tokens is not None:
            return f"{r.title}: cheapest {best[1]} at {m(r.cost_per_million_tokens)}/M tokens"
        return r.title
    if r.kind == "plan" and r.table and r.table.rows:
        best = dict(zip(r.table.columns, r.table.rows[0], strict=True))
        bits = [f"cheapest {best['gpus']}x {best['gpu']} ({best['dtype']}, {best['engine']})"]
        bits[0] += f" at {m(r.cost_per_day or 0)}/day"
        if r.api:
            bits.append(f"cheapest API {r.api[0].provider} {m(r.api[0].cost_per_day)}/day")
            if r.break_even_requests_per_day is not None:
                bits.append(f"self-hosting cheaper above {fmt_num(r.break_even_requests_per_day)} requests/day")
        return (r.title + ": " if r.title else "") + ", ".join(bits)
    if r.kind == "explain":
        return "explain: " + (r.title or r.query)
    return r.title or r.kind
