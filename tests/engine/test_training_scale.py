"""Training at scale (issue 14 item 8): pipeline bubble, tensor-parallel all-reduces and the exposed
data-parallel gradient all-reduce of a TP x PP x DP layout, by hand and against the published
Megatron-LM (arXiv:2104.04473, Table 2) and MT-NLG (arXiv:2201.11990, Sec. 2.4) runs."""

import pytest

from engine import run
from engine.architecture import ModelArch
from engine.catalog import resolve_model
from engine.config import EngineConfig
from engine.errors import GpucostError
from engine.query import parse_query
from engine.resolve import resolve
from engine.training import train_plan
from engine.training_scale import exposed_allreduce_s, pipeline_bubble, ring_allreduce_s


def test_pipeline_bubble_ring_and_overlap_formulas():
    assert pipeline_bubble(35, 240) == pytest.approx(34 / 274)
    assert pipeline_bubble(8, 16, v=2) == pytest.approx(7 / 39)  # interleaving: (p-1)/(v m + p - 1)
    assert pipeline_bubble(1, 7) == 0.0
    assert ring_allreduce_s(8e9, 8, 25e9) == pytest.approx(2 * 7 / 8 * 8e9 / 25e9)
    assert ring_allreduce_s(8e9, 1, 25e9) == 0.0
    assert exposed_allreduce_s(1.0, 0.3, 10) == pytest.approx(0.7)  # not hidden behind 0.3 s of backward
    assert exposed_allreduce_s(1.0, 5.0, 10) == pytest.approx(0.1)  # the last of 10 chunks stays exposed


def test_one_step_by_hand_within_one_server():
    # Llama-2-7B on 8 H100 SXM: TP 2 x PP 2 x DP 2, global batch 32 sequences of 4096, micro-batch 1.
    m7 = resolve_model("llama-2-7b")
    seq, peak, u = 4096, 989.4e12, 0.45
    per_tok = 6 * m7.forward_params() + 12 * 32 * 4096 * seq
    m = 32 // (2 * 1)  # micro-batches per pipeline
    t_c = 1 * seq * per_tok / (2 * 2 * peak * u)
    nvlink = 900e9 / 2  # NVLink 4.0, 900 GB/s total: 450 GB/s each way
    # 32/2 layers per stage x 4 all-reduces of b T d 16-bit activations, 2 ranks, + NCCL's latency
    # model for 2 GPUs on NVLink (6.6 us + 2 x 1 hop x 0.6 us)
    t_tp = 32 / 2 * 4 * (2 * (2 - 1) / 2 * seq * 4096 * 2 / nvlink + 6.6e-6 + 2 * 0.6e-6)
    t_pipe = (m + (2 - 1)) * (t_c + t_tp)  # bubble 1/17
    t_ar = 2 * (2 - 1) / 2 * m7.total_params / 4 * 4 / nvlink  # FP32 gradients of a quarter of the model
    exposed = max(t_ar - 2 / 3 * t_c, t_ar / 16)  # 16 layers per stage: one layer's chunk at least
    t_step = t_pipe + exposed
    mfu = u * m * t_c / t_step
    r = run(f"train llama-2-7b 8xH100 tokens=1e9 seq={seq} tp=2 pp=2 global_batch=32")
    assert r.inputs["pipeline_bubble"] == pytest.approx(1 / 17)
    assert r.inputs["step_s"] == pytest.approx(t_step, rel=1e-9)
    assert r.inputs["mfu_with_layout"] == pytest.approx(mfu, rel=1e-9)
    assert r.gpu_hours == pytest.approx(1e9 * per_tok / (peak * mfu) / 3600 / 0.9, rel=1e-9)
    names = [s.name for s in r.trace]
    for step in ("pipeline bubble", "tensor-parallel all-reduces per micro-batch", "exposed all-reduce"):
        assert step in names
    lines = {a.name: a for a in r.assumptions}
    assert lines["parallel layout"].value.startswith("TP 2 x PP 2 x DP 2 = 8 GPUs")
    assert "within one server" in lines["data-parallel gradient all-reduce"].value
    assert lines["MFU while computing"].value == "0.45"
    assert not r.warnings


def _plan(query: str, scaleout: float | None, arch: ModelArch | None = None):
    ctx = resolve(parse_query(query), EngineConfig())
    ctx.acc = ctx.acc.model_copy(update={"scaleout_gb_s": scaleout})
    if arch is not None:
        ctx.arch = arch
    return ctx, train_plan(ctx)


def test_data_parallel_all_reduce_over_the_scale_out_network_or_a_warning():
    q = "train llama-2-70b 1024xH100 tokens=1e9 seq=4096 tp=8 pp=4 global_batch=1024"
    ctx, t = _plan(q, 50.0)
    s = t.step
    assert s.dp == 32 and s.m == 32
    grads = resolve_model("llama-2-70b").total_params / (8 * 4) * 4  # FP32, a 32nd of the model per GPU
    assert s.t_allreduce == pytest.approx(2 * 31 / 32 * grads / 50e9, rel=1e-9)
    assert s.t_exposed == pytest.approx(max(s.t_allreduce - 2 / 3 * s.t_compute, s.t_allreduce / 20), rel=1e-9)
    assert not any("scale-out" in w for w in ctx.warnings)
    ctx, t = _plan(q, None)  # no scale-out figure: never a silent floor
    assert t.step.t_allreduce == 0.0
    assert any("data-parallel gradient all-reduce not charged" in w for w in ctx.warnings)


def test_flat_mfu_stays_without_a_layout():
    r = run("train llama-2-7b 1024xH100 tokens=1e12 seq=4096")
    assert "step_s" not in r.inputs
    assert next(a for a in r.assumptions if a.name.startswith("MFU")).name == "MFU (steady state)"
    m7 = resolve_model("llama-2-7b")
    per_tok = 6 * m7.forward_params() + 12 * 32 * 4096 * 4096
    assert r.gpu_hours == pytest.approx(1e12 * per_tok / (989.4e12 * 0.45) / 3600 / 0.9, rel=1e-9)


def test_interleaving_shrinks_the_bubble():
    base = run("train llama-2-70b 256xH100 tokens=1e9 tp=8 pp=8 global_batch=64")
    inter = run("train llama-2-70b 256xH100 tokens=1e9 tp=8 pp=8 vpp=5 global_batch=64")
    assert base.inputs["pipeline_bubble"] == pytest.approx(7 / (16 + 7))
    assert inter.inputs["pipeline_bubble"] == pytest.approx(7 / (5 * 16 + 7))
    assert inter.gpu_hours < base.gpu_hours


# Megatron-LM PTD-P, Table 2 (A100 80GB, TP 8, micro-batch 1, seq 2048) and MT-NLG 530B Sec. 2.4
# (global batch 1920, TP 8 x PP 35): the published per-GPU throughput at a fixed global batch as
# the GPUs grow. Their ratios follow from the bubble and the all-reduces alone: the compute MFU
# cancels, so nothing here is fitted. Selene's DGX A100 nodes have 8 HDR InfiniBand HCAs of
# 200 Gb/s for compute traffic (Megatron-LM Sec. 5), 25 GB/s per GPU.
SELENE_GB_S = 200 / 8
MT_NLG = ModelArch(
    id="mt-nlg-530b",
    name="MT-NLG 530B",
    n_layers=105,
    d_model=20480,
    n_heads=128,
    d_ff=4 * 20480,
    vocab_size=50272,
    max_context=2048,
    learned_positions=True,
    source="Smith et al. 2022, arXiv:2201.11990, Table 1",
)
PUBLISHED = [
    # (model, PP, global batch, {GPUs: TFLOP/s per GPU}, tolerance on the ratio to the first row)
    ("gpt-3-175b", 12, 1536, {384: 153, 768: 149, 1536: 141}, 0.025),  # Megatron-LM Table 2, 174.6B
    (MT_NLG, 35, 2240, {560: 171, 1120: 167, 2240: 159}, 0.025),  # Megatron-LM Table 2, 529.6B
    (MT_NLG, 35, 1920, {2240: 126, 2800: 121, 3360: 113}, 0.05),  # MT-NLG Sec. 2.4 (DeepSpeed 1F1B)
]


@pytest.mark.parametrize("model, pp, batch, rows, tol", PUBLISHED)
def test_per_gpu_throughput_falls_as_a_fixed_batch_spreads_like_the_published_runs(model, pp, batch, rows, tol):
    arch = model if isinstance(model, ModelArch) else None
    name = "530B" if arch else model
    tput = {}
    for g in rows:
        q = f"train {name} {g}xA100-80G tokens=1e9 seq=2048 tp=8 pp={pp} global_batch={batch}"
        _, t = _plan(q, SELENE_GB_S, arch)
        tput[g] = t.flops / (t.steady_h * 3600)  # model FLOP/s per GPU
    first = min(rows)
    previous = None
    for g, published in rows.items():
        ours, theirs = tput[g] / tput[first], published / rows[first]
        assert ours == pytest.approx(theirs, abs=tol), (g, ours, theirs)
        if previous is not None:
            assert ours < previous  # falls with every step up in GPUs
        previous = ours


@pytest.mark.parametrize(
    "query, message",
    [
        ("train llama-2-7b H100 tp=2", "needs the GPU count"),
        ("train llama-2-7b H100 days=30 tp=2", "days= sizes the GPUs"),
        ("train llama-2-7b 12xH100 tp=8", "does not divide 12 GPUs"),
        ("train llama-2-7b 16xH100 tp=8 global_batch=3", "does not split into micro-batches"),
        ("train llama-2-7b 64xH100 pp=16 vpp=4", "pipeline chunks for Llama 2 7B's 32 layers"),
    ],
)
def test_a_layout_that_does_not_fit_is_one_line_with_a_fix(query, message):
    with pytest.raises(GpucostError) as e:
        run(query)
    assert message in str(e.value) and e.value.hint


def test_a_moe_layout_says_expert_parallelism_is_not_modelled():
    r = run("train mixtral-8x7b 64xH100 tokens=1e9 tp=8 pp=2 global_batch=64")
    assert any("expert parallelism is not modelled" in w for w in r.warnings)
