"""Energy: electricity of the GPU-hours an estimate uses, beside the rental cost.

``energy [kWh] = GPU-hours x power per GPU [W] x PUE / 1000``; its cost is that times the price of
electricity. Power is the catalog's board power (TDP) unless ``power=`` is given; PUE and the
electricity price default to the values in :mod:`engine.defaults` (sources there).

Imports ``provenance``, ``defaults`` and ``fx``; never the estimators above it.
"""

from __future__ import annotations

from engine.defaults import DEFAULT_KWH_USD, DEFAULT_PUE, KWH_SOURCE, POWER_SOURCE, PUE_SOURCE
from engine.fx import convert
from engine.provenance import GIVEN, Ctx
from engine.units import fmt_money


def energy_kwh(gpu_hours: float, power_w: float, pue: float) -> float:
    """Facility energy [kWh] of ``gpu_hours`` at ``power_w`` [W per GPU] and ``pue``."""
    return gpu_hours * power_w * pue / 1000


def energy_rates(ctx: Ctx) -> tuple[float, float, float] | None:
    """Power per GPU [W], PUE and electricity price [currency per kWh], recorded as assumptions;
    None (with a warning) when the catalog has no TDP and no ``power=`` is given."""
    power = float(ctx.opt("power")) if ctx.given("power") else ctx.acc.tdp_w  # type: ignore[arg-type]
    if not power:
        ctx.warn(f"no TDP for {ctx.acc.short} in the catalog: give power= to see energy")
        return None
    ctx.note("power", "power per GPU", f"{power:g} W", POWER_SOURCE)
    pue = ctx.setting("pue", "PUE", DEFAULT_PUE, PUE_SOURCE)
    if ctx.given("kwh"):
        value, cur = ctx.opt("kwh")  # type: ignore[misc]
        kwh_price = convert(value, cur or ctx.config.currency, ctx.currency, ctx.config)
        src = GIVEN
    else:
        kwh_price = convert(DEFAULT_KWH_USD, "USD", ctx.currency, ctx.config)
        src = KWH_SOURCE
    ctx.add("electricity price", f"{fmt_money(kwh_price, ctx.currency)}/kWh", src, ctx.given("kwh"))
    return power, pue, kwh_price


def energy(ctx: Ctx, gpu_hours: float) -> tuple[float | None, float | None]:
    """Energy [kWh] of ``gpu_hours`` and its cost [ctx.currency]; (None, None) without a power."""
    rates = energy_rates(ctx)
    if rates is None:
        return None, None
    power, pue, kwh_price = rates
    kwh = energy_kwh(gpu_hours, power, pue)
    return kwh, kwh * kwh_price
