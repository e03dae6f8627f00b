"""Host power in energy (issue 14 item 11): the rest of the server (CPUs, NICs, switches, fans) per
GPU from its datasheet rating, its own assumption line, in training and serving energy."""

import csv
from pathlib import Path

import pytest

from engine import run
from engine.catalog import resolve_gpu
from engine.energy import host_power, host_power_table

ROOT = Path(__file__).resolve().parents[2]


def test_train_energy_adds_the_dgx_a100_host_by_hand():
    r = run("train llama-2-7b 8xA100-80G 2usd tokens=1e9 seq=4096")
    host = (6500 - 8 * 400) / 8  # DGX A100: 6.5 kW max for 8 A100s of 400 W -> 412.5 W per GPU
    assert r.energy_kwh == pytest.approx(r.gpu_hours * (400 + host) * 1.2 / 1000, rel=1e-12)
    assert r.energy_cost == pytest.approx(r.energy_kwh * 0.10, rel=1e-12)
    line = next(a for a in r.assumptions if a.name == "host power per GPU")
    assert line.value.startswith("412.5 W (DGX A100") and "nvidia-dgx-a100-datasheet" in line.source
    step = next(s for s in r.trace if s.name == "energy")
    assert "host 412.5 W" in step.formula


def test_serving_energy_adds_the_dgx_h100_host_by_hand():
    r = run("daily llama-3-70b H100 2usd requests=1M")
    host = (10200 - 8 * 700) / 8  # DGX H100: 10.2 kW max for 8 H100s of 700 W -> 575 W per GPU
    assert r.energy_kwh == pytest.approx(r.gpus * 24 * (700 + host) * 1.2 / 1000, rel=1e-12)
    r = run("llama-3-70b H100 2usd")
    assert any(a.name == "host power per GPU" and a.value.startswith("575 W") for a in r.assumptions)


def test_power_option_sets_the_board_and_the_host_is_still_added():
    r = run("train llama-2-7b 8xB200 2usd tokens=1e9 seq=4096 power=800")
    host = (14300 - 8 * 1000) / 8  # DGX B200: 14.3 kW max
    assert r.energy_kwh == pytest.approx(r.gpu_hours * (800 + host) * 1.2 / 1000, rel=1e-12)


def test_a_gpu_without_a_sourced_server_says_so():
    r = run("train llama-2-7b 8xL4 1usd tokens=1e9 seq=4096")
    line = next(a for a in r.assumptions if a.name == "host power per GPU")
    assert line.value == "not counted" and "no datasheet server rating" in line.source
    assert r.energy_kwh == pytest.approx(r.gpu_hours * 72 * 1.2 / 1000, rel=1e-12)


def test_host_table_rows_are_sourced_and_match_the_gpu_catalog():
    shipped = (ROOT / "engine" / "catalog" / "data" / "host_power.csv").read_text(encoding="utf-8")
    assert shipped == (ROOT / "data" / "host_power.csv").read_text(encoding="utf-8")  # built from the source table
    rows = list(csv.DictReader(shipped.splitlines()))
    assert {r["system"] for r in rows} >= {"DGX A100", "DGX H100", "DGX B200"}
    for r in rows:
        assert r["source"].startswith("https://") and r["as_of"]
    for gid, h in host_power_table().items():
        acc = resolve_gpu(gid)
        assert acc.tdp_w == h.gpu_power_w, gid  # the server's GPU power is the catalog's board power
        assert 0 < h.host_w_per_gpu < 2 * h.gpu_power_w  # a server never draws 3x its GPUs
    assert host_power(resolve_gpu("A100")).host_w_per_gpu == 412.5
