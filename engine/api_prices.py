"""The API price catalog: what providers charge per million tokens for a model, and what a
workload costs through each offer.

Every row of ``catalog/data/api_prices.csv`` (built from the project's source table
``data/api_prices.csv`` by ``scripts/build_catalogs.py``) is one published price list: the model (a
model-catalog id for open-weight models; the vendor's own name for closed models, kept for
reference), the provider, its name for the model, input, cached-input (where published) and output
prices per million tokens in the currency the provider publishes (CNY stays CNY), the date the
source states or was read, and the source URL. A row without a source URL or a date is refused at
load: an unsourced price is never used.

Cost of a workload through an offer, per day [currency]::

    cost = requests_per_day x (in x ((1 - h) x p_in + h x p_cached) + out x p_out) / 1e6

with ``in``/``out`` the input and output tokens per request, ``h`` the share of input tokens served
from the provider's prompt cache, and ``p_*`` the offer's prices per million tokens; where an offer
publishes no cached-input price, cached tokens are billed at the input price (and the result says
so). Prices in another currency are converted with :mod:`engine.fx` (dated FRED rate, or the
settings' override), and the rate and its source are named.

Imports only pydantic, the standard library and engine modules (catalog, config, errors, fx).
"""

from __future__ import annotations

import csv
import io
import re
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from engine.catalog import read_data, resolve_model
from engine.config import EngineConfig
from engine.errors import GpucostError, UnknownNameError, suggest
from engine.fx import cny_per_usd, convert, normalise_currency

#: Columns of the API price source table and of the built catalog, in order.
API_COLUMNS = [
    "model",
    "provider",
    "provider_model",
    "kind",
    "input_per_mtok",
    "cached_input_per_mtok",
    "output_per_mtok",
    "currency",
    "as_of",
    "source_url",
    "provider_page",
    "notes",
]
KINDS = ("open-weight", "closed")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class ApiOffer(BaseModel):
    """One provider's published price for one model [currency per million tokens]."""

    model_config = ConfigDict(frozen=True)

    model: str = Field(min_length=1, description="model-catalog id (open-weight) or the vendor's name (closed)")
    provider: str = Field(min_length=1)
    provider_model: str = Field(min_length=1, description="the provider's name for the model")
    kind: str = Field(description="open-weight, or closed (listed for reference)")
    input_per_mtok: float = Field(ge=0, description="input tokens (cache miss) [currency / 1e6 tokens]")
    cached_input_per_mtok: float | None = Field(
        default=None, ge=0, description="input tokens read from the prompt cache [currency / 1e6 tokens]"
    )
    output_per_mtok: float = Field(ge=0, description="output tokens [currency / 1e6 tokens]")
    currency: str = Field(description="as published: USD or CNY")
    as_of: str = Field(description="the date the source states or was read, YYYY-MM-DD")
    source_url: str = Field(description="where the price was read")
    provider_page: str = ""
    notes: str = ""

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: str) -> str:
        if v not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        return v

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        return normalise_currency(v)

    @field_validator("as_of")
    @classmethod
    def _date(cls, v: str) -> str:
        if not _DATE.fullmatch(v.strip()):
            raise ValueError("as_of must be the date the price was read or published, YYYY-MM-DD")
        return v.strip()

    @field_validator("source_url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not v.strip().startswith(("https://", "http://")):
            raise ValueError("source_url must be the URL the price was read from")
        return v.strip()

    @property
    def closed(self) -> bool:
        return self.kind == "closed"


class ApiCost(BaseModel):
    """What a workload costs through one offer, per day [``currency``]."""

    model_config = ConfigDict(frozen=True)

    offer: ApiOffer
    currency: str
    cost_per_day: float = Field(ge=0)
    input_cost_per_day: float = Field(ge=0, description="cache-miss input tokens")
    cached_input_cost_per_day: float = Field(ge=0, description="cache-hit input tokens")
    output_cost_per_day: float = Field(ge=0)
    cached_billed_as_input: bool = Field(
        description="the offer publishes no cached-input price, so cache hits were billed at the input price"
    )
    fx: str = Field(default="", description="the FX rate used and its source ('' when none was needed)")


def parse_offers(text: str, origin: str) -> list[ApiOffer]:
    """Rows of an API price table. A row without a source URL, a date or a price is a
    :class:`GpucostError` naming the line: the catalog never holds an unsourced price."""
    out = []
    for i, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        r = {k: (v or "").strip() for k, v in row.items() if k is not None}
        if not r.get("cached_input_per_mtok"):
            r.pop("cached_input_per_mtok", None)
        for need in ("source_url", "as_of"):
            if not r.get(need):
                raise GpucostError(
                    f"{origin} line {i} ({r.get('model', '?')} at {r.get('provider', '?')}) has no {need}",
                    hint="every API price needs the URL it was read from and the date (YYYY-MM-DD)",
                )
        try:
            out.append(ApiOffer(**r))
        except (ValidationError, GpucostError) as exc:
            first = exc.errors()[0] if isinstance(exc, ValidationError) else {"loc": ("currency",), "msg": str(exc)}
            where = ".".join(str(x) for x in first["loc"])
            raise GpucostError(
                f"{origin} line {i} is not an API price row ({where}: {first['msg']})",
                hint="columns: " + ",".join(API_COLUMNS),
            ) from None
    return out


@lru_cache(maxsize=1)
def api_catalog() -> tuple[ApiOffer, ...]:
    """The shipped API price catalog, open-weight models first, then by model and provider."""
    rows = parse_offers(read_data("api_prices.csv"), "built-in api_prices.csv")
    return tuple(sorted(rows, key=lambda o: (o.closed, o.model, o.provider, o.provider_model)))


def api_models() -> list[str]:
    """Every model the API catalog prices."""
    return sorted({o.model for o in api_catalog()})


def resolve_api_model(name: str) -> str:
    """The catalog id of a model named for an API lookup: an id the API catalog prices (closed
    models included), else a model-catalog name (aliases, Hugging Face ids). Unknown names raise
    :class:`UnknownNameError` with suggestions drawn from the two catalogs."""
    key = name.strip().lower()
    for m in api_models():
        if m.lower() == key:
            return m
    try:
        return resolve_model(name, allow_files=False).id
    except GpucostError:
        from engine.catalog import list_models

        names = sorted(set(api_models()) | {m.id for m in list_models()})
        raise UnknownNameError(
            f"unknown model '{name}'",
            token=name,
            suggestions=suggest(name, names),
            hint="'gpucost api' lists the models with a published API price; 'gpucost models' the model catalog",
        ) from None


def offers(model_id: str) -> list[ApiOffer]:
    """The published API offers for one model (``[]`` when the catalog has none), cheapest
    output price first within each currency."""
    mid = resolve_api_model(model_id)
    return sorted(
        (o for o in api_catalog() if o.model == mid),
        key=lambda o: (o.currency, o.output_per_mtok, o.input_per_mtok, o.provider),
    )


def workload_cost(
    offer: ApiOffer,
    requests_per_day: float,
    input_tokens: float,
    output_tokens: float,
    cache_hit: float = 0.0,
    currency: str = "USD",
    config: EngineConfig | None = None,
) -> ApiCost:
    """The cost per day [``currency``] of ``requests_per_day`` requests of ``input_tokens`` in and
    ``output_tokens`` out [tokens per request] through ``offer``, with ``cache_hit`` [0-1] of the
    input tokens read from the provider's prompt cache (see the module docstring for the formula)."""
    if requests_per_day < 0 or input_tokens < 0 or output_tokens < 0:
        raise GpucostError("requests and token counts must not be negative", hint="e.g. requests=1M in=800 out=400")
    if not 0.0 <= cache_hit <= 1.0:
        raise GpucostError(f"cache_hit={cache_hit:g} is not a share", hint="give a share of input tokens, 0 to 1")
    cur = normalise_currency(currency)
    k = convert(1.0, offer.currency, cur, config)
    fx = ""
    if offer.currency != cur:
        r, src = cny_per_usd(config)
        fx = f"{r:g} CNY per USD ({src})"
    cached_price = offer.cached_input_per_mtok
    billed_as_input = cached_price is None and cache_hit > 0
    p_cached = offer.input_per_mtok if cached_price is None else cached_price
    tokens_in = requests_per_day * input_tokens
    miss = tokens_in * (1.0 - cache_hit) * offer.input_per_mtok / 1e6 * k
    hit = tokens_in * cache_hit * p_cached / 1e6 * k
    out = requests_per_day * output_tokens * offer.output_per_mtok / 1e6 * k
    return ApiCost(
        offer=offer,
        currency=cur,
        cost_per_day=miss + hit + out,
        input_cost_per_day=miss,
        cached_input_cost_per_day=hit,
        output_cost_per_day=out,
        cached_billed_as_input=billed_as_input,
        fx=fx,
    )


def price_workload(
    model_id: str,
    requests_per_day: float,
    input_tokens: float,
    output_tokens: float,
    cache_hit: float = 0.0,
    currency: str = "USD",
    config: EngineConfig | None = None,
) -> list[ApiCost]:
    """Every offer for ``model_id`` priced for the workload (see :func:`workload_cost`), cheapest
    per day first (after currency conversion)."""
    costs = [
        workload_cost(o, requests_per_day, input_tokens, output_tokens, cache_hit, currency, config)
        for o in offers(model_id)
    ]
    return sorted(costs, key=lambda c: (c.cost_per_day, c.offer.provider))
