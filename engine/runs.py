"""Finite benchmark runs: ``n`` requests submitted at once and drained.

A serving benchmark that sends a few hundred prompts at once (vLLM's ``benchmark_serving.py`` with
no request rate, genai-perf at a fixed request count) never reaches the steady state that
:mod:`engine.inference` describes: it opens with every slot empty and prompts queued, and ends with a
tail in which fewer and fewer sequences decode. Its reported throughput is the output tokens over
the makespan, and its mean TTFT is the mean of the first-token times measured from the start.

The run is stepped as the engine schedules it (:mod:`engine.engines`): each step decodes one token
for every running sequence and fills the rest of the step's token budget with waiting prompts,
first come first served, at most the engine's running-sequence cap (a prompt being prefilled holds
a slot); a prompt's first token comes from the step of its last chunk. An engine that runs prefill
steps apart (vLLM V0) runs a prompt step whenever a prompt waits and a slot is free. Steps with the
same composition are taken together, from one event (a prompt admitted, a sequence finished) to the
next. Static batching runs waves of the batch. Each rank of a data-parallel layout gets an equal
share of the requests.

Imports ``inference``, ``layout``, ``memory``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine.architecture import Dims
from engine.inference import Roofline
from engine.layout import Layout
from engine.memory import attended_positions


@dataclass(frozen=True)
class Run:
    """A finite run: its makespan and mean TTFT [s], output tokens/s of the replica, and steps."""

    makespan_s: float
    mean_ttft_s: float
    output_tokens_per_s: float
    steps: int


def finite_run(rf: Roofline, m: Dims, lay: Layout, n: int, cap: int) -> Run:
    """``n`` requests of ``rf.s_in`` / ``rf.s_out`` tokens submitted at once to a replica of model
    ``m`` laid out as ``lay``, at most ``cap`` running at once, drained (see the module docstring)."""
    s_in, s_out = rf.s_in, rf.s_out
    ranks = lay.dp * lay.pp
    n_rank = n / ranks  # requests per rank and micro-batch
    cap_rank = max(cap / ranks, 1.0)
    if rf.static:
        waves = math.ceil(n_rank / cap_rank)
        full, last = waves - 1, n_rank - (waves - 1) * cap_rank
        t_full = rf.terms(m, lay, max(1, round(cap_rank * ranks))) if full else None
        t_last = rf.terms(m, lay, max(1, round(last * ranks)))
        span = (full * t_full.t_cycle if t_full else 0.0) + t_last.t_cycle
        ttft = ((t_full.t_cycle * (full - 1) / 2 + t_full.t_prefill_batch) * full * cap_rank if t_full else 0.0)
        ttft = (ttft + (full * (t_full.t_cycle if t_full else 0.0) + t_last.t_prefill_batch) * last) / n_rank
        return Run(span, ttft, n * s_out / span, waves)
    cached = s_in * rf.cache_hit
    s_new = max(s_in - cached, 1.0)
    budget = float(rf.budget)
    k = rf.beams
    pos_avg = attended_positions(m, cached, s_in) / s_new
    waiting, head = n_rank, 0.0  # requests not yet finished prefilling; tokens done of the head one
    groups: list[list[float]] = []  # [remaining decode steps, requests] of running sequences
    t = ttft_sum = 0.0
    steps = 0
    mixed = rf.preset.mixed
    while waiting > 1e-9 or groups:
        running = sum(g[1] for g in groups)
        slots = cap_rank - running  # a prompt being prefilled holds one of them
        room = budget - running * k if mixed else max(budget, s_new)
        if waiting <= 1e-9 or slots <= 1e-9 or room <= 1e-9:
            # decode only, up to the next finish: every running sequence advances together
            jump = min(g[0] for g in groups)
            st = rf.step(m, lay, running * k, 0.0, 0.0)
            t += jump * lay.pp * st.total
            steps += int(jump)
            for g in groups:
                g[0] -= jump
            groups = [g for g in groups if g[0] > 1e-9]
            continue
        # one step: the decodes (mixed engines) and as much of the waiting prompts as fits
        take, done = 0.0, 0.0  # prompt tokens this step; prompts whose last chunk runs in it
        left, free = room, slots
        rest_head = s_new - head
        while waiting - done > 1e-9 and free > 1e-9 and left > 1e-9:
            if rest_head <= left or (not rf.preset.chunked and take == 0):
                take += rest_head
                left -= rest_head
                whole = min(waiting - done, free, 1.0)
                done += whole
                free -= whole
                rest_head = s_new
            elif rf.preset.chunked:
                take += left
                rest_head -= left
                left = 0.0
            else:
                break
        head = s_new - rest_head if rest_head < s_new else 0.0
        decode = running * k if mixed else 0.0
        st = rf.step(m, lay, decode, max(take, 1.0), max(take, 1.0) * pos_avg)
        t += lay.pp * st.total
        steps += 1
        if mixed:
            for g in groups:
                g[0] -= 1
            groups = [g for g in groups if g[0] > 1e-9]
        if done:
            ttft_sum += done * t
            waiting -= done
            if s_out > 1:
                groups.append([float(s_out - 1), done])
    span = t
    return Run(span, ttft_sum / n_rank if n_rank else 0.0, n * s_out / span if span else 0.0, steps)
