"""Engine configuration: what a front end may set (default currency, FX rate, price overrides).

Front ends build an :class:`EngineConfig` from their own settings (CLI: environment variables;
Slack: workspace settings; Excel: function arguments) and pass it to :func:`engine.run`. The engine
itself never reads the environment except through :func:`EngineConfig.from_env`, which the CLI uses.

Imports only pydantic and the standard library.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from engine.errors import GpucostError, user_path

#: The CNY-per-USD rates a setting may give: a sanity range around every rate since 1981 (about 1.5
#: in 1981 to 8.7 in 1994-2005, FRED series DEXCHUS); a value outside it is a typo, not a rate.
FX_RANGE = (1.0, 20.0)


def _excerpt(text: str, n: int = 40) -> str:
    return repr(text if len(text) <= n else text[:n] + "...")


class PriceOverride(BaseModel):
    """A negotiated or user-given price for one GPU [currency per GPU-hour]."""

    model_config = ConfigDict(frozen=True)

    gpu: str
    price_per_gpu_hour: float = Field(gt=0)
    currency: str = "USD"
    source: str = "price override"


class EngineConfig(BaseModel):
    """Settings for one engine call.

    - ``currency``: currency results are shown in when the query does not say (USD or CNY).
    - ``cny_per_usd``: FX rate override [CNY per USD]; ``None`` uses the dated catalog rate.
    - ``price_file``: a user price CSV (same columns as the shipped catalog) that overrides it.
    - ``price_overrides``: per-GPU prices (e.g. a Slack workspace's negotiated prices); these win
      over every catalog price but not over a price written in the query.
    - ``calibration_dir``: where named calibration profiles are stored.
    - ``allow_files``: whether a query may name files on this machine (a ``config.json`` path as
      the model, ``import FILE``, ``calibrate``, ``prices import-skypilot``). True for the command
      line; shared front ends (the Slack app, xlwings Server) set it False, so a chat message
      cannot probe or write the server's files.
    """

    model_config = ConfigDict(frozen=True)

    currency: str = "USD"
    cny_per_usd: float | None = Field(default=None, ge=FX_RANGE[0], le=FX_RANGE[1])
    price_file: Path | None = None
    price_overrides: tuple[PriceOverride, ...] = ()
    calibration_dir: Path | None = None
    allow_files: bool = True

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> EngineConfig:
        """Read ``GPUCOST_CURRENCY``, ``GPUCOST_CNY_PER_USD``, ``GPUCOST_PRICE_FILE``,
        ``GPUCOST_CALIBRATION_DIR`` from the environment (the CLI's settings)."""
        env = os.environ if environ is None else environ
        kwargs: dict[str, object] = {}
        if env.get("GPUCOST_CURRENCY"):
            cur = env["GPUCOST_CURRENCY"].strip().upper()
            if cur not in ("USD", "CNY"):
                raise GpucostError(
                    f"GPUCOST_CURRENCY={_excerpt(cur)} is not a currency gpucost knows", hint="use USD or CNY"
                )
            kwargs["currency"] = cur
        if env.get("GPUCOST_CNY_PER_USD"):
            raw = env["GPUCOST_CNY_PER_USD"]
            try:
                rate = float(raw)
            except ValueError:
                rate = math.nan
            if not FX_RANGE[0] <= rate <= FX_RANGE[1]:  # NaN fails both
                raise GpucostError(
                    f"GPUCOST_CNY_PER_USD={_excerpt(raw)} is not an exchange rate in CNY per USD",
                    hint=f"give a number from {FX_RANGE[0]:g} to {FX_RANGE[1]:g} (about 7.1 in 2025), or unset it "
                    "to use the dated catalog rate",
                )
            kwargs["cny_per_usd"] = rate
        if env.get("GPUCOST_PRICE_FILE"):
            kwargs["price_file"] = user_path(env["GPUCOST_PRICE_FILE"])
        if env.get("GPUCOST_CALIBRATION_DIR"):
            kwargs["calibration_dir"] = user_path(env["GPUCOST_CALIBRATION_DIR"])
        return cls(**kwargs)


def default_calibration_dir() -> Path:
    """``$XDG_DATA_HOME/gpucost/calibration`` (``~/.local/share/gpucost/calibration``)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "gpucost" / "calibration"
