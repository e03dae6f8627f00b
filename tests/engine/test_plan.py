"""``gpucost plan``: rows that reproduce exactly through their own query, limits held, the ranking and
the frontier, the API offers and the break-even against hand computations, bad input in one line."""

from __future__ import annotations

import contextlib
import io
import math

import pytest

import engine
from engine.breakeven import Pool, break_even, cost, self_hosted, slope
from engine.cli import main
from engine.planner import COLUMNS, _pareto

Q70 = "plan llama-3-70b gpus=H100,A100-80G,L40S requests=1M in=1000 out=300 tpot_max=50ms ttft_max=2s"
QOSS = "plan gpt-oss-120b gpus=H100,GH200 requests=1M in=512 out=256"
#: Fields a row's daily query must give back exactly: row column -> Result field.
SAME = {
    "cost_per_day": "cost_per_day",
    "gpus": "gpus",
    "gpus_per_replica": "gpus_per_replica",
    "replicas": "replicas",
    "batch": "batch",
    "ttft_s": "ttft_s",
    "ttft_loaded_s": "ttft_loaded_s",
    "tpot_s": "tpot_s",
    "price_per_gpu_hour": "price_per_gpu_hour",
    "cost_per_million_output_tokens": "cost_per_million_output_tokens",
    "tokens_per_s_per_gpu": "tokens_per_s_per_gpu",
}


def rows(r: engine.Result) -> list[dict]:
    assert r.table is not None
    return [dict(zip(r.table.columns, row, strict=True)) for row in r.table.rows]


def reproduces(row: dict, config=None) -> None:
    d = engine.run(row["query"], config, trace=False)
    assert d.kind == "daily"
    assert d.query == row["query"]  # the row's query is already canonical
    got = {k: getattr(d, f) for k, f in SAME.items()}
    assert got == {k: row[k] for k in SAME}, row["query"]


@pytest.fixture(scope="module")
def p70() -> engine.Result:
    return engine.run(Q70)


def test_table_has_the_issue_columns(p70):
    need = {"query", "gpu", "gpus", "gpus_per_replica", "dtype", "engine", "provider", "region", "cost_per_day",
            "cost_per_million_output_tokens", "ttft_s", "tpot_s", "pareto"}  # fmt: skip
    assert need <= set(p70.table.columns)
    assert p70.table.columns == COLUMNS
    data = p70.to_json_dict()
    assert data["kind"] == "plan" and data["table"]["rows"]
    assert data["api"] == [] and data["break_even_requests_per_day"] is None  # no offer for Llama 3 70B


def test_best_row_reproduces_exactly_and_is_the_headline(p70):
    best = rows(p70)[0]
    reproduces(best)
    assert (p70.cost_per_day, p70.gpus, p70.ttft_s, p70.tpot_s) == (
        best["cost_per_day"], best["gpus"], best["ttft_s"], best["tpot_s"]
    )  # fmt: skip
    assert p70.inputs["best_query"] == best["query"]


def test_rows_of_every_kind_reproduce_exactly(p70):
    """One row per (serving mode, engine, precision, batch asked or not), and every 50th."""
    seen, picked = set(), []
    for i, row in enumerate(rows(p70)):
        key = (row["serving"], row["engine"], row["dtype"], "batch=" in row["query"], row["provider"])
        if key not in seen or i % 50 == 0:
            seen.add(key)
            picked.append(row)
    assert any(r["serving"] == "disaggregated" for r in picked) and any("batch=" in r["query"] for r in picked)
    assert {"vllm", "trtllm"} <= {r["engine"] for r in picked}
    for row in picked:
        reproduces(row)


@pytest.mark.parametrize(
    "query",
    [
        "plan mixtral-8x7b gpus=H100@2.5usd,A100@12元 users=100k per_user=5 currency=CNY tpot_max=40ms",
        "plan qwen3-30b-a3b gpus=L40S,H100 tokens_in=1e9 tokens_out=2e8 requests=1M cache_hit=0.5",
        "plan llama-3-8b gpus=L4,A10G spot peak=2 util=0.6 disagg=false",
        "plan gpt-oss-20b gpus=H100 provider=aws disagg",
        "plan deepseek-v3 gpus=H200 engine=sglang dtype=fp8 requests=2M tpot_max=60ms",
    ],
)
def test_rows_reproduce_with_given_prices_currencies_spot_and_traffic(query):
    r = engine.run(query)
    table = rows(r)
    for row in table[:3] + table[3::17]:
        reproduces(row)


def test_rows_reproduce_with_a_settings_override():
    override = engine.PriceOverride(gpu="H100", price_per_gpu_hour=1.85, currency="USD")
    cfg = engine.EngineConfig(price_overrides=(override,))
    r = engine.run("plan llama-3-8b gpus=H100,L4 requests=1M", cfg)
    h100 = [row for row in rows(r) if row["gpu"] == "H100"]
    assert h100 and all(row["price_per_gpu_hour"] == 1.85 and row["provider"] == "settings" for row in h100)
    for row in h100[:3]:
        reproduces(row, cfg)


def test_every_listed_row_meets_the_limits(p70):
    for row in rows(p70):
        assert row["tpot_s"] <= 0.05
        held = row["ttft_s"] if row["ttft_loaded_s"] is None else row["ttft_loaded_s"]  # see engine.plan
        assert held <= 2.0
        assert row["gpu"] in ("H100", "A100-80G", "L40S")


def test_rows_are_ranked_by_cost_per_day(p70):
    table = rows(p70)
    assert [row["rank"] for row in table] == list(range(1, len(table) + 1))
    costs = [row["cost_per_day"] for row in table]
    assert costs == sorted(costs)
    assert p70.cost_per_day == costs[0]


def test_frontier_is_the_set_no_other_row_beats(p70):
    table = rows(p70)
    for i, row in enumerate(table):
        c, t = row["cost_per_million_output_tokens"], row["tpot_s"]
        beaten = any(
            o["cost_per_million_output_tokens"] <= c and o["tpot_s"] <= t
            and (o["cost_per_million_output_tokens"] < c or o["tpot_s"] < t or j < i)  # exact twins: the first
            for j, o in enumerate(table)
            if j != i
        )  # fmt: skip
        assert row["pareto"] is (not beaten), row["query"]


def test_frontier_on_a_hand_built_example():
    # (name, cost per M output tokens, TPOT): B beats C (as fast, cheaper) and D (faster... no: as fast,
    # cheaper); E is the cheapest and slowest; F is A's exact twin, ranked after it.
    hand = [("A", 1.0, 0.05), ("B", 2.0, 0.03), ("C", 2.5, 0.03), ("D", 3.0, 0.04), ("E", 0.5, 0.1), ("F", 1.0, 0.05),
            ("G", 4.0, 0.01)]  # fmt: skip
    table = [
        {"rank": i, "name": n, "cost_per_million_output_tokens": c, "tpot_s": t} for i, (n, c, t) in enumerate(hand, 1)
    ]
    _pareto(table)
    assert {row["name"] for row in table if row["pareto"]} == {"A", "B", "E", "G"}


def test_search_is_counted_and_timed(p70):
    assert p70.inputs["configurations_evaluated"] >= p70.inputs["configurations_meeting_limits"] >= p70.inputs["rows"]
    assert p70.inputs["elapsed_s"] > 0
    line = next(a for a in p70.assumptions if a.name == "search")
    assert "configurations evaluated" in line.value and " s;" in line.value


# ---- the API and the break-even -----------------------------------------------------------------------------------


def test_break_even_single_configuration_by_hand():
    # one replica: 100 per day, 1,000 requests/day; API 0.15 per request. Self-hosting is not cheaper
    # where n(r) x 100 >= 0.15 r: in the second step (1,000, 2,000] up to r = 200 / 0.15 = 1,333.3;
    # from the third step on, 100 n < 0.15 x 1,000 (n - 1) for all n >= 3.
    c = [[Pool(100.0, 1000.0)]]
    assert break_even(c, 0.15) == pytest.approx(200 / 0.15)
    assert cost(c[0], 200 / 0.15) == pytest.approx(0.15 * 200 / 0.15)
    assert break_even(c, 0.2) == pytest.approx(500.0)  # n = 1 only: 100 = 0.2 r
    assert slope(c[0]) == pytest.approx(0.1)
    assert break_even(c, 0.1) is None and break_even(c, 0.05) is None  # slope >= k: the API always costs less


def test_break_even_two_configurations_by_hand():
    # A: 100/day, 1,000 req/day; B: 30/day, 200 req/day; API 0.2/request. On (400, 600] B costs 90 and A 100:
    # self-hosting is not cheaper up to 90 / 0.2 = 450; above, min(A, B) < 0.2 r everywhere.
    c = [[Pool(100.0, 1000.0)], [Pool(30.0, 200.0)]]
    assert break_even(c, 0.2) == pytest.approx(450.0)
    for r in (450.001, 500, 600.5, 999, 1000.5, 1399, 5000, 123456):
        assert self_hosted(c, r) < 0.2 * r
    assert self_hosted(c, 449.99) >= 0.2 * 449.99


def test_break_even_disaggregated_pools_by_hand():
    # prefill pool 50/day per replica for 500 req/day, decode 80/day for 2,000 req/day; API 0.3/request:
    # slope 0.1 + 0.04 = 0.14 < 0.3, bound (50 + 80) / 0.16 = 812.5; on (500, 812.5] the cost is
    # 2 x 50 + 80 = 180 = 0.3 r at r = 600.
    c = [[Pool(50.0, 500.0), Pool(80.0, 2000.0)]]
    assert break_even(c, 0.3) == pytest.approx(600.0)
    grid = [600.0 + 0.5 * i for i in range(1, 20000)]
    assert all(cost(c[0], r) < 0.3 * r for r in grid)


def test_api_offers_priced_by_hand():
    r = engine.run(QOSS)
    groq = next(o for o in r.api if o.provider == "groq")
    # 1M requests x (512 x $0.15 + 256 x $0.60) per million tokens
    assert groq.cost_per_day == pytest.approx(1e6 * (512 * 0.15 + 256 * 0.60) / 1e6)
    assert groq.usd_per_million_cached_input_tokens == 0.075 and groq.as_of and groq.source.startswith("https://")
    assert [o.cost_per_day for o in r.api] == sorted(o.cost_per_day for o in r.api)
    data = r.to_json_dict()["api"][0]
    assert {"provider", "model", "usd_per_million_input_tokens", "usd_per_million_output_tokens",
            "usd_per_million_cached_input_tokens", "cost_per_day", "as_of", "source"} <= set(data)  # fmt: skip


def test_break_even_in_a_plan_is_where_self_hosting_starts_to_win():
    r = engine.run(QOSS)
    even = r.break_even_requests_per_day
    assert even is not None and even > 0

    def at(requests: float) -> tuple[float, float]:
        p = engine.run(QOSS.replace("requests=1M", f"requests={requests!r}"))
        return p.cost_per_day, p.api[0].cost_per_day

    self_cost, api_cost = at(even)
    assert self_cost == pytest.approx(api_cost, rel=1e-9)  # at the break-even both cost the same
    for factor in (1 + 1e-6, 1.3, 2, 10):
        self_cost, api_cost = at(even * factor)
        assert self_cost < api_cost
    self_cost, api_cost = at(even * (1 - 1e-6))
    assert self_cost >= api_cost


def test_no_break_even_when_the_api_always_costs_less():
    r = engine.run("plan gpt-oss-120b gpus=H100@500usd requests=1M")
    assert r.api and r.break_even_requests_per_day is None
    assert r.to_json_dict()["break_even_requests_per_day"] is None
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["plan", "gpt-oss-120b", "gpus=H100@500usd", "requests=1M"]) == 0
    assert "none: the API costs less at every traffic" in out.getvalue()


# ---- bad input: one line each ----------------------------------------------------------------------------------


def one_line_error(argv: list[str]) -> str:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        assert main(argv) == 2
    text = err.getvalue().strip()
    assert "\n" not in text and "Traceback" not in text
    return text


def test_unknown_gpu_in_gpus_is_one_line_with_suggestions():
    text = one_line_error(["plan", "llama-3-70b", "gpus=H100,H1000"])
    assert "unknown GPU 'H1000' in gpus=" in text and "did you mean" in text and "'H100'" in text


def test_limits_no_configuration_meets_name_the_closest():
    text = one_line_error(["plan", "llama-3-70b", "gpus=H100,L40S", "tpot_max=1ms"])
    assert "no configuration meets tpot_max=1ms: the closest is" in text
    assert "H100" in text and "TPOT" in text and "x the limit" in text


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["plan", "llama-3-70b", "H100"], "plan takes a model and options"),
        (["plan", "llama-3-70b", "gpus=8xH100"], "the planner picks the GPUs per replica"),
        (["plan", "llama-3-70b", "gpus=910B"], "no price for Ascend 910B"),
        (["plan", "llama-3-70b", "provider=nosuch"], "unknown provider 'nosuch'"),
        (["plan", "llama-3-70b", "tp=4"], "does not apply to the planner"),
        (["plan", "llama-3-70b", "gpus=H100,H100"], "names H100 SXM5 80GB twice"),
        (["plan", "llama-3-70b", "gpus=tpu-v5e", "engine=trtllm"], "trtllm does not run on Google accelerators"),
        (["plan"], "names no model"),
    ],
)
def test_bad_plan_input_is_one_line(argv, says):
    assert says in one_line_error(argv)


def test_engines_follow_hardware_support():
    r = engine.run("plan llama-3-8b gpus=T4,P4,H100 requests=100k")
    by_gpu: dict[str, set[str]] = {}
    for row in rows(r):
        by_gpu.setdefault(row["gpu"], set()).add(row["engine"])
    assert by_gpu["P4"] == {"hf"}  # Pascal: none of vLLM, SGLang, TensorRT-LLM
    assert "sglang" not in by_gpu["T4"] and "trtllm" not in by_gpu["T4"]  # Turing: vLLM only
    assert by_gpu["H100"] <= {"vllm", "sglang", "trtllm"}


def test_text_shows_the_best_row_and_its_query():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["plan", "gpt-oss-120b", "gpus=H100,GH200", "requests=1M"]) == 0
    text = out.getvalue()
    r = engine.run("plan gpt-oss-120b gpus=H100,GH200 requests=1M")
    assert f"best row: gpucost {r.inputs['best_query']}" in text
    assert "The cheapest 10 of" in text and "Frontier:" in text and "API offers for the same workload" in text
    assert "break-even" in text and math.isfinite(r.break_even_requests_per_day or 0)


def test_a_row_on_a_gpu_named_by_a_number_reproduces() -> None:
    # "4x4090" is not read as a count and a GPU: rows write a one-word, non-numeric alias
    from engine.catalog import resolve_gpu

    assert resolve_gpu("4090").query_name == "RTX4090"
    r = engine.run("daily gpt-oss-120b 4xRTX4090 2usd")
    assert r.gpus_per_replica == 4 and "4xRTX4090" in r.query
