"""Real Pyodide for the Excel tests and the bench: prepare it, build the project's wheel, run code.

:func:`pyodide_dir` runs ``.ci/pyodide.sh`` (npm ``pyodide`` + pydantic's WebAssembly wheels from
PyPI; idempotent, a no-op when CI already ran it) and :func:`run` executes Python code in Pyodide
under Node through ``tests/excel/pyodide_run.mjs``. Nothing here reaches the network except the
package registries that script installs from.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
RUNNER = Path(__file__).resolve().parent / "pyodide_run.mjs"
#: Where .ci/pyodide.sh puts the runtime (override with GPUCOST_PYODIDE_DIR).
DEFAULT_DIR = REPO / "build" / "pyodide"


def pyodide_dir() -> Path:
    """The prepared Pyodide folder (prepared now if missing or stale)."""
    target = Path(os.environ.get("GPUCOST_PYODIDE_DIR", DEFAULT_DIR))
    proc = subprocess.run(
        ["bash", str(REPO / ".ci" / "pyodide.sh"), str(target)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHON": sys.executable},
        timeout=600,
    )
    if proc.returncode != 0:
        raise RuntimeError(f".ci/pyodide.sh failed:\n{proc.stderr[-3000:]}")
    return Path(proc.stdout.strip().splitlines()[-1])


def project_wheel(out_dir: Path) -> Path:
    """Build gpucost's wheel (``pip wheel . --no-deps``) into ``out_dir`` from this checkout."""
    src = Path(tempfile.mkdtemp(prefix="gpucost-src-"))
    try:  # build from a copy: the checkout's build/ folder stays out of the wheel and the tree
        for name in ("pyproject.toml", "README.md", "engine", "bot", "excel"):
            path = REPO / name
            if path.is_dir():
                shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                shutil.copy2(path, src / name)
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--no-deps",
                "-q",
                "--disable-pip-version-check",
                "-w",
                str(out_dir),
                ".",
            ],
            capture_output=True,
            text=True,
            cwd=src,
            timeout=600,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"pip wheel failed:\n{proc.stderr[-3000:]}")
    finally:
        shutil.rmtree(src, ignore_errors=True)
    return next(out_dir.glob("gpucost-*.whl"))


def run(code: str, files: dict[str, Path] | None = None, micropip: list[str] | None = None) -> dict[str, Any]:
    """Run ``code`` in Pyodide (its last expression: a JSON string) and return the runner's JSON."""
    root = pyodide_dir()
    job = {"files": {k: str(v) for k, v in (files or {}).items()}, "micropip": micropip or [], "code": code}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(job, handle)
    try:
        proc = subprocess.run(
            ["node", str(RUNNER), str(root), handle.name], capture_output=True, text=True, timeout=600, cwd=REPO
        )
    finally:
        os.unlink(handle.name)
    if proc.returncode != 0:
        raise RuntimeError(f"Pyodide run failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])
