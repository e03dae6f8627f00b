"""Calibration profiles: named, fitted efficiency factors stored as small JSON files.

A profile is what :mod:`engine.calibration` fits from measurements; an estimate uses one with
``calibration=NAME``. This module only stores and reads them (in ``GPUCOST_CALIBRATION_DIR``, else
the user's data directory), so the serving model can read a profile without importing the fitting
code, which sits above it.

Imports only pydantic, the standard library and ``engine.config``/``engine.errors``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from pydantic import BaseModel, Field

from engine._model import empty_list
from engine.config import EngineConfig, default_calibration_dir
from engine.errors import GpucostError, suggest


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
