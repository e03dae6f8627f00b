"""Source of ``engine/catalog/data/models.json``: well-known models with their published architecture.

Run ``python scripts/models_src.py`` to rewrite the JSON. Each entry cites the config or paper it was
read from. Shapes are the published ones; ``params_reported`` is the published total, which the tests
compare with the count the shape implies.
"""

from __future__ import annotations

import json
from pathlib import Path

HF = "https://huggingface.co/{}/blob/main/config.json"

M: list[dict] = [
    # --- GPT family
    dict(id="gpt-1", name="GPT-1 (117M)", aliases=["gpt1", "openai-gpt"], n_layers=12, d_model=768, n_heads=12,
         d_ff=3072, vocab_size=40478, tied_embeddings=True, learned_positions=True, max_context=512,
         params_reported=117e6, source="Radford et al. 2018, 'Improving Language Understanding by Generative "
         "Pre-Training', Sec. 4.1; " + HF.format("openai-community/openai-gpt")),
    dict(id="gpt2", name="GPT-2 (124M)", aliases=["gpt-2", "gpt2-small", "gpt-2-124m"], n_layers=12, d_model=768,
         n_heads=12, d_ff=3072, vocab_size=50257, tied_embeddings=True, learned_positions=True, max_context=1024,
         params_reported=124e6, source=HF.format("openai-community/gpt2")),
    dict(id="gpt2-medium", name="GPT-2 Medium (355M)", aliases=["gpt-2-medium"], n_layers=24, d_model=1024,
         n_heads=16, d_ff=4096, vocab_size=50257, tied_embeddings=True, learned_positions=True, max_context=1024,
         params_reported=355e6, source=HF.format("openai-community/gpt2-medium")),
    dict(id="gpt2-large", name="GPT-2 Large (774M)", aliases=["gpt-2-large"], n_layers=36, d_model=1280,
         n_heads=20, d_ff=5120, vocab_size=50257, tied_embeddings=True, learned_positions=True, max_context=1024,
         params_reported=774e6, source=HF.format("openai-community/gpt2-large")),
    dict(id="gpt2-xl", name="GPT-2 XL (1.5B)", aliases=["gpt-2-xl"], n_layers=48, d_model=1600, n_heads=25,
         d_ff=6400, vocab_size=50257, tied_embeddings=True, learned_positions=True, max_context=1024,
         params_reported=1.558e9, source=HF.format("openai-community/gpt2-xl")),
    dict(id="gpt-j-6b", name="GPT-J 6B", aliases=["gptj", "gpt-j"], n_layers=28, d_model=4096, n_heads=16,
         head_dim=256, d_ff=16384, vocab_size=50400, tied_embeddings=False, max_context=2048,
         params_reported=6.05e9, source=HF.format("EleutherAI/gpt-j-6b")),
    dict(id="gpt-3-175b", name="GPT-3 175B", aliases=["gpt3", "gpt-3", "davinci", "gpt-3-davinci"], n_layers=96,
         d_model=12288, n_heads=96, d_ff=49152, vocab_size=50257, tied_embeddings=True, learned_positions=True,
         max_context=2048, params_reported=175e9,
         source="Brown et al. 2020, arXiv:2005.14165, Table 2.1"),
    dict(id="opt-175b", name="OPT-175B", aliases=["opt"], n_layers=96, d_model=12288, n_heads=96, d_ff=49152,
         vocab_size=50272, tied_embeddings=True, learned_positions=True, max_context=2048, params_reported=175e9,
         source="Zhang et al. 2022, arXiv:2205.01068, Table 1"),
    dict(id="bloom-176b", name="BLOOM 176B", aliases=["bloom"], n_layers=70, d_model=14336, n_heads=112,
         d_ff=57344, vocab_size=250880, tied_embeddings=True, max_context=2048, params_reported=176.2e9,
         source=HF.format("bigscience/bloom")),
    dict(id="palm-540b", name="PaLM 540B", aliases=["palm"], n_layers=118, d_model=18432, n_heads=48,
         n_kv_heads=1, head_dim=256, attention="mqa", d_ff=73728, gated_mlp=True, vocab_size=256000,
         tied_embeddings=True, max_context=2048, params_reported=540.35e9,
         source="Chowdhery et al. 2022, arXiv:2204.02311, Table 1 (MQA, SwiGLU, shared input/output embeddings)"),
    # --- LLaMA 1
    dict(id="llama-7b", name="LLaMA 7B", aliases=["llama1-7b"], n_layers=32, d_model=4096, n_heads=32, d_ff=11008,
         gated_mlp=True, vocab_size=32000, max_context=2048, params_reported=6.74e9,
         source="Touvron et al. 2023, arXiv:2302.13971, Table 2; " + HF.format("huggyllama/llama-7b")),
    dict(id="llama-13b", name="LLaMA 13B", aliases=["llama1-13b"], n_layers=40, d_model=5120, n_heads=40,
         d_ff=13824, gated_mlp=True, vocab_size=32000, max_context=2048, params_reported=13.0e9,
         source=HF.format("huggyllama/llama-13b")),
    dict(id="llama-33b", name="LLaMA 33B", aliases=["llama-30b", "llama1-33b"], n_layers=60, d_model=6656,
         n_heads=52, d_ff=17920, gated_mlp=True, vocab_size=32000, max_context=2048, params_reported=32.5e9,
         source=HF.format("huggyllama/llama-30b")),
    dict(id="llama-65b", name="LLaMA 65B", aliases=["llama1-65b"], n_layers=80, d_model=8192, n_heads=64,
         d_ff=22016, gated_mlp=True, vocab_size=32000, max_context=2048, params_reported=65.2e9,
         source=HF.format("huggyllama/llama-65b")),
    # --- Llama 2
    dict(id="llama-2-7b", name="Llama 2 7B", aliases=["llama2-7b", "llama-2-7b-chat"], n_layers=32, d_model=4096,
         n_heads=32, d_ff=11008, gated_mlp=True, vocab_size=32000, max_context=4096, params_reported=6.74e9,
         source=HF.format("meta-llama/Llama-2-7b-hf")),
    dict(id="llama-2-13b", name="Llama 2 13B", aliases=["llama2-13b", "llama-2-13b-chat"], n_layers=40,
         d_model=5120, n_heads=40, d_ff=13824, gated_mlp=True, vocab_size=32000, max_context=4096,
         params_reported=13.0e9, source=HF.format("meta-llama/Llama-2-13b-hf")),
    dict(id="llama-2-70b", name="Llama 2 70B", aliases=["llama2-70b", "llama-2-70b-chat"], n_layers=80,
         d_model=8192, n_heads=64, n_kv_heads=8, attention="gqa", d_ff=28672, gated_mlp=True, vocab_size=32000,
         max_context=4096, params_reported=68.98e9, source=HF.format("meta-llama/Llama-2-70b-hf")),
    # --- Llama 3 / 3.1 / 3.3
    dict(id="llama-3-8b", name="Llama 3 8B", aliases=["llama3-8b", "meta-llama-3-8b"], n_layers=32, d_model=4096,
         n_heads=32, n_kv_heads=8, attention="gqa", d_ff=14336, gated_mlp=True, vocab_size=128256,
         max_context=8192, params_reported=8.03e9, source=HF.format("meta-llama/Meta-Llama-3-8B")),
    dict(id="llama-3-70b", name="Llama 3 70B", aliases=["llama3-70b", "meta-llama-3-70b"], n_layers=80,
         d_model=8192, n_heads=64, n_kv_heads=8, attention="gqa", d_ff=28672, gated_mlp=True, vocab_size=128256,
         max_context=8192, params_reported=70.6e9, source=HF.format("meta-llama/Meta-Llama-3-70B")),
    dict(id="llama-3.1-8b", name="Llama 3.1 8B", aliases=["llama3.1-8b"], n_layers=32, d_model=4096, n_heads=32,
         n_kv_heads=8, attention="gqa", d_ff=14336, gated_mlp=True, vocab_size=128256, max_context=131072,
         params_reported=8.03e9, source=HF.format("meta-llama/Llama-3.1-8B")),
    dict(id="llama-3.1-70b", name="Llama 3.1 70B", aliases=["llama3.1-70b"], n_layers=80, d_model=8192,
         n_heads=64, n_kv_heads=8, attention="gqa", d_ff=28672, gated_mlp=True, vocab_size=128256,
         max_context=131072, params_reported=70.6e9, source=HF.format("meta-llama/Llama-3.1-70B")),
    dict(id="llama-3.1-405b", name="Llama 3.1 405B", aliases=["llama3.1-405b", "llama-405b"], n_layers=126,
         d_model=16384, n_heads=128, n_kv_heads=8, attention="gqa", d_ff=53248, gated_mlp=True,
         vocab_size=128256, max_context=131072, params_reported=405.9e9,
         source=HF.format("meta-llama/Llama-3.1-405B")),
    dict(id="llama-3.3-70b", name="Llama 3.3 70B", aliases=["llama3.3-70b"], n_layers=80, d_model=8192,
         n_heads=64, n_kv_heads=8, attention="gqa", d_ff=28672, gated_mlp=True, vocab_size=128256,
         max_context=131072, params_reported=70.6e9, source=HF.format("meta-llama/Llama-3.3-70B-Instruct")),
    # --- Mistral
    dict(id="mistral-7b", name="Mistral 7B", aliases=["mistral"], n_layers=32, d_model=4096, n_heads=32,
         n_kv_heads=8, attention="gqa", d_ff=14336, gated_mlp=True, vocab_size=32000, max_context=32768,
         params_reported=7.24e9, source=HF.format("mistralai/Mistral-7B-v0.1")),
    dict(id="mixtral-8x7b", name="Mixtral 8x7B", aliases=["mixtral"], n_layers=32, d_model=4096, n_heads=32,
         n_kv_heads=8, attention="gqa", d_ff=14336, gated_mlp=True, vocab_size=32000, max_context=32768,
         n_experts=8, top_k=2, params_reported=46.7e9, active_params_reported=12.9e9,
         source=HF.format("mistralai/Mixtral-8x7B-v0.1") + "; Jiang et al. 2024, arXiv:2401.04088"),
    dict(id="mixtral-8x22b", name="Mixtral 8x22B", aliases=[], n_layers=56, d_model=6144, n_heads=48,
         n_kv_heads=8, attention="gqa", d_ff=16384, gated_mlp=True, vocab_size=32768, max_context=65536,
         n_experts=8, top_k=2, params_reported=141e9, active_params_reported=39e9,
         source=HF.format("mistralai/Mixtral-8x22B-v0.1") + "; mistral.ai/news/mixtral-8x22b"),
    # --- Qwen 2.5
    dict(id="qwen2.5-7b", name="Qwen2.5 7B", aliases=["qwen-2.5-7b", "qwen2.5-7b-instruct"], n_layers=28,
         d_model=3584, n_heads=28, n_kv_heads=4, attention="gqa", d_ff=18944, gated_mlp=True, vocab_size=152064,
         max_context=131072, params_reported=7.61e9, source=HF.format("Qwen/Qwen2.5-7B")),
    dict(id="qwen2.5-14b", name="Qwen2.5 14B", aliases=["qwen-2.5-14b"], n_layers=48, d_model=5120, n_heads=40,
         n_kv_heads=8, attention="gqa", d_ff=13824, gated_mlp=True, vocab_size=152064, max_context=131072,
         params_reported=14.7e9, source=HF.format("Qwen/Qwen2.5-14B")),
    dict(id="qwen2.5-32b", name="Qwen2.5 32B", aliases=["qwen-2.5-32b"], n_layers=64, d_model=5120, n_heads=40,
         n_kv_heads=8, attention="gqa", d_ff=27648, gated_mlp=True, vocab_size=152064, max_context=131072,
         params_reported=32.5e9, source=HF.format("Qwen/Qwen2.5-32B")),
    dict(id="qwen2.5-72b", name="Qwen2.5 72B", aliases=["qwen-2.5-72b", "qwen2.5-72b-instruct"], n_layers=80,
         d_model=8192, n_heads=64, n_kv_heads=8, attention="gqa", d_ff=29568, gated_mlp=True, vocab_size=152064,
         max_context=131072, params_reported=72.7e9, source=HF.format("Qwen/Qwen2.5-72B")),
    # --- DeepSeek (MLA + DeepSeekMoE)
    dict(id="deepseek-v3", name="DeepSeek-V3 (671B, 37B active)", aliases=["deepseek", "deepseek-v3-671b"],
         n_layers=61, d_model=7168, n_heads=128, attention="mla", q_lora_rank=1536, kv_lora_rank=512,
         qk_nope_head_dim=128, qk_rope_head_dim=64, v_head_dim=128, d_ff=18432, gated_mlp=True,
         vocab_size=129280, max_context=131072, n_experts=256, top_k=8, n_shared_experts=1, moe_d_ff=2048,
         first_dense_layers=3, params_reported=671e9, active_params_reported=37e9,
         source=HF.format("deepseek-ai/DeepSeek-V3") + "; DeepSeek-AI 2024, arXiv:2412.19437 (671B excl. the 14B MTP module)"),
    dict(id="deepseek-r1", name="DeepSeek-R1 (671B, 37B active)", aliases=["r1", "deepseek-r1-671b"],
         n_layers=61, d_model=7168, n_heads=128, attention="mla", q_lora_rank=1536, kv_lora_rank=512,
         qk_nope_head_dim=128, qk_rope_head_dim=64, v_head_dim=128, d_ff=18432, gated_mlp=True,
         vocab_size=129280, max_context=131072, n_experts=256, top_k=8, n_shared_experts=1, moe_d_ff=2048,
         first_dense_layers=3, params_reported=671e9, active_params_reported=37e9,
         source=HF.format("deepseek-ai/DeepSeek-R1") + " (same architecture as DeepSeek-V3)"),
    # --- Falcon
    dict(id="falcon-7b", name="Falcon 7B", aliases=[], n_layers=32, d_model=4544, n_heads=71, n_kv_heads=1,
         attention="mqa", d_ff=18176, vocab_size=65024, tied_embeddings=True, max_context=2048,
         params_reported=7.22e9, source=HF.format("tiiuae/falcon-7b")),
    dict(id="falcon-40b", name="Falcon 40B", aliases=[], n_layers=60, d_model=8192, n_heads=128, n_kv_heads=8,
         attention="gqa", d_ff=32768, vocab_size=65024, tied_embeddings=True, max_context=2048,
         params_reported=41.8e9, source=HF.format("tiiuae/falcon-40b")),
    dict(id="falcon-180b", name="Falcon 180B", aliases=["falcon"], n_layers=80, d_model=14848, n_heads=232,
         n_kv_heads=8, attention="gqa", d_ff=59392, vocab_size=65024, tied_embeddings=True, max_context=2048,
         params_reported=179.5e9, source=HF.format("tiiuae/falcon-180B") + "; Almazrouei et al. 2023, arXiv:2311.16867"),
    # --- Gemma 2, Phi-3
    dict(id="gemma-2-9b", name="Gemma 2 9B", aliases=["gemma2-9b"], n_layers=42, d_model=3584, n_heads=16,
         n_kv_heads=8, head_dim=256, attention="gqa", d_ff=14336, gated_mlp=True, vocab_size=256000,
         tied_embeddings=True, max_context=8192, params_reported=9.24e9, source=HF.format("google/gemma-2-9b")),
    dict(id="gemma-2-27b", name="Gemma 2 27B", aliases=["gemma2-27b"], n_layers=46, d_model=4608, n_heads=32,
         n_kv_heads=16, head_dim=128, attention="gqa", d_ff=36864, gated_mlp=True, vocab_size=256000,
         tied_embeddings=True, max_context=8192, params_reported=27.2e9, source=HF.format("google/gemma-2-27b")),
    dict(id="phi-3-mini", name="Phi-3 mini (3.8B)", aliases=["phi3-mini", "phi-3-mini-4k"], n_layers=32,
         d_model=3072, n_heads=32, d_ff=8192, gated_mlp=True, vocab_size=32064, max_context=4096,
         params_reported=3.82e9, source=HF.format("microsoft/Phi-3-mini-4k-instruct")),
]


def main() -> None:
    for m in M:
        m.setdefault("as_of", "2024-12")
        if m.get("n_kv_heads") and m.get("attention", "mha") == "mha":
            raise SystemExit(f"{m['id']}: n_kv_heads without attention kind")
    out = Path(__file__).resolve().parents[1] / "engine" / "catalog" / "data" / "models.json"
    out.write_text(json.dumps(M, indent=1) + "\n", encoding="utf-8")
    print(f"{len(M)} models -> {out}")


if __name__ == "__main__":
    main()
