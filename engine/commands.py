"""Commands: the entry point that parses a query and dispatches it to the estimate or listing it names.

``run(query)`` is what ``engine.run`` is: every front end (CLI, Slack, Excel) calls it. Estimates
(``inference``, ``daily``, ``train``) resolve their tokens (:func:`engine.resolve.resolve`) and run
in :mod:`engine.chain`; ``compare``, ``explain``, the measured-data commands and the listings have
modules of their own, imported here only when asked for (they load catalogs or readers the common
estimate does not need).

The top of the engine: imports every subcommand's module; nothing in the engine imports it but
``engine/__init__`` and ``cli``.
"""

from __future__ import annotations

from functools import lru_cache

from engine.chain import ESTIMATES
from engine.config import EngineConfig
from engine.errors import GpucostError, path_error
from engine.query import Query, parse_query
from engine.resolve import refuse_files, resolve
from engine.results import Result


def run_query(q: Query, config: EngineConfig, trace: bool = True) -> Result:
    """Evaluate a parsed query (``trace=False``: without the formula trace)."""
    kind = q.kind
    if kind in ("calibrate", "import") or (kind == "prices" and q.rest[:1] == ["import-skypilot"]):
        refuse_files(config, f"'{kind}'" if kind != "prices" else "'prices import-skypilot'")
    if kind == "calibrate" or (kind == "import" and q.rest[:1] != ["import-skypilot"]):
        from engine import measured

        return measured.cli_command([kind, *q.rest], config)
    if kind in ("gpus", "models", "prices", "api", "help", "import"):
        from engine import listings

        return listings.run_listing(q, config)
    if kind == "compare":
        from engine.compare import compare

        return compare(q, config)
    if kind == "plan":
        from engine.planner import plan

        return plan(q, config)
    if kind == "curve":
        from engine.curve import curve

        return curve(q, config)
    if kind == "explain":
        from engine.explain import explain

        return explain(q, config)
    estimate = ESTIMATES.get(kind)
    if estimate is None:
        raise GpucostError(f"unknown subcommand '{kind}'", hint="'gpucost help' lists them")
    return estimate(resolve(q, config), trace)


def run(query: str | Query | list[str], config: EngineConfig | None = None, trace: bool = True) -> Result:
    """Parse and evaluate a query. Bad input raises :class:`GpucostError` (one-line message).
    ``trace=False`` leaves out the formula trace (bulk evaluation)."""
    cfg = config or default_config()
    if not isinstance(query, (str, list, Query)):
        raise GpucostError(f"a query is text, not {type(query).__name__}", hint="e.g. '1.17e8 P4 0.3'")
    if isinstance(query, Query):  # built by a program, not parsed: hold it to what parsing guarantees
        for name in ("model", "gpu", "price"):
            if not isinstance(getattr(query, name), (str, type(None))):
                raise GpucostError(f"Query.{name} must be text", hint="or use engine.build_query(...)")
        query = query.canonical()
    # always a fresh Query: an estimate may fill derived values (lengths from daily token totals) in
    try:
        return run_query(parse_query(query), cfg, trace)
    except OSError as exc:
        err = path_error(exc)
        if err is None:
            raise
        raise err from None


@lru_cache(maxsize=1)
def default_config() -> EngineConfig:
    """The built-in settings (an :class:`EngineConfig` is frozen, so one instance serves every call)."""
    return EngineConfig()
