"""``gpucost help [topic]``: the grammar, every subcommand and every option with its unit.

``gpucost help`` and ``gpucost --help`` print the same text; ``gpucost help daily`` (any
subcommand, or ``options``) prints that part and the options it reads. The option list comes from
:data:`engine.query.OPTIONS` and :data:`engine.query.APPLIES`, so it cannot drift from the parser.

Imports only ``query`` and ``errors``.
"""

from __future__ import annotations

from engine.errors import GpucostError, suggest
from engine.query import APPLIES, OPTIONS

INTRO = """gpucost: what an LLM costs to run or train, in GPUs and money.

usage: gpucost [--json] [subcommand] <model|params> <gpu> [price] [key=value ...] [flag ...]
       gpucost help [subcommand]     this text, or one subcommand and the options it reads
       --json (before or after the query) prints the result as JSON with stable keys
       --png FILE saves the chart of a plan or a curve (needs matplotlib: pip install 'gpucost[slack]')

Models: a catalog name ('gpucost models'), a Hugging Face repo id of one (meta-llama/Meta-Llama-3-8B-
Instruct: instruct, chat and base releases have their base model's shape), a parameter count (117M,
7B, 1.17e8, 1.17亿, 7千万) or a path to a Hugging Face config.json (command line only).
GPUs: forgiving names (P4, a100-80g, 'H100 PCIe'), with a count: 8xH100.
Prices are per GPU-hour: 0.3, $2.5, 2.5usd, 0.3元, ¥0.3, 0.3cny (a bare number is in GPUCOST_CURRENCY,
USD unless set; shared queries write the currency). Without a price, the lowest on-demand catalog
price is used and named.
An option the subcommand does not read (days= on an inference query, in= on train) or two that set
the same thing (requests= and users=, gpus= and days=) is an error, never silently dropped.
"""

#: One paragraph per subcommand: what it answers, its grammar and an example.
SECTIONS: dict[str, str] = {
    "inference": """(no subcommand) inference: one replica's throughput, latency, memory and cost per request
  and per million tokens, and the fleet for a stated traffic.
  gpucost <model|params> <gpu> [price] [key=value ...]
  e.g. gpucost 1.17e8 P4 0.3          gpucost llama-3-70b 8xH100 in=500 out=300 dtype=fp8
  cost per request is the fleet's at the stated traffic (x requests/day = cost per day); the
  replica's cost at the target utilisation, before peak headroom, is shown beside it.""",
    "daily": """daily: a ChatGPT-like service for a day: fleet size, cost per day, month and request.
  gpucost daily <model> <gpu> [price] [requests=|users= per_user=|tokens_in= tokens_out=] [key=value ...]
  e.g. gpucost daily llama-3-70b H100 requests=5M in=800 out=400 peak=2 util=0.6
  measured mode: decode_tps= (and prefill_tps=) per GPU from your own benchmark replace the roofline.
  gpus= fixes the fleet; one too small for the traffic is refused with the GPUs it needs.""",
    "train": """train: a training run: FLOPs, GPU-hours, wall-clock days and cost.
  gpucost train <model> <gpu> [price] tokens=2T [gpus=1024 | days=30] [mfu=] [goodput=]
  e.g. gpucost train llama-2-7b A100-80G tokens=2T gpus=1024
  A layout on the given GPUs (tp=, pp=, vpp=, global_batch=, micro_batch=) charges the pipeline
  bubble and the exposed tensor- and data-parallel all-reduces on top of mfu= (then the MFU while
  computing); without one, mfu= is the flat steady-state MFU.
  e.g. gpucost train gpt-3-175b 1536xA100-80G tokens=300B tp=8 pp=12 global_batch=1536""",
    "compare": """compare: one inference workload across GPUs, ranked by cost per million tokens.
  gpucost compare <model> [gpu,gpu,...] [price] [key=value ...]
  e.g. gpucost compare qwen2.5-72b H100,H200,MI300X 2.5usd
  Prices: GPU@PRICE (H100@2.5usd,H200@3.5usd) is that GPU's; a price after the list applies to
  every GPU named without one. One GPU (or none) is compared with the usual alternatives at their
  lowest catalog prices; those with no catalog price are left out, named in one line.
  GPU@provider (H100@aws) pins a provider; provider=aws,gcp compares each GPU at each provider.""",
    "plan": """plan: the cheapest way to serve a workload within its latency limits, and whether an API is cheaper.
  gpucost plan <model> [requests=|users= per_user=|tokens_in= tokens_out=] [in= out=] [ttft_max= tpot_max=]
               [gpus=H100,H200,...] [provider= region= spot] [cache_hit=] [currency=] [--png FILE]
  e.g. gpucost plan llama-3-70b requests=1M in=1000 out=300 tpot_max=50ms ttft_max=2s
  Searches every GPU kind with a price (or those gpus= names; GPU@PRICE gives your own price) x
  precision (as released, 16-bit, FP8/FP4 where the GPU has them; or dtype=) x serving engine (vllm,
  sglang, trtllm where each runs; or engine=) x replica size, parallel layout and batch, colocated or
  disaggregated (disagg: only that; disagg=false: never) x each provider's cheapest price row; keeps
  what meets the limits, ranks it by cost per day and marks the frontier of cost per million output
  tokens against time per output token. Each row's query is the daily query that reproduces it.
  Beside it: the API offers for the model priced for the workload, and the break-even traffic above
  which self-hosting always costs less than the cheapest offer (none when the API always does).""",
    "curve": """curve: output tokens/s per GPU against tokens/s per user (1 / time per output token), over
  batch sizes, one line per parallel layout and their frontier: the plot public inference benchmarks
  draw (InferenceMAX). With a price, one replica's cost per million output tokens at each point.
  gpucost curve <model> <gpu> [price] [in= out=] [dtype=] [engine=] [tp= ...] [--png FILE]
  e.g. gpucost curve llama-3-70b H100 in=1000 out=300      gpucost curve deepseek-v3 8xH200 dtype=fp8""",
    "explain": """explain: the formula behind each number, and which assumptions move the cost most.
  gpucost explain <inference|daily|train query>
  e.g. gpucost explain daily gpt-3-175b A100-80G requests=10M""",
    "import": """import: price a measured benchmark run (vLLM serving benchmark JSON, genai-perf profile
  export, MLPerf mlperf_log_summary.txt) as a daily service in measured mode.
  gpucost import FILE <gpu-count x gpu> [price] [model=NAME] [requests=...] [key=value ...]
  e.g. gpucost import result.json 8xH100 2.5usd requests=1M
  model= names the model when the file does not (or names one the catalog lacks); lengths and
  throughput come from the file.""",
    "calibrate": """calibrate: fit the roofline's compute and bandwidth efficiencies to measured runs and save
  them as a named profile, used with calibration=NAME.
  gpucost calibrate NAME FILE... <model> <gpu-count x gpu> [dtype=] [kv=] [batch=] [tp=] [in=] [out=]
  e.g. gpucost calibrate h100-vllm run1.json run2.json llama-3-8b 1xH100 batch=32""",
    "gpus": """gpus: the accelerator catalog (memory, bandwidth, dense peaks, sources).""",
    "models": """models: the model catalog (shapes, sources).""",
    "prices": """prices: catalog prices per GPU-hour, cheapest first.
  gpucost prices [gpu] [provider=] [region=] [spot] [--all]
  gpucost prices import-skypilot PATH     add a SkyPilot vms.csv to your price file (GPUCOST_PRICE_FILE)
  Each row keeps the currency its source publishes (CNY for Chinese clouds); the default price of
  a GPU is its cheapest on-demand row after conversion at the FX rate in force.""",
    "api": """api: published API prices per million tokens (input, cached input, output), by model and
  provider, with currency, date and source; closed models (OpenAI, Anthropic, Google) for reference.
  gpucost api [model] [provider=] [currency=] [requests= in= out= cache_hit=]
  e.g. gpucost api gpt-oss-120b       gpucost api kimi-k2 requests=1M in=800 out=400 cache_hit=0.5
  with requests= (and in=, out=), each offer's cost per day for that traffic; cache_hit= is the
  share of input tokens billed at the cached-input price.""",
}

#: The unit (and accepted forms) of each option's value, for the option list.
UNITS: dict[str, str] = {
    "in": "tokens (512, 2k)",
    "out": "tokens",
    "batch": "sequences, or max",
    "tp": "GPUs",
    "pp": "stages",
    "dp": "ranks",
    "ep": "GPUs",
    "nodes": "nodes",
    "requests": "requests/day (5M, 1e6)",
    "users": "users",
    "per_user": "requests/user/day",
    "tokens_in": "tokens/day (600B)",
    "tokens_out": "tokens/day",
    "peak": "ratio >= 1",
    "util": "fraction 0-1",
    "tokens": "tokens (2T)",
    "gpus": "GPUs (plan: GPU names, H100,H200@3.5usd)",
    "days": "days",
    "mfu": "fraction 0-1",
    "goodput": "fraction 0-1",
    "seq": "tokens",
    "vpp": "chunks per GPU",
    "global_batch": "sequences per step",
    "micro_batch": "sequences",
    "provider": "e.g. aws, gcp, azure, lambda",
    "region": "e.g. us-east-1",
    "spot": "flag",
    "currency": "USD or CNY",
    "prefill_tps": "tokens/s per GPU",
    "decode_tps": "tokens/s per GPU",
    "power": "W per GPU",
    "pue": "ratio >= 1",
    "kwh": "price per kWh (0.1usd, 0.6元)",
    "out_spread": "fraction 0-1",
    "ttft_max": "time (500ms, 2s; a bare number is seconds)",
    "tpot_max": "time (50ms; a bare number is seconds)",
    "compute_eff": "fraction 0-1",
    "bw_eff": "fraction 0-1",
    "calibration": "profile name",
    "disagg": "flag",
    "beams": "sequences per request (output counted once)",
    "prompts": "requests (a benchmark run sent at once and drained)",
    "prefill_gpus": "GPUs",
    "decode_gpus": "GPUs",
    "cache_hit": "fraction 0-0.99 of input tokens (prefix-cache hits skip their prefill)",
}

_CALIBRATE_OPTIONS = ("dtype", "kv", "batch", "tp", "in", "out", "batching", "out_spread")
_TOPIC_ALIASES = {"infer": "inference", "inference": "inference", "": "inference", "option": "options"}


def _option_lines(keys: tuple[str, ...] | list[str]) -> str:
    lines = []
    for k in keys:
        if k == "model":
            lines.append(f"  {'model':<12} the model, when the result file does not name it  [catalog name or params]")
            continue
        spec = OPTIONS[k]
        unit = UNITS.get(k, "")
        choices = f" ({', '.join(spec.choices)})" if spec.choices else ""
        lines.append(f"  {k:<12} {spec.help}{choices}" + (f"  [{unit}]" if unit else ""))
    return "\n".join(lines)


def _options_of(topic: str) -> list[str]:
    if topic == "import":  # a daily service in measured mode: the file gives the throughput
        return ["model", *(k for k in OPTIONS if k in APPLIES["daily"] and k not in ("decode_tps", "prefill_tps"))]
    if topic == "calibrate":
        return list(_CALIBRATE_OPTIONS)
    if topic == "explain":
        topic = "inference"
    applies = APPLIES.get(topic)
    return [k for k in OPTIONS if applies is not None and k in applies]


def help_text(topic: str | None = None) -> str:
    """The whole help (``topic`` None), or one subcommand's part with the options it reads."""
    if topic is None:
        body = "\n\n".join(SECTIONS.values())
        return f"{INTRO}\nSubcommands:\n\n{body}\n\nOptions (key=value, with units):\n{_option_lines(list(OPTIONS))}\n"
    key = _TOPIC_ALIASES.get(topic.lower(), topic.lower())
    if key == "options":
        return f"Options (key=value, with units):\n{_option_lines(list(OPTIONS))}\n"
    if key not in SECTIONS:
        raise GpucostError(
            f"no help on '{topic}'",
            token=topic,
            suggestions=suggest(topic, [*SECTIONS, "options"]),
            hint="'gpucost help' lists every subcommand",
        )
    opts = _options_of(key)
    tail = f"\n\nOptions it reads (key=value, with units):\n{_option_lines(opts)}" if opts else ""
    return f"{SECTIONS[key]}{tail}\n"
