"""Self-hosting against an API: what each costs as traffic grows, and where they cross.

**Self-hosted.** A configuration is one or two pools of whole replicas (colocated: one pool;
disaggregated: a prefill pool and a decode pool). A pool's replica costs ``G`` per day (its GPUs x
24 h x the price per GPU-hour) and serves at most ``cap`` requests per day (its request rate x the
target utilisation x 86,400 s / the peak-to-average ratio) [reference README: fleet]. At a traffic of
``r`` requests per day the pool runs ``n(r) = max(1, ceil(r / cap))`` replicas, so the configuration
costs ``C(r) = sum of n(r) G`` per day: a step function with a floor of one replica per pool, whose
slope ``s = sum of G / cap`` is its cost per request with every replica full. Self-hosting at a
traffic costs the cheapest configuration there: ``S(r) = min over configurations of C(r)``
(nondecreasing, piecewise constant).

**API.** ``A(r) = k r``: linear, with ``k`` the cheapest offer's cost per request for the workload
(input, cached input and output tokens at its published prices).

**Break-even.** ``r* = sup {r > 0 : S(r) >= k r}``: above ``r*`` self-hosting always costs less than
the API; at ``r*`` both cost the same (``S(r*) = k r*``: ``S`` only jumps up, so the last point
where it is not cheaper is where a step meets the API's line). Below ``r*`` the API is cheaper at
least somewhere (always near zero traffic, where a self-hosted fleet still pays for one replica).
``r*`` exists when some configuration's slope is below ``k``; when every slope is ``k`` or more the
API is cheaper at every traffic and there is no break-even (None). It is found exactly: ``r*`` is at
most ``R = min over configurations of sum(G) / (k - s)`` (above that a configuration's cost, at most
``s r + sum(G)``, is below ``k r``), and the pieces of ``S`` between its jumps are scanned downward
from ``R`` until one reaches the API's line.

Imports only the standard library.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass

#: Slack under which a fleet of whole replicas is rounded down (as :func:`engine.service.fleet_replicas`).
ROUND_SLACK = 1e-9


@dataclass(frozen=True)
class Pool:
    """One pool of identical replicas: ``cost_per_day`` [currency per replica-day] and
    ``capacity`` [requests per day one replica serves at the target utilisation and peak]."""

    cost_per_day: float
    capacity: float

    def replicas(self, requests_per_day: float) -> int:
        """Whole replicas for ``requests_per_day`` (at least one)."""
        return max(1, math.ceil(requests_per_day / self.capacity - ROUND_SLACK))


Config = Sequence[Pool]


def cost(config: Config, requests_per_day: float) -> float:
    """``C(r)``: a configuration's cost per day at ``requests_per_day`` [currency/day]."""
    return sum(p.replicas(requests_per_day) * p.cost_per_day for p in config)


def slope(config: Config) -> float:
    """``s``: a configuration's cost per request with every replica full [currency/request]."""
    return sum(p.cost_per_day / p.capacity for p in config)


def self_hosted(configs: Sequence[Config], requests_per_day: float) -> float:
    """``S(r)``: the cheapest configuration's cost per day at ``requests_per_day``."""
    return min(cost(c, requests_per_day) for c in configs)


def prune(configs: Sequence[Config]) -> list[Config]:
    """The configurations that can be the cheapest at some traffic: one whose every pool costs no
    less and serves no more than the same pool of another (same number of pools) never is."""
    def key(i: int) -> tuple[int, float, float, int]:
        c = configs[i]
        return len(c), sum(p.cost_per_day for p in c), -sum(p.capacity for p in c), i

    order = sorted(range(len(configs)), key=key)
    kept: list[Config] = []
    for i in order:  # a configuration covering another sorts before it (less cost, more capacity)
        c = configs[i]
        if not any(len(d) == len(c) and _covers(d, c) for d in kept):
            kept.append(c)
    return kept


def _covers(d: Config, c: Config) -> bool:
    """Every pool of ``d`` costs no more and serves no less than the same pool of ``c``."""
    return all(pd.cost_per_day <= pc.cost_per_day and pd.capacity >= pc.capacity for pd, pc in zip(d, c, strict=True))


def break_even(configs: Sequence[Config], api_cost_per_request: float, max_pieces: int = 2_000_000) -> float | None:
    """``r*`` [requests/day] (see the module docstring), or None when the API (``k`` =
    ``api_cost_per_request`` [currency/request]) is cheaper at every traffic."""
    k = api_cost_per_request
    if not configs:
        return None
    if k <= 0:
        return None  # a free API: self-hosting never costs less
    live = prune(configs)
    bounds = [sum(p.cost_per_day for p in c) / (k - slope(c)) for c in live if slope(c) < k]
    if not bounds:
        return None
    top = min(bounds)
    # the jumps of S below `top`: multiples of every pool's capacity, scanned downward
    heap: list[tuple[float, int, int]] = []  # (-jump, pool index, multiple)
    pools = [p for c in live for p in c]
    for i, p in enumerate(pools):
        j = math.floor(top / p.capacity)
        if j >= 1:
            heap.append((-j * p.capacity, i, j))
    heapq.heapify(heap)
    hi = top
    for _ in range(max_pieces):
        lo = -heap[0][0] if heap else 0.0
        while heap and -heap[0][0] >= hi:  # jumps at or above the piece's top end are behind us
            _, i, j = heapq.heappop(heap)
            if j > 1:
                heapq.heappush(heap, (-(j - 1) * pools[i].capacity, i, j - 1))
            lo = -heap[0][0] if heap else 0.0
        level = self_hosted(live, hi)  # S is constant on (lo, hi]
        if level / k > lo:  # always so once lo is 0: one replica costs more than the API near zero traffic
            return min(hi, level / k)
        hi = lo
    raise RuntimeError("break-even scan did not finish")  # pragma: no cover - bounded by the jumps below `top`
