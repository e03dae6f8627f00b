"""Checks on a query before it reaches the engine, for what only matters in Slack.

The engine accepts any ``provider=`` or ``region=`` when the query names its own price (the
catalog is then never consulted), and echoes the value back in the answer. In Slack that echo is
posted under the bot's name, so the bot refuses option values the price catalog does not know.
Only the engine's public functions are used (``engine.parse_query``, ``engine.prices.all_prices``).
"""

from __future__ import annotations

from engine.config import EngineConfig
from engine.errors import GpucostError

#: Options whose value must be one the price catalog lists (the engine's text options with no choices).
CATALOG_OPTIONS = ("provider", "region")


def catalog_values(config: EngineConfig) -> dict[str, set[str]]:
    """The providers and regions of every price the workspace's engine configuration can see (lower case)."""
    from engine.prices import all_prices

    rows = all_prices(config)
    return {
        "provider": {r.provider.lower() for r in rows if r.provider},
        "region": {r.region.lower() for r in rows if r.region},
    }


def unknown_option(query: str, config: EngineConfig) -> tuple[str, str, list[str]] | None:
    """``(option, value, known values)`` for the first ``provider=``/``region=`` value the catalog does not
    know, else ``None`` (also when the query does not parse: the engine will say why)."""
    import engine

    try:
        parsed = engine.parse_query(query)
    except GpucostError:
        return None
    options = getattr(parsed, "options", None) or {}
    asked = {k: str(v) for k, v in options.items() if k in CATALOG_OPTIONS and v not in (None, "")}
    if not asked:
        return None
    known = catalog_values(config)
    for key, value in asked.items():
        if value.lower() not in known[key]:
            return key, value, sorted(known[key])
    return None
