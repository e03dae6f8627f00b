"""Calibration: fit the engine's efficiency factors to measurements (pvlib's ``fit_*`` functions).

A measurement is one benchmark run of a serving engine: model, GPU, precision, GPUs per replica,
batch (concurrency), prompt and output lengths, and what was measured (output tokens/s per replica,
and where available mean TTFT and time per output token). :func:`fit_efficiency` finds the compute and
bandwidth efficiencies that make the roofline (``engine.inference``) reproduce them, minimising the
squared log error over all measured quantities. Profiles are saved as small JSON files and used with
``calibration=NAME`` in any query.

Sits above the serving model (it predicts through ``serving``/``inference``); the estimators
never import it (they read profiles through :mod:`engine.profiles`).
"""

from __future__ import annotations

import math
from datetime import date

from pydantic import BaseModel, Field

from engine.catalog import resolve_gpu
from engine.errors import GpucostError
from engine.hardware import BYTES, default_dtype, resolve_precision
from engine.inference import InferencePoint, Roofline
from engine.profiles import Profile, list_profiles, load_profile, profile_dir, save_profile
from engine.resolve import resolve_arch
from engine.serving import kv_default

__all__ = [
    "Measurement",
    "Profile",
    "fit_efficiency",
    "list_profiles",
    "load_profile",
    "make_profile",
    "predict",
    "profile_dir",
    "save_profile",
]


class Measurement(BaseModel):
    """One measured serving run. Rates per replica; times [s]."""

    model: str
    gpu: str
    gpus: int = Field(default=1, ge=1)
    dtype: str | None = None
    kv: str | None = None
    batch: int = Field(ge=1)
    s_in: int = Field(ge=1)
    s_out: int = Field(ge=1)
    output_tokens_per_s: float | None = Field(default=None, gt=0)
    ttft_s: float | None = Field(default=None, gt=0)
    tpot_s: float | None = Field(default=None, gt=0)
    static_batching: bool = False
    out_spread: float = Field(default=1.0, ge=0, le=1)
    source: str = ""


def predict(m: Measurement, compute_eff: float, bandwidth_eff: float) -> InferencePoint:
    """What the engine predicts for measurement ``m``'s setup at these efficiencies: the roofline
    of the serving model with its own defaults (precision, KV-cache precision), so a profile is
    fitted to the model it is later applied to."""
    arch = resolve_arch(m.model)
    acc = resolve_gpu(m.gpu)
    dtype = m.dtype or default_dtype(acc)[0]
    prec = resolve_precision(acc, dtype)
    kv = BYTES[m.kv or kv_default(dtype, acc)]
    rf = Roofline(acc, prec, kv, m.s_in, m.s_out, compute_eff, bandwidth_eff, m.static_batching, m.out_spread)
    return rf.point(arch, m.gpus, m.batch)


_predict = predict  # the name engine.measured and older tests use


def _loss(ms: list[Measurement], ce: float, be: float) -> tuple[float, int]:
    total, n = 0.0, 0
    for m in ms:
        p = _predict(m, ce, be)
        for meas, pred in ((m.output_tokens_per_s, p.output_tokens_per_s), (m.ttft_s, p.ttft_s), (m.tpot_s, p.tpot_s)):
            if meas:
                total += math.log(pred / meas) ** 2
                n += 1
    return total, n


def fit_efficiency(measurements: list[Measurement]) -> tuple[float, float, float]:
    """Compute and bandwidth efficiency [0-1] that best reproduce ``measurements``, and the RMS log
    error of the fit. A coarse grid (step 0.05) then a fine one (step 0.005) around the best point."""
    if not measurements:
        raise GpucostError("no measurements to fit", hint="give at least one benchmark result")
    if not any(m.output_tokens_per_s or m.ttft_s or m.tpot_s for m in measurements):
        raise GpucostError("the measurements have no throughput or latency to fit")
    best = (float("inf"), 0.5, 0.5)
    grid = [i / 20 for i in range(1, 21)]
    for ce in grid:
        for be in grid:
            loss, _ = _loss(measurements, ce, be)
            best = min(best, (loss, ce, be))
    _, ce0, be0 = best
    fine = [i / 200 for i in range(-10, 11)]
    for dc in fine:
        for db in fine:
            ce, be = ce0 + dc, be0 + db
            if 0 < ce <= 1 and 0 < be <= 1:
                loss, _ = _loss(measurements, ce, be)
                best = min(best, (loss, ce, be))
    loss, ce, be = best
    _, n = _loss(measurements, ce, be)
    return ce, be, math.sqrt(loss / max(n, 1))


def make_profile(name: str, measurements: list[Measurement]) -> Profile:
    ce, be, err = fit_efficiency(measurements)
    gpus = {m.gpu for m in measurements}
    models = {m.model for m in measurements}

    return Profile(
        name=name,
        compute_efficiency=round(ce, 4),
        bandwidth_efficiency=round(be, 4),
        gpu=resolve_gpu(next(iter(gpus))).id if len(gpus) == 1 else None,
        model=next(iter(models)) if len(models) == 1 else None,
        n_points=len(measurements),
        rms_log_error=err,
        created=date.today().isoformat(),
        sources=[m.source for m in measurements if m.source],
    )
