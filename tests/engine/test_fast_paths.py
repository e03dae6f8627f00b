"""The spreadsheet column path gives the same numbers as one estimate per row, an inferred shape's
dimensions equal the model object's, and results are plain data (compare, copy, pickle, round-trip)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from engine import run
from engine.architecture import dense_dims, infer_dense
from engine.batch import _plain_count, evaluate_many
from engine.catalog import resolve_model
from engine.errors import GpucostError
from engine.results import Result
from engine.units import parse_number

log_counts = st.floats(min_value=math.log(1e5), max_value=math.log(1e14)).map(
    lambda x: min(max(math.exp(x), 1e5), 1e14)
)


@settings(max_examples=300, deadline=None)
@given(log_counts)
def test_dense_dims_are_the_inferred_models_dims(n: float) -> None:
    assert dense_dims(n) == infer_dense(n).dims


@settings(max_examples=300, deadline=None)
@given(st.one_of(log_counts.map(repr), st.integers(min_value=10**5, max_value=10**14).map(str)))
def test_plain_counts_read_like_the_grammar(token: str) -> None:
    assert _plain_count(token) == parse_number(token, what="parameter count")


@pytest.mark.parametrize("token", ["117M", "1.17亿", "7e4", "1e15", "nan", "inf", "1_000_000", "-7e9", "0x10"])
def test_other_tokens_go_through_the_grammar(token: str) -> None:
    assert _plain_count(token) is None  # suffixes, CJK units, out of range, not a number: the grammar decides


def test_dims_by_hand() -> None:
    # Llama 2 70B: 80 layers, d 8192, 64 heads of 128, 8 KV heads, gated MLP 28672
    d = resolve_model("llama-2-70b").dims
    assert d.kv_elements == 2 * 80 * 8 * 128 and d.kv_heads == 8 and not d.kv_replicated
    assert d.attn_width == d.attn_width_decode == 64 * 128
    assert d.act_width == 4 * 8192 + 2 * 28672
    assert d.routed_expert_params == 0.0 and d.top_k_share == 0.0
    # DeepSeek-V3 (MLA, arXiv:2412.19437): latent 512 + RoPE key 64 per layer, replicated on every rank;
    # prefill attends with 128 heads of (128 + 64) Q.K and 128 A.V dims, decode in the latent space
    d = resolve_model("deepseek-v3").dims
    assert d.kv_elements == 61 * (512 + 64) and d.kv_replicated
    assert d.attn_width == 128 * ((128 + 64) + 128) // 2
    assert d.attn_width_decode == 128 * (2 * 512 + 64) // 2
    assert d.top_k_share == 8 / 256 and d.routed_expert_params > 0.9 * d.total_params
    # Mixtral 8x7B: 2 of 8 experts per token, each of width 14336, in all 32 layers
    d = resolve_model("mixtral-8x7b").dims
    assert d.top_k_share == 2 / 8 and d.routed_expert_params == 32 * 8 * 3 * 4096 * 14336


@pytest.mark.parametrize(
    "base, metric",
    [
        ("1e9 H100 2.5", "cost_per_request"),
        ("1e9 H100 2.5 in=2000 out=500", "tokens_per_s_per_gpu"),
        ("1e9 A100 1.5 dtype=int8", "cost_per_million_output_tokens"),
        ("1e9 8xH100 2usd", "gpus"),
        ("1e9 L4 0.8 batch=16 tpot_max=50ms", "tpot_s"),
        ("1e9 H100 2 batching=static", "memory_per_gpu_gb"),
    ],
)
def test_model_column_equals_one_estimate_per_row(base: str, metric: str) -> None:
    column: list[object] = [
        1.17e8,
        7e9,
        "7e10",
        405e9,
        "117M",
        "llama-3-70b",
        "mixtral-8x7b",
        3e12,
        "no-such-model",
        1e3,
    ]
    got = evaluate_many(base, "model", column, metric)
    rest = base.split(" ", 1)[1]
    for value, cell in zip(column, got, strict=True):
        token = repr(value) if isinstance(value, float) else str(value)
        try:
            want: object = getattr(run(f"{token} {rest}"), metric)
        except GpucostError as exc:
            want = str(exc)
        if isinstance(want, float):
            assert cell == pytest.approx(want, rel=1e-12), (token, cell, want)
        else:
            assert cell == want, (token, cell, want)


def test_trace_is_plain_data_kept_in_json_and_pickles() -> None:
    import pickle

    for q in ("daily llama-3-70b H100 requests=5M", "1.17e8 P4 0.3", "train llama-2-7b H100 2usd"):
        r = run(q)
        steps = r.trace
        assert steps and r.to_json_dict()["trace"] == [s.model_dump(mode="json") for s in steps]
        assert r.model_copy().trace == steps
        assert pickle.loads(pickle.dumps(r)) == r
    assert run("daily llama-3-70b H100 requests=5M").trace[0].name == "weights"


def test_result_refuses_unknown_fields() -> None:
    with pytest.raises(ValueError, match="cost_per_requets"):
        Result(kind="inference", query="x", cost_per_requets=1.0)


def test_home_of_an_unknown_user_is_a_one_line_error() -> None:
    with pytest.raises(GpucostError, match=r"cannot expand '~0/config\.json': no such user"):
        run("~0/config.json H100")


def test_depth_interpolation_at_every_gpt3_size_to_the_last_ulp() -> None:
    from engine.architecture import _GPT3_SHAPES

    for n0, layers, _ in _GPT3_SHAPES:
        n = n0
        for _ in range(12):  # a dozen ulps each side: log(n) rounds onto the knot
            for x in (n, n0 + (n0 - n)):
                assert infer_dense(x).n_layers >= 2
                assert dense_dims(x) == infer_dense(x).dims
            n = math.nextafter(n, 0)
        assert infer_dense(n0).n_layers == layers
    assert run("174999999999.99997 H100").tokens_per_s > 0  # once an IndexError


def test_result_round_trips_and_compares_by_value() -> None:
    r = run("daily llama-3-70b H100 requests=5M")
    assert r == run("daily llama-3-70b H100 requests=5M")
    assert Result.model_validate(r.model_dump()) == r
    assert Result.model_validate_json(r.model_dump_json()) == r
    back = Result(**r.to_json_dict())
    assert back.trace == r.trace and back.cost_per_day == r.cost_per_day
    assert r != run("daily llama-3-70b H100 requests=6M")


def test_a_copied_model_recomputes_its_derived_numbers() -> None:
    a = infer_dense(7e9)
    assert a.dims.total_params == 7e9  # cached now
    b = a.model_copy(update={"params_override": 1.4e10})
    assert b.dims.total_params == 1.4e10 and b.forward_params() == 1.4e10
    assert a.dims.total_params == 7e9


@pytest.mark.parametrize("metric", ["kind", "title", "query", "assumptions", "no_such_field"])
def test_a_column_of_a_field_that_is_not_a_number_is_refused_in_one_line(metric: str) -> None:
    with pytest.raises(GpucostError, match=f"unknown metric '{metric}'"):
        evaluate_many("1e9 H100 2", "in", [100, 200], metric)


def test_results_apply_the_schema_rules() -> None:
    ok = Result(
        kind="inference", query="q", gpus=2.0, cost=3, trace=[{"name": "x", "formula": "1", "value": 1, "unit": "u"}]
    )
    assert ok.gpus == 2 and type(ok.gpus) is int and ok.cost == 3.0 and type(ok.cost) is float
    assert [s.name for s in ok.trace] == ["x"]
    for bad in ({"cost": float("nan")}, {"cost": float("inf")}, {"gpus": 1.5}, {"kind": "nope"}, {"bogus": 1}):
        with pytest.raises(ValidationError):
            Result(**{"kind": "inference", "query": "q", **bad})
    with pytest.raises(ValidationError):  # a breakdown line is validated as one too
        Result(kind="inference", query="q", breakdown=[{"component": "a", "quantity": float("nan")}])


def test_inference_fields_are_in_json_key_order() -> None:
    from engine.costs import INFERENCE_FIELDS

    assert INFERENCE_FIELDS == tuple(k for k in Result.JSON_KEYS if k in INFERENCE_FIELDS)
    assert set(INFERENCE_FIELDS) <= set(Result.NUMBER_KEYS)
