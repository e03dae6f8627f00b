"""Currency conversion from the shipped, dated FX table (Federal Reserve H.10 via FRED).

The default CNY-per-USD rate is the newest dated row of ``catalog/data/fx.csv`` (7.21 CNY/USD,
FRED DEXCHUS, 2025-08-01). ``EngineConfig.cny_per_usd`` or ``GPUCOST_CNY_PER_USD`` overrides it.

Imports only pydantic and the standard library.
"""

from __future__ import annotations

import csv
import io
from functools import lru_cache

from pydantic import BaseModel

from engine.catalog import read_data
from engine.config import EngineConfig
from engine.errors import UnknownNameError, suggest

CURRENCIES = ("USD", "CNY")
_ALIASES = {
    "USD": "USD",
    "US$": "USD",
    "$": "USD",
    "DOLLAR": "USD",
    "CNY": "CNY",
    "RMB": "CNY",
    "元": "CNY",
    "¥": "CNY",
    "￥": "CNY",
    "YUAN": "CNY",
}


class FxRate(BaseModel):
    """One dated rate [CNY per USD]."""

    date: str
    period: str
    cny_per_usd: float
    source: str


@lru_cache(maxsize=1)
def fx_table() -> list[FxRate]:
    """The dated FX rows, oldest first."""
    rows = [FxRate(**r) for r in csv.DictReader(io.StringIO(read_data("fx.csv")))]
    return sorted(rows, key=lambda r: r.date)


def latest() -> FxRate:
    return fx_table()[-1]


def normalise_currency(code: str) -> str:
    """'usd' -> 'USD', 'rmb' -> 'CNY'; unknown codes raise with suggestions."""
    key = code.strip().upper()
    if key in _ALIASES:
        return _ALIASES[key]
    raise UnknownNameError(
        f"unknown currency '{code}'",
        token=code,
        suggestions=suggest(code, CURRENCIES),
        hint="use USD or CNY (currency=USD)",
    )


def cny_per_usd(config: EngineConfig | None = None) -> tuple[float, str]:
    """The rate in force and where it comes from."""
    if config is not None and config.cny_per_usd:
        return config.cny_per_usd, "FX override (GPUCOST_CNY_PER_USD / settings)"
    r = latest()
    return r.cny_per_usd, f"{r.period}: {r.source}"


def rate(from_currency: str, to_currency: str, config: EngineConfig | None = None) -> float:
    """How many ``to_currency`` one ``from_currency`` buys."""
    a, b = normalise_currency(from_currency), normalise_currency(to_currency)
    if a == b:
        return 1.0
    r, _ = cny_per_usd(config)
    return r if (a, b) == ("USD", "CNY") else 1.0 / r


def convert(amount: float, from_currency: str, to_currency: str, config: EngineConfig | None = None) -> float:
    return amount * rate(from_currency, to_currency, config)
