"""Static batching (``engine=hf``) fits a replica: its prefill runs every prompt of the batch in one
pass, so the activation workspace grows with the batch's prompts, not with the preset's token budget
(which for a static batch is unbounded, 2^30 tokens: before the fix nothing fit anywhere)."""

from __future__ import annotations

import engine
from engine.memory import MEMORY_GB_BYTES


def test_the_founding_article_runs_with_the_transformers_preset():
    r = engine.run("1.17e8 P4 0.3 engine=hf")
    assert r.tokens_per_s and r.tokens_per_s > 0 and r.batch and r.batch > 1


def test_a_static_batch_is_held_in_memory():
    r = engine.run("daily llama-3-8b 8xP4 engine=hf requests=100k")
    assert r.memory_per_gpu_gb is not None
    assert 0 < r.memory_per_gpu_gb * 1e9 <= 8 * MEMORY_GB_BYTES  # within the P4's 8 GB


def test_the_static_batch_leaves_room_for_its_prompts_activations():
    """A longer prompt takes more activation memory per sequence: fewer sequences fit."""
    short = engine.run("llama-3-8b A100-80G engine=hf in=128 out=128 batch=max")
    long = engine.run("llama-3-8b A100-80G engine=hf in=4000 out=128 batch=max")
    assert short.max_batch > long.max_batch > 0
