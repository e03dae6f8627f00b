"""Formulas against hand-computed values (reference README; Kaplan 2020; kipply 2022; PaLM App. B)."""

import math

import pytest

from engine.catalog import resolve_gpu, resolve_model
from engine.flops import forward_flops_per_token, prefill_flops, training_flops_per_token
from engine.hardware import resolve_precision
from engine.inference import roofline
from engine.memory import max_batch, min_gpus

A100 = resolve_gpu("A100-80G")  # 312 TFLOPS bf16, 2039 GB/s, 80 GB
H100 = resolve_gpu("H100")  # 989.4 TFLOPS bf16, 3350 GB/s, NVLink 900 GB/s


def test_forward_and_prefill_flops():
    assert forward_flops_per_token(7e9, 32, 4096, 1000) == 2 * 7e9 + 4 * 32 * 1000 * 4096
    assert prefill_flops(7e9, 32, 4096, 100) == 2 * 7e9 * 100 + 2 * 32 * 100**2 * 4096
    assert prefill_flops(7e9, 32, 4096, 100, lm_head=1e8) == 2 * (7e9 - 1e8) * 100 + 2 * 1e8 + 2 * 32 * 100**2 * 4096


def test_mla_decode_attends_in_the_latent_space():
    ds = resolve_model("deepseek-v3")
    assert ds.attn_width(decode=True) == 128 * (2 * 512 + 64) // 2  # Q.K over 576, A.V over 512 per head
    assert ds.attn_width() == 128 * (192 + 128) // 2  # prefill: per-head qk 192, v 128
    llama = resolve_model("llama-2-7b")
    assert llama.attn_width(decode=True) == llama.attn_width() == 4096


def test_palm_training_compute_matches_the_paper():
    palm = resolve_model("palm-540b")
    per_tok = training_flops_per_token(palm.forward_params(), 118, 48 * 256, 2048)
    # PaLM reports 2527.2 zettaFLOPs for 780B tokens (Chowdhery et al. 2022, Table 21 / case T13)
    assert per_tok * 780e9 == pytest.approx(2527.2e21, rel=0.02)


def test_crossover_batch_from_memory_to_compute_bound():
    # Without KV traffic, decode turns compute-bound at b* = P e_c B_w / (2 BW e_b) (reference README:
    # about 150 on an A100 at 16 bits with equal efficiencies). A 1-token context keeps KV negligible.
    m = resolve_model("llama-2-7b")
    prec = resolve_precision(A100, "bf16")
    b_star = 312e12 * 0.55 * 2 / (2 * 2039e9 * 0.70)
    assert 312e12 * 2 / (2 * 2039e9) == pytest.approx(153, abs=1)
    below = roofline(m, A100, prec, 2.0, 1, int(b_star * 0.8), 1, 1, 0.55, 0.70)
    above = roofline(m, A100, prec, 2.0, 1, int(b_star * 1.25), 1, 1, 0.55, 0.70)
    assert below.decode_bound == "memory bandwidth" and above.decode_bound == "compute"


def test_memory_fit_and_minimum_gpus():
    m = resolve_model("llama-2-70b")
    assert min_gpus(m, 80, 2, 2, 1024) == 2  # 138 GB of bf16 weights: two 80 GB cards
    assert min_gpus(m, 80, 0.5, 2, 1024) == 1  # int4 weights fit one card
    # largest batch on 2x H100: (0.9 x 80 GB - 69 GB - activations) / (KV per sequence per GPU)
    mb = max_batch(m, 80, 2, 2, 2, 1024)
    per_seq = 2 * 80 * 8 * 128 * 2 / 2 * 1024
    free = 80 * 2**30 * 0.9 - m.total_params * 2 / 2 - 2048 * (4 * 8192 + 2 * 28672) * 2 / 2  # HBM 'GB' = GiB
    assert mb == math.floor(free / per_seq)
