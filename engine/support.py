"""Which serving engines run on which accelerator: what the planner may combine.

A serving-engine preset (:mod:`engine.engines`) models an engine's scheduler and kernels; whether
the engine runs on an accelerator at all is a separate, published fact:

- **vLLM**: NVIDIA GPUs of compute capability 7.0 or higher, AMD ROCm, Intel, Google TPU, Intel
  Gaudi, AWS Neuron, and Ascend NPUs through the vllm-ascend plugin [1][2].
- **SGLang**: NVIDIA GPUs of compute capability 8.0 or higher (sm75 was deprecated in v0.5 [3]
  and sgl-kernel is built for sm80+ [4]), AMD GPUs, Google TPU, Ascend NPUs, Intel XPU [5].
- **TensorRT-LLM**: NVIDIA only, Ampere (A100) and newer [6].
- **Hugging Face transformers** runs wherever PyTorch does; the planner uses it only where none of
  the three above runs (Pascal GPUs such as the P4 of the project's founding article).

NVIDIA compute capabilities are from NVIDIA's table (https://developer.nvidia.com/cuda-gpus): Pascal
6.x, Volta 7.0, Turing 7.5, Ampere 8.0/8.6, Ada 8.9, Hopper 9.0, Blackwell 10.x. They are kept here,
next to the rules that read them, until the accelerator catalog carries a column for them.

[1] vLLM docs, Installation (https://docs.vllm.ai/en/v0.9.2/getting_started/installation/index.html):
    NVIDIA CUDA, AMD ROCm, Intel XPU, Google TPU, Intel Gaudi, AWS Neuron; hardware plugins incl.
    vllm-ascend (docs.vllm.ai/en/v0.11.2/getting_started/installation/).
[2] vLLM GPU requirements: "compute capability 7.0 or higher" (vllm-project/vllm#963, #1431).
[3] sgl-project/sglang#6006, "[RFC] sm75 EOL" (2025-05-04): sm75 deprecated in v0.5.
[4] sgl-project/sglang#24302 (2026-05-03): sgl-kernel compiled for sm80+ only; gpustack/gpustack#3932
    checks "SGLang nvidia SM80+".
[5] SGLang docs, Hardware Platforms (https://docs.sglang.io/docs/hardware-platforms/overview.md).
[6] TensorRT-LLM, Supported Hardware (https://nvidia.github.io/TensorRT-LLM/supported-hardware.html):
    Blackwell, Hopper, Ada Lovelace, Ampere (A100).

Imports only the standard library and ``engine.catalog`` types.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.catalog import Accelerator

#: Compute capability of the NVIDIA accelerators in the catalog (https://developer.nvidia.com/cuda-gpus).
COMPUTE_CAPABILITY: dict[str, float] = {
    "p4": 6.1, "p40": 6.1, "p100-pcie-16gb": 6.0, "p100-sxm2-16gb": 6.0,
    "v100-pcie-16gb": 7.0, "v100-pcie-32gb": 7.0, "v100-sxm2-16gb": 7.0, "v100-sxm2-32gb": 7.0,
    "t4": 7.5,
    "a100-pcie-40gb": 8.0, "a100-pcie-80gb": 8.0, "a100-sxm-40gb": 8.0, "a100-sxm-80gb": 8.0,
    "a800-sxm-80gb": 8.0, "a800-pcie-80gb": 8.0, "a30": 8.0,
    "a10": 8.6, "a10g": 8.6, "a40": 8.6, "rtx-3090": 8.6,
    "l4": 8.9, "l20": 8.9, "l40": 8.9, "l40s": 8.9, "rtx-4090": 8.9,
    "h100-pcie-80gb": 9.0, "h100-sxm-80gb": 9.0, "h100-nvl-94gb": 9.0, "h800-sxm-80gb": 9.0, "h20": 9.0,
    "h200-sxm-141gb": 9.0, "gh200": 9.0,
    "b200": 10.0, "gb200": 10.0, "b300": 10.3, "gb300": 10.3,
}  # fmt: skip

#: Vendors (catalog ``vendor`` column) each engine runs on, beside NVIDIA, and its least NVIDIA
#: compute capability (see the module docstring for the sources).
ENGINE_VENDORS: dict[str, tuple[frozenset[str], float | None]] = {
    "vllm": (frozenset({"AMD", "Google", "Intel", "Huawei"}), 7.0),
    "sglang": (frozenset({"AMD", "Google", "Huawei"}), 8.0),
    "trtllm": (frozenset(), 8.0),
}
#: The engines the planner searches, in this order.
PLAN_ENGINES = ("vllm", "sglang", "trtllm")
SUPPORT_SOURCE = (
    "vLLM docs (NVIDIA compute capability >= 7.0, AMD, TPU, Gaudi, Ascend plugin); SGLang docs and "
    "sgl-project/sglang#6006 (NVIDIA sm80+, AMD, TPU, Ascend); TensorRT-LLM supported hardware (NVIDIA Ampere "
    "and newer); Hugging Face transformers only where none of them runs"
)


def why_not(acc: Accelerator, engine: str) -> str | None:
    """Why ``engine`` does not run on ``acc`` (None: it does, or nothing published says it does not)."""
    if engine not in ENGINE_VENDORS:
        return None
    vendors, least_cc = ENGINE_VENDORS[engine]
    if acc.vendor == "NVIDIA":
        cc = COMPUTE_CAPABILITY.get(acc.id)
        if cc is None or least_cc is None or cc >= least_cc:
            return None
        return f"{engine} needs NVIDIA compute capability {least_cc:g} or higher; {acc.short} has {cc:g}"
    if acc.vendor in vendors:
        return None
    return f"{engine} does not run on {acc.vendor} accelerators"


def engines_for(acc: Accelerator) -> list[str]:
    """The engine presets the planner tries on ``acc``: those of :data:`PLAN_ENGINES` that run on it,
    else ``hf`` (transformers runs wherever PyTorch does)."""
    ok = [e for e in PLAN_ENGINES if why_not(acc, e) is None]
    return ok or ["hf"]
