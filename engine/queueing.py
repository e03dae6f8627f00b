"""Queueing: how long a request waits for a free decoding slot.

Imports only the standard library.
"""

from __future__ import annotations

import math


def queue_wait_s(arrival_rps: float, slots: float, service_s: float) -> float:
    """Mean wait of a request for a free slot [s]: ``slots`` sequences decode at once, each request
    holds one for ``service_s`` [s] (deterministic), requests arrive as a Poisson stream of
    ``arrival_rps`` [1/s]. M/D/c, by the standard approximation of half the M/M/c wait (a
    deterministic service has no variance: Kingman/Cosmetatos, ``W_MDc ~ W_MMc (1 + C_s^2) / 2``),
    with the M/M/c wait from Erlang's C formula. Infinite at or above full load."""
    c = max(1, int(slots))
    rho = arrival_rps * service_s / c
    if rho <= 0:
        return 0.0
    if rho >= 1:
        return math.inf
    a = rho * c  # offered load [Erlang]
    # All c slots busy has the Poisson probability P(X = c) / P(X <= c) (Erlang B), at most twice
    # P(X = c) while a < c (the median of X is below c); the wait is below 2 P(X = c) / (1 - rho)^2
    # of a cycle. Where that is under 1e-12 the wait is nil to that precision (most replicas: many
    # slots, load well below 1), and the O(c) recursion is skipped.
    if 2 * math.exp(c * math.log(a) - a - math.lgamma(c + 1)) / (1 - rho) ** 2 < 1e-12:
        return 0.0
    # Erlang B by its stable recursion, then Erlang C
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    erlang_c = b / (1 - rho * (1 - b))
    w_mmc = erlang_c * service_s / (c * (1 - rho))
    return w_mmc / 2
