"""Numbers and money as people type them: ``1.17e8``, ``117M``, ``70B``, ``1.5T``, ``10M/day``,
``1.17亿``, ``7千万``, ``3万``, ``80%``; prices ``0.3``, ``$0.3``, ``0.3usd``, ``0.3元``, ``¥0.3``, ``0.3cny``.

Suffixes are decimal: K = 1e3, M = 1e6 (million, never milli), B/G = 1e9, T = 1e12; 万 = 1e4,
亿 = 1e8, 千 = 1e3, 百 = 1e2 (stacked: 千万 = 1e7, 万亿 = 1e12).

Imports only the standard library.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

from engine.errors import GpucostError

_SUFFIX = {"k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9, "t": 1e12}
_ZH = {"百": 1e2, "千": 1e3, "万": 1e4, "萬": 1e4, "亿": 1e8, "億": 1e8}
_PER_DAY = re.compile(r"\s*(/\s*(day|d|天|日)|per\s*day|a\s*day|每天)\s*$", re.IGNORECASE)
_NUM = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)\s*(.*)$", re.IGNORECASE)

NUMBER_HINT = "write a number like 1.17e8, 117M, 70B, 2T, 1.17亿 or 3万"
_HINTS = {
    "time": "write a time like 200ms, 0.5s or 2 (seconds)",
    "price": "write a price per GPU-hour like 0.3, $2.5, 2.5usd, 0.3元, ¥0.3 or 0.3cny",
}
#: Options whose value is a fraction or a small ratio: their examples are not parameter counts.
_FRACTIONS = {"util", "mfu", "goodput", "compute_eff", "bw_eff", "out_spread", "peak", "pue"}


def number_hint(what: str) -> str:
    """How to write a number for ``what`` (examples that fit it)."""
    if what in _FRACTIONS:
        return "write a number like 0.75 or 75%"
    return _HINTS.get(what, NUMBER_HINT)


def parse_number(text: str, *, what: str = "value") -> float:
    """Parse a human number. Raises :class:`GpucostError` naming the token."""
    raw = text
    hint = number_hint(what)  # examples that fit this kind of number
    s = text.strip().replace(",", "").replace("_", "").replace("，", "")
    s = _PER_DAY.sub("", s)
    if not s:
        raise GpucostError(f"empty {what}", token=raw, hint=hint)
    pct = s.endswith("%")
    if pct:
        s = s[:-1].strip()
    m = _NUM.match(s)
    if not m:
        raise GpucostError(f"'{raw}' is not a number for {what}", token=raw, hint=hint)
    value = float(m.group(1))
    rest = m.group(2).strip()
    if rest:
        low = rest.lower()
        if low in _SUFFIX:
            value *= _SUFFIX[low]
        elif all(ch in _ZH for ch in rest):
            for ch in rest:
                value *= _ZH[ch]
        else:
            raise GpucostError(f"'{raw}' has an unknown unit '{rest}' for {what}", token=raw, hint=hint)
    if pct:
        value /= 100.0
    if not math.isfinite(value):
        raise GpucostError(f"'{raw}' is not a finite number for {what}", token=raw, hint=hint)
    return value


_CUR_PREFIX = {"$": "USD", "us$": "USD", "usd": "USD", "¥": "CNY", "￥": "CNY", "rmb": "CNY", "cny": "CNY"}
_CUR_SUFFIX = {
    "usd": "USD",
    "$": "USD",
    "dollar": "USD",
    "dollars": "USD",
    "元": "CNY",
    "cny": "CNY",
    "rmb": "CNY",
    "块": "CNY",
    "¥": "CNY",
    "￥": "CNY",
}
_PER_HOUR = re.compile(r"\s*(/\s*(h|hr|hour|gpu-?h|gpu-?hr|gpu-?hour|小时|时)|per\s*hour|每小时)\s*$", re.IGNORECASE)

_PREFIXES_LONGEST_FIRST = sorted(_CUR_PREFIX, key=len, reverse=True)
_SUFFIXES_LONGEST_FIRST = sorted(_CUR_SUFFIX, key=len, reverse=True)

PRICE_HINT = "write a price per GPU-hour like 0.3, $2.5, 2.5usd, 0.3元, ¥0.3 or 0.3cny"


KWH_HINT = "write an electricity price per kWh like kwh=0.1usd or kwh=0.6元"


@lru_cache(maxsize=1024)  # a pure function of short strings; a query's price is parsed twice (check, then use)
def parse_price(text: str, *, per: str = "GPU-hour") -> tuple[float, str | None]:
    """``'0.3元'`` -> ``(0.3, 'CNY')``; ``'0.3'`` -> ``(0.3, None)`` (currency from settings).

    A price is per GPU-hour (``per="kWh"`` for electricity); ``/h`` may be written."""
    if per != "GPU-hour":
        try:
            value, cur = parse_price(text)
        except GpucostError as exc:
            raise GpucostError(exc.message.replace("price", f"price per {per}"), token=text, hint=KWH_HINT) from None
        return value, cur
    raw = text
    s = _PER_HOUR.sub("", text.strip())
    low = s.lower()
    currency: str | None = None
    for p in _PREFIXES_LONGEST_FIRST:
        if low.startswith(p):
            currency, s = _CUR_PREFIX[p], s[len(p) :].strip()
            break
    low = s.lower()
    for x in _SUFFIXES_LONGEST_FIRST:
        if low.endswith(x):
            if currency and currency != _CUR_SUFFIX[x]:
                raise GpucostError(f"'{raw}' names two currencies", token=raw, hint=PRICE_HINT)
            currency, s = _CUR_SUFFIX[x], s[: len(s) - len(x)].strip()
            break
    try:
        value = parse_number(s, what="price")
    except GpucostError:
        raise GpucostError(f"'{raw}' is not a price", token=raw, hint=PRICE_HINT) from None
    if value <= 0:
        raise GpucostError(f"price '{raw}' must be above zero", token=raw, hint=PRICE_HINT)
    if value > 1000:
        raise GpucostError(
            f"price '{raw}' per GPU-hour is implausibly high",
            token=raw,
            hint="give the price of one GPU for one hour (e.g. 2.5usd), not of a whole node or month",
        )
    return value, currency


def fmt_num(x: float, digits: int = 3) -> str:
    """Compact human number: 1234567 -> '1.23M', 0.000123 -> '0.000123'."""
    if x == 0 or not math.isfinite(x):
        return str(x)
    ax = abs(x)
    for unit, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if ax >= scale:
            return f"{x / scale:.{digits}g}{unit}"
    if ax >= 100:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"


def fmt_money(x: float, currency: str) -> str:
    """Money as money, never in e-notation: '$1,235', '$1.23', '$0.30', '$0.0476', '$0.0000153'
    (three significant digits below one unit, at least two decimals)."""
    sym = {"USD": "$", "CNY": "¥"}.get(currency, currency + " ")
    if x == 0:
        return f"{sym}0"
    ax = abs(x)
    if ax >= 1000:
        body = f"{x:,.0f}"
    elif ax >= 1:
        body = f"{x:,.2f}"
    else:
        decimals = max(2, 2 - math.floor(math.log10(ax)))
        body = f"{x:.{decimals}f}"
        whole, frac = body.split(".")
        body = whole + "." + (frac.rstrip("0").ljust(2, "0"))
    return f"{sym}{body}"
