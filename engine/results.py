"""Result models every estimate returns (pydantic v2).

A result is something a person can audit, like an Infracost breakdown: the resolved inputs, the
headline numbers, the cost breakdown (component, quantity, unit, unit price, cost), the
assumptions with their provenance, warnings, a formula trace, and the canonical query string that
reproduces it. ``Result.to_json_dict()`` gives the stable JSON keys the CLI's ``--json`` prints.

This module imports only pydantic and the standard library; never ``bot`` or ``excel``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, cached_property
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, computed_field, model_validator
from pydantic_core import SchemaValidator

from engine._model import empty_dict, empty_list

Kind = Literal["inference", "daily", "train", "compare", "gpus", "models", "prices", "explain", "help", "import"]


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
    tpot_s: float | None = None
    request_latency_s: float | None = None
    memory_per_gpu_gb: float | None = None
    price_per_gpu_hour: float | None = None
    cost_per_request: float | None = None
    cost_per_million_input_tokens: float | None = None
    cost_per_million_output_tokens: float | None = None
    cost_per_million_tokens: float | None = None
    cost_per_hour: float | None = None
    cost_per_day: float | None = None
    cost_per_month: float | None = None
    gpu_hours: float | None = None
    days: float | None = None
    cost: float | None = None
    flops: float | None = None
    energy_kwh: float | None = None
    energy_cost: float | None = None

    breakdown: list[BreakdownLine] = Field(default_factory=empty_list)
    assumptions: list[Assumption] = Field(default_factory=empty_list)
    warnings: list[str] = Field(default_factory=empty_list)
    sensitivity: list[Sensitivity] = Field(default_factory=empty_list)
    table: Table | None = None
    text: str | None = Field(default=None, description="free text (help)")
    #: Where the trace comes from: steps (dicts or :class:`TraceStep`) and functions returning lists of
    #: them. Set by the engine; read through :attr:`trace`.
    _trace_parts: tuple[Any, ...] = PrivateAttr(default=())

    @computed_field(description="the formula trace behind the numbers, step by step")  # type: ignore[prop-decorator]
    @cached_property
    def trace(self) -> list[TraceStep]:
        """The formula trace, built when first read (or dumped): most callers read one number and
        never need the formatted steps. Steps are validated like any field."""
        steps: list[Any] = []
        for part in self._trace_parts:
            if callable(part):
                steps.extend(part())
            else:
                steps.append(part)
        return [s if isinstance(s, TraceStep) else TraceStep.model_validate(s) for s in steps]

    @model_validator(mode="wrap")
    @classmethod
    def _accept_trace(cls, data: Any, handler: Any) -> Result:
        """``trace`` is computed, but a dumped result (``model_dump``, ``to_json_dict``) carries it:
        given as input, it becomes the trace (so a result round-trips)."""
        if isinstance(data, dict) and "trace" in data:
            data = dict(data)
            steps = data.pop("trace") or []
            return handler(data).with_trace(*[TraceStep.model_validate(s) for s in steps])
        return handler(data)

    def __eq__(self, other: object) -> bool:
        """Equal when every field, the trace included, is equal (not how the trace is produced)."""
        if not isinstance(other, Result):
            return NotImplemented
        return self.model_dump() == other.model_dump()

    __hash__ = None  # type: ignore[assignment]  # mutable, like every pydantic model

    def with_trace(self, *parts: dict[str, Any] | TraceStep | Callable[[], list[dict[str, Any]]]) -> Result:
        """Set where the trace comes from (see :attr:`trace`); returns ``self``."""
        self.__pydantic_private__["_trace_parts"] = parts  # type: ignore[index]  # (setattr's checks are slow)
        self.__dict__.pop("trace", None)  # forget a trace already built
        return self

    @classmethod
    def from_engine(cls, data: dict[str, Any], *trace: Any) -> Result:
        """A Result from the values an estimate computed and where its trace comes from (see
        :meth:`with_trace`): validated by the same schema as ``Result(**data)``, every field
        and rule (finite numbers, no unknown field) included, but without the two Python hooks
        that the engine never needs: the wrap validator that reads a ``trace`` given as input,
        and the initialisation of the private trace parts (set here directly). The pair was half
        of the time it takes to make a result."""
        m = _engine_validator(cls)(data)
        object.__setattr__(m, "__pydantic_private__", {"_trace_parts": trace})
        return m

    #: The stable keys of ``--json``, in order. Keys that do not apply to a kind are left out,
    #: except ``assumptions``, ``warnings`` and ``breakdown``, which are always present (maybe empty).
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
        "tpot_s",
        "request_latency_s",
        "memory_per_gpu_gb",
        "price_per_gpu_hour",
        "cost_per_request",
        "cost_per_million_input_tokens",
        "cost_per_million_output_tokens",
        "cost_per_million_tokens",
        "cost_per_hour",
        "cost_per_day",
        "cost_per_month",
        "gpu_hours",
        "days",
        "cost",
        "flops",
        "energy_kwh",
        "energy_cost",
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
                continue
            out[key] = value
        return out

    def headline(self) -> str:
        """One line with the headline numbers, for plain-text fallbacks (Slack ``text``, tooltips)."""
        from engine.format import headline

        return headline(self)


Result.NUMBER_KEYS = tuple(
    k
    for k in Result.JSON_KEYS
    if k in Result.model_fields and Result.model_fields[k].annotation in (int | None, float | None)
)


@cache
def _engine_validator(cls: type[Result]) -> Callable[[dict[str, Any]], Result]:
    """``cls``'s own model schema, without the wrap validator around it and without the post-init
    hook (private attributes), as a validator of dicts: see :meth:`Result.from_engine`. Should a
    pydantic release lay the schema out otherwise, the full validation is used instead."""
    outer = cls.__pydantic_core_schema__
    inner = outer.get("schema") if outer.get("type") == "function-wrap" else None
    if not inner or inner.get("type") != "model" or inner.get("cls") is not cls:
        return lambda data: cls(**data)
    schema = {k: v for k, v in inner.items() if k != "post_init"}
    return SchemaValidator(schema).validate_python  # type: ignore[arg-type]
