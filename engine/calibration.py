"""Calibration: fit the engine's efficiency factors to measurements (pvlib's ``fit_*`` functions).

A measurement is one benchmark run of a serving engine: model, GPU, precision, GPUs per replica,
batch (concurrency), prompt and output lengths, and what was measured (output tokens/s per replica,
and where available mean TTFT and time per output token). :func:`fit_efficiency` finds the compute and
bandwidth efficiencies that make the roofline (``engine.inference``) reproduce them, minimising the
squared log error over all measured quantities. Profiles are saved as small JSON files and used with
``calibration=NAME`` in any query.

Imports only pydantic, the standard library and engine modules.
"""

from __future__ import annotations

import json
import math
import re
from datetime import date
from pathlib import Path

from pydantic import BaseModel, Field

from engine._model import empty_list
from engine.config import EngineConfig, default_calibration_dir
from engine.errors import GpucostError, suggest


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


class Profile(BaseModel):
    """A named set of fitted efficiencies."""

    name: str
    compute_efficiency: float = Field(gt=0, le=1)
    bandwidth_efficiency: float = Field(gt=0, le=1)
    gpu: str | None = None
    model: str | None = None
    n_points: int = 0
    rms_log_error: float = 0.0
    created: str = ""
    sources: list[str] = Field(default_factory=empty_list)

    def describe(self) -> str:
        return (
            f"compute {self.compute_efficiency:.3g}, bandwidth {self.bandwidth_efficiency:.3g}, "
            f"rms error {self.rms_log_error * 100:.1f}%"
        )


def _predict(m: Measurement, ce: float, be: float):
    from engine.architecture import ModelArch
    from engine.catalog import resolve_gpu
    from engine.chain import resolve_arch
    from engine.hardware import BYTES, default_dtype, resolve_precision
    from engine.inference import roofline

    arch: ModelArch = resolve_arch(m.model)
    acc = resolve_gpu(m.gpu)
    dtype = m.dtype or default_dtype(acc)[0]
    prec = resolve_precision(acc, dtype)
    kv = BYTES[m.kv or (dtype if dtype in ("fp32", "fp16", "bf16", "fp8") else "fp16")]
    return roofline(arch, acc, prec, kv, m.gpus, m.batch, m.s_in, m.s_out, ce, be, m.static_batching, m.out_spread)


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


def profile_dir(config: EngineConfig | None) -> Path:
    return Path(config.calibration_dir) if config and config.calibration_dir else default_calibration_dir()


_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def save_profile(profile: Profile, config: EngineConfig | None = None) -> Path:
    if not _NAME.fullmatch(profile.name):
        raise GpucostError(f"bad profile name '{profile.name}'", hint="use letters, digits, '-', '_' or '.'")
    d = profile_dir(config)
    d.mkdir(parents=True, exist_ok=True)
    path = d / f"{profile.name}.json"
    path.write_text(profile.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return path


def list_profiles(config: EngineConfig | None = None) -> list[str]:
    d = profile_dir(config)
    return sorted(p.stem for p in d.glob("*.json")) if d.exists() else []


def load_profile(name: str, config: EngineConfig | None = None) -> Profile:
    if not _NAME.fullmatch(name):
        raise GpucostError(f"bad profile name '{name}'", hint="use letters, digits, '-', '_' or '.'")
    path = profile_dir(config) / f"{name}.json"
    if not path.exists():
        names = list_profiles(config)
        raise GpucostError(
            f"no calibration profile '{name}'",
            suggestions=suggest(name, names),
            hint="create one with 'gpucost calibrate NAME FILE...'" if not names else "known: " + ", ".join(names[:8]),
        )
    try:
        return Profile(**json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError) as exc:
        raise GpucostError(
            f"calibration profile '{name}' is unreadable ({exc.__class__.__name__})", hint=f"fix or delete {path}"
        ) from None


def make_profile(name: str, measurements: list[Measurement]) -> Profile:
    ce, be, err = fit_efficiency(measurements)
    gpus = {m.gpu for m in measurements}
    models = {m.model for m in measurements}
    from engine.catalog import resolve_gpu

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
