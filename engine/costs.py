"""Costs: what a replica's work and a fleet cost, as Result fields and audited breakdown lines.

One definition per name, in every kind [reference README: cost]:

- ``cost_per_request`` and ``cost_per_million_*``: the fleet (whole replicas sized for the peak
  by :func:`engine.service.fleet_replicas`) for 24 hours, ``replicas x g x P x 24``, shared over
  the day's requests and tokens; so ``cost_per_request x requests/day = cost_per_day``.
- ``replica_cost_per_request`` and ``replica_cost_per_million_*``: one replica's work at the
  target utilisation ``u``, before peak headroom and rounding to whole replicas: one cycle serves
  ``b`` requests in ``T_cycle`` seconds on ``g`` GPUs at ``P`` per GPU-hour, so a request costs
  ``P g T_cycle / 3600 / u / b``. The marginal cost of one more request on a busy fleet.

Both split a request's cost between input and output tokens by the prefill share of the busy time.

Imports ``results`` (for the line type), ``inference`` types, ``service`` and ``defaults``.
"""

from __future__ import annotations

from engine.defaults import HOURS_PER_MONTH
from engine.disagg import Pools
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
    "ttft_loaded_s",
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
    "replica_cost_per_request",
    "replica_cost_per_million_input_tokens",
    "replica_cost_per_million_output_tokens",
    "replica_cost_per_million_tokens",
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
        "ttft_loaded_s": p.ttft_loaded_s,
        "tpot_s": p.tpot_s,
        "request_latency_s": p.latency_s,
        "memory_per_gpu_gb": p.memory_per_gpu_gb,
    }


def replica_costs(
    price: float, gpu_s: float, util: float, share: float, s_in: int, s_out: int
) -> dict[str, float | None]:
    """The ``replica_cost_*`` fields: one request's busy GPU time ``gpu_s`` [GPU-s] at ``price``
    [currency per GPU-hour] and utilisation ``util``, before peak headroom and whole replicas;
    split between input and output tokens by the prefill share ``share`` of the busy time (with
    no prefill share, measured mode without ``prefill_tps=``, the input cost is unknown)."""
    req = price * gpu_s / 3600 / util
    return {
        "replica_cost_per_request": req,
        "replica_cost_per_million_input_tokens": req * share / s_in * 1e6 if s_in and share > 0 else None,
        "replica_cost_per_million_output_tokens": req * (1 - share) / s_out * 1e6,
        "replica_cost_per_million_tokens": req / (s_in + s_out) * 1e6,
    }


def serving_fields(
    p: InferencePoint, gpus: int, util: float, price: float | None, requests_per_day: float, peak: float
) -> dict[str, float | int | None]:
    """Every field of :data:`INFERENCE_FIELDS`: one replica of ``gpus`` GPUs at point ``p``, the
    fleet for ``requests_per_day`` at ``peak`` and ``util``, and with ``price`` [currency per
    GPU-hour] the fleet's costs shared over the traffic (:func:`daily_fields`) and one replica's
    (:func:`replica_costs`) [currency]."""
    replicas = fleet_replicas(requests_per_day, peak, p.requests_per_s, util)
    out: dict[str, float | int | None] = {**replica_fields(p, gpus), "gpus": replicas * gpus, "replicas": replicas}
    if price is None:
        return out | dict.fromkeys(INFERENCE_FIELDS[13:])
    share, s_in, s_out = p.prefill_share, p.s_in, p.s_out
    return (
        out
        | daily_fields(replicas * gpus, price, requests_per_day, share, s_in, s_out)
        | replica_costs(price, p.gpu_s_per_request, util, share, s_in, s_out)
    )


def request_breakdown(gpu_s: float, share: float, util: float, price: float, fleet_cost: float) -> list[BreakdownLine]:
    """The cost of one request: its busy GPU-seconds ``gpu_s`` split into prefill (``share``) and
    decode, the idle capacity utilisation ``util`` leaves, and the fleet's peak headroom and whole
    replicas, at ``price`` per GPU-hour; the lines sum to ``fleet_cost``, the fleet's cost per
    request (never below the replica's, since the fleet serves the peak at ``util``)."""
    busy_h = gpu_s / 3600
    lines = [
        line(component, busy_h * part, "GPU-h/request", price, busy_h * part * price)
        for component, part in (
            ("prefill (busy GPU time)", share),
            ("decode (busy GPU time)", 1 - share),
            (f"idle capacity (utilisation {util:g})", 1 / util - 1),
        )
    ]
    headroom = max(0.0, fleet_cost - busy_h / util * price)
    lines.append(line("peak headroom and whole replicas", headroom / price, "GPU-h/request", price, headroom))
    return lines


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


def disagg_breakdown(pl: Pools, requests_per_day: float, price: float) -> list[BreakdownLine]:
    """A day of a disaggregated service: each pool's busy GPU-hours, then each pool's headroom and
    idle, at ``price`` per GPU-hour."""
    out = []
    for pool, gpus, gpu_s in (
        ("prefill", pl.prefill_gpus, pl.prefill_gpu_s),
        ("decode", pl.decode_gpus, pl.decode_gpu_s),
    ):
        busy = requests_per_day * gpu_s / 3600
        out.append(line(f"{pool} pool (busy GPU time)", busy, "GPU-h/day", price, busy * price))
        idle = gpus * 24 - busy
        out.append(line(f"{pool} pool headroom and idle", idle, "GPU-h/day", price, idle * price))
    return out


def training_breakdown(steady_h: float, gpu_hours: float, goodput: float, price: float) -> list[BreakdownLine]:
    """A training run: steady-state GPU-hours, then the restarts and downtime goodput adds."""
    lost = gpu_hours - steady_h
    return [
        line("training compute (steady state)", steady_h, "GPU-h", price, steady_h * price),
        line(f"restarts and downtime (goodput {goodput:g})", lost, "GPU-h", price, lost * price),
    ]
