"""``gpucost curve``: each point reproduces through its inference query; the frontier is the envelope."""

from __future__ import annotations

import pytest

import engine


def points(r: engine.Result) -> list[dict]:
    assert r.table is not None
    return [dict(zip(r.table.columns, row, strict=True)) for row in r.table.rows]


@pytest.fixture(scope="module")
def c70() -> engine.Result:
    return engine.run("curve llama-3-70b H100 2.5usd in=1000 out=300")


def test_every_point_reproduces_through_its_inference_query(c70):
    for p in points(c70):
        d = engine.run(p["query"], trace=False)
        assert d.kind == "inference" and d.query == p["query"]
        assert d.batch == p["batch"] and d.gpus_per_replica == p["gpus_per_replica"]
        assert d.tokens_per_s_per_gpu == p["tokens_per_s_per_gpu"]
        assert (d.tpot_s, d.ttft_s, d.ttft_loaded_s) == (p["tpot_s"], p["ttft_s"], p["ttft_loaded_s"])
        assert d.replica_cost_per_million_output_tokens == p["replica_cost_per_million_output_tokens"]
        assert p["tokens_per_s_per_user"] == 1 / p["tpot_s"]


def test_batches_are_powers_of_two_up_to_the_largest_that_fits(c70):
    by_layout: dict[str, list[int]] = {}
    for p in points(c70):
        by_layout.setdefault(p["layout"], []).append(p["batch"])
    assert set(by_layout) == {"TP2", "TP4", "TP8"}  # the layouts the replica search tries for a dense 70B model
    for batches in by_layout.values():
        assert batches[0] == 1 and batches == sorted(batches)
        assert all(b == 2**i for i, b in enumerate(batches[:-1]))


def test_frontier_is_the_envelope(c70):
    pts = points(c70)
    for p in pts:
        beaten = any(
            o["tokens_per_s_per_gpu"] >= p["tokens_per_s_per_gpu"]
            and o["tokens_per_s_per_user"] >= p["tokens_per_s_per_user"]
            and (o["tokens_per_s_per_gpu"] > p["tokens_per_s_per_gpu"]
                 or o["tokens_per_s_per_user"] > p["tokens_per_s_per_user"])
            for o in pts
            if o is not p
        )  # fmt: skip
        assert p["pareto"] is (not beaten)


def test_a_fixed_replica_gives_one_layout():
    r = engine.run("curve deepseek-v3 8xH200 dtype=fp8 tp=1 dp=8 ep=8")
    assert {(p["layout"], p["gpus_per_replica"]) for p in points(r)} == {("DP8, EP8", 8)}
    assert r.query == "curve deepseek-v3 8xH200 dp=8 dtype=fp8 ep=8 tp=1"
    p = points(r)[-1]
    d = engine.run(p["query"], trace=False)
    assert (d.tpot_s, d.tokens_per_s_per_gpu) == (p["tpot_s"], p["tokens_per_s_per_gpu"])
