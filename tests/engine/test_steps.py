"""The serving model's steps against hand computations (engine.step, engine.inference, engine.sizing).

Each expected value is written out from the formula in the module docstrings with the datasheet
numbers typed in, not taken from the function under test.
"""

from __future__ import annotations

import pytest

from engine import run
from engine.catalog import resolve_gpu, resolve_model
from engine.engines import ENGINES
from engine.errors import GpucostError
from engine.hardware import link, resolve_precision, scaleout_link
from engine.inference import Roofline
from engine.layout import Layout, alltoall_s, make_layout

A100 = resolve_gpu("A100-80G")  # 312 TFLOPS bf16, 2039 GB/s, 80 GB; vLLM's small tier (2048 tokens, 256 seqs)
H100 = resolve_gpu("H100")  # 989.4 TFLOPS bf16, 3350 GB/s, NVLink 900 GB/s; vLLM's 8192 tokens, 1024 seqs
LLAMA2_KV = 2 * 32 * 32 * 128 * 2  # llama-2-7b KV bytes per token in bf16 (MHA, 32 layers, 32 heads of 128)


def rf(acc, s_in: int, s_out: int, engine: str = "vllm", dtype: str = "bf16", **kw) -> Roofline:
    return Roofline(acc, resolve_precision(acc, dtype), 2.0, s_in, s_out, 0.55, 0.70, preset=ENGINES[engine], **kw)


def test_a_decode_step_by_hand() -> None:
    m = resolve_model("llama-2-7b")
    r = rf(A100, 100, 1)
    t = r.terms(m.dims, 1, 1)
    ctx = 100 + (1 + 1) / 2
    weights = m.total_params * 2 / (2039e9 * 0.70)
    # paged decode attention: 16 us per layer call + the KV bytes at 92% of HBM bandwidth
    attention = 32 * 16e-6 + ctx * LLAMA2_KV / (2039e9 * 0.92)
    assert t.decode.dense_mem == pytest.approx(weights, rel=1e-12)
    assert t.decode.attn_mem == pytest.approx(attention, rel=1e-12)
    assert t.decode.launch == pytest.approx(41e-6)  # one full CUDA-graph replay
    sampling = 1 * 32000 * 4 / (2039e9 * 0.70)  # one token's FP32 logits over the vocabulary
    assert t.t_step_decode == pytest.approx(weights + attention + sampling, rel=1e-12)


def test_tensor_parallel_allreduce_by_hand() -> None:
    m = resolve_model("llama-2-70b")
    t = rf(H100, 10, 1).terms(m.dims, 8, 1)
    alpha = 6.6e-6 + 2 * 7 * 0.6e-6  # NCCL ring LL model over 8 NVLink GPUs
    assert t.decode.tp_comm == pytest.approx(2 * 80 * (alpha + 2 * 7 / 8 * 8192 * 2 / 450e9), rel=1e-12)


def test_moe_reads_only_the_experts_a_batch_routes_to() -> None:
    mix = resolve_model("mixtral-8x7b")
    t = rf(H100, 10, 1).terms(mix.dims, 1, 1)
    experts = mix.expert_params() * 2
    assert t.decode.expert_mem == pytest.approx(experts * (1 - (1 - 2 / 8) ** 1) / (3350e9 * 0.7), rel=1e-12)
    assert t.decode.dense_mem == pytest.approx((mix.total_params * 2 - experts) / (3350e9 * 0.7), rel=1e-12)


def test_a_batch_prefill_streams_the_weights_once_per_step() -> None:
    # the bug: 256 prompts charged as 256 passes. Prompt chunks ride on decode steps, which
    # read the weights once whatever the number of tokens
    m = resolve_model("llama-2-7b")
    t = rf(H100, 1000, 250).terms(m.dims, 1, 64)
    assert t.chunk == pytest.approx(64 * 1000 / 250) and t.served == 64
    assert t.mixed.dense_mem == t.decode.dense_mem == pytest.approx(m.total_params * 2 / (3350e9 * 0.7))
    n, lm = m.forward_params(), 32000 * 4096
    flops = (64 + 256) * 2 * n - 256 * 2 * lm + 2 * lm  # the vocabulary runs once for the prompt chunk
    assert t.mixed.dense_cmp == pytest.approx(flops / (989.4e12 * 0.55), rel=1e-12)
    assert t.tpot == t.t_step and t.out_tps == pytest.approx(64 / t.t_step)
    assert t.t_prefill_batch / t.t_cycle == pytest.approx((t.t_step - t.t_step_decode) / t.t_step)


def test_the_step_budget_caps_the_decode_batch() -> None:
    m = resolve_model("llama-2-7b")
    t = rf(A100, 2000, 100).terms(m.dims, 1, 256)  # 256 decodes would bring 5,120 prompt tokens a step
    assert t.served == pytest.approx(2048 * 100 / 2100) and t.chunk == pytest.approx(2048 - 2048 * 100 / 2100)


def test_an_idle_replica_prefills_a_long_prompt_in_chunks_of_the_budget() -> None:
    m = resolve_model("llama-3-8b")
    r = rf(A100, 5000, 10)
    t = r.terms(m.dims, 1, 1)
    lay = Layout(tp=1)
    chunks = [
        r.step(m.dims, lay, 0, 2048, (2048**2 - 0) / 2, 1),
        r.step(m.dims, lay, 0, 2048, (4096**2 - 2048**2) / 2, 1),
        r.step(m.dims, lay, 0, 904, (5000**2 - 4096**2) / 2, 1),
    ]
    assert t.ttft == pytest.approx(sum(c.total for c in chunks), rel=1e-12)
    # an engine that runs whole prompts (TensorRT-LLM without chunked prefill): one pass
    whole = rf(A100, 5000, 10, "trtllm").terms(m.dims, 1, 1)
    assert whole.first.dense_cmp > chunks[0].dense_cmp * 2


def test_ttft_under_load_waits_for_the_running_step() -> None:
    m = resolve_model("llama-2-7b")
    t = rf(H100, 1000, 250).terms(m.dims, 1, 64)
    assert t.ttft_loaded > t.ttft and t.ttft_loaded >= t.t_step / 2 + t.ttft


def test_static_batching_waits_for_the_longest_reply() -> None:
    m = resolve_model("llama-2-7b")
    stat = rf(A100, 128, 128, "hf", static=True).terms(m.dims, 1, 32)
    assert stat.t_cycle == pytest.approx(stat.t_prefill_batch + 2 * 128 * 32 / 33 * stat.t_step_decode, rel=1e-12)
    fixed = rf(A100, 128, 128, "hf", static=True, spread=0.0).terms(m.dims, 1, 32)
    assert fixed.t_cycle == pytest.approx(fixed.t_prefill_batch + 128 * fixed.t_step_decode, rel=1e-12)


def test_eager_pytorch_is_launch_bound_at_batch_1() -> None:
    # gpt-fast's eager Llama-2-7B: ~1 ms of CPU per layer per forward pass bounds a small step
    m = resolve_model("llama-2-7b")
    t = rf(H100, 10, 10, "hf", static=True).terms(m.dims, 1, 1)
    assert t.decode.gpu < 32e-3 and t.t_step_decode == pytest.approx(32 * 1e-3)


def test_old_vllm_adds_its_host_work_to_every_step() -> None:
    m = resolve_model("llama-2-7b")
    old = rf(H100, 100, 100, "vllm@0.5").terms(m.dims, 1, 200)
    assert old.decode.host == pytest.approx(200 * 85e-6)
    assert old.t_step_decode == pytest.approx(max(old.decode.gpu, old.decode.launch) + 200 * 85e-6, rel=1e-12)
    new = rf(H100, 100, 100, "vllm").terms(m.dims, 1, 200)
    assert new.decode.host == 0 and new.t_step_decode < old.t_step_decode


def test_a_per_query_head_kernel_reads_each_kv_head_once_per_query_head() -> None:
    m = resolve_model("llama-2-70b")  # 64 query heads over 8 KV heads
    grouped = rf(H100, 2000, 100, "trtllm").terms(m.dims, 4, 64)
    per_head = rf(H100, 2000, 100, "trtllm@0.6").terms(m.dims, 4, 64)
    assert per_head.decode.kv_read == pytest.approx(8 * grouped.decode.kv_read)


def test_expert_parallel_all_to_all_by_hand() -> None:
    ds = resolve_model("deepseek-v3")
    h200 = resolve_gpu("H200")
    r = rf(h200, 2000, 500, dtype="fp8")
    lay = make_layout(16, 8, True, tp=1, dp=16, ep=16)
    st = r.step(ds.dims, lay, 100, 0, 0)
    up, _, _ = link(h200, 8)
    out, _, _ = scaleout_link(h200)
    alpha = max(link(h200, 8)[1], scaleout_link(h200)[1])
    dest = 16 * (1 - (1 - 1 / 16) ** 8)  # GPUs holding one of a token's 8 experts
    send = 100 * dest * 7168  # elements each GPU sends
    per_layer = alltoall_s(send * 1, 16, 8, alpha, up, out) + alltoall_s(send * 2, 16, 8, alpha, up, out)
    assert st.expert_comm == pytest.approx(58 * per_layer, rel=1e-12)  # 58 MoE layers, FP8 out, BF16 back
    # by hand: 7 of 15 peers in the node, 8 across: the slower of the two sends
    assert alltoall_s(1600.0, 16, 8, 0.0, 400.0, 50.0) == pytest.approx(max(1600 * 7 / 16 / 400, 1600 * 8 / 16 / 50))
    assert st.tp_comm == 0  # attention TP1 on each data-parallel rank


def test_each_data_parallel_rank_schedules_its_own_batch() -> None:
    r = run("deepseek-v3 16xH200 2usd dtype=fp8 tp=1 dp=16 ep=16 in=1000 out=100")
    assert r.inputs["dp"] == 16 and r.batch > 1024  # vLLM's 1,024 running sequences per rank, not per replica
    line = next(a for a in r.assumptions if a.name == "batch")
    assert "per data-parallel rank" in line.source and "16 rank(s)" in line.source


def test_a_moe_replica_picks_its_layout_and_says_why() -> None:
    r = run("deepseek-v3 16xH800 2usd dtype=fp8 in=2000 out=500")
    layout = next(a for a in r.assumptions if a.name == "parallel layout")
    assert "layouts tried" in layout.source and r.inputs["pp"] == 1  # not TP8 x PP2: an EP layout wins
    assert r.inputs["ep"] > 1


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("deepseek-v3 16xH800 dtype=fp8 ep=4", "ep=4 must equal the GPUs per pipeline stage"),
        ("llama-3-70b 8xH100 ep=8", "mixture-of-experts models only"),
        ("llama-3-70b 8xH100 tp=3", "not a multiple of tp=3"),
        ("llama-3-70b 16xH100 nodes=3", "do not split evenly over nodes=3"),
    ],
)
def test_bad_layouts_are_one_line(query: str, fragment: str) -> None:
    with pytest.raises(GpucostError, match=fragment):
        run(query)


def test_nodes_sets_the_gpus_per_node_the_links_see() -> None:
    one = run("llama-3-70b 8xH100 2usd tp=8")
    two = run("llama-3-70b 8xH100 2usd tp=8 nodes=2")  # the TP group crosses the scale-out network
    assert two.tpot_s > one.tpot_s and two.inputs["nodes"] == 2


def test_windowed_layers_keep_and_read_at_most_their_window() -> None:
    from engine.memory import attended_positions, kv_tokens

    oss = resolve_model("gpt-oss-120b").dims  # a 128-token sliding window on half the layers
    assert (oss.window, oss.window_layer_share) == (128, 0.5)
    assert kv_tokens(oss, 1000) == pytest.approx(0.5 * 1000 + 0.5 * 128)
    assert kv_tokens(oss, 100) == 100  # shorter than the window: every layer keeps all
    windowed = 128**2 / 2 + 128 * (1000 - 128)  # positions 0..128 attend to all before, later ones to 128
    assert attended_positions(oss, 0, 1000) == pytest.approx(0.5 * 1000**2 / 2 + 0.5 * windowed)
    # the decode step reads the windowed layers' 128 tokens, not the whole context
    r = rf(H100, 8000, 100)
    t = r.terms(oss, 1, 1)
    full_read = (8000 + 101 / 2) * t.kv_per_token_gpu
    assert t.decode.kv_read == pytest.approx(full_read * (0.5 + 0.5 * 128 / (8000 + 101 / 2)))


def test_experts_are_stored_as_released_unless_a_dtype_is_asked() -> None:
    oss = resolve_model("gpt-oss-120b")
    experts = oss.expert_params()
    released = run("gpt-oss-120b H100 2usd")
    bf16 = run("gpt-oss-120b H100 2usd dtype=bf16")
    w = {a.name: a for a in released.assumptions}
    assert "mxfp4" in w["routed experts"].value
    lay_r = Layout(tp=released.inputs["tp"], pp=released.inputs["pp"], dp=released.inputs["dp"])
    r = rf(H100, 512, 256, experts_as_released=True)
    assert r.weights(oss.dims) == pytest.approx((oss.total_params - experts) * 2 + experts * 4.25 / 8)
    assert r.weights_per_gpu(oss.dims, lay_r) * released.gpus_per_replica >= r.weights(oss.dims) * 0.999
    assert "routed experts" not in {a.name for a in bf16.assumptions}


def test_queueing_wait_by_hand() -> None:
    from engine.queueing import queue_wait_s

    # one slot: exactly M/D/1 (Pollaczek-Khinchine), rho D / (2 (1 - rho))
    assert queue_wait_s(0.5, 1, 1.0) == pytest.approx(0.5 * 1.0 / (2 * 0.5))
    # two slots: Erlang C = 2 rho^2 / (1 + rho); M/M/2 wait = C D / (2 (1 - rho)); M/D/2 half of it
    rho = 0.6
    c_erlang = 2 * rho**2 / (1 + rho)
    assert queue_wait_s(2 * rho / 3.0, 2, 3.0) == pytest.approx(c_erlang * 3.0 / (2 * (1 - rho)) / 2)
    assert queue_wait_s(2.0, 1, 1.0) == float("inf")  # at or above full load the queue grows without bound


def test_ttft_under_load_counts_the_wait_for_a_slot_at_the_peak() -> None:
    r = run("explain llama-2-7b 1xH100 2usd requests=3M batch=4 util=0.95")  # few slots, nearly full
    line = next(a for a in r.assumptions if a.name == "TTFT under load")
    step = next(t for t in r.trace if t.name == "queueing wait at the peak")
    assert step.value > 0 and r.ttft_loaded_s == pytest.approx(
        next(t for t in r.trace if t.name == "TTFT under load").value + step.value
    )
    assert "waiting for a slot" in line.value


def test_beam_search_decodes_every_beam_and_counts_the_output_once() -> None:
    m = resolve_model("llama-3-8b")
    one = rf(H100, 1000, 200).terms(m.dims, 1, 64)
    four = rf(H100, 1000, 200, beams=4).terms(m.dims, 1, 64)
    assert four.decode.kv_read == pytest.approx(4 * one.decode.kv_read)  # each beam reads its context
    assert four.chunk == pytest.approx(one.chunk)  # the prompt is prefilled once per request
    assert four.served == 64 and four.out_tps == pytest.approx(64 * 200 / four.t_cycle)  # counted once
    # the sampler reads each sampled token's FP32 logits: 4 beams x 64 requests x V values
    assert four.decode.sampling == pytest.approx(256 * 128256 * 4 / (3350e9 * 0.7))
    # memory: the prompt's KV once and each beam's own replies
    r = run("llama-3-8b H100 2usd beams=4 in=1000 out=200")
    assert r.batch <= 1024 // 4 and any(a.name == "beam search" for a in r.assumptions)


def test_a_finite_run_opens_with_prompts_and_drains_to_a_tail() -> None:
    from engine.runs import finite_run

    m = resolve_model("llama-3-8b").dims
    r = rf(H100, 1000, 200)
    lay = Layout(tp=1)
    one, t1 = finite_run(r, m, lay, 1, 1024), r.terms(m, lay, 1)
    # one request: its prompt on an idle replica, then 199 decode steps alone
    assert one.mean_ttft_s == pytest.approx(t1.ttft)
    assert one.makespan_s == pytest.approx(t1.ttft + 199 * t1.t_step_decode)
    steady = r.terms(m, lay, 256).out_tps
    few, many = finite_run(r, m, lay, 100, 256), finite_run(r, m, lay, 10_000, 256)
    assert few.output_tokens_per_s < 0.9 * steady  # never reaches the steady state
    assert many.output_tokens_per_s == pytest.approx(steady, rel=0.01)  # a long run does


def test_import_predicts_the_measured_run_like_for_like() -> None:
    from pathlib import Path

    f = Path(__file__).parent / "fixtures" / "measured" / "vllm_serving_llama2_70b_8xh100.json"
    r = run(f"import {f} 8xH100 2usd")
    line = next(a for a in r.assumptions if a.name == "engine's prediction for this run")
    assert "512 requests at concurrency 64" in line.value and r.inputs["predicted_output_tokens_per_s"] > 0


def test_a_batch_smaller_than_ranks_and_stages_leaves_them_idle() -> None:
    # one request on TP4 x PP4: it passes the 4 stages in turn, one token per pass; no share of a
    # sequence per stage makes it faster than the same request on TP4 alone
    m = resolve_model("llama-3-70b").dims
    r = rf(H100, 1000, 100)
    alone = r.terms(m, Layout(tp=4), 1)
    piped = r.terms(m, Layout(tp=4, pp=4), 1)
    assert piped.served == 1 and piped.tpot >= alone.tpot * 0.99
    two_ranks = r.terms(resolve_model("deepseek-v3").dims, Layout(tp=1, dp=8, ep=8), 2)
    assert two_ranks.served == 2
