"""Energy: electricity of the GPU-hours an estimate uses, beside the rental cost.

``energy [kWh] = GPU-hours x (board power + host power) [W per GPU] x PUE / 1000``; its cost is that
times the price of electricity. Board power is the catalog's TDP unless ``power=`` is given. Host
power is the rest of the server the GPU sits in (CPUs, memory, NICs, NVSwitches, fans, storage),
per GPU: ``(system power - GPUs x GPU power) / GPUs`` from the server's datasheet rating, e.g. a DGX
A100 is rated 6.5 kW for 8 A100s of 400 W, so 412.5 W per GPU on top of the board's 400 W. The
ratings ship as ``catalog/data/host_power.csv`` (source table ``data/host_power.csv``, each row
with its URL and date), read through :func:`host_power`; a GPU without a sourced server rating has
no host line, and the answer says so. Both are maximum ratings, so the energy is an upper bound,
like the TDP. PUE and the electricity price default to the values in :mod:`engine.defaults`.

Imports the catalog reader, ``provenance``, ``defaults`` and ``fx``; never the estimators above it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import lru_cache

from engine.catalog import Accelerator, read_data
from engine.defaults import DEFAULT_KWH_USD, DEFAULT_PUE, KWH_SOURCE, POWER_SOURCE, PUE_SOURCE
from engine.fx import convert
from engine.provenance import GIVEN, Ctx
from engine.units import fmt_money


@dataclass(frozen=True)
class HostPower:
    """A server's datasheet power rating and the GPUs in it (a row of ``host_power.csv``)."""

    system: str
    gpu_ids: tuple[str, ...]
    gpus_per_server: int
    system_power_w: float  # [W] the server's maximum rating
    gpu_power_w: float  # [W] per GPU, as the server configures it
    source: str
    as_of: str
    notes: str

    @property
    def host_w_per_gpu(self) -> float:
        """Power of the rest of the server, per GPU [W]."""
        return (self.system_power_w - self.gpus_per_server * self.gpu_power_w) / self.gpus_per_server


@lru_cache(maxsize=1)
def host_power_table() -> dict[str, HostPower]:
    """The shipped server ratings, by catalog GPU id."""
    out: dict[str, HostPower] = {}
    for r in csv.DictReader(io.StringIO(read_data("host_power.csv"))):
        row = HostPower(
            system=r["system"],
            gpu_ids=tuple(r["gpu_ids"].split("|")),
            gpus_per_server=int(r["gpus_per_server"]),
            system_power_w=float(r["system_power_w"]),
            gpu_power_w=float(r["gpu_power_w"]),
            source=r["source"],
            as_of=r["as_of"],
            notes=r["notes"],
        )
        for gid in row.gpu_ids:
            out[gid] = row
    return out


def host_power(acc: Accelerator) -> HostPower | None:
    """The datasheet server of ``acc``, or None when the table has none."""
    return host_power_table().get(acc.id)


def energy_kwh(gpu_hours: float, power_w: float, pue: float, host_w: float = 0.0) -> float:
    """Facility energy [kWh] of ``gpu_hours`` at ``power_w`` [W per GPU] of board power plus ``host_w``
    [W per GPU] of the server around it, and ``pue``."""
    return gpu_hours * (power_w + host_w) * pue / 1000


@dataclass(frozen=True)
class EnergyRates:
    power_w: float  # [W per GPU] board
    host_w: float  # [W per GPU] rest of the server
    pue: float
    kwh_price: float  # [currency per kWh]


def _host_line(ctx: Ctx) -> float:
    """Host power per GPU [W], recorded as its own assumption line (also when there is none)."""
    host = host_power(ctx.acc)
    if host is None:
        ctx.add(
            "host power per GPU",
            "not counted",
            f"no datasheet server rating for {ctx.acc.short} in the host-power table: GPU board power only "
            "(an 8-GPU server adds about 400-800 W per GPU for CPUs, NICs, switches and fans)",
        )
        return 0.0
    w = host.host_w_per_gpu
    ctx.add(
        "host power per GPU",
        f"{w:,.4g} W ({host.system}: {host.system_power_w / 1e3:g} kW max for {host.gpus_per_server} GPUs of "
        f"{host.gpu_power_w:g} W; CPUs, NICs, switches, fans)",
        f"{host.source} (as of {host.as_of})",
    )
    return w


def energy_rates(ctx: Ctx) -> EnergyRates | None:
    """Board and host power per GPU [W], PUE and electricity price [currency per kWh], recorded as
    assumptions; None (with a warning) when the catalog has no TDP and no ``power=`` is given."""
    power = float(ctx.opt("power")) if ctx.given("power") else ctx.acc.tdp_w  # type: ignore[arg-type]
    if not power:
        ctx.warn(f"no TDP for {ctx.acc.short} in the catalog: give power= to see energy")
        return None
    ctx.note("power", "power per GPU", f"{power:g} W", POWER_SOURCE)
    host_w = _host_line(ctx)
    pue = ctx.setting("pue", "PUE", DEFAULT_PUE, PUE_SOURCE)
    if ctx.given("kwh"):
        value, cur = ctx.opt("kwh")  # type: ignore[misc]
        kwh_price = convert(value, cur or ctx.config.currency, ctx.currency, ctx.config)
        src = GIVEN
    else:
        kwh_price = convert(DEFAULT_KWH_USD, "USD", ctx.currency, ctx.config)
        src = KWH_SOURCE
    ctx.add("electricity price", f"{fmt_money(kwh_price, ctx.currency)}/kWh", src, ctx.given("kwh"))
    return EnergyRates(power, host_w, pue, kwh_price)


def energy_step(rates: EnergyRates, gpu_hours: float, kwh: float) -> dict[str, object]:
    """The formula step of an energy figure."""
    return dict(
        name="energy",
        formula=f"GPU-hours x (board {rates.power_w:g} W + host {rates.host_w:,.4g} W) x PUE {rates.pue:g} / 1000 "
        f"= {gpu_hours:.4g} x {rates.power_w + rates.host_w:,.4g} x {rates.pue:g} / 1000",
        value=kwh,
        unit="kWh",
        ref="engine.energy; server ratings: catalog/data/host_power.csv",
    )


def energy_detail(ctx: Ctx, gpu_hours: float) -> tuple[float, float, EnergyRates] | None:
    """Energy [kWh] of ``gpu_hours``, its cost [ctx.currency] and the rates used; None without a power."""
    rates = energy_rates(ctx)
    if rates is None:
        return None
    kwh = energy_kwh(gpu_hours, rates.power_w, rates.pue, rates.host_w)
    return kwh, kwh * rates.kwh_price, rates


def energy(ctx: Ctx, gpu_hours: float) -> tuple[float | None, float | None]:
    """Energy [kWh] of ``gpu_hours`` and its cost [ctx.currency]; (None, None) without a power."""
    detail = energy_detail(ctx, gpu_hours)
    return (None, None) if detail is None else detail[:2]
