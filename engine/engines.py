"""Serving-engine presets: how each engine (and version) schedules, launches and attends.

A preset holds what the roofline cannot know from the hardware: the fractions of peak the engine's
kernels reach (``compute_efficiency``, ``bandwidth_efficiency``: see :mod:`engine.efficiency`), how
its scheduler fills a step (token budget, running-sequence cap, prefill chunks mixed into decode
steps or run apart), what the CPU costs per step and whether it overlaps the GPU, whether the
forward pass replays a CUDA graph, and whether its decode-attention kernel reads a grouped-query
KV head once or once per query head. Every value cites where it was read; ``engine=NAME`` picks
one (``vllm``, the default, is the current release; ``vllm@0.5`` the pre-0.6 one).

Per-step time (:func:`engine.step.stage_step`): GPU operators add to ``T_gpu``; the CPU launches
the step's kernels (``T_launch``: a CUDA-graph replay, or one launch per kernel) and does the
engine's host work (``T_host``: scheduling, input tensors, detokenisation); a fraction ``overlap``
of the host work runs while the GPU executes the previous step [1][2]:
``T = max(max(T_gpu, T_launch) + (1 - overlap) T_host, T_launch + T_host)``.

[1] vLLM blog, "vLLM v0.6.0: 2.7x Throughput Improvement and 5x Latency Reduction", 2024-09-05
    (v0.5.3 profile, Llama 3 8B on H100: API server 33%, scheduling 29%, GPU execution 38%).
[2] WukLab, "Can Scheduling Overhead Dominate LLM Inference Performance?", 2024-09-10,
    https://mlsys.wuklab.io/posts/scheduling_overhead/ (per-iteration schedule time, vLLM v0.5.4 and
    SGLang v0.2.13 on A100, 300 requests at once).

Imports pydantic and ``engine.errors`` only.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from engine.errors import UnknownNameError, suggest

Batching = Literal["static", "continuous"]
Graphs = Literal["eager-python", "eager", "decode", "full-and-piecewise"]

#: CPU time to launch one CUDA kernel [s]: 4-6 us measured per launch (xiaguan/cuda-kernel-launch-lab,
#: "pegainfer (3): From Launch Overhead to CUDA Graph", 2026).
KERNEL_LAUNCH_S = 5e-6
#: Kernels per transformer layer a forward pass launches: two norms, QKV projection, RoPE,
#: attention, output projection, gate-up projection, activation, down projection (the operators
#: of :mod:`engine.step`); a collective per all-reduce; router, top-k, dispatch, combine for MoE.
KERNELS_PER_LAYER = 9
KERNELS_PER_MOE_LAYER = 4
#: CPU time of one CUDA-graph replay [s]: "cudaGraphLaunch time: 41 us" (pytorch/pytorch issue
#: #150488, 2025-04-01; vLLM's piecewise mode replays one graph per layer).
GRAPH_LAUNCH_S = 41e-6
#: Eager PyTorch per layer at batch 1 [s]: gpt-fast's Llama-2-7B runs 39.2 ms/token eager against
#: 9.35 ms with CUDA graphs and compiled kernels ("heavily CPU overhead bound"), ~32 ms of the
#: 39.2 ms over 32 layers (PyTorch blog, "Accelerating Generative AI with PyTorch II: GPT, Fast",
#: 2023-11-30): about 1 ms per layer.
EAGER_PYTHON_LAYER_S = 1.0e-3
#: Decode attention over a paged KV cache (FlashInfer, FlashAttention, FlashMLA, XQA kernels):
#: a fixed ~16 us per kernel call plus the KV bytes at 92% of HBM bandwidth, the curve of
#: FlashInfer's measured bandwidth utilisation on H100 (45-52% at 64 MB per call, 73-76% at
#: 256 MB, 88-89% at 1 GB; Ye et al., "Accelerating Self-Attentions for LLM Serving with
#: FlashInfer", 2024-02-02, Figs. 5, 6, 9); FlashMLA reaches 3000 of 3350 GB/s (90%) on H800.
ATTN_CALL_S = 16e-6
ATTN_BW_FRACTION = 0.92


class ServingEngine(BaseModel):
    """One serving engine at one version. Efficiencies are fractions of peak [0-1]; times [s]."""

    model_config = ConfigDict(frozen=True)

    name: str
    label: str
    compute_efficiency: float = Field(gt=0, le=1)
    bandwidth_efficiency: float = Field(gt=0, le=1)
    batching: Batching
    source: str
    mixed: bool = True  # prefill tokens ride in decode steps (else prefill steps run apart)
    chunked: bool = True  # a prompt is split into chunks of the step budget (else run whole)
    budgets: tuple[tuple[float, int, int], ...] = ((0.0, 2048, 256),)  # (min GiB, tokens, sequences)
    a100_small: bool = False  # vLLM puts A100s in the smallest tier whatever their memory
    scheduler_source: str = ""
    graphs: Graphs = "full-and-piecewise"
    graph_max_tokens: int = 512  # the largest step replayed as a full graph (Blackwell: 1024)
    host_s_per_seq: float | None = None  # host time per running sequence per step [s]; None: not sourced
    host_overlap: float = Field(default=1.0, ge=0, le=1)
    host_source: str = ""
    paged_attention: bool = True  # decode attention by a paged kernel (else eager, at bandwidth_efficiency)
    grouped_kv: bool = True  # each KV head read once per step (else once per query head)
    kernels_source: str = ""
    ep_imbalance: float = Field(default=1.18, ge=1, description="expert-parallel load, busiest GPU / mean")
    dispatch_bytes: float = 1.0  # FP8 dispatch
    combine_bytes: float = 2.0  # BF16 combine

    def budget(self, memory_gib: float, gpu_id: str) -> tuple[int, int]:
        """Token budget per step and running sequences per scheduler on a GPU of ``memory_gib``."""
        mem = 0.0 if self.a100_small and gpu_id.startswith("a100") else memory_gib
        tokens, seqs = self.budgets[0][1:]
        for floor, t, s in self.budgets:
            if mem >= floor:
                tokens, seqs = t, s
        return tokens, seqs


_VLLM_TIERS = ((0.0, 2048, 256), (70.0, 8192, 1024), (160.0, 16384, 1024))
_VLLM_SCHED = (
    "vLLM 0.34 EngineArgs.get_batch_defaults (OpenAI server): >=160 GiB 16384 tokens/1024 sequences, "
    ">=70 GiB and not A100 8192/1024, else 2048/256; chunked prefill always on in V1"
)
_KERNELS = (
    "decode attention: ~16 us per call + KV bytes at 92% of HBM (FlashInfer blog 2024-02-02, H100); "
    "kernel launch 5 us; CUDA-graph replay 41 us (pytorch/pytorch#150488)"
)
_EP = (
    "expert load: busiest GPU 1.18x the mean with EPLB (SGLang large-scale EP blog 2025-05-05: 50,302 vs "
    "59,337 tok/s per node with simulated perfect balance); dispatch FP8, combine BF16 (DeepSeek open-infra "
    "Day 6, 2025-03-01)"
)

ENGINES: dict[str, ServingEngine] = {
    "hf": ServingEngine(
        name="hf",
        label="Hugging Face transformers generate()",
        compute_efficiency=0.35,
        bandwidth_efficiency=0.45,
        batching="static",
        mixed=False,
        chunked=False,
        budgets=((0.0, 1 << 30, 256),),
        scheduler_source="static padded batches, whole prompts in one pass; batch capped at 256",
        graphs="eager-python",
        paged_attention=False,
        source="HF transformers generate(): eager kernels, static padded batches (vLLM paper, arXiv:2309.06180)",
        kernels_source="eager PyTorch ~1 ms per layer per forward pass (gpt-fast blog, 2023-11-30)",
        host_source="Python eager: counted in the per-layer launch cost",
    ),
    "vllm": ServingEngine(
        name="vllm",
        label="vLLM >= 0.14 (V1: chunked prefill, async scheduling, full and piecewise CUDA graphs)",
        compute_efficiency=0.55,
        bandwidth_efficiency=0.70,
        batching="continuous",
        budgets=_VLLM_TIERS,
        a100_small=True,
        scheduler_source=_VLLM_SCHED,
        graphs="full-and-piecewise",
        host_s_per_seq=None,
        host_overlap=1.0,
        host_source="async scheduling on by default since v0.14 (vLLM SchedulerConfig): host work overlaps "
        "the GPU; no published per-step host time for V1, so none is charged",
        source="vLLM: paged attention + continuous batching; ~60-75% MBU, ~55% prefill MFU "
        "(Databricks 2023; Pope et al. 2022, arXiv:2211.05102)",
        kernels_source=_KERNELS + "; full graphs for steps up to 512 tokens (1024 on Blackwell), piecewise above",
    ),
    "vllm@0.5": ServingEngine(
        name="vllm@0.5",
        label="vLLM 0.5 (V0: prefill steps apart, no overlap of host work, CUDA graphs for decode only)",
        compute_efficiency=0.55,
        bandwidth_efficiency=0.70,
        batching="continuous",
        mixed=False,
        chunked=False,
        budgets=((0.0, 8192, 256),),
        scheduler_source="vLLM 0.5/0.6 V0 defaults: max_num_seqs 256; chunked prefill off below 32K context, "
        "prefills batched in steps of max(max_model_len, 2048) tokens (8192 for an 8K-context model)",
        graphs="decode",
        graph_max_tokens=256,
        host_s_per_seq=85e-6,
        host_overlap=0.0,
        host_source="85 us per running sequence per step, not overlapped: vLLM v0.5.4 schedules an iteration "
        "in 21.8 ms at 256 running sequences (WukLab 2024-09-10, Llama3-8B, 1024:1024, A100); the v0.6.0 "
        "blog profiles v0.5.3 at 38% GPU time",
        source="vLLM 0.5: same kernels as current vLLM (FlashAttention/FlashInfer decode)",
        kernels_source=_KERNELS + "; CUDA graphs for decode batches up to 256 only",
    ),
    "sglang": ServingEngine(
        name="sglang",
        label="SGLang >= 0.4 (overlap scheduler, chunked prefill, CUDA graphs)",
        compute_efficiency=0.55,
        bandwidth_efficiency=0.70,
        batching="continuous",
        budgets=((0.0, 2048, 2048), (20.0, 4096, 2048), (60.0, 8192, 2048), (160.0, 16384, 2048)),
        scheduler_source="SGLang 0.5.23 memory_hook: chunked_prefill_size 2048 (<20 GB), 4096 (<60 GB), 8192 "
        "(<160 GB), 16384 (>=160 GB); max_running_requests at least 2048 (kv_cache_configurator)",
        graphs="full-and-piecewise",
        host_s_per_seq=9e-6,
        host_overlap=1.0,
        host_source="9 us per running sequence per step (SGLang v0.2.13: 2.7 ms per iteration at ~300 "
        "requests, WukLab 2024-09-10), overlapped since v0.4 (LMSYS blog 2024-12-04: 'zero-overhead')",
        source="SGLang: same efficiency class as vLLM (FlashInfer kernels)",
        kernels_source=_KERNELS,
    ),
    "trtllm": ServingEngine(
        name="trtllm",
        label="TensorRT-LLM (trtllm-serve: in-flight batching, overlap scheduler, XQA attention)",
        compute_efficiency=0.65,
        bandwidth_efficiency=0.80,
        batching="continuous",
        chunked=False,
        budgets=((0.0, 8192, 2048),),
        scheduler_source="trtllm-serve defaults from BuildConfig: max_num_tokens 8192, max_batch_size 2048, "
        "enable_chunked_prefill=False (whole prompts in in-flight batches)",
        graphs="decode",
        graph_max_tokens=128,
        host_s_per_seq=None,
        host_overlap=1.0,
        host_source="C++ batch manager with the overlap scheduler on by default; no published per-step host "
        "time, so none is charged",
        source="TensorRT-LLM: fused kernels, in-flight batching; near GEMM (70-80%) and HBM (~90%) ceilings",
        kernels_source=_KERNELS + "; CUDA graphs for decode-only batches up to 128 (PyTorch backend default)",
    ),
    "trtllm@0.6": ServingEngine(
        name="trtllm@0.6",
        label="TensorRT-LLM 0.6 (late 2023: before the XQA grouped-query kernel)",
        compute_efficiency=0.65,
        bandwidth_efficiency=0.80,
        batching="continuous",
        chunked=False,
        budgets=((0.0, 8192, 2048),),
        scheduler_source="as trtllm",
        graphs="eager",
        host_s_per_seq=None,
        host_source="C++ runtime; no published per-step host time, so none is charged",
        grouped_kv=False,
        source="TensorRT-LLM 0.6 (Dec 2023)",
        kernels_source="masked multi-head attention reads each KV head once per query head: the grouped XQA "
        "kernel came in early 2024 (TensorRT-LLM XQA-kernel blog: 2.4x on Llama-70B/H200 at 1 GPU); "
        "kernel launch 5 us, no CUDA graphs",
    ),
}
DEFAULT_ENGINE = "vllm"
_ALIASES = {
    "tensorrtllm": "trtllm",
    "trt": "trtllm",
    "tensorrt-llm": "trtllm",
    "transformers": "hf",
    "huggingface": "hf",
    "vllm@0.6": "vllm@0.5",
    "vllm@v0": "vllm@0.5",
    "trtllm@0.5": "trtllm@0.6",
}
#: Accelerators whose CUDA-graph capture reaches 1024 tokens in vLLM (compute capability 10).
BLACKWELL = frozenset({"b200", "gb200", "b300", "gb300"})


def get_engine(name: str) -> ServingEngine:
    """The preset ``name`` (case, dashes and ``v`` before a version ignored)."""
    key = name.strip().lower().replace("_", "-").replace("@v", "@")
    key = _ALIASES.get(key, key)
    if key not in ENGINES:
        raise UnknownNameError(
            f"unknown serving engine '{name}'",
            token=name,
            suggestions=suggest(name, ENGINES),
            hint="use engine=" + ", engine=".join(ENGINES),
        )
    return ENGINES[key]
