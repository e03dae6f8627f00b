"""Provenance: the record an estimate keeps of what it assumed, with where each value came from.

An estimate resolves its inputs into a :class:`Ctx` (model, GPU, count, currency, price) and, as
each model function runs, records an assumption line (name, value, source, given by the user or
not) or a warning in it. The orchestration (:mod:`engine.chain`) turns the record into the
``Result``'s ``assumptions``, ``warnings`` and ``inputs``.

Imports only the standard library and ``engine.query``/``engine.results`` types; never the
estimators.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from engine.results import Assumption

if TYPE_CHECKING:
    from engine.architecture import ModelArch
    from engine.catalog import Accelerator
    from engine.config import EngineConfig
    from engine.query import Query

GIVEN = "given in the query"


def assumption(name: str, value: str, source: str, user: bool = False) -> Assumption:
    """One assumption line."""
    return Assumption(name=name, value=value, source=source, user_given=user)


@dataclass
class Ctx:
    """What every estimate resolves first, and the record of what it assumed.

    ``price`` [currency per GPU-hour]; ``count`` the GPUs written with the GPU (``8xH100``), if any."""

    q: Query
    config: EngineConfig
    arch: ModelArch
    acc: Accelerator
    count: int | None
    currency: str = ""
    price: float | None = None
    price_label: str = ""
    assumptions: list[Assumption] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    inputs: dict[str, object] = field(default_factory=dict)
    #: options set from others (``in`` from ``tokens_in`` / requests), with how: never "given"
    derived: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, value: str, source: str, user: bool = False) -> None:
        """Record an assumption line."""
        self.assumptions.append(assumption(name, value, source, user))

    def warn(self, text: str) -> None:
        self.warnings.append(text)

    def opt(self, key: str, default: object = None) -> object:
        """The typed value of option ``key``, else ``default``."""
        return self.q.values.get(key, default)

    def given(self, key: str) -> bool:
        return key in self.q.values

    def note(self, key: str, name: str, value: str, default_source: str) -> None:
        """Record the assumption ``name`` that option ``key`` sets: "given in the query" (by the user)
        when the query has ``key``, else ``default_source``."""
        given = key in self.q.values
        self.add(name, value, GIVEN if given else default_source, given)

    def setting(self, key: str, name: str, default: float, default_source: str) -> float:
        """Number option ``key`` (``default`` when not given), recorded with :meth:`note`."""
        value = float(self.opt(key, default))  # type: ignore[arg-type]
        self.note(key, name, f"{value:g}", default_source)
        return value
