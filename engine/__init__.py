"""gpucost's cost engine: what it costs, in GPUs and money, to run or train an LLM.

Public API (see docs/engine-api.md): :func:`run`, :func:`parse_query`, :func:`build_query`,
:class:`Result`, :class:`EngineConfig`, :class:`PriceOverride`, :class:`GpucostError`.

This package imports only pydantic and the standard library, never ``bot`` or ``excel``, so it also
runs inside Excel (xlwings Lite, Python in the browser). Heavy modules load lazily, on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.errors import GpucostError

__version__ = "0.1.0"
__all__ = ["EngineConfig", "GpucostError", "PriceOverride", "Result", "build_query", "parse_query", "run"]

if TYPE_CHECKING:
    from engine.config import EngineConfig, PriceOverride
    from engine.query import build_query, parse_query
    from engine.results import Result


def run(query: Any, config: Any = None, trace: bool = True) -> Any:
    """Parse and evaluate a query string; returns a :class:`engine.results.Result`.
    ``trace=False`` leaves out the formula trace (bulk use)."""
    from engine.commands import run as _run

    return _run(query, config, trace)


def __getattr__(name: str) -> Any:
    if name in ("EngineConfig", "PriceOverride"):
        from engine import config

        return getattr(config, name)
    if name in ("parse_query", "build_query", "Query"):
        from engine import query

        return getattr(query, name)
    if name == "Result":
        from engine.results import Result

        return Result
    if name in (
        "catalog",
        "prices",
        "fx",
        "batch",
        "calibration",
        "chain",
        "commands",
        "compare",
        "serving",
        "service",
        "costs",
        "training",
        "energy",
        "resolve",
        "provenance",
        "defaults",
        "profiles",
        "measured",
        "units",
        "efficiency",
        "hardware",
        "inference",
        "flops",
        "memory",
        "architecture",
        "format",
        "listings",
        "explain",
        "results",
    ):
        import importlib

        return importlib.import_module(f"engine.{name}")
    raise AttributeError(f"module 'engine' has no attribute {name!r}")
