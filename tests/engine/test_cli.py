"""The command line, run the way a user runs it: the installed ``gpucost`` console script."""

import json
import os
import shutil
import subprocess
import sys

import pytest

GPUCOST = shutil.which("gpucost")


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    cmd = [GPUCOST, *args] if GPUCOST else [sys.executable, "-m", "engine", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=60)


def test_console_script_is_installed():
    assert GPUCOST, "pip install -e . installs the gpucost console script"


def test_article_example_prints_a_readable_answer():
    p = cli("1.17e8", "P4", "0.3")
    assert p.returncode == 0, p.stderr
    out = p.stdout
    for text in (
        "cost per request",
        "GPUs per replica",
        "output tokens/s",
        "Assumptions:",
        "query: 1.17e8 P4 0.3",
        "prefill (busy GPU time)",
        "total",
    ):
        assert text in out


def test_json_output_has_the_stable_keys():
    p = cli("--json", "daily", "llama-3-70b", "H100", "requests=5M", "in=800", "out=400")
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert d["kind"] == "daily" and d["currency"] == "USD"
    for k in (
        "gpus",
        "replicas",
        "cost_per_day",
        "cost_per_month",
        "cost_per_request",
        "assumptions",
        "warnings",
        "breakdown",
        "query",
    ):
        assert k in d
    assert d["gpus"] == d["replicas"] * d["gpus_per_replica"]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["1.17e8", "P44", "0.3"], "did you mean"),
        (["70B", "H100", "in=abc"], "not a number"),
        (["70B"], "names no GPU"),
        (["70B", "H100", "x=1"], "unknown option"),
    ],
)
def test_bad_input_exits_2_with_one_line(args, fragment):
    p = cli(*args)
    assert p.returncode == 2
    assert p.stdout == ""
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0] and "Traceback" not in p.stderr


def test_settings_from_environment_and_dotenv(tmp_path):
    p = cli("--json", "1.17e8", "P4", "0.3", env={"GPUCOST_CURRENCY": "CNY", "GPUCOST_CNY_PER_USD": "7"})
    d = json.loads(p.stdout)
    assert d["currency"] == "CNY" and d["price_per_gpu_hour"] == pytest.approx(0.3)
    (tmp_path / ".env").write_text("GPUCOST_CURRENCY=CNY\n")
    q = subprocess.run(
        [GPUCOST or sys.executable, *([] if GPUCOST else ["-m", "engine"]), "--json", "7B", "H100"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert json.loads(q.stdout)["currency"] == "CNY"
    bad = cli("7B", "H100", env={"GPUCOST_CNY_PER_USD": "abc"})
    assert bad.returncode == 2 and "GPUCOST" in bad.stderr


def test_listings_and_help():
    assert "gpucost:" in cli("help").stdout
    gpus = cli("gpus")
    assert gpus.returncode == 0 and "h100-sxm-80gb" in gpus.stdout
    assert "llama-3.1-405b" in cli("models").stdout
    prices = json.loads(cli("--json", "prices", "H100", "spot").stdout)
    assert prices["table"]["rows"] and all(r[5] == "spot" for r in prices["table"]["rows"])


def test_import_skypilot_into_price_file(tmp_path):
    vms = tmp_path / "vms.csv"
    vms.write_text(
        "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,Region,Price,SpotPrice\n"
        "big.8x,H100,8,96,1024,us-x1,16.0,8.0\nsmall,,,2,4,us-x1,0.1,0.05\n"
    )
    price_file = tmp_path / "prices.csv"
    env = {"GPUCOST_PRICE_FILE": str(price_file)}
    p = cli("prices", "import-skypilot", str(vms), env=env)
    assert p.returncode == 2 and "which cloud is 'vms.csv'" in p.stderr and "provider=" in p.stderr
    p = cli("prices", "import-skypilot", str(vms), "provider=aws", env=env)
    assert p.returncode == 0, p.stderr
    assert "imported 2 prices" in p.stdout and "1 without an accelerator" in p.stdout
    d = json.loads(cli("--json", "7B", "H100", env=env).stdout)
    assert d["price_per_gpu_hour"] == pytest.approx(2.0)  # 16.0 per instance-hour / 8 GPUs
    assert any("big.8x" in a["value"] for a in d["assumptions"])


def test_console_script_delivers_all_output_before_its_fast_exit(capsys):
    """The console script ends with ``os._exit`` (no interpreter teardown): a large answer through a
    pipe still arrives whole, byte for byte what ``main()`` prints in-process, with its exit code."""
    from engine.cli import main

    assert main(["--json", "prices"]) == 0
    expected = capsys.readouterr().out
    assert len(expected) > 200_000  # several times a pipe's buffer: the writer must block and flush
    p = cli("--json", "prices")
    assert p.returncode == 0, p.stderr
    assert p.stdout == expected
    assert len(json.loads(p.stdout)["table"]["rows"]) > 1000
    bad = cli("1.17e8", "P4", "0.3", "tp=x")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and bad.stdout == ""


def test_console_entry_turns_pydantic_plugins_off_before_building_models():
    """The console entry imports the engine early (to freeze its objects); pydantic's plugin scan
    (every installed distribution's metadata) must already be off, as ``main`` intends."""
    code = (
        "import importlib.metadata as m, sys\n"
        "real = m.distributions\n"
        "def scan(*a, **k):\n"
        "    sys.stderr.write('PLUGIN SCAN\\n')\n"
        "    return real(*a, **k)\n"
        "m.distributions = scan\n"
        "sys.argv = ['gpucost', '1.17e8', 'P4', '0.3']\n"
        "from engine.cli import entry\n"
        "entry()\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "PLUGIN SCAN" not in p.stderr and "cost per request" in p.stdout
    v = cli("--version")
    assert v.returncode == 0 and v.stdout.startswith("gpucost ")


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs Linux's /dev/full")
def test_an_answer_that_cannot_be_written_is_one_line_not_a_traceback():
    cmd = [GPUCOST, "1.17e8", "P4", "0.3"] if GPUCOST else [sys.executable, "-m", "engine", "1.17e8", "P4", "0.3"]
    with open("/dev/full", "w") as full:  # every write fails: no space left on device
        p = subprocess.run(cmd, stdout=full, stderr=subprocess.PIPE, text=True, timeout=60)
    assert p.returncode == 1 and p.stderr.count("\n") == 1 and "cannot write the answer" in p.stderr
    closed = subprocess.run(cmd, stderr=subprocess.PIPE, text=True, timeout=60, preexec_fn=lambda: os.close(1))
    assert closed.returncode == 1 and closed.stderr.count("\n") == 1 and "output is closed" in closed.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GPUCOST_CNY_PER_USD", "-5"),
        ("GPUCOST_CNY_PER_USD", "1e308"),
        ("GPUCOST_CNY_PER_USD", "1e6"),
        ("GPUCOST_CNY_PER_USD", "nan"),
        ("GPUCOST_CURRENCY", "eur"),
    ],
)
def test_a_bad_setting_names_the_variable_and_the_allowed_values(name: str, value: str) -> None:
    bad = cli("7B", "H100", env={name: value})
    lines = bad.stderr.strip().splitlines()
    assert bad.returncode == 2 and len(lines) == 1, bad.stderr
    assert name in lines[0] and "validation error" not in lines[0] and "internal error" not in lines[0]
    assert ("from 1 to 20" in lines[0]) if name == "GPUCOST_CNY_PER_USD" else ("USD or CNY" in lines[0])


@pytest.mark.parametrize(
    "args",
    [
        ["import", "a" * 300, "P4"],
        ["a" * 300 + ".json", "H100"],
        ["calibrate", "x", "a" * 300, "7B", "8xP4"],
        ["prices", "import-skypilot", "/tmp/" + "a" * 300],
    ],
)
def test_a_path_name_over_255_bytes_is_bad_input_not_an_internal_error(args: list[str], tmp_path) -> None:
    """Issue: what a new user trips on, item 14."""
    p = cli(*args, env={"GPUCOST_PRICE_FILE": str(tmp_path / "prices.csv")})
    assert p.returncode == 2 and "too long" in p.stderr and "internal error" not in p.stderr, p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and len(p.stderr) < 300


def test_a_settings_path_over_255_bytes_is_bad_input() -> None:
    p = cli("7B", "H100", env={"GPUCOST_PRICE_FILE": "/tmp/" + "a" * 300})
    assert p.returncode == 2 and "too long" in p.stderr, p.stderr
