"""Costs: what a replica's work and a fleet cost, as Result fields and audited breakdown lines.

Inference [reference README: cost]: one cycle of a replica serves ``b`` requests in ``T_cycle``
seconds, so at price ``P`` per GPU-hour on ``g`` GPUs run at utilisation ``u`` a request costs
``P g T_cycle / 3600 / u / b``; the cycle's GPU time is split between input and output tokens by
the prefill share of the cycle. The fleet (sized as :func:`engine.service.fleet_replicas` sizes
it) costs ``replicas x g x P`` per hour. A daily service's cost is its whole fleet for 24 hours,
idle and headroom included, shared over the day's requests and tokens.

Imports ``results`` (for the line type), ``inference`` types, ``service`` and ``defaults``.
"""

from __future__ import annotations

from engine.defaults import HOURS_PER_MONTH
from engine.inference import InferencePoint
from engine.results import BreakdownLine
from engine.service import fleet_replicas

#: Result fields :func:`serving_fields` fills, in ``Result.JSON_KEYS`` order: one replica's
#: performance, then the fleet and its costs. The spreadsheet column path serves these.
INFERENCE_FIELDS = (
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
    "cost_per_request",
    "cost_per_million_input_tokens",
    "cost_per_million_output_tokens",
    "cost_per_million_tokens",
    "cost_per_hour",
    "cost_per_day",
    "cost_per_month",
)


def line(component: str, quantity: float, unit: str, unit_price: float, cost: float) -> BreakdownLine:
    """One audited cost line: quantity [unit] x unit price = cost."""
    return BreakdownLine(component=component, quantity=quantity, unit=unit, unit_price=unit_price, cost=cost)


def replica_fields(p: InferencePoint, gpus: int) -> dict[str, float | int]:
    """The Result fields of one replica's performance (``gpus``: the replica's GPUs)."""
    return {
        "gpus": gpus,
        "gpus_per_replica": gpus,
        "batch": p.batch,
        "max_batch": p.max_batch,
        "tokens_per_s": p.output_tokens_per_s,
        "tokens_per_s_per_gpu": p.output_tokens_per_s / gpus,
        "requests_per_s": p.requests_per_s,
        "ttft_s": p.ttft_s,
        "tpot_s": p.tpot_s,
        "request_latency_s": p.latency_s,
        "memory_per_gpu_gb": p.memory_per_gpu_gb,
    }


def serving_fields(
    p: InferencePoint, gpus: int, util: float, price: float | None, requests_per_day: float, peak: float
) -> dict[str, float | int | None]:
    """Every field of :data:`INFERENCE_FIELDS`: one replica of ``gpus`` GPUs at point ``p``, the
    fleet for ``requests_per_day`` at ``peak`` and ``util``, and with ``price`` [currency per
    GPU-hour] the costs of one replica's work [currency]."""
    replicas = fleet_replicas(requests_per_day, peak, p.requests_per_s, util)
    out: dict[str, float | int | None] = {**replica_fields(p, gpus), "gpus": replicas * gpus, "replicas": replicas}
    if price is None:
        return out | dict.fromkeys(INFERENCE_FIELDS[12:])
    batch, share, s_in, s_out = p.batch, p.prefill_share, p.s_in, p.s_out
    cycle = price * gpus * p.t_cycle / 3600 / util  # GPU cost of one cycle, idle share included
    day = replicas * gpus * 24 * price
    return out | {
        "cost_per_request": cycle / batch,
        "cost_per_million_input_tokens": cycle * share / (batch * s_in) * 1e6,
        "cost_per_million_output_tokens": cycle * (1 - share) / (batch * s_out) * 1e6,
        "cost_per_million_tokens": cycle / (batch * (s_in + s_out)) * 1e6,
        "cost_per_hour": replicas * gpus * price,
        "cost_per_day": day,
        "cost_per_month": day * HOURS_PER_MONTH / 24,
    }


def request_breakdown(gpu_s: float, share: float, util: float, price: float) -> list[BreakdownLine]:
    """The cost of one request: its busy GPU-seconds ``gpu_s`` split into prefill (``share``) and
    decode, and the idle capacity utilisation ``util`` leaves, at ``price`` per GPU-hour."""
    return [
        line(component, gpu_s * part / 3600, "GPU-h/request", price, gpu_s * part / 3600 * price)
        for component, part in (
            ("prefill (busy GPU time)", share),
            ("decode (busy GPU time)", 1 - share),
            (f"idle capacity (utilisation {util:g})", 1 / util - 1),
        )
    ]


def daily_fields(
    gpus: int, price: float, requests_per_day: float, prefill_share: float, s_in: int, s_out: int
) -> dict[str, float | None]:
    """A fleet of ``gpus`` GPUs for a day at ``price`` per GPU-hour, and that cost shared over the
    day's requests and tokens in proportion to the busy GPU time of each phase (``prefill_share``).
    With no prefill share (measured mode without ``prefill_tps=``) the input cost is unknown
    (None) and the output cost carries the prompt processing too."""
    day = gpus * 24 * price
    return {
        "cost_per_hour": gpus * price,
        "cost_per_day": day,
        "cost_per_month": gpus * HOURS_PER_MONTH * price,
        "cost_per_request": day / requests_per_day,
        "cost_per_million_input_tokens": (
            day * prefill_share / (requests_per_day * s_in) * 1e6 if s_in and prefill_share > 0 else None
        ),
        "cost_per_million_output_tokens": day * (1 - prefill_share) / (requests_per_day * s_out) * 1e6,
        "cost_per_million_tokens": day / (requests_per_day * (s_in + s_out)) * 1e6,
    }


def daily_breakdown(gpus: int, busy_gpu_h: float, prefill_share: float, price: float) -> list[BreakdownLine]:
    """A day of a fleet: busy GPU-hours by phase, then headroom and idle, at ``price``."""
    idle_h = gpus * 24 - busy_gpu_h
    busy = [("prefill (busy GPU time)", prefill_share), ("decode (busy GPU time)", 1 - prefill_share)]
    if prefill_share == 0:  # measured without prefill_tps=: one busy line, prompt processing included
        busy = [("generation incl. prompt processing (busy GPU time, measured)", 1.0)]
    return [
        *(line(name, busy_gpu_h * share, "GPU-h/day", price, busy_gpu_h * share * price) for name, share in busy),
        line(
            "headroom and idle (peak sizing, utilisation, whole replicas)", idle_h, "GPU-h/day", price, idle_h * price
        ),
    ]


def training_breakdown(steady_h: float, gpu_hours: float, goodput: float, price: float) -> list[BreakdownLine]:
    """A training run: steady-state GPU-hours, then the restarts and downtime goodput adds."""
    lost = gpu_hours - steady_h
    return [
        line("training compute (steady state)", steady_h, "GPU-h", price, steady_h * price),
        line(f"restarts and downtime (goodput {goodput:g})", lost, "GPU-h", price, lost * price),
    ]
