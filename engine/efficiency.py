"""Efficiency factors: how much of the datasheet peak real software gets, and the fleet's defaults.

A roofline estimate needs two fractions of peak: of tensor-core FLOP/s (MFU-like, for compute-bound
prefill and large-batch decode) and of memory bandwidth (MBU, for streaming the weights in decode).
They depend on the serving engine far more than on the model, so each serving-engine preset in
:mod:`engine.engines` carries its own (hf 0.35/0.45, vllm and sglang 0.55/0.70, trtllm 0.65/0.80),
with the reasoning and sources there [1][2][3]. They are judgement values from the sources, not
fitted to the accuracy cases; ``gpucost explain`` shows how much each moves the answer, and a
calibration profile (``calibration=NAME``) replaces them with values fitted to your measurements.

Training uses steady-state MFU (default 0.45, the middle of the 0.35-0.55 published for large runs:
PaLM 46.2% [4], Llama 3 405B 38-43% [5], Megatron-LM 1T ~52% [6]) and goodput, the share of wall-clock
time that advances training (default 0.90: Llama 3 reports >90% effective training time despite
466 interruptions in 54 days [5]). They are kept apart because published GPU-hours mix them.

[1] Pope et al. 2022, "Efficiently Scaling Transformer Inference", arXiv:2211.05102 (prefill MFU up to
    76% at large batch on TPU v4; decode far lower).
[2] Databricks 2023, "LLM Inference Performance Engineering: Best Practices" (model bandwidth
    utilisation around 60% for 7B-70B models on A100/H100 in optimised servers).
[3] Kwon et al. 2023, "Efficient Memory Management for LLM Serving with PagedAttention" (vLLM),
    arXiv:2309.06180: 2-4x throughput over prior systems, up to 24x over HF transformers.
[4] Chowdhery et al. 2022, PaLM, arXiv:2204.02311, Sec. 4 and App. B.
[5] Llama Team 2024, "The Llama 3 Herd of Models", arXiv:2407.21783, Table 4 and Sec. 3.3.4.
[6] Narayanan et al. 2021, Megatron-LM, arXiv:2104.04473, Table 1.

Imports only pydantic and the standard library.
"""

from __future__ import annotations

#: Steady-state model FLOPs utilisation of a training run [0-1] (see module docstring).
DEFAULT_MFU = 0.45
MFU_SOURCE = "steady-state MFU 0.45: middle of 0.35-0.55 published (PaLM 46.2%, Llama 3 38-43%, Megatron-LM ~52%)"
#: Share of wall-clock time that advances training [0-1].
DEFAULT_GOODPUT = 0.90
GOODPUT_SOURCE = "goodput 0.90: Llama 3 reports >90% effective training time (arXiv:2407.21783, Sec. 3.3.4)"

#: Fraction of GPU memory a serving engine may use [0-1]: vLLM's gpu_memory_utilization default.
MEMORY_UTILISATION = 0.90
MEMORY_SOURCE = "vLLM default gpu_memory_utilization=0.9: 10% left for CUDA context, allocator and graphs"

#: Target utilisation of a serving fleet [0-1]: run time / (run time + idle time), the article's term.
DEFAULT_UTILISATION = 0.75
UTILISATION_SOURCE = (
    "target utilisation 0.75 = run/(run+idle) of the article's own example (30 min / (30+10)); "
    "set util= to your fleet's measured busy share"
)
#: Peak-to-average traffic ratio for a daily service.
DEFAULT_PEAK_TO_AVERAGE = 1.5
PEAK_SOURCE = (
    "peak/average 1.5: diurnal peak-to-mean of interactive services is typically 1.5-2 "
    "(Barroso et al., The Datacenter as a Computer, 3rd ed.); the fleet is sized for the peak"
)
