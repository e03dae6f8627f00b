"""The query grammar shared by the command line, Slack and Excel.

    [subcommand] <model|params> <gpu> [<price>] [key=value ...] [flag ...]

Subcommands: (none) = inference, ``daily``, ``train``, ``compare``, ``plan``, ``curve``, ``gpus``,
``models``, ``prices``, ``api``, ``explain``, ``help``. ``<gpu>`` may carry a count (``8xH100``);
``compare`` takes a comma list of GPUs (or none, for the usual alternatives); ``plan`` takes a model
and no GPU (its ``gpus=`` is a comma list of GPU names, ``GPU@PRICE`` for a price of your own).
Options are validated here (type and plausible range), so a bad one fails with a one-line message
naming the token and how to fix it.

Imports only pydantic and the standard library.
"""

from __future__ import annotations

import copy
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from engine.errors import GpucostError, suggest
from engine.units import parse_number, parse_price

SUBCOMMANDS = (
    "daily", "train", "compare", "plan", "curve", "gpus", "models", "prices", "api", "explain", "help", "import",
    "calibrate",
)  # fmt: skip
_SUB_ALIASES = {
    "infer": None,
    "inference": None,
    "serve": "daily",
    "service": "daily",
    "training": "train",
    "gpu": "gpus",
    "model": "models",
    "price": "prices",
    "?": "help",
    "--help": "help",
    "-h": "help",
}
FLAGS = {
    "spot": ("spot", "true"),
    "ondemand": ("spot", "false"),
    "on-demand": ("spot", "false"),
    "static": ("batching", "static"),
    "continuous": ("batching", "continuous"),
    "--all": ("all", "true"),
    "disagg": ("disagg", "true"),
}
MAX_QUERY_CHARS = 2000


@dataclass(frozen=True)
class OptionSpec:
    """One ``key=value`` option: how to parse it and its plausible range (inclusive)."""

    kind: str  # number | int | text | price | bool | seconds
    lo: float | None = None
    hi: float | None = None
    help: str = ""
    choices: tuple[str, ...] = ()


OPTIONS: dict[str, OptionSpec] = {
    "in": OptionSpec("int", 1, 10_000_000, "prompt tokens per request"),
    "out": OptionSpec("int", 1, 10_000_000, "generated tokens per request"),
    "batch": OptionSpec("batch", 1, 1_000_000, "concurrent sequences per replica, or max"),
    "tp": OptionSpec("int", 1, 4096, "tensor-parallel degree (serving alone: GPUs per replica)"),
    "pp": OptionSpec("int", 1, 512, "pipeline-parallel stages (per replica, or of a training run)"),
    "vpp": OptionSpec("int", 1, 512, "training: virtual pipeline stages per GPU (interleaved 1F1B schedule)"),
    "global_batch": OptionSpec("int", 1, 1e9, "training sequences per optimizer step"),
    "micro_batch": OptionSpec("int", 1, 1e6, "training sequences per micro-batch"),
    "dp": OptionSpec("int", 1, 4096, "attention data-parallel ranks per replica (MoE: DP attention)"),
    "ep": OptionSpec("int", 1, 4096, "expert-parallel degree (MoE): 1, or dp x tp"),
    "nodes": OptionSpec("int", 1, 1024, "nodes a replica spans (sets GPUs per node)"),
    "dtype": OptionSpec(
        "text", help="weight precision", choices=("fp32", "fp16", "bf16", "fp8", "fp4", "mxfp4", "int8", "int4")
    ),
    "kv": OptionSpec("text", help="KV-cache precision", choices=("fp32", "fp16", "bf16", "fp8", "int8", "int4")),
    "requests": OptionSpec("number", 1e-3, 1e13, "requests per day"),
    "users": OptionSpec("number", 1, 1e11, "daily active users"),
    "per_user": OptionSpec("number", 1e-3, 1e6, "requests per user per day"),
    "tokens_in": OptionSpec("number", 1, 1e17, "input tokens per day"),
    "tokens_out": OptionSpec("number", 1, 1e17, "output tokens per day"),
    "peak": OptionSpec("number", 1, 100, "peak-to-average traffic ratio"),
    "util": OptionSpec("number", 0.01, 1, "target utilisation, run/(run+idle)"),
    "tokens": OptionSpec("number", 1e3, 1e17, "training tokens"),
    "gpus": OptionSpec("int", 1, 10_000_000, "GPUs for training (or for the fleet)"),
    "days": OptionSpec("number", 0.001, 36500, "training deadline in days"),
    "mfu": OptionSpec("number", 0.01, 1, "steady-state model FLOPs utilisation"),
    "goodput": OptionSpec("number", 0.01, 1, "share of wall-clock time that advances training"),
    "seq": OptionSpec("int", 1, 10_000_000, "training sequence length"),
    "provider": OptionSpec("text", help="cloud provider for the catalog price"),
    "region": OptionSpec("text", help="cloud region for the catalog price"),
    "spot": OptionSpec("bool", help="use spot prices"),
    "currency": OptionSpec("text", help="USD or CNY"),
    "prefill_tps": OptionSpec("number", 1e-6, 1e9, "measured prefill tokens/s per GPU"),
    "decode_tps": OptionSpec("number", 1e-6, 1e9, "measured decode tokens/s per GPU"),
    "power": OptionSpec("number", 1, 100_000, "power draw per GPU [W]"),
    "pue": OptionSpec("number", 1, 5, "data-centre PUE"),
    "kwh": OptionSpec("price", help="electricity price per kWh"),
    "engine": OptionSpec(
        "text",
        help="serving engine preset",
        choices=("hf", "vllm", "vllm@0.5", "sglang", "trtllm", "trtllm@0.6"),
    ),
    "batching": OptionSpec("text", help="static or continuous", choices=("static", "continuous")),
    "out_spread": OptionSpec("number", 0, 1, "reply-length spread for static batching (0 = fixed lengths)"),
    "ttft_max": OptionSpec("seconds", 1e-4, 3600, "time-to-first-token limit"),
    "tpot_max": OptionSpec("seconds", 1e-5, 60, "time-per-output-token limit"),
    "compute_eff": OptionSpec("number", 0.01, 1, "fraction of peak FLOP/s reached"),
    "bw_eff": OptionSpec("number", 0.01, 1, "fraction of peak memory bandwidth reached"),
    "calibration": OptionSpec("text", help="named calibration profile"),
    "cache_hit": OptionSpec("number", 0, 0.99, "share of prompt tokens served from a prefix cache"),
    "beams": OptionSpec("int", 1, 64, "beam search: sequences decoded per request"),
    "prompts": OptionSpec("int", 1, 1_000_000, "a benchmark's requests sent at once: predict that finite run"),
    "disagg": OptionSpec(
        "bool",
        help="daily: prefill and decode on separate pools, each sized for the peak (plan: only those; =false: none)",
    ),
    "prefill_gpus": OptionSpec("int", 1, 4096, "disagg: GPUs per prefill replica"),
    "decode_gpus": OptionSpec("int", 1, 4096, "disagg: GPUs per decode replica"),
    "all": OptionSpec("bool", help="prices: every row, not the summary and the cheapest ten"),
}
_OPTION_ALIASES = {
    "input": "in",
    "output": "out",
    "prompt": "in",
    "gen": "out",
    "bs": "batch",
    "precision": "dtype",
    "kv_dtype": "kv",
    "req": "requests",
    "requests_per_day": "requests",
    "utilization": "util",
    "utilisation": "util",
    "ttft": "ttft_max",
    "tpot": "tpot_max",
    "serving": "engine",
    "cloud": "provider",
    "price_kwh": "kwh",
    "gpu_count": "gpus",
    "peak_ratio": "peak",
    "gbs": "global_batch",
    "global_batch_size": "global_batch",
    "mbs": "micro_batch",
    "micro_batch_size": "micro_batch",
}


@dataclass
class Query:
    """A parsed query. ``options`` keeps the user's canonical text values; typed values are in
    ``values``. A plain dataclass (not a pydantic model): it is built from already-validated parts
    and copied on every estimate, so it must be cheap."""

    kind: str = "inference"
    model: str | None = None
    gpu: str | None = None
    price: str | None = None
    options: dict[str, str] = field(default_factory=dict)
    values: dict[str, object] = field(default_factory=dict)
    rest: list[str] = field(default_factory=list)

    def model_copy(self, update: dict[str, object] | None = None, deep: bool = False) -> Query:
        """A copy (pydantic-style name), with ``update`` applied; ``deep`` copies the containers."""
        q = replace(self, **(update or {}))
        if deep:
            q.options, q.values, q.rest = dict(q.options), copy.deepcopy(q.values), list(q.rest)
        return q

    def canonical(self) -> str:
        """The query as one canonical string (subcommand, positionals, sorted options)."""
        parts: list[str] = [] if self.kind == "inference" else [self.kind]
        parts += [p for p in (self.model, self.gpu, self.price) if p]
        parts += self.rest
        for k in sorted(self.options):
            v = self.options[k]
            parts.append(k if (k == "spot" and v == "true") else f"{k}={v}")
        return " ".join(_quote(p) for p in parts)


_SPACE = re.compile(r"\s")


def _quote(s: str) -> str:
    return shlex.quote(s) if _SPACE.search(s) else s


def _seconds(text: str) -> float:
    t = text.strip().lower()
    for suffix, scale in (("ms", 1e-3), ("us", 1e-6), ("µs", 1e-6), ("s", 1.0), ("sec", 1.0)):
        if t.endswith(suffix) and not t.endswith("ms" if suffix == "s" else "\0"):
            return parse_number(t[: -len(suffix)], what="time") * scale
    return parse_number(t, what="time")


def _check_range(key: str, value: float, spec: OptionSpec, raw: str) -> None:
    if (spec.lo is not None and value < spec.lo) or (spec.hi is not None and value > spec.hi):
        raise GpucostError(
            f"{key}={raw} is out of range",
            token=f"{key}={raw}",
            hint=f"{spec.help} must be between {spec.lo:g} and {spec.hi:g}",
        )


def parse_option(key: str, raw: str) -> tuple[str, object, str]:
    """Validate one option; returns (canonical key, typed value, canonical text)."""
    k = key.strip().lower().replace("-", "_")
    k = _OPTION_ALIASES.get(k, k)
    if k not in OPTIONS:
        raise GpucostError(
            f"unknown option '{key}'",
            token=f"{key}={raw}",
            suggestions=suggest(k, OPTIONS),
            hint="'gpucost help' lists the options",
        )
    spec = OPTIONS[k]
    raw = raw.strip()
    if raw == "":
        raise GpucostError(f"option '{k}=' has no value", token=f"{k}=", hint=f"give {spec.help}")
    if spec.kind == "batch" and raw.lower() == "max":
        return k, "max", "max"
    if spec.kind in ("number", "int", "batch"):
        v = parse_number(raw, what=k)
        _check_range(k, v, spec, raw)
        if spec.kind in ("int", "batch"):
            if abs(v - round(v)) > 1e-9:
                raise GpucostError(f"{k}={raw} must be a whole number", token=f"{k}={raw}")
            v = round(v)
        return k, v, raw
    if spec.kind == "seconds":
        v = _seconds(raw)
        _check_range(k, v, spec, raw)
        return k, v, raw
    if spec.kind == "price":
        value, cur = parse_price(raw, per="kWh")
        return k, (value, cur), raw
    if spec.kind == "bool":
        low = raw.lower()
        if low in ("1", "true", "yes", "on"):
            return k, True, "true"
        if low in ("0", "false", "no", "off"):
            return k, False, "false"
        raise GpucostError(f"{k}={raw} must be true or false", token=f"{k}={raw}")
    if spec.choices:
        low = raw.lower()
        norm: Callable[[str], str] = {
            "dtype": _dtype_norm,
            "kv": _dtype_norm,
            "engine": _engine_norm,
        }.get(k, lambda s: s)
        low = norm(low)
        if low not in spec.choices:
            raise GpucostError(
                f"{k}={raw} is not one of {', '.join(spec.choices)}",
                token=f"{k}={raw}",
                suggestions=suggest(raw, spec.choices),
            )
        return k, low, low
    return k, raw, raw


def _dtype_norm(s: str) -> str:
    from engine.hardware import normalise_dtype

    try:
        return normalise_dtype(s)
    except GpucostError:
        return s


def _engine_norm(s: str) -> str:
    from engine.engines import get_engine

    try:
        return get_engine(s).name
    except GpucostError:
        return s


def tokenize(text: str) -> list[str]:
    if len(text) > MAX_QUERY_CHARS:
        raise GpucostError(
            f"the query is {len(text)} characters long", hint=f"keep it under {MAX_QUERY_CHARS} characters"
        )
    text = text.replace("＝", "=").replace("\u3000", " ")
    if '"' not in text and "'" not in text and "\\" not in text:
        return text.split()
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def parse_query(text: str | list[str]) -> Query:
    """Parse a query string (or argv list) into a :class:`Query`. Raises :class:`GpucostError`."""
    tokens = tokenize(text) if isinstance(text, str) else [t for t in text if t is not None and t.strip()]
    q = Query()
    if not tokens:
        q.kind = "help"
        return q
    head = tokens[0].lower()
    if head in SUBCOMMANDS or head in _SUB_ALIASES:
        q.kind = _SUB_ALIASES.get(head, head) or "inference"
        tokens = tokens[1:]
    if q.kind in ("import", "calibrate"):  # their own arguments (engine.measured validates them)
        q.rest = tokens
        return q
    if q.kind == "explain":
        inner = parse_query(tokens) if tokens else Query(kind="help")
        if inner.kind not in ("inference", "daily", "train"):
            raise GpucostError(
                "explain takes an inference, daily or train query",
                hint="e.g. 'explain llama-3-70b H100 in=800 out=400'",
            )
        inner.values["explain"] = True
        inner.options = dict(inner.options)
        q = inner.model_copy(update={"kind": "explain", "values": {**inner.values, "inner_kind": inner.kind}})
        return q
    positionals: list[str] = []
    for tok in tokens:
        if tok.startswith("--") and "=" not in tok and tok.lower() not in FLAGS:
            raise GpucostError(
                f"unknown flag '{tok}'",
                token=tok,
                suggestions=suggest(tok, ("--json", "--help", "--version", "--all")),
                hint="'gpucost --help' lists them; --json goes before or after the query",
            )
        if "=" in tok and not tok.startswith("="):
            key, raw = tok.split("=", 1)
            if q.kind == "plan" and _OPTION_ALIASES.get(key.strip().lower(), key.strip().lower()) in ("gpus", "gpu"):
                _plan_gpus(q, tok, raw)
                continue
            k, v, canon = parse_option(key, raw)
            if k in q.values and q.options.get(k) != canon:
                raise GpucostError(
                    f"{k}= is given twice ({k}={q.options[k]} and {k}={canon})", token=tok, hint="keep one"
                )
            q.values[k] = v
            q.options[k] = canon
        elif tok.lower() in FLAGS:
            k, v = FLAGS[tok.lower()]
            _, typed, canon = parse_option(k, v)
            q.values[k] = typed
            q.options[k] = canon
        else:
            positionals.append(tok)
    if q.kind in ("help", "gpus", "models", "import", "calibrate") or (
        q.kind == "prices" and positionals[:1] == ["import-skypilot"]
    ):
        q.rest = positionals
        return q
    if q.kind == "prices":
        q.gpu = positionals[0] if positionals else None
        q.rest = positionals[1:]
        if q.rest:
            raise GpucostError(
                f"unexpected '{q.rest[0]}'", token=q.rest[0], hint="use 'prices [GPU] [provider=..] [region=..] [spot]'"
            )
        return q
    if q.kind == "api":  # api [model] [key=value ...]: the API price catalog
        q.model = positionals[0] if positionals else None
        if positionals[1:]:
            raise GpucostError(
                f"unexpected '{positionals[1]}'",
                token=positionals[1],
                hint="use 'api [model] [currency=] [provider=] [requests= in= out= cache_hit=]'",
            )
        check_options(q)
        return q
    if not positionals:
        raise GpucostError("the query names no model", hint="e.g. 'gpucost 1.17e8 P4 0.3' or 'gpucost help'")
    q.model = positionals[0]
    if q.kind == "plan":  # plan <model> [key=value ...]: the planner picks the GPUs
        if positionals[1:]:
            extra = positionals[1]
            raise GpucostError(
                f"unexpected '{extra}': plan takes a model and options, and picks the GPUs itself",
                token=extra,
                hint="give the traffic as requests=1M (or users= per_user=, tokens_out=) and GPUs as gpus=H100,H200",
            )
        check_options(q)
        return q
    if len(positionals) > 1:
        q.gpu = positionals[1]
    if len(positionals) > 2:
        q.price = positionals[2]
    if len(positionals) > 3:
        extra = positionals[3]
        raise GpucostError(
            f"unexpected '{extra}'",
            token=extra,
            hint="the grammar is [subcommand] <model|params> <gpu> [price] [key=value ...]",
        )
    if q.gpu is None and q.kind != "compare":
        raise GpucostError(
            f"the query names no GPU after '{q.model}'", hint=f"e.g. '{q.model} H100' ('gpucost gpus' lists them)"
        )
    if q.price is not None:
        parse_price(q.price)  # validate early; the chain converts currencies
    check_options(q)
    return q


def _plan_gpus(q: Query, tok: str, raw: str) -> None:
    """``gpus=H100,H200@3.5usd`` in a plan: the GPU kinds to search (names checked by the planner),
    each with an optional ``@PRICE`` per GPU-hour."""
    names = [g.strip() for g in raw.split(",") if g.strip()]
    if not names:
        raise GpucostError(f"option '{tok}' names no GPU", token=tok, hint="e.g. gpus=H100,H200 or gpus=H100@2.5usd")
    for name in names:
        _, _, price = name.partition("@")
        if price:
            parse_price(price)
    if "gpus" in q.values:
        raise GpucostError("gpus= is given twice", token=tok, hint="list every GPU in one gpus=, commas between")
    q.values["gpus"] = names
    q.options["gpus"] = ",".join(names)


_PRICING = frozenset({"provider", "region", "spot", "currency", "power", "pue", "kwh"})
_SERVING = _PRICING | {
    "in", "out", "batch", "tp", "pp", "dp", "ep", "nodes", "dtype", "kv", "requests", "users", "per_user",
    "tokens_in", "tokens_out", "peak", "util", "engine", "batching", "out_spread", "ttft_max", "tpot_max",
    "compute_eff", "bw_eff", "calibration", "cache_hit", "beams",
}  # fmt: skip
_PLAN = frozenset({
    "in", "out", "requests", "users", "per_user", "tokens_in", "tokens_out", "peak", "util", "ttft_max", "tpot_max",
    "gpus", "provider", "region", "spot", "currency", "cache_hit", "engine", "dtype", "kv", "disagg",
})  # fmt: skip
_CURVE = frozenset({
    "in", "out", "tp", "pp", "dp", "ep", "nodes", "dtype", "kv", "engine", "provider", "region", "spot", "currency",
    "util", "cache_hit", "compute_eff", "bw_eff", "calibration",
})  # fmt: skip
#: The options each estimate reads; any other is refused (it would have no effect).
APPLIES: dict[str, frozenset[str]] = {
    "inference": frozenset(_SERVING | {"prompts"}),
    "compare": frozenset(_SERVING),
    "daily": frozenset(_SERVING | {"gpus", "prefill_tps", "decode_tps", "disagg", "prefill_gpus", "decode_gpus"}),
    "train": frozenset(
        _PRICING | {"dtype", "tokens", "gpus", "days", "mfu", "goodput", "seq", "tp", "pp", "vpp", "global_batch",
                    "micro_batch"}
    ),
    "api": frozenset({"currency", "provider", "requests", "in", "out", "cache_hit"}),
    "plan": _PLAN,
    "curve": _CURVE,
}
#: Pairs of options of which an estimate can use only one: (a, b, why).
CONFLICTS = (
    ("requests", "users", "both set the traffic"),
    ("requests", "per_user", "both set the traffic"),
    ("users", "tokens_out", "both set the traffic"),
    ("users", "tokens_in", "both set the traffic"),
    ("gpus", "days", "both set the GPUs of a training run"),
)
_WHERE = {
    "inference": "an inference estimate",
    "compare": "compare",
    "daily": "a daily service",
    "train": "training",
    "api": "the API price list",
    "plan": "the planner",
    "curve": "a throughput-interactivity curve",
}


def check_options(q: Query) -> None:
    """Refuse an option the query's estimate does not read, or two that set the same thing: a
    given option is never silently dropped."""
    applies = APPLIES.get(q.kind)
    if applies is None:
        return
    for key in q.options:
        if key not in applies:
            spec = OPTIONS.get(key)
            elsewhere = [k for k, keys in APPLIES.items() if key in keys]
            hint = "drop it"
            if "inference" in elsewhere:
                hint += ", or ask an inference or daily estimate ('gpucost help')"
            elif elsewhere:
                hint += f", or use 'gpucost {elsewhere[0]} ...'"
            raise GpucostError(
                f"{key}= ({spec.help if spec else 'an option'}) does not apply to {_WHERE[q.kind]}",
                token=f"{key}={q.options[key]}",
                hint=hint,
            )
    for a, b, why in CONFLICTS:
        if a in q.options and b in q.options:
            raise GpucostError(
                f"{a}={q.options[a]} and {b}={q.options[b]} {why}", token=f"{b}={q.options[b]}", hint="keep one"
            )
    for key in ("prefill_gpus", "decode_gpus"):
        if key in q.options and "disagg" not in q.options:
            raise GpucostError(
                f"{key}={q.options[key]} sizes a pool of a disaggregated service, and the query has no disagg",
                token=f"{key}={q.options[key]}",
                hint="add disagg, or drop it",
            )
    if "per_user" in q.options and "users" not in q.options:
        raise GpucostError(
            f"per_user={q.options['per_user']} needs users= (daily active users)",
            token=f"per_user={q.options['per_user']}",
            hint="add users=N, or give requests= per day",
        )
    if q.kind == "train" and "days" in q.options and q.gpu and q.gpu.lower().split("x")[0].isdigit():
        raise GpucostError(
            f"'{q.gpu}' and days={q.options['days']} both set the GPUs of a training run",
            token=f"days={q.options['days']}",
            hint="keep one",
        )


def build_query(
    kind: str | None, model: object = None, gpu: object = None, price: object = None, **options: object
) -> str:
    """A query string from explicit arguments (for spreadsheets); ``None`` values are left out."""
    parts: list[str] = []
    if kind and kind not in ("inference", "infer"):
        parts.append(kind)
    for p in (model, gpu, price):
        if p is None or p == "":
            continue
        parts.append(_num_text(p))
    for k, v in options.items():
        if v is None or v == "":
            continue
        if isinstance(v, bool):
            if k == "spot":
                parts.append("spot" if v else "spot=false")
                continue
            v = "true" if v else "false"
        parts.append(f"{k}={_num_text(v)}")
    return " ".join(_quote(p) for p in parts)


def _num_text(v: object) -> str:
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    return str(v)
