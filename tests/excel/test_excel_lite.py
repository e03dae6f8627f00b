"""xlwings Lite: the functions import and run without optional packages, and the generated main.py is current.

xlwings Lite runs Python in the browser (Pyodide): the workbook has the packages of its
requirements.txt and whatever Pyodide ships, and none of the Slack app's. These tests import
``engine`` and ``excel`` in a subprocess where every optional package is refused by a meta-path
finder, with and without xlwings itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from excel import build_lite

REPO = Path(__file__).resolve().parents[2]

_CALLS = """
import json, sys
import engine
{load}
out = {{
    "fx": f.aigc_fx("USD", "CNY"),
    "memory": f.aigc_gpu("H100", "memory_gb"),
    "cost": f.aigc_cost(1.17e8, "P4", 0.3),
    "column": f.aigc_cost([[1.17e8], [7e9]], "H100", 2.0),
    "estimate_rows": len(f.aigc_estimate("1.17e8 P4 0.3")),
    "loaded": sorted(m.split(".")[0] for m in sys.modules),
}}
print(json.dumps(out))
"""

_LOAD_PACKAGE = "from excel import functions as f"
_LOAD_MAIN = """
import types
f = types.ModuleType("main")
exec(compile(open("excel/lite/main.py").read(), "main.py", "exec"), f.__dict__)
"""


def _expected() -> dict[str, Any]:
    from excel import functions as f

    return {
        "fx": f.aigc_fx("USD", "CNY"),
        "memory": f.aigc_gpu("H100", "memory_gb"),
        "cost": f.aigc_cost(1.17e8, "P4", 0.3),
        "column": f.aigc_cost([[1.17e8], [7e9]], "H100", 2.0),
        "estimate_rows": len(f.aigc_estimate("1.17e8 P4 0.3")),
    }


@pytest.mark.parametrize("with_xlwings", [True, False], ids=["xlwings", "no-xlwings"])
@pytest.mark.parametrize("load", [_LOAD_PACKAGE, _LOAD_MAIN], ids=["package", "main.py"])
def test_runs_with_optional_packages_blocked(
    run_blocked: Any, optional_packages: tuple[str, ...], load: str, with_xlwings: bool
) -> None:
    blocked = optional_packages + (() if with_xlwings else ("xlwings",))
    got = run_blocked(_CALLS.format(load=load), blocked=blocked)
    loaded = set(got.pop("loaded"))
    assert not loaded & set(blocked)
    assert ("xlwings" in loaded) == with_xlwings
    assert got == _expected()


def test_blocker_really_blocks(run_blocked: Any) -> None:
    got = run_blocked(
        """
        import json
        try:
            import slack_bolt
            print(json.dumps("imported"))
        except ModuleNotFoundError as err:
            print(json.dumps(str(err)))
        """
    )
    assert "blocked by the test" in got


def test_generated_main_py_is_current() -> None:
    assert (REPO / "excel" / "lite" / "main.py").read_text(encoding="utf-8") == build_lite.render()
    assert build_lite.main(["--check"]) == 0


def test_lite_requirements_are_pure_python_or_pyodide() -> None:
    lines = (REPO / "excel" / "lite" / "requirements.txt").read_text(encoding="utf-8").splitlines()
    packages = [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]
    # gpucost is not on PyPI: a bare "gpucost" would install nothing, or a squatter's package.
    assert packages == ["xlwings", "pydantic"]
    # pydantic ships with Pyodide, whose version it is tied to: it must not be pinned.
    assert all(not any(op in p for op in "=<>~") for p in packages)


def test_bundle_runs_without_the_gpucost_package(
    tmp_path: Path, run_blocked: Any, optional_packages: tuple[str, ...]
) -> None:
    """The self-contained main.py imports the engine it carries, not an installed one."""
    main_py, requirements = build_lite.write_bundle(tmp_path / "lite")
    assert requirements.read_text(encoding="utf-8").split() == ["xlwings", "pydantic"]
    code = f"""
    import json, sys, types
    # No gpucost here: drop the checkout from sys.path and the editable install's finder.
    sys.path = [p for p in sys.path if p not in ("", {str(REPO)!r})]
    sys.meta_path = [f for f in sys.meta_path if "__editable__" not in getattr(f, "__module__", "")]
    import importlib.util
    assert importlib.util.find_spec("engine") is None, importlib.util.find_spec("engine")
    f = types.ModuleType("main")
    exec(compile(open({str(main_py)!r}).read(), "main.py", "exec"), f.__dict__)
    print(json.dumps({{"cost": f.aigc_cost(1.17e8, "P4", 0.3), "engine": f.engine.__file__}}))
    """
    got = run_blocked(code, blocked=optional_packages)
    assert "gpucost-engine-" in got["engine"]
    from excel import functions as fn

    assert got["cost"] == fn.aigc_cost(1.17e8, "P4", 0.3)


def test_bundle_is_reproducible() -> None:
    assert build_lite.render_bundle() == build_lite.render_bundle()
    assert build_lite.render().split("# ---- from excel/_shape.py")[1] in build_lite.render_bundle()


def test_lite_pyproject_names_the_plugin() -> None:
    import tomllib

    project = tomllib.loads((REPO / "excel" / "lite" / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["name"] == "gpucost-excel" and project["version"]
