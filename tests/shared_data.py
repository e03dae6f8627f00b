"""Where the team's raw data (``shared/data``: accelerator specs, SkyPilot price extract, FX) lives
for the tests that rebuild the catalogs from it: ``GPUCOST_SHARED_DATA``, else ``shared/data``
beside the checkout (as in development and CI), else the workplace's ``/work/shared/data``."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def shared_data() -> Path:
    """The shared data folder; a test that needs it fails, naming where it looked, when it is absent."""
    candidates = [Path(p) for p in (os.environ.get("GPUCOST_SHARED_DATA"),) if p]
    candidates += [ROOT.parent / "shared" / "data", Path("/work/shared/data")]
    for c in candidates:
        if (c / "gpu_prices.csv").exists():
            return c
    raise AssertionError(
        "the shared data (gpu_prices.csv) was not found at " + ", ".join(map(str, candidates))
        + "; set GPUCOST_SHARED_DATA to its folder"
    )
