"""The README's examples are real: each marked block is the current output of its command."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_readme_examples_are_current():
    p = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "readme_examples.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr


def test_readme_first_screen_has_the_two_commands():
    head = (ROOT / "README.md").read_text(encoding="utf-8")[:1500]
    assert "pip install . && gpucost 1.17e8 P4 0.3" in head
    assert "python -m pytest" in head
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "python3 -m pytest" in ci and "gpucost 1.17e8 P4 0.3" in ci


def test_readme_prose_numbers_follow_the_engine():
    """The 'what the article's example really costs' paragraph quotes live numbers."""
    import engine

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    r = engine.run("1.17e8 P4 0.3元")
    assert f"about **{round(r.tokens_per_s, -1):,.0f} output tokens/s on one P4**" in text
    assert f"**¥{r.replica_cost_per_request:.7f} of one replica's time per request**" in text
    assert f"**¥{r.cost_per_request:.7f} per request**" in text
    assert r.cost_per_request * 10e6 == pytest.approx(r.cost_per_day)
    assert f"needs {r.gpus} P4s, ¥{r.cost_per_day:.0f}" in text
    d = engine.run("daily gpt-3-175b A100-80G 3usd requests=10M in=500 out=300")
    assert f"needs {d.replicas} replicas, {d.gpus} GPUs" in text


def test_accuracy_table_is_current(tmp_path):
    """docs/accuracy.md (and the README table) is what bench/accuracy.py prints today."""
    out = tmp_path / "accuracy.md"
    p = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "accuracy.py"), "--markdown", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr
    table = out.read_text(encoding="utf-8").rstrip("\n")
    doc = (ROOT / "docs" / "accuracy.md").read_text(encoding="utf-8")  # the case schema, then the results
    results = doc.split("<!-- results: python bench/accuracy.py --markdown docs/accuracy.md -->\n", 1)[1]
    assert table == results.split("\n<!-- /results -->", 1)[0]
    assert table in (ROOT / "README.md").read_text(encoding="utf-8")
