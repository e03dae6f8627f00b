"""Service: traffic, its peak and the fleet of replicas that serves it [reference README: fleet].

A daily service receives ``requests_per_day`` (given, or users x requests per user, or daily token
totals over the per-request lengths), peaks at ``peak`` x the average rate, and is served by whole
replicas run at a target utilisation: ``replicas = ceil(peak rate / (replica rate x util))``.

Imports ``provenance``, ``defaults`` and ``efficiency``; never ``serving``, ``chain`` or above.
"""

from __future__ import annotations

import math

from engine import efficiency as eff
from engine.defaults import DEFAULT_OUT, DEFAULT_PER_USER, DEFAULT_REQUESTS_PER_DAY, PER_USER_SOURCE, REQUESTS_SOURCE
from engine.errors import GpucostError
from engine.provenance import GIVEN, Ctx
from engine.units import fmt_num

SECONDS_PER_DAY = 86400.0


def requests_per_day(ctx: Ctx, s_in: int, s_out: int) -> float:
    """Requests per day from ``requests=``, ``users=`` x ``per_user=``, or ``tokens_out=``/``tokens_in=``
    over the per-request lengths ``s_out``/``s_in`` [tokens], else the default; recorded."""
    if ctx.given("requests"):
        r = float(ctx.opt("requests"))  # type: ignore[arg-type]
        ctx.add("traffic", f"{fmt_num(r)} requests/day", GIVEN, True)
        return r
    if ctx.given("users"):
        users = float(ctx.opt("users"))  # type: ignore[arg-type]
        per = float(ctx.opt("per_user", DEFAULT_PER_USER))  # type: ignore[arg-type]
        r = users * per
        ctx.add(
            "traffic",
            f"{fmt_num(users)} users x {per:g} requests/user = {fmt_num(r)}/day",
            GIVEN if ctx.given("per_user") else PER_USER_SOURCE,
            True,
        )
        return r
    for total, length, what in (("tokens_out", s_out, "output"), ("tokens_in", s_in, "input")):
        if ctx.given(total):
            tokens = float(ctx.opt(total))  # type: ignore[arg-type]
            r = tokens / length
            ctx.add(
                "traffic",
                f"{fmt_num(tokens)} {what} tokens/day / {length} per request = {fmt_num(r)} requests/day",
                GIVEN,
                True,
            )
            return r
    ctx.add("traffic", f"{fmt_num(DEFAULT_REQUESTS_PER_DAY)} requests/day", REQUESTS_SOURCE)
    return DEFAULT_REQUESTS_PER_DAY


def peak_to_average(ctx: Ctx) -> float:
    """Peak-to-average traffic ratio, recorded."""
    return ctx.setting("peak", "peak-to-average", eff.DEFAULT_PEAK_TO_AVERAGE, eff.PEAK_SOURCE)


def fleet_replicas(requests_per_day: float, peak: float, replica_rps: float, util: float) -> int:
    """Whole replicas for a service: ``ceil(peak request rate / (replica rate x utilisation))``
    [reference README: fleet]. ``replica_rps`` [requests/s]; ``util`` in (0, 1]."""
    peak_rps = requests_per_day / SECONDS_PER_DAY * peak
    return max(1, math.ceil(peak_rps / (replica_rps * util) - 1e-9))


def lengths_from_tokens(ctx: Ctx) -> None:
    """With ``tokens_in=``/``tokens_out=`` and ``requests=``, derive the per-request lengths
    ``in``/``out`` they imply (checked like ``in=``/``out=``), unless those are given."""
    q = ctx.q
    v = q.values
    if "tokens_in" in v and "tokens_out" in v and "requests" not in v:
        # both daily totals and no request count: the requests come from the output total over the
        # reply length, and the prompt length from the input total over those requests
        if "in" in v:
            raise GpucostError(
                "tokens_in=, tokens_out= and in= over-determine the traffic",
                hint="drop in= (it follows from tokens_in= / (tokens_out= / out=)), or give requests= instead",
            )
        out = int(v.get("out", DEFAULT_OUT))  # type: ignore[call-overload]
        n = max(1, round(float(v["tokens_in"]) / (float(v["tokens_out"]) / out)))  # type: ignore[arg-type]
        if n > 10_000_000:
            raise GpucostError(
                f"tokens_in= / (tokens_out= / out=) gives {n:,} prompt tokens per request", hint="check the totals"
            )
        v["in"] = n
        ctx.derived["in"] = f"in = tokens_in / (tokens_out / out) = {n}"
        return
    for total, key in (("tokens_in", "in"), ("tokens_out", "out")):
        if "requests" in q.values and total in q.values and key not in q.values:
            n = max(1, round(float(q.values[total]) / float(q.values["requests"])))  # type: ignore[arg-type]
            if n > 10_000_000:
                raise GpucostError(
                    f"{total}= / requests= gives {n:,} tokens per request", hint="check both; at most 10M per request"
                )
            q.values[key] = n
            ctx.derived[key] = f"{key} = {total} / requests = {n}"

