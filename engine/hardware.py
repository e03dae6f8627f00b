"""What an accelerator really delivers at a given precision, and how fast its GPUs talk.

The catalog holds DENSE datasheet peaks; an empty cell means no source gave it. Where the engine
needs a missing value it derives it here explicitly and says so (e.g. FP8 = 2x FP16 on a Hopper,
Ada or Blackwell part, whose FP8 tensor cores run at twice the 16-bit rate [1]).

Precision rules (weights, activations):
- ``fp32``: FP32 (CUDA cores) rate. The default on GPUs without fast 16-bit math (P4, P40).
- ``fp16``/``bf16``: the 16-bit tensor rate.
- ``fp8``: W8A8 at the FP8 tensor rate where the part has one; elsewhere weight-only FP8 computed at
  16-bit (as vLLM does on Ampere), with a warning.
- ``int8``: W8A8 (SmoothQuant-style) at the INT8 rate where one is listed; else weight-only at 16-bit.
- ``fp4`` (NVFP4) / ``mxfp4``: W4A4 at the FP4 tensor rate where the part has one (Blackwell,
  MI355X); elsewhere weight-only FP4 (4-bit weights, 16-bit matmuls, as vLLM serves MXFP4
  gpt-oss on Hopper), with a warning. Bytes per weight include the block scales (``BYTES``).
- ``int4``: weight-only (W4A16, AWQ/GPTQ): 4-bit weights in memory, 16-bit matmuls.

[1] NVIDIA H100 Tensor Core GPU datasheet (2023) and Ada Lovelace architecture whitepaper: FP8 dense
    = 2x FP16/BF16 dense.

Imports only pydantic and the standard library.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from engine.catalog import Accelerator
from engine.errors import GpucostError

DTYPES = ("fp32", "fp16", "bf16", "fp8", "fp4", "mxfp4", "int8", "int4")
#: Bytes per weight. FP4 formats carry block scales: NVFP4 (``fp4``) one FP8 E4M3 scale per 16
#: values, 4.5 bits (NVIDIA, "Introducing NVFP4 for Efficient and Accurate Low-Precision
#: Inference", June 2025); MXFP4 one E8M0 scale per 32 values, 4.25 bits (OCP Microscaling
#: Formats (MX) Specification v1.0, 2023). INT4 (AWQ/GPTQ) group scales are left out (~3%).
BYTES: dict[str, float] = {
    "fp32": 4.0,
    "fp16": 2.0,
    "bf16": 2.0,
    "fp8": 1.0,
    "fp4": 4.5 / 8,
    "mxfp4": 4.25 / 8,
    "int8": 1.0,
    "int4": 0.5,
}
_DTYPE_ALIASES = {
    "float32": "fp32",
    "float16": "fp16",
    "half": "fp16",
    "bfloat16": "bf16",
    "f32": "fp32",
    "f16": "fp16",
    "float8": "fp8",
    "e4m3": "fp8",
    "w8a8": "int8",
    "w4a16": "int4",
    "nvfp4": "fp4",
    "mx4": "mxfp4",
    "awq": "int4",
    "gptq": "int4",
    "q4": "int4",
    "q8": "int8",
    "4bit": "int4",
    "8bit": "int8",
    "tf32": "fp32",
}

# Architectures with FP8 tensor cores whose catalog row has no FP8 figure (Hopper, Ada, Blackwell).
_FP8_CAPABLE = {"h100-nvl-94gb", "h800-sxm-80gb", "h20", "l4", "l20", "rtx-4090", "gh200"}

#: NCCL's latency model of a small ring all-reduce (LL protocol) over ``n`` GPUs: a base of 6.6 us
#: plus ``2 (n-1)`` hops of 0.6 us over NVLink (used for any GPU-to-GPU fabric) or 1.0 us over PCIe
#: (NVIDIA/nccl src/graph/tuning.cc, 2026: 15 us for 8 GPUs on NVLink; measured on 8x RTX 4090
#: PCIe: 42 us, nccl#1530).
ALLREDUCE_BASE_S = 6.6e-6
ALLREDUCE_HOP_S = {"nvlink": 0.6e-6, "pcie": 1.0e-6}


def allreduce_latency(n: int, kind: str) -> float:
    """Latency of one small all-reduce over ``n`` GPUs on a link ``kind`` ("nvlink"/"pcie") [s]."""
    return ALLREDUCE_BASE_S + 2 * (max(n, 2) - 1) * ALLREDUCE_HOP_S[kind]
# PCIe x16 usable bandwidth per direction [GB/s]: gen3 ~16, gen4 ~32, gen5 ~64 (PCI-SIG).
_PCIE_GB_S = {"3": 16.0, "4": 32.0, "5": 64.0}


def normalise_dtype(text: str) -> str:
    key = text.strip().lower()
    key = _DTYPE_ALIASES.get(key, key)
    if key not in DTYPES:
        from engine.errors import suggest

        raise GpucostError(
            f"unknown precision '{text}'",
            token=text,
            suggestions=suggest(text, DTYPES),
            hint="use one of " + ", ".join(DTYPES),
        )
    return key


@dataclass
class Precision:
    """The precision an estimate runs at, and the peak it gets [FLOP/s per GPU]."""

    weight_dtype: str
    compute_dtype: str
    peak_flops: float
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def has_fast_fp16(acc: Accelerator) -> bool:
    return acc.peak_tflops_fp16 is not None


def default_dtype(acc: Accelerator) -> tuple[str, str]:
    """The precision a model is really run at on ``acc`` when none is asked for, and why."""
    if not has_fast_fp16(acc) and acc.peak_tflops_fp32:
        return "fp32", f"{acc.short} has no fast FP16 (no tensor cores; FP16 at 1:64), so it runs FP32"
    if "no bf16" in acc.notes.lower():
        return "fp16", f"{acc.short} has no BF16, so 16-bit runs as FP16"
    return "bf16", "16-bit (BF16/FP16) weights and activations, the usual serving and training precision"


def _fp16_peak(acc: Accelerator) -> float | None:
    return acc.peak_tflops_fp16 * 1e12 if acc.peak_tflops_fp16 else None


def resolve_precision(acc: Accelerator, dtype: str) -> Precision:
    """Peak FLOP/s of ``acc`` for weights in ``dtype`` (see module docstring for the rules)."""
    fp16 = _fp16_peak(acc)
    fp32 = acc.peak_tflops_fp32 * 1e12 if acc.peak_tflops_fp32 else None
    half = fp16 or fp32
    half_name = "fp16" if fp16 else "fp32"
    if dtype == "fp32":
        if fp32 is None:
            raise GpucostError(
                f"the catalog has no FP32 peak for {acc.short}", hint="use dtype=bf16 on this accelerator"
            )
        return Precision("fp32", "fp32", fp32)
    if dtype in ("fp16", "bf16"):
        if fp16 is None:
            raise GpucostError(
                f"{acc.short} has no fast FP16/BF16 (no tensor cores; FP16 runs at 1:64)",
                token=dtype,
                hint="use dtype=fp32 (the default here) or dtype=int8",
            )
        p = Precision(dtype, dtype, fp16)
        if dtype == "bf16" and "no bf16" in acc.notes.lower():
            p.warnings.append(f"{acc.short} has no BF16; estimated at its FP16 rate")
        return p
    if dtype == "fp8":
        if acc.peak_tflops_fp8:
            return Precision("fp8", "fp8", acc.peak_tflops_fp8 * 1e12)
        if acc.id in _FP8_CAPABLE and fp16:
            return Precision(
                "fp8",
                "fp8",
                2 * fp16,
                notes=[
                    f"FP8 peak of {acc.short} not in the catalog: derived as 2x its FP16 dense peak "
                    "(FP8 tensor cores run at twice the 16-bit rate on Hopper/Ada/Blackwell)"
                ],
            )
        return Precision(
            "fp8",
            half_name,
            half,
            warnings=[
                f"{acc.short} has no FP8 tensor cores: "
                f"FP8 weights are dequantised and multiplied at {half_name.upper()}"
            ],
        )
    if dtype in ("fp4", "mxfp4"):
        if acc.peak_tflops_fp4:
            return Precision(dtype, "fp4", acc.peak_tflops_fp4 * 1e12)
        return Precision(
            dtype,
            half_name,
            half,
            warnings=[
                f"{acc.short} has no FP4 tensor cores (Blackwell and MI355X have): weight-only FP4, 4-bit weights "
                f"dequantised and multiplied at {half_name.upper()}"
            ],
        )
    if dtype == "int8":
        if acc.peak_tops_int8:
            return Precision(
                "int8",
                "int8",
                acc.peak_tops_int8 * 1e12,
                notes=["INT8 = W8A8 (weights and activations in INT8, SmoothQuant-style) at the INT8 peak"],
            )
        return Precision(
            "int8",
            half_name,
            half,
            notes=[f"no INT8 peak for {acc.short}: weight-only INT8, matmuls at {half_name.upper()}"],
        )
    if dtype == "int4":
        return Precision(
            "int4",
            half_name,
            half,
            notes=[f"INT4 = weight-only (W4A16, AWQ/GPTQ): 4-bit weights, matmuls at {half_name.upper()}"],
        )
    raise GpucostError(f"unknown precision '{dtype}'", hint="use one of " + ", ".join(DTYPES))


_LINK_CACHE: dict[tuple[str, int], tuple[float, float, str]] = {}


def link(acc: Accelerator, tp: int = 2) -> tuple[float, float, str]:
    """Cached :func:`_link` (catalog rows never change at run time)."""
    key = (acc.id, tp)
    if key not in _LINK_CACHE:
        _LINK_CACHE[key] = _link(acc, tp)
    return _LINK_CACHE[key]


def _link(acc: Accelerator, tp: int = 2) -> tuple[float, float, str]:
    """GPU-to-GPU bandwidth per direction [B/s], all-reduce latency [s], and a description, for a
    tensor-parallel group of ``tp`` GPUs.

    NVLink figures in the catalog are bidirectional totals (e.g. H100 SXM 900 GB/s), so one direction
    is half. An NVLink *bridge* joins only two GPUs: larger groups talk over PCIe. Without a usable
    link figure the PCIe generation in ``interconnect_type`` decides (gen3 16, gen4 32, gen5 64 GB/s)."""
    kind = acc.interconnect_type.lower()
    m = re.search(r"pcie\s*(\d)", kind)
    pcie = _PCIE_GB_S.get(m.group(1)) if m else None
    bridge = "bridge" in kind
    if acc.interconnect_gb_s and not (bridge and tp > 2):
        lat = allreduce_latency(tp, "nvlink")
        return (
            acc.interconnect_gb_s / 2 * 1e9,
            lat,
            (
                f"{acc.interconnect_type}: {acc.interconnect_gb_s:g} GB/s total, "
                f"{acc.interconnect_gb_s / 2:g} GB/s each way"
            ),
        )
    if pcie:
        note = " (the NVLink bridge joins only 2 GPUs)" if bridge else ""
        return pcie * 1e9, allreduce_latency(tp, "pcie"), f"PCIe {m.group(1)}.0 x16, ~{pcie:g} GB/s each way{note}"
    return (
        32e9,
        allreduce_latency(tp, "pcie"),
        (
            f"{acc.interconnect_type or 'interconnect'} bandwidth not in the catalog: PCIe 4.0 x16 (32 GB/s) "
            "assumed as a floor"
        ),
    )


#: Scale-out bandwidth per GPU assumed where the catalog has none [GB/s one way]: one 400 Gb/s
#: InfiniBand NDR / RoCE NIC per GPU, as in NVIDIA's HGX/DGX H100 reference systems (8x ConnectX-7
#: 400 Gb/s for 8 GPUs: NVIDIA DGX H100 User Guide, "Hardware Overview").
SCALEOUT_FALLBACK_GB_S = 50.0
#: Latency of one collective call over the scale-out network [s]: an 8-byte all-reduce over 2 nodes
#: of 8 H20 on InfiniBand NDR took 47.6 us (nccl-tests all_reduce_perf, NVIDIA/nccl issue #1244).
SCALEOUT_LATENCY_S = 47.6e-6


def scaleout_link(acc: Accelerator) -> tuple[float, float, str]:
    """A GPU's scale-out network: bandwidth [B/s one way], per-call latency [s] and a description;
    where the catalog has no figure, ``SCALEOUT_FALLBACK_GB_S``, said so in the description."""
    if acc.scaleout_gb_s:
        return acc.scaleout_gb_s * 1e9, SCALEOUT_LATENCY_S, f"scale-out {acc.scaleout_gb_s:g} GB/s per GPU"
    return (
        SCALEOUT_FALLBACK_GB_S * 1e9,
        SCALEOUT_LATENCY_S,
        f"scale-out bandwidth of {acc.short} not in the catalog: {SCALEOUT_FALLBACK_GB_S:g} GB/s per GPU assumed "
        "(one 400 Gb/s NIC per GPU, as in NVIDIA's DGX H100)",
    )


def attention_peak(acc: Accelerator, kv_bytes: float, prec: Precision) -> float:
    """Peak FLOP/s of the attention kernels [FLOP/s]: they multiply in the KV cache's precision,
    16-bit unless the cache is FP8 (FP8 attention kernels: FlashAttention-3, TensorRT-LLM FP8 FMHA)
    on a part with FP8 tensor cores; never faster than the weights' compute precision (weight-only
    formats keep 16-bit matmuls). Only the linear layers run at FP8/FP4 rates (issue: DeepSeek-V3's
    report, arXiv:2412.19437 Sec. 3.3.1, keeps attention in BF16)."""
    half = (acc.peak_tflops_fp16 or acc.peak_tflops_fp32 or 0) * 1e12
    if kv_bytes <= 1 and prec.compute_dtype in ("fp8", "fp4"):
        fp8 = resolve_precision(acc, "fp8")
        if fp8.compute_dtype == "fp8":
            return min(fp8.peak_flops, prec.peak_flops) if prec.compute_dtype == "fp8" else fp8.peak_flops
    return min(half, prec.peak_flops) if half else prec.peak_flops
