"""The formula trace of an inference point: each step of :mod:`engine.inference` with its numbers.

``explain`` prints it; every result's JSON carries it (``trace``). Imports ``inference`` and
``memory`` only.
"""

from __future__ import annotations

from engine.architecture import ModelArch
from engine.inference import InferencePoint, Roofline
from engine.memory import usable_bytes
from engine.step import StepTerms

Step = dict[str, object]


def _line(name: str, formula: str, value: float, unit: str, ref: str = "") -> Step:
    return dict(name=name, formula=formula, value=value, unit=unit, ref=ref)


def _ops(st: StepTerms) -> str:
    """One stage step's operators, as the sum the step is."""
    parts = [f"dense max({st.dense_mem * 1e3:.3g}, {st.dense_cmp * 1e3:.3g})"]
    if st.expert_mem or st.expert_cmp:
        parts.append(f"experts max({st.expert_mem * 1e3:.3g}, {st.expert_cmp * 1e3:.3g})")
    parts.append(f"attention max({st.attn_mem * 1e3:.3g}, {st.attn_cmp * 1e3:.3g})")
    if st.prefill_attn:
        parts.append(f"prefill attention {st.prefill_attn * 1e3:.3g}")
    if st.sampling:
        parts.append(f"sampling {st.sampling * 1e3:.3g}")
    for name, v in (
        ("TP all-reduce", st.tp_comm),
        ("expert all-to-all", st.expert_comm),
        ("pipeline send", st.pp_comm),
    ):
        if v:
            parts.append(f"{name} {v * 1e3:.3g}")
    text = " + ".join(parts) + f" = GPU {st.gpu * 1e3:.3g} ms"
    if st.launch or st.host:
        text += f"; CPU: launch {st.launch * 1e3:.3g} ms, host {st.host * 1e3:.3g} ms; step {st.total * 1e3:.3g} ms"
    return text


def point_trace(rf: Roofline, arch: ModelArch, p: InferencePoint) -> list[Step]:
    """The formula trace of point ``p`` of model ``arch`` under ``rf``."""
    t, lay, dims = p.terms, p.layout, arch.dims
    s_in, s_out, hit = rf.s_in, rf.s_out, rf.cache_hit
    cached = s_in * hit
    s_new = s_in - cached
    budget = rf.budget
    per = p.batch / (lay.dp * lay.pp)
    links = rf.links(lay)[1]
    eb = rf.expert_bytes(dims)
    weights = (
        f"N x B_w = {arch.total_params:.4g} x {rf.w_bytes:g} B"
        if eb == rf.w_bytes
        else f"(N - N_experts) x B_w + N_experts x B_e = {arch.total_params - dims.routed_expert_params:.4g} x "
        f"{rf.w_bytes:g} B + {dims.routed_expert_params:.4g} x {eb:.4g} B"
    )
    steps: list[Step] = [
        _line("weights", weights, t.weights / 1e9, "GB", "memory"),
        _line(
            "weights per GPU",
            f"dense / (tp x pp) + routed experts / (dp x tp x pp), layout {lay.describe()}",
            rf.weights_per_gpu(dims, lay) / 1e9,
            "GB",
            "engine.layout",
        ),
        _line(
            "KV cache per token per GPU",
            f"{arch.kv_elements_per_token()} elements x {rf.kv_bytes:g} B / TP share",
            t.kv_per_token_gpu / 1e6,
            "MB",
            "kipply 2022; MLA: arXiv:2412.19437",
        ),
        _line(
            "memory per GPU",
            f"weights + activations of a {budget}-token chunk + b/dp x (s_in+s_out) x KV/token / pp",
            p.memory_per_gpu_gb,
            "GB",
            f"usable {usable_bytes(rf.acc.memory_gb or 0) / 1e9:.1f} GB",
        ),
        _line(
            "prefill FLOPs per request",
            f"2 (N - V d) (s_in - c) + 2 V d + 2 L (s_in^2 - c^2) w, c = {cached:g} cached prefix tokens",
            t.prefill_flops_one,
            "FLOP",
            "Kaplan 2020 Table 1",
        ),
        _line(
            "TTFT (idle replica)",
            f"{s_new:g} new prompt tokens in chunks of {budget if not rf.static else 'one pass'} on one rank, "
            f"(chunks + pp - 1) stage steps; first chunk: {_ops(t.first)}",
            t.ttft,
            "s",
            "engine.inference",
        ),
    ]
    if rf.static:
        steps += [
            _line(
                "decode step",
                f"pp x stage step at {per:g} sequences per rank: {_ops(t.decode)}; links: {links}",
                t.t_step_decode,
                "s",
                "roofline per operator (LLM-Viewer, arXiv:2402.16363)",
            ),
            _line(
                "batch prefill",
                f"one pass over {p.batch} prompts x {s_new:g} new tokens",
                t.t_prefill_batch,
                "s",
                "Pope et al. 2022",
            ),
            _line(
                "cycle",
                f"T_pf + {t.steps:.4g} steps x T_step"
                + (" (static batching waits for the longest)" if t.steps != s_out else ""),
                t.t_cycle,
                "s",
            ),
        ]
    else:
        steps += [
            _line(
                "decode-only step",
                f"pp x stage step at {t.served / (lay.dp * lay.pp):.4g} decode tokens per rank: {_ops(t.decode)}; "
                f"links: {links}",
                t.t_step_decode,
                "s",
                "roofline per operator (LLM-Viewer, arXiv:2402.16363)",
            ),
            _line(
                "step with prefill chunks",
                f"+ {t.chunk:.4g} prompt tokens per rank (= decode tokens x {s_new:g}/{s_out}, budget {budget}): "
                f"{_ops(t.mixed)}",
                t.t_step,
                "s",
                "chunked prefill piggybacked on decode (Sarathi-Serve, arXiv:2403.02310)",
            ),
            _line(
                "time per output token",
                "one step with its prefill chunks (they slow every decode step by "
                f"{(t.t_step - t.t_step_decode) * 1e3:.3g} ms)",
                t.tpot,
                "s",
            ),
            _line(
                "prefill share of busy time",
                "(T_step - T_decode) / T_step: what the chunks add",
                p.prefill_share,
                "",
            ),
            _line(
                "TTFT under load",
                f"half a step's wait + the prompt's {s_new:g} tokens in chunks of the budget the decode tokens "
                "leave, one step each (with the batch's decodes)",
                t.ttft_loaded,
                "s",
                "engine.inference",
            ),
        ]
    steps.append(
        _line(
            "output tokens/s per replica",
            f"decoding sequences / T_step = {t.served:.4g} x {s_out} / {t.t_cycle:.4g} s",
            t.out_tps,
            "tok/s",
        )
    )
    return steps
