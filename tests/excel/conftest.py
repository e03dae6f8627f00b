"""Fixtures for the Excel add-in tests: Excel-shaped arguments, a formula engine, a blocked-import runner.

- :func:`officejs` turns plain Python values into what the Office.js runtime sends (every number a
  float, ranges as lists of rows, empty cells inside a range as ``""``).
- :func:`formula_model` evaluates a workbook with the ``formulas`` package, with the ``AIGC_*``
  functions registered the way Excel would call them.
- :func:`run_blocked` runs Python code in a subprocess where optional packages cannot be imported
  (as in xlwings Lite, which has none of the Slack app's dependencies).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]

#: Top-level packages an xlwings Lite workbook does not have (the Slack app's and the server's).
OPTIONAL_PACKAGES = (
    "slack_bolt",
    "slack_sdk",
    "sqlalchemy",
    "alembic",
    "uvicorn",
    "starlette",
    "fastapi",
    "matplotlib",
    "psycopg",
    "dotenv",
    "pydantic_settings",
    "numpy",
    "pandas",
    "openpyxl",
    "formulas",
    "yaml",
    "httpx",
    "bot",
)

_BLOCKER = """
import sys

class _Refuse:
    '''A meta-path finder that refuses the packages an xlwings Lite workbook does not have.'''

    blocked = set(%r)

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.blocked:
            raise ModuleNotFoundError(f"No module named {name!r} (blocked by the test)", name=name)
        return None

sys.meta_path.insert(0, _Refuse())
"""


def officejs(value: Any) -> Any:
    """``value`` as Office.js sends it: numbers as floats, a 1-D list as a column of rows."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, (list, tuple)) for v in value):
            return [[officejs(v) if v is not None else "" for v in row] for row in value]
        return [[officejs(v) if v is not None else ""] for v in value]
    raise TypeError(value)


@pytest.fixture(name="officejs")
def officejs_fixture() -> Callable[[Any], Any]:
    """The :func:`officejs` converter."""
    return officejs


@pytest.fixture(name="optional_packages")
def optional_packages_fixture() -> tuple[str, ...]:
    """Packages an xlwings Lite workbook does not have."""
    return OPTIONAL_PACKAGES


@pytest.fixture(name="run_blocked")
def run_blocked_fixture() -> Callable[..., dict[str, Any]]:
    """Run ``code`` (which must print one JSON line last) with optional packages blocked."""

    def run(
        code: str, blocked: tuple[str, ...] = OPTIONAL_PACKAGES, env: dict[str, str] | None = None
    ) -> Any:
        script = _BLOCKER % (list(blocked),) + textwrap.dedent(code)
        environ = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
        proc = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, env=environ, timeout=120
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        return json.loads(proc.stdout.strip().splitlines()[-1])

    return run


def _from_formulas(value: Any) -> Any:
    """An argument as the ``formulas`` package passes it, as Office.js would send it."""
    import numpy as np
    import schedula as sh

    raw = getattr(value, "value", value)  # formulas passes a Ranges object for references
    if isinstance(raw, np.ndarray):
        rows = [[_cell(v, sh) for v in row] for row in raw.tolist()]
        if len(rows) == 1 and len(rows[0]) == 1:
            return None if rows[0][0] == "" else rows[0][0]
        return rows
    return _cell(raw, sh)


def _cell(value: Any, sh: Any) -> Any:
    if value is sh.EMPTY:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if hasattr(value, "item"):
        return _cell(value.item(), sh)
    return value


def _to_formulas(result: Any) -> Any:
    """What an ``AIGC_*`` function returned, as a ``formulas`` value (arrays for spilled results)."""
    import numpy as np

    if isinstance(result, list):
        return np.array(result, dtype=object)
    return result


@pytest.fixture(name="formula_model")
def formula_model_fixture() -> Callable[[Path], dict[str, Any]]:
    """Evaluate a workbook's formulas with our functions registered; returns ``{"Sheet!A1": value}``."""
    import formulas

    from excel import functions as fn

    registry = formulas.get_functions()
    for name in fn.__all__:
        impl = getattr(fn, name)

        def call(*args: Any, _impl: Callable[..., Any] = impl) -> Any:
            return _to_formulas(_impl(*[_from_formulas(a) for a in args]))

        registry[name.upper()] = call

    def evaluate(path: Path) -> dict[str, Any]:
        model = formulas.ExcelModel().loads(str(path)).finish()
        solution = model.calculate()
        out: dict[str, Any] = {}
        for key, ranges in solution.items():
            ref = key.split("]", 1)[-1].replace("'", "")
            values = getattr(ranges, "value", ranges)
            out[ref.upper()] = values.tolist() if hasattr(values, "tolist") else values
        return out

    return evaluate
