"""Orchestration: from a parsed query to a :class:`Result` (pvlib's ``ModelChain``, for costs).

The physical models live in their own modules (``flops``, ``memory``, ``inference``, ``hardware``);
this module resolves names and defaults, chains the models, prices the result and records every
assumption with its provenance. Nothing here computes physics the model modules do not.

Imports only pydantic, the standard library and engine modules; never ``bot`` or ``excel``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from operator import attrgetter
from typing import Any, TypeVar

from engine import efficiency as eff
from engine.architecture import Dims, ModelArch, format_params, infer_dense
from engine.catalog import Accelerator, parse_gpu_spec, resolve_gpu, resolve_model
from engine.config import EngineConfig
from engine.errors import GpucostError, UnknownNameError
from engine.flops import chinchilla_tokens, training_flops_per_token
from engine.fx import cny_per_usd, convert, normalise_currency
from engine.hardware import BYTES, default_dtype, resolve_precision
from engine.inference import NODE_GPUS, InferencePoint, Roofline, Terms
from engine.memory import batch_room, min_gpus, usable_bytes
from engine.query import Query, parse_query, parse_text
from engine.results import Assumption, BreakdownLine, Result, Table
from engine.units import fmt_money, fmt_num, parse_number, parse_price

DEFAULT_IN = 512
DEFAULT_OUT = 256
LENGTH_SOURCE = (
    "chat-style request: prompts of a few hundred tokens, replies ~200-300 "
    "(LMSYS-Chat-1M mean reply 214.5 tokens, Zheng et al. 2023, arXiv:2309.11998)"
)
DEFAULT_REQUESTS_PER_DAY = 10e6
REQUESTS_SOURCE = "10M requests/day: ChatGPT's early traffic in Tom Goldstein's Dec 2022 estimate"
DEFAULT_BATCH_CAP = 256
BATCH_SOURCE = "largest batch that fits, capped at 256 concurrent sequences (vLLM's max_num_seqs default)"
DEFAULT_PUE = 1.2
PUE_SOURCE = (
    "PUE 1.2: between hyperscale fleets (~1.1, Google 2023) and the industry average "
    "(~1.58, Uptime Institute 2023 survey)"
)
DEFAULT_KWH_USD = 0.10
KWH_SOURCE = "0.10 USD/kWh: between US average industrial (~0.08) and commercial (~0.13) prices (EIA 2023)"
POWER_SOURCE = "board power = TDP from the catalog (an upper bound; measured draw is often 70-90% of TDP)"
TRAIN_SEQ_CAP = 8192
TRAIN_STATE_BYTES = 16.0  # bf16 weights 2 + grads 2 + fp32 master 4 + Adam m, v 8 (ZeRO, arXiv:1910.02054)
HOURS_PER_MONTH = 730.0  # 365 x 24 / 12, the cloud billing convention
T = TypeVar("T")
MEMO_ENTRIES = 256  # per memo: a working set of queries (a sheet, a channel); more costs garbage collection
COMPARE_DEFAULT = ("H100", "H200", "A100-80G", "A100", "L40S", "L4", "A10G", "T4", "MI300X", "H20")


@dataclass
class Ctx:
    """What every estimate resolves first."""

    q: Query
    config: EngineConfig
    arch: ModelArch
    acc: Accelerator
    count: int | None
    currency: str
    price: float | None  # [currency per GPU-hour]
    price_label: str
    assumptions: list[Assumption] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    inputs: dict[str, object] = field(default_factory=dict)
    lean: bool = False  # bulk evaluation: skip the formula trace

    def add(self, name: str, value: str, source: str, user: bool = False) -> None:
        if not self.lean:  # bulk evaluation reads one number; it needs no provenance objects
            self.assumptions.append(assumption(name, value, source, user))

    def opt(self, key: str, default: object = None) -> object:
        return self.q.values.get(key, default)

    def given(self, key: str) -> bool:
        return key in self.q.values

    def note(self, key: str, name: str, value: str, default_source: str) -> None:
        """Record the assumption ``name`` that option ``key`` sets: "given in the query" (by the user)
        when the query has ``key``, else ``default_source``."""
        given = key in self.q.values
        self.add(name, value, "given in the query" if given else default_source, given)

    def setting(self, key: str, name: str, default: float, default_source: str) -> float:
        """Number option ``key`` (``default`` when not given), recorded with :meth:`note`."""
        value = float(self.opt(key, default))  # type: ignore[arg-type]
        self.note(key, name, f"{value:g}", default_source)
        return value


class _Draft:
    """A result under construction: plain attribute writes (pydantic's validated ``__setattr__`` is
    the slowest part of a bulk evaluation), turned into a :class:`Result` once by :meth:`build`."""

    def __init__(self, **kw: object) -> None:
        self.__dict__.update(trace=[], breakdown=[], assumptions=[], warnings=[], inputs={}, title="")
        self.__dict__.update(kw)

    def __getattr__(self, name: str) -> object:  # only reached for fields not set yet
        if name.startswith("__"):
            raise AttributeError(name)
        return None

    def build(self) -> Result:
        fields = dict(self.__dict__)
        trace = fields.pop("trace")
        return Result.from_engine(fields, *trace)


_new_assumption = Assumption.__pydantic_validator__.validate_python  # Assumption(**d), without the __init__ frame
_new_line = BreakdownLine.__pydantic_validator__.validate_python  # likewise BreakdownLine(**d)


@lru_cache(maxsize=4096)
def assumption(name: str, value: str, source: str, user: bool = False) -> Assumption:
    """One :class:`Assumption`, interned: most lines (presets, defaults, catalog rows) recur in every
    estimate, and a frozen model can be shared, so each is validated once, not once per estimate."""
    return _new_assumption({"name": name, "value": value, "source": source, "user_given": user})


class _Memo:
    """A bounded memo of one resolution step of an estimate: its value, with the assumption lines and
    warnings it recorded, replayed into the next estimate whose inputs are the same.

    A step is memoised only when it is a pure function of its key: it reads nothing but the key's
    parts, records only assumptions and warnings, and returns a value no caller mutates. Estimates
    repeat these steps (a Slack channel asks the same GPU and options again, a spreadsheet
    recalculates, a column varies only the model), and each takes tens of microseconds of name
    resolution, formatting and provenance records. Safe across threads: a race computes a step
    twice, never a mixed entry."""

    __slots__ = ("_data", "_maxsize")

    def __init__(self, maxsize: int = MEMO_ENTRIES) -> None:
        self._data: dict[object, Any] = {}
        self._maxsize = maxsize

    def __call__(self, ctx: Ctx, key: object, step: Callable[[Ctx], T], keep: object = None) -> T:
        """``step(ctx)``, or its memoised value with its records replayed into ``ctx``. ``keep``: the
        objects a key names by ``id()``, held by the entry so that no other object can take their id
        while it lives (a hit on such a key is therefore a hit on the same objects)."""
        hit = self.get(key)
        if hit is None:
            n_a, n_w = len(ctx.assumptions), len(ctx.warnings)
            value = step(ctx)
            self.put(key, (value, tuple(ctx.assumptions[n_a:]), tuple(ctx.warnings[n_w:]), keep))
            return value
        value, added, warned, _ = hit
        if added:
            ctx.assumptions.extend(added)
        if warned:
            ctx.warnings.extend(warned)
        return value  # type: ignore[return-value]

    def get(self, key: object) -> Any:
        return self._data.get(key)

    def put(self, key: object, entry: object) -> None:
        if len(self._data) >= self._maxsize:
            self._data.clear()  # simple and bounded; refilled by the next estimates
        self._data[key] = entry

    def clear(self) -> None:
        self._data.clear()


def _options_key(ctx: Ctx) -> tuple[frozenset, frozenset] | None:
    """Every option of the query as a key: the typed values (with any the chain derived) and the text
    as written (some lines quote it: ``ttft_max=10ms`` and ``ttft_max=0.01s`` are one value, two
    texts). None when a value cannot be part of a key."""
    q = ctx.q
    try:
        return frozenset(q.values.items()), frozenset(q.options.items())
    except TypeError:
        return None


def _file_stamp(path: object) -> tuple[int, int]:
    """Modification time [ns] and size of a settings file ((0, 0) when unset or missing): memo keys
    change when the file does."""
    if not path:
        return 0, 0
    try:
        st = os.stat(path)  # type: ignore[arg-type]
    except OSError:
        return 0, 0
    return st.st_mtime_ns, st.st_size


_CTX_MEMO = _Memo()  # resolve_ctx
_PLAN_MEMO = _Memo()
_SETUP_MEMO = _Memo()  # per (plan, model object): one bound for all plans
_SERVICE_MEMO = _Memo()
_ENERGY_MEMO = _Memo()
_TRAIN_MEMO = _Memo()
_MEMOS = (_CTX_MEMO, _PLAN_MEMO, _SETUP_MEMO, _SERVICE_MEMO, _ENERGY_MEMO, _TRAIN_MEMO)


def clear_memos() -> None:
    """Forget everything remembered from earlier estimates: memoised steps, parsed queries, resolved
    and inferred models, interned lines (tests; benchmarks of a first estimate; a process that swaps
    catalogs). The catalogs themselves stay loaded."""
    from engine.architecture import infer_dense
    from engine.query import _parsed
    from engine.units import parse_price

    for m in _MEMOS:
        m.clear()
    for cached in (
        _canonical_text,
        _replica_lines,
        _request_breakdown,
        breakdown_line,
        assumption,
        resolve_arch,
        infer_dense,
        _parsed,
        parse_price,
    ):
        cached.cache_clear()


@lru_cache(maxsize=MEMO_ENTRIES)
def breakdown_line(component: str, quantity: float, unit: str, unit_price: float, cost: float) -> BreakdownLine:
    """One :class:`BreakdownLine`, interned like :func:`assumption` (an estimate asked again has the
    same lines): validated once, shared afterwards (the model is frozen)."""
    return _new_line(
        {"component": component, "quantity": quantity, "unit": unit, "unit_price": unit_price, "cost": cost}
    )


# ---- resolution ------------------------------------------------------------------------------------
@lru_cache(maxsize=4096)
def resolve_arch(token: str, allow_files: bool = True) -> ModelArch:
    """A catalog model, a config.json path (only with ``allow_files``), or a bare parameter count
    (shape inferred)."""
    if token[:1].isdigit() or token[:1] == ".":
        try:
            return infer_dense(parse_number(token, what="parameter count"))
        except GpucostError as exc:
            if "out of range" in exc.message:
                raise
    try:
        return resolve_model(token, allow_files)
    except UnknownNameError as not_found:
        try:
            n = parse_number(token, what="parameter count")
        except GpucostError:
            try:
                resolve_gpu(token)
            except GpucostError:
                raise not_found from None
            raise GpucostError(
                f"'{token}' is a GPU, not a model", hint="the model comes first: <model|params> <gpu> [price]"
            ) from None
        return infer_dense(n)


def _price(
    q: Query,
    config: EngineConfig,
    acc: Accelerator,
    currency: str,
    warnings: list[str],
    add,
    parsed: tuple[float, str | None] | None,
) -> tuple[float | None, str]:
    if q.price and parsed:
        value, cur = parsed
        cur = cur or config.currency
        p = convert(value, cur, currency, config)
        add(
            "price per GPU-hour",
            f"{fmt_money(p, currency)}" + (f" (= {q.price})" if cur != currency else ""),
            "given in the query",
            True,
        )
        return p, f"{fmt_money(p, currency)}/GPU-h (given)"
    for o in config.price_overrides:
        try:
            if resolve_gpu(o.gpu).id == acc.id:
                p = convert(o.price_per_gpu_hour, o.currency, currency, config)
                add("price per GPU-hour", fmt_money(p, currency), o.source)
                return p, f"{fmt_money(p, currency)}/GPU-h ({o.source})"
        except GpucostError:
            continue
    spot = bool(q.values.get("spot", False))
    from engine.prices import lowest_price  # the price catalog's model, only when a price is looked up

    try:
        row = lowest_price(acc.id, q.values.get("provider"), q.values.get("region"), spot, config)
    except GpucostError as exc:
        if q.values.get("provider") or q.values.get("region"):
            raise  # the user named where to price it: no price there is an error, not a guess
        warnings.append(f"no price: {exc.message}; {exc.hint}")
        return None, "no price"
    p = convert(row.usd_per_gpu_hour, row.currency, currency, config)
    what = "lowest spot" if spot else "lowest on-demand"
    add(
        "price per GPU-hour",
        f"{fmt_money(p, currency)} ({what}: {row.label()})",
        f"{row.source}; a 2025 price snapshot, check your provider"
        if not row.as_of.startswith("imported")
        else row.source,
    )
    if not row.includes_host:
        warnings.append(f"{row.provider} {row.region} price is for the accelerator only (host VM not included)")
    return p, f"{fmt_money(p, currency)}/GPU-h ({row.provider} {row.region})"


def _refuse_files(config: EngineConfig, what: str) -> None:
    if not config.allow_files:
        raise GpucostError(
            f"{what} reads files on the server, which this front end does not allow",
            hint="run it with the gpucost command line, or name a catalog model or a parameter count",
        )


def looks_like_path(token: str) -> bool:
    return token.endswith(".json") or "/" in token or "\\" in token or token.startswith(("~", "./", "../"))


def _model_line(arch: ModelArch) -> tuple[Assumption, str | None]:
    """The assumption line naming the model, and for an inferred shape the warning that says so."""
    if arch.inferred:
        line = assumption("model shape", f"{arch.describe()} (inferred)", arch.source)
        warning = (
            f"model shape inferred from {format_params(arch.total_params)} parameters (GPT-3 ratios, "
            "MHA): KV cache may be larger than a GQA model's; name a catalog model for its real shape"
        )
        return line, warning
    return assumption("model", f"{arch.name}: {arch.describe()}", arch.source), None


def _where(ctx: Ctx) -> tuple[str, float | None, str]:
    """Currency, price per GPU-hour and its label, with the accelerator, price and FX lines: a pure
    function of the GPU, the price token, the options ``currency``, ``provider``, ``region``, ``spot``
    and the settings (see :func:`resolve_ctx`)."""
    q, config, acc = ctx.q, ctx.config, ctx.acc
    # Results are shown in: currency=, else the currency the query's price is written in, else settings.
    parsed = parse_price(q.price) if q.price else None
    price_cur = parsed[1] if parsed else None
    currency = normalise_currency(str(q.values.get("currency") or price_cur or config.currency))
    ctx.add(
        "accelerator",
        f"{acc.short}: {acc.memory_gb or 0:g} GB, {acc.memory_bw_gb_s or 0:g} GB/s",
        f"{acc.source} (as of {acc.as_of})" if acc.as_of else acc.source,
    )
    price, label = _price(q, config, acc, currency, ctx.warnings, ctx.add, parsed)
    if currency == "CNY" or (parsed and (parsed[1] or config.currency) != currency):
        rate, src = cny_per_usd(config)
        ctx.add("FX rate", f"{rate:g} CNY per USD", src)
    return currency, price, label


def resolve_ctx(q: Query, config: EngineConfig, lean: bool = False) -> Ctx:
    """The model, GPU, price and currency a query names, with their assumption lines and warnings.

    A pure function of the model, GPU and price tokens, the options ``tp``, ``currency``,
    ``provider``, ``region``, ``spot``, the settings and the price file's stamp: memoised on them
    (the context is built afresh from the memo, so an estimate may add to its lists)."""
    v = q.values
    key = (
        q.model,
        q.gpu,
        q.price,
        v.get("tp"),
        v.get("currency"),
        v.get("provider"),
        v.get("region"),
        bool(v.get("spot", False)),
        config,
        _file_stamp(config.price_file),
        lean,
    )
    hit = _CTX_MEMO.get(key)
    if hit is None:
        ctx = _resolve(q, config, lean)
        hit = (ctx.arch, ctx.acc, ctx.count, ctx.currency, ctx.price, ctx.price_label)
        hit += (tuple(ctx.assumptions), tuple(ctx.warnings), dict(ctx.inputs))
        _CTX_MEMO.put(key, hit)
        return ctx
    arch, acc, count, currency, price, label, assumptions, warnings, inputs = hit
    return Ctx(
        q=q,
        config=config,
        arch=arch,
        acc=acc,
        count=count,
        currency=currency,
        price=price,
        price_label=label,
        assumptions=list(assumptions),
        warnings=list(warnings),
        inputs=dict(inputs),
        lean=lean,
    )


def _resolve(q: Query, config: EngineConfig, lean: bool) -> Ctx:
    if not q.model:
        raise GpucostError("the query names no model", hint="e.g. 'gpucost 1.17e8 P4 0.3'")
    arch = resolve_arch(q.model, config.allow_files)
    count, gpu_name = parse_gpu_spec(q.gpu or "")
    if count is not None and count < 1:
        raise GpucostError(f"'{q.gpu}' asks for {count} GPUs", token=q.gpu, hint=f"write at least 1x{gpu_name}")
    if count is not None and "tp" in q.values and int(q.values["tp"]) != count:  # type: ignore[call-overload]
        raise GpucostError(
            f"'{q.gpu}' and tp={q.options['tp']} both set the GPUs per replica",
            token=f"tp={q.options['tp']}",
            hint="keep one of them",
        )
    acc = resolve_gpu(gpu_name)
    ctx = Ctx(q=q, config=config, arch=arch, acc=acc, count=count, currency="", price=None, price_label="", lean=lean)
    line, warning = _model_line(arch)
    if not lean:
        ctx.assumptions.append(line)
    if warning:
        ctx.warnings.append(warning)
    ctx.currency, ctx.price, ctx.price_label = _where(ctx)
    ctx.inputs = {
        "model": arch.id if not arch.inferred else format_params(arch.total_params),
        "model_name": arch.name,
        "params": arch.total_params,
        "active_params": arch.active_params,
        "gpu": acc.id,
        "gpu_name": acc.short,
        "price_per_gpu_hour": ctx.price,
        "price_source": ctx.price_label,
    }
    return ctx


# ---- inference -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ServingSetup:
    """A replica as an estimate serves it: its performance point, size, precisions, efficiencies and
    utilisation; ``inputs`` are these as the Result's resolved inputs."""

    point: InferencePoint
    gpus: int
    dtype: str
    kv: str
    compute_eff: float
    bw_eff: float
    util: float
    inputs: dict[str, object]

    @cached_property
    def fields(self) -> dict[str, float | int]:
        """The Result fields of one replica (:func:`point_fields`), made when first read."""
        return point_fields(self.point, self.gpus)


def _efficiencies(ctx: Ctx) -> tuple[float, float, float | None]:
    """Compute and bandwidth efficiency, and the static-batching reply-length spread (None: continuous)."""
    preset = eff.get_preset(str(ctx.opt("engine", eff.DEFAULT_PRESET)))
    ce, be = preset.compute_efficiency, preset.bandwidth_efficiency
    src = preset.source
    if ctx.given("calibration"):
        from engine.calibration import load_profile

        prof = load_profile(str(ctx.opt("calibration")), ctx.config)
        ce, be = prof.compute_efficiency, prof.bandwidth_efficiency
        src = f"calibration profile '{prof.name}' fitted to {prof.n_points} measurement(s) ({prof.describe()})"
        if prof.gpu and prof.gpu != ctx.acc.id:
            ctx.warnings.append(f"calibration profile '{prof.name}' was fitted on {prof.gpu}, not {ctx.acc.id}")
        ctx.add("calibration", prof.name, src, True)
    ctx.add(
        "serving engine",
        f"{preset.name}: compute efficiency {ce:g}, bandwidth efficiency {be:g}",
        src,
        ctx.given("engine") or ctx.given("calibration"),
    )
    if ctx.given("compute_eff"):
        ce = float(ctx.opt("compute_eff"))
        ctx.add("compute efficiency", f"{ce:g}", "given in the query", True)
    if ctx.given("bw_eff"):
        be = float(ctx.opt("bw_eff"))
        ctx.add("bandwidth efficiency", f"{be:g}", "given in the query", True)
    batching = str(ctx.opt("batching", preset.batching))
    ctx.note("batching", "batching", batching, f"{preset.name} preset")
    if batching != "static":
        if ctx.given("out_spread"):
            ctx.warnings.append("out_spread= applies to static batching only (batching=static); ignored")
        return ce, be, None
    spread = float(ctx.opt("out_spread", 1.0))
    ctx.add(
        "reply-length spread (static batching)",
        f"{spread:g}",
        "given in the query"
        if ctx.given("out_spread")
        else "lengths uniform on out x [0, 2]: a static batch runs to its longest reply",
        ctx.given("out_spread"),
    )
    return ce, be, spread


def _kv_default(dtype: str, acc: Accelerator) -> str:
    if dtype in ("fp32", "fp16", "bf16", "fp8"):
        return dtype
    return "fp16" if acc.peak_tflops_fp16 else "fp32"


@dataclass
class Sizing:
    """How a replica is sized: GPUs, batch and the roofline at that size (numbers only)."""

    gpus: int
    need: int
    tried: list[int]
    max_batch: int
    batch: int
    point: InferencePoint
    tpot_limited: bool = False
    tpot_unmet: bool = False


def size_numbers(
    dims: Dims, rf: Roofline, wb: float, asked: int | None, bopt: object, tpot_max: float | None
) -> tuple[int, int, list[int], int, int, Terms, bool, bool] | None:
    """The replica sizing of :func:`size_replica` in plain numbers, from a model's :class:`Dims`:
    ``(gpus, need, tried, max_batch, batch, roofline terms, tpot limited, tpot unmet)``, or None when
    no replica of up to 4096 GPUs holds one sequence."""
    kb, seq, terms, usable = rf.kv_bytes, rf.s_in + rf.s_out, rf.terms, rf.usable
    need, room = 1, batch_room(dims, usable, wb, kb, 1, seq)
    while room < 1:  # the least power of two that holds one sequence
        need *= 2
        if need > 4096:
            return None
        room = batch_room(dims, usable, wb, kb, need, seq)
    best: tuple | None = None  # (batch, roofline terms) at the chosen size
    if asked is None:
        cap = bopt if isinstance(bopt, int) and bopt < DEFAULT_BATCH_CAP else DEFAULT_BATCH_CAP
        gpus, g, top, tried = need, need, max(need, NODE_GPUS), [need]
        b = room if room < cap else cap
        t = terms(dims, g, b if b > 1 else 1)
        best_rate, best, mb = t.out_tps / g, (b, t), room  # output tokens/s per GPU
        # The batch capped, not memory-bound: more GPUs cannot buy a bigger batch, only add
        # communication, so no larger replica does better per GPU.
        while b >= room and g * 2 <= top:
            g *= 2
            tried.append(g)
            room = batch_room(dims, usable, wb, kb, g, seq)
            b = room if room < cap else cap
            t = terms(dims, g, b if b > 1 else 1)
            if t.out_tps / g <= best_rate * 1.02:  # a bigger replica must be clearly better
                # Per-GPU throughput rises with replica size only while more memory buys a bigger batch,
                # then falls as communication grows: past the first drop, larger sizes do not win.
                break
            best_rate, gpus, best, mb = t.out_tps / g, g, (b, t), room
    else:
        gpus, tried = max(asked, need), [need]
        mb = room if gpus == need else batch_room(dims, usable, wb, kb, gpus, seq)
    if bopt == "max":
        batch = mb
    elif bopt is not None:
        batch = min(int(bopt), mb)  # type: ignore[call-overload]
    else:
        batch = min(mb, DEFAULT_BATCH_CAP)
    t = best[1] if best is not None and best[0] == batch else terms(dims, gpus, batch)
    limited = unmet = False
    if tpot_max is not None and t.tpot > tpot_max:
        if rf.terms(dims, gpus, 1).tpot > tpot_max:
            batch, unmet = 1, True
        else:
            lo, hi = 1, batch
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if rf.terms(dims, gpus, mid).tpot <= tpot_max:
                    lo = mid
                else:
                    hi = mid - 1
            batch, limited = lo, True
        t = rf.terms(dims, gpus, batch)
    return gpus, need, tried, mb, batch, t, limited, unmet


def size_replica(
    arch: ModelArch,
    rf: Roofline,
    wb: float,
    asked: int | None,
    bopt: object,
    tpot_max: float | None,
) -> Sizing:
    """GPUs per replica, batch and performance (pure numbers; :func:`serving_setup` explains them).

    ``rf`` is the roofline prepared for the GPU, precision and request lengths; ``wb`` [B per weight].

    - GPUs: ``asked`` if it fits, else the least power of two that fits; when not asked, the power
      of two (from the least that fits up to one 8-GPU node) with the most output tokens/s per GPU.
    - Batch: ``bopt`` (an int, clamped to what fits, or ``"max"``), else the largest that fits up to
      ``DEFAULT_BATCH_CAP``; with ``tpot_max``, the largest batch meeting it (bisection).
    """
    sized = size_numbers(arch.dims, rf, wb, asked, bopt, tpot_max)
    if sized is None:
        acc, kb, seq = rf.acc, rf.kv_bytes, rf.s_in + rf.s_out
        if min_gpus(arch, acc.memory_gb or 0, wb, kb, 1) is not None:
            kv_gb = arch.kv_elements_per_token() * kb * seq / 1e9
            raise GpucostError(
                f"one sequence of {seq:,} tokens needs {kv_gb:,.0f} GB of KV cache, more than {acc.short} replicas "
                "hold",
                hint="lower in= or out=, or use kv=fp8",
            )
        raise GpucostError(
            f"{arch.name} ({arch.total_params * wb / 1e9:,.0f} GB of weights) does not fit even on 4096x {acc.short}",
            hint="use a smaller model, a lower precision (dtype=int4) or a larger GPU",
        )
    gpus, need, tried, mb, batch, terms, limited, unmet = sized
    p = rf.point(arch, gpus, batch, terms)
    p.max_batch = mb
    return Sizing(
        gpus=gpus, need=need, tried=tried, max_batch=mb, batch=batch, point=p, tpot_limited=limited, tpot_unmet=unmet
    )


@dataclass
class ServingPlan:
    """What a serving estimate resolves that does not depend on the model: precision, lengths,
    efficiencies, the asked replica size and batch, limits and utilisation."""

    acc: Accelerator
    dtype: str
    kv: str
    prec: object  # engine.hardware.Precision
    wb: float
    kb: float
    s_in: int
    s_out: int
    ce: float
    be: float
    static: float | None
    asked: int | None
    bopt: object
    tpot_max: float | None
    util: float
    roofline: Roofline
    ttft_max: float | None = None  # [s]; a warning when TTFT exceeds it
    ttft_max_text: str = ""  # as the query wrote it

    def size(self, arch: ModelArch) -> Sizing:
        """Replica size, batch and performance of ``arch`` under this plan (numbers only)."""
        check_context(arch, self.s_in, self.s_out)
        return size_replica(arch, self.roofline, self.wb, self.asked, self.bopt, self.tpot_max)


def check_context(arch: ModelArch, s_in: int, s_out: int) -> bool:
    """Refuse a request longer than a known model's context; True when an inferred shape's assumed
    context is exceeded (a warning, since that context is itself a guess)."""
    if s_in + s_out <= arch.max_context:
        return False
    if not arch.inferred:
        raise GpucostError(
            f"in+out = {s_in + s_out} tokens exceeds {arch.name}'s context of {arch.max_context}",
            hint="lower in= or out=",
        )
    return True


def serving_plan(ctx: Ctx) -> ServingPlan:
    """Resolve (and record as assumptions) everything of a serving estimate but the model's part."""
    acc = ctx.acc
    if not acc.memory_gb or not acc.memory_bw_gb_s:
        raise GpucostError(
            f"the catalog has no memory size or bandwidth for {acc.short} (no source gave it)",
            hint="choose another GPU, e.g. A10 or L40S ('gpucost gpus')",
        )
    if ctx.given("dtype"):
        dtype = str(ctx.opt("dtype"))
        ctx.add("weight precision", dtype, "given in the query", True)
    else:
        dtype, why = default_dtype(acc)
        ctx.add("weight precision", dtype, why)
    prec = resolve_precision(acc, dtype)
    for n in prec.notes:
        ctx.add("compute precision", prec.compute_dtype, n)
    ctx.warnings += prec.warnings
    kv = str(ctx.opt("kv")) if ctx.given("kv") else _kv_default(dtype, acc)
    ctx.note("kv", "KV-cache precision", kv, "same as the weights (16-bit for INT8/INT4 weights)")
    s_in = int(ctx.opt("in", DEFAULT_IN))
    s_out = int(ctx.opt("out", DEFAULT_OUT))
    if not ctx.given("in") or not ctx.given("out"):
        ctx.add("request length", f"{s_in} tokens in, {s_out} out", LENGTH_SOURCE)
    else:
        ctx.add("request length", f"{s_in} tokens in, {s_out} out", "given in the query", True)
    ce, be, static = _efficiencies(ctx)
    asked = ctx.count or (int(ctx.opt("tp")) if ctx.given("tp") else None)
    util = _utilisation(ctx)
    kb = BYTES[kv]
    return ServingPlan(
        roofline=Roofline(acc, prec, kb, s_in, s_out, ce, be, static is not None, static or 0.0),
        acc=acc,
        dtype=dtype,
        kv=kv,
        prec=prec,
        wb=BYTES[dtype],
        kb=kb,
        s_in=s_in,
        s_out=s_out,
        ce=ce,
        be=be,
        static=static,
        asked=asked,
        bopt=ctx.opt("batch"),
        tpot_max=float(ctx.opt("tpot_max")) if ctx.given("tpot_max") else None,
        util=util,
        ttft_max=float(ctx.opt("ttft_max")) if ctx.given("ttft_max") else None,  # type: ignore[arg-type]
        ttft_max_text=ctx.q.options.get("ttft_max", ""),
    )


def planned(ctx: Ctx) -> ServingPlan:
    """:func:`serving_plan`, memoised on the GPU, the replica size asked, the settings and every
    option (a calibration profile is a file, read afresh each time)."""
    opts = None if "calibration" in ctx.q.values else _options_key(ctx)
    if opts is None:
        return serving_plan(ctx)
    return _PLAN_MEMO(ctx, (ctx.acc.id, ctx.count, ctx.config, ctx.lean, opts), serving_plan)


@lru_cache(maxsize=MEMO_ENTRIES)
def _replica_lines(
    gpu: str,
    weights_gb: float,
    need: int,
    gpus: int,
    tried: tuple[int, ...],
    asked: int | None,
    bopt: object,
    batch: int,
    tpot_limited: bool,
) -> tuple[Assumption, ...]:
    """The assumption lines of a replica's size and batch, and why they were chosen."""
    if asked is None:
        fits = (
            f"needs at least {need}x {gpu} (TP={need}) to hold {weights_gb:,.1f} GB of weights + KV cache"
            if need > 1
            else f"fits on one {gpu}"
        )
        why = (
            f"{fits}; {gpus}x gives the most tokens/s per GPU of {', '.join(f'{c}x' for c in tried)}"
            if len(tried) > 1
            else fits
        )
        size = assumption("GPUs per replica", str(gpus), why)
    elif asked < need:
        size = assumption("GPUs per replica", str(gpus), f"raised from {asked}: the least that fits")
    else:
        size = assumption("GPUs per replica", str(gpus), "given in the query", True)
    if bopt == "max":
        return size, assumption("batch", f"{batch} (max that fits)", "batch=max", True)
    if tpot_limited:
        return size, assumption("batch", f"{batch} (largest meeting tpot_max)", "latency limit", True)
    if bopt is not None:
        return size, assumption("batch", str(batch), "given in the query", True)
    return size, assumption("batch", str(batch), BATCH_SOURCE)


def serving_setup(ctx: Ctx) -> ServingSetup:
    """Resolve precision, replica size and batch, and run the roofline (with the assumption lines
    and warnings that explain them). Under one plan (GPU and options, see :func:`planned`) this is a
    pure function of the model, memoised per (plan, model object)."""
    plan = planned(ctx)
    arch = ctx.arch
    return _SETUP_MEMO(ctx, (id(plan), id(arch), ctx.lean), lambda c: _setup(c, plan, arch), keep=(plan, arch))


def _setup(ctx: Ctx, plan: ServingPlan, arch: ModelArch) -> ServingSetup:
    """:func:`serving_setup` of ``arch`` under ``plan``, recording its lines and warnings in ``ctx``."""
    acc = plan.acc
    warnings = ctx.warnings
    dtype, kv, s_in, s_out, ce, be = plan.dtype, plan.kv, plan.s_in, plan.s_out, plan.ce, plan.be
    wb, asked, bopt = plan.wb, plan.asked, plan.bopt
    seq = s_in + s_out
    if check_context(arch, s_in, s_out):
        warnings.append(f"in+out = {s_in + s_out} tokens exceeds the assumed context of {arch.max_context}")
    if asked and asked <= NODE_GPUS and (arch.n_heads % asked or (arch.kv_heads % asked and asked % arch.kv_heads)):
        warnings.append(
            f"{asked} GPUs per replica does not divide {arch.name}'s {arch.n_heads} attention heads "
            f"({arch.kv_heads} KV heads): serving engines need the tensor-parallel degree to divide them"
        )
    sz = plan.size(arch)
    gpus, need, mb, p = sz.gpus, sz.need, sz.max_batch, sz.point
    weights_gb = arch.total_params * wb / 1e9
    if not ctx.lean:
        ctx.assumptions += _replica_lines(
            acc.short, weights_gb, need, gpus, tuple(sz.tried), asked, bopt, sz.batch, sz.tpot_limited
        )
    if asked is not None and asked < need:
        warnings.append(
            f"does not fit: {arch.name} at {dtype} needs at least {need}x {acc.short} (TP={need}) for "
            f"{weights_gb:,.1f} GB of weights + KV cache, not {asked}; estimated at {need}x"
        )
    if isinstance(bopt, int) and bopt > mb:
        warnings.append(
            f"batch={bopt} does not fit in memory (at most {mb} sequences of {seq} tokens); estimated at {mb}"
        )
    if sz.tpot_unmet:
        warnings.append(
            f"time per output token {p.tpot_s * 1e3:.1f} ms exceeds tpot_max even at "
            "batch 1; more GPUs per replica (tp=) or a faster GPU would cut it"
        )
    if plan.ttft_max is not None and p.ttft_s > plan.ttft_max:
        warnings.append(
            f"TTFT {p.ttft_s:.3g} s exceeds ttft_max={plan.ttft_max_text}; a shorter prompt "
            "or more GPUs per replica (tp=) would cut it"
        )
    warnings += p.warnings
    inputs = {
        "dtype": dtype,
        "kv_dtype": kv,
        "in": p.s_in,
        "out": p.s_out,
        "gpus_per_replica": gpus,
        "batch": p.batch,
        "decode_bound": p.decode_bound,
        "compute_efficiency": ce,
        "bandwidth_efficiency": be,
        "util": plan.util,
    }
    return ServingSetup(
        point=p,
        gpus=gpus,
        dtype=dtype,
        kv=kv,
        compute_eff=ce,
        bw_eff=be,
        util=plan.util,
        inputs=inputs,
    )


def _energy_rates(ctx: Ctx) -> tuple[float, float, float] | None:
    """Power per GPU [W], PUE and electricity price [currency per kWh], recorded as assumptions;
    None (with a warning) when the catalog has no TDP and no power= is given."""
    power = float(ctx.opt("power")) if ctx.given("power") else ctx.acc.tdp_w
    if not power:
        ctx.warnings.append(f"no TDP for {ctx.acc.short} in the catalog: give power= to see energy")
        return None
    ctx.note("power", "power per GPU", f"{power:g} W", POWER_SOURCE)
    pue = ctx.setting("pue", "PUE", DEFAULT_PUE, PUE_SOURCE)
    if ctx.given("kwh"):
        value, cur = ctx.opt("kwh")  # type: ignore[misc]
        kwh_price = convert(value, cur or ctx.config.currency, ctx.currency, ctx.config)
        src = "given in the query"
    else:
        kwh_price = convert(DEFAULT_KWH_USD, "USD", ctx.currency, ctx.config)
        src = KWH_SOURCE
    ctx.add("electricity price", f"{fmt_money(kwh_price, ctx.currency)}/kWh", src, ctx.given("kwh"))
    return power, pue, kwh_price


def _energy(ctx: Ctx, gpu_hours: float) -> tuple[float | None, float | None]:
    """Energy [kWh] = GPU-hours x power [W] x PUE / 1000 and its cost [currency]."""
    opts = _options_key(ctx)
    if opts is None:
        rates = _energy_rates(ctx)
    else:
        rates = _ENERGY_MEMO(ctx, (ctx.acc.id, ctx.currency, ctx.config, ctx.lean, opts), _energy_rates)
    if rates is None:
        return None, None
    power, pue, kwh_price = rates
    kwh = gpu_hours * power * pue / 1000
    return kwh, kwh * kwh_price


def _traffic(ctx: Ctx, s_in: int, s_out: int) -> float:
    """Requests per day from requests=, users= x per_user=, or tokens_in=/tokens_out=."""
    q = ctx
    if q.given("requests"):
        r = float(q.opt("requests"))
        ctx.add("traffic", f"{fmt_num(r)} requests/day", "given in the query", True)
        return r
    if q.given("users"):
        per = float(q.opt("per_user", 10))
        r = float(q.opt("users")) * per
        ctx.add(
            "traffic",
            f"{fmt_num(float(q.opt('users')))} users x {per:g} requests/user = {fmt_num(r)}/day",
            "given in the query" if q.given("per_user") else "given users; 10 requests/user/day (Goldstein 2022)",
            True,
        )
        return r
    if q.given("tokens_out"):
        r = float(q.opt("tokens_out")) / s_out
        ctx.add(
            "traffic",
            f"{fmt_num(float(q.opt('tokens_out')))} output tokens/day / {s_out} per request = "
            f"{fmt_num(r)} requests/day",
            "given in the query",
            True,
        )
        return r
    if q.given("tokens_in"):
        r = float(q.opt("tokens_in")) / s_in
        ctx.add(
            "traffic",
            f"{fmt_num(float(q.opt('tokens_in')))} input tokens/day / {s_in} per request = {fmt_num(r)} requests/day",
            "given in the query",
            True,
        )
        return r
    ctx.add("traffic", f"{fmt_num(DEFAULT_REQUESTS_PER_DAY)} requests/day", REQUESTS_SOURCE)
    return DEFAULT_REQUESTS_PER_DAY


def _service(ctx: Ctx, s_in: int, s_out: int) -> tuple[float, float]:
    """Requests per day (:func:`_traffic`) and peak-to-average ratio (:func:`_peak`), memoised on
    the lengths and every option."""
    opts = _options_key(ctx)

    def step(c: Ctx) -> tuple[float, float]:
        return _traffic(c, s_in, s_out), _peak(c)

    if opts is None:
        return step(ctx)
    return _SERVICE_MEMO(ctx, (s_in, s_out, ctx.lean, opts), step)


def _utilisation(ctx: Ctx) -> float:
    """Target utilisation, run / (run + idle), recorded with its provenance."""
    return ctx.setting("util", "utilisation", eff.DEFAULT_UTILISATION, eff.UTILISATION_SOURCE)


def _peak(ctx: Ctx) -> float:
    return ctx.setting("peak", "peak-to-average", eff.DEFAULT_PEAK_TO_AVERAGE, eff.PEAK_SOURCE)


def fleet_replicas(requests_per_day: float, peak: float, replica_rps: float, util: float) -> int:
    """Whole replicas for a service: ``ceil(peak request rate / (replica rate x utilisation))``
    [reference README: fleet]. Rates in requests per second."""
    peak_rps = requests_per_day / 86400 * peak
    return max(1, math.ceil(peak_rps / (replica_rps * util) - 1e-9))


def _lengths_from_tokens(ctx: Ctx) -> None:
    """With tokens_in= and tokens_out= and requests=, derive per-request lengths (checked like in=/out=)."""
    q = ctx.q
    for total, key in (("tokens_in", "in"), ("tokens_out", "out")):
        if "requests" in q.values and total in q.values and key not in q.values:
            n = max(1, round(float(q.values[total]) / float(q.values["requests"])))  # type: ignore[arg-type]
            if n > 10_000_000:
                raise GpucostError(
                    f"{total}= / requests= gives {n:,} tokens per request", hint="check both; at most 10M per request"
                )
            q.values[key] = n


def _canonical(ctx: Ctx, kind: str, gpus: int | None = None) -> str:
    q = ctx.q
    model = q.model if ctx.arch.inferred else ctx.arch.id
    gpu = ctx.acc.aliases[0] if ctx.acc.aliases else ctx.acc.id
    if ctx.count or (gpus and gpus > 1 and not q.values.get("tp") and not q.values.get("gpus")):
        gpu = f"{ctx.count or gpus}x{gpu}"
    return _canonical_text(kind, model, gpu, q.price, tuple(q.options.items()))


@lru_cache(maxsize=MEMO_ENTRIES)
def _canonical_text(kind: str, model: str | None, gpu: str, price: str | None, options: tuple) -> str:
    """The canonical query string of these parts (see :meth:`Query.canonical`)."""
    return Query(kind=kind, model=model, gpu=gpu, price=price, options=dict(options)).canonical()


def infer(ctx: Ctx) -> Result:
    """Inference estimate: one replica, its throughput, latency and cost per request / token."""
    s = serving_setup(ctx)
    p = s.point
    res = _base(ctx, "inference", s.gpus)
    res.title = f"{ctx.arch.name} on {s.gpus}x {ctx.acc.short} ({s.dtype})"
    r_day, peak = _service(ctx, p.s_in, p.s_out)
    _fill_serving(res, ctx, s, inference_fields(p, s.gpus, s.util, ctx.price, r_day, peak))
    price = ctx.price
    if price is not None:
        util, batch, t_cycle, share = s.util, p.batch, p.t_cycle, p.prefill_share
        gpu_s = s.gpus * t_cycle / batch  # GPU-seconds of busy time per request
        res.breakdown = _request_breakdown(gpu_s, share, util, price)
        if not ctx.lean:
            res.trace.append(
                _cost_trace(price, s.gpus, t_cycle, batch, util, res.cost_per_request, ctx.currency)  # type: ignore[arg-type]
            )
        kwh, ecost = _energy(ctx, res.cost_per_day / ctx.price)
        res.energy_kwh, res.energy_cost = kwh, ecost
    res.assumptions, res.warnings = ctx.assumptions, ctx.warnings
    return res if ctx.lean else res.build()  # type: ignore[return-value]


@lru_cache(maxsize=MEMO_ENTRIES)
def _request_breakdown(gpu_s: float, share: float, util: float, price: float) -> tuple[BreakdownLine, ...]:
    """The cost of one request: its busy GPU-seconds ``gpu_s`` split into prefill (``share``) and
    decode, and the idle capacity utilisation ``util`` leaves, at ``price`` per GPU-hour. Interned
    (an estimate asked again has the same lines): frozen lines in a tuple, made a list by the Result."""
    return tuple(
        breakdown_line(component, gpu_s * part / 3600, "GPU-h/request", price, gpu_s * part / 3600 * price)
        for component, part in (
            ("prefill (busy GPU time)", share),
            ("decode (busy GPU time)", 1 - share),
            (f"idle capacity (utilisation {util:g})", 1 / util - 1),
        )
    )


def _cost_trace(
    price: float, gpus: int, t_cycle: float, batch: int, util: float, per_request: float, currency: str
) -> Callable[[], list[dict[str, object]]]:
    """The trace step of the cost per request, formatted when the trace is read."""

    def steps() -> list[dict[str, object]]:
        return [
            dict(
                name="cost per request",
                formula=f"price x GPUs x T_cycle / b / util = "
                f"{price:.4g} x {gpus} x {t_cycle:.4g} / 3600 / {batch} / {util:g}",
                value=per_request,
                unit=currency,
                ref="reference README: cost",
            )
        ]

    return steps


def _base(ctx: Ctx, kind: str, gpus: int | None) -> _Draft:
    return _Draft(
        kind=kind,
        query="" if ctx.lean else _canonical(ctx, "inference" if kind == "inference" else kind, gpus),
        currency=ctx.currency,
        inputs=ctx.inputs,
        price_per_gpu_hour=ctx.price,
    )


class ServingFields:
    """The Result fields of an inference estimate, one property (one formula) each: performance of
    one replica, the fleet for the stated traffic (sized exactly as ``daily`` sizes it) and, with a
    price, the costs. A spreadsheet column reads one of them per row; :func:`inference_fields` all.

    Costs are of one replica's work at utilisation ``util`` [currency]; a cycle's GPU time is split
    between input and output tokens by the prefill share of the cycle. Plain reads are
    ``attrgetter`` properties (no Python frame: an estimate reads all of them)."""

    __slots__ = ("_cycle_cost", "_replicas", "g", "p", "peak", "price", "requests_per_day", "util")

    def __init__(
        self, p: InferencePoint, gpus: int, util: float, price: float | None, requests_per_day: float, peak: float
    ) -> None:
        self.p, self.g, self.util, self.price, self.requests_per_day, self.peak = (
            p,
            gpus,
            util,
            price,
            requests_per_day,
            peak,
        )
        self._replicas: int | None = None
        self._cycle_cost: float | None = None

    # one replica
    gpus_per_replica = property(attrgetter("g"))
    batch = property(attrgetter("p.batch"))
    max_batch = property(attrgetter("p.max_batch"))
    tokens_per_s = property(attrgetter("p.output_tokens_per_s"))
    tokens_per_s_per_gpu = property(lambda self: self.p.output_tokens_per_s / self.g)
    requests_per_s = property(attrgetter("p.requests_per_s"))
    ttft_s = property(attrgetter("p.ttft_s"))
    tpot_s = property(attrgetter("p.tpot_s"))
    request_latency_s = property(attrgetter("p.latency_s"))
    memory_per_gpu_gb = property(attrgetter("p.memory_per_gpu_gb"))

    # the fleet
    @property
    def replicas(self) -> int:
        if self._replicas is None:
            self._replicas = fleet_replicas(self.requests_per_day, self.peak, self.p.requests_per_s, self.util)
        return self._replicas

    @property
    def gpus(self) -> int:
        return self.replicas * self.g

    @property
    def cost_per_hour(self) -> float | None:
        """The fleet's cost per hour (like ``gpus`` and ``cost_per_day``, the whole fleet)."""
        return None if self.price is None else self.replicas * self.g * self.price

    @property
    def cost_per_day(self) -> float | None:
        return None if self.price is None else self.replicas * self.g * 24 * self.price

    @property
    def cost_per_month(self) -> float | None:
        day = self.cost_per_day
        return None if day is None else day * HOURS_PER_MONTH / 24

    # one replica's work
    @property
    def _cost_cycle(self) -> float:
        """GPU cost of one cycle, idle share included: price x GPUs x T_cycle / 3600 / util."""
        if self._cycle_cost is None:
            self._cycle_cost = self.price * self.g * self.p.t_cycle / 3600 / self.util  # type: ignore[operator]
        return self._cycle_cost

    @property
    def cost_per_request(self) -> float | None:
        return None if self.price is None else self._cost_cycle / self.p.batch

    @property
    def cost_per_million_input_tokens(self) -> float | None:
        p = self.p
        return None if self.price is None else self._cost_cycle * p.prefill_share / (p.batch * p.s_in) * 1e6

    @property
    def cost_per_million_output_tokens(self) -> float | None:
        p = self.p
        return None if self.price is None else self._cost_cycle * (1 - p.prefill_share) / (p.batch * p.s_out) * 1e6

    @property
    def cost_per_million_tokens(self) -> float | None:
        p = self.p
        return None if self.price is None else self._cost_cycle / (p.batch * (p.s_in + p.s_out)) * 1e6

    def values(self) -> tuple[float | int | None, ...]:
        """Every field, in ``INFERENCE_FIELDS`` order: the properties above computed at once from
        shared intermediates (an estimate reads them all; reading 19 properties one by one took
        twice as long). The same operations in the same order, so the same bits: tests compare
        every property with this for many estimates."""
        p, g, price = self.p, self.g, self.price
        batch, out_tps, rps = p.batch, p.output_tokens_per_s, p.requests_per_s
        replicas = self.replicas
        head = (
            replicas * g,
            g,
            replicas,
            batch,
            p.max_batch,
            out_tps,
            out_tps / g,
            rps,
            p.ttft_s,
            p.tpot_s,
            p.latency_s,
            p.memory_per_gpu_gb,
        )
        if price is None:
            return (*head, None, None, None, None, None, None, None)
        cycle, share, s_in, s_out = self._cost_cycle, p.prefill_share, p.s_in, p.s_out
        day = replicas * g * 24 * price
        return (
            *head,
            cycle / batch,
            cycle * share / (batch * s_in) * 1e6,
            cycle * (1 - share) / (batch * s_out) * 1e6,
            cycle / (batch * (s_in + s_out)) * 1e6,
            replicas * g * price,
            day,
            day * HOURS_PER_MONTH / 24,
        )


#: Result fields :class:`ServingFields` fills (the spreadsheet column path can serve these), in
#: ``Result.JSON_KEYS`` order; the first group describes one replica, the rest the fleet and its costs.
INFERENCE_FIELDS = tuple(k for k in Result.JSON_KEYS if isinstance(getattr(ServingFields, k, None), property))
_POINT_FIELDS = tuple(k for k in INFERENCE_FIELDS if k not in ("gpus", "replicas") and not k.startswith("cost_"))
_POINT_GETTER = attrgetter(*_POINT_FIELDS)


def inference_fields(
    p: InferencePoint, gpus: int, util: float, price: float | None, requests_per_day: float, peak: float
) -> dict[str, float | int | None]:
    """All of :class:`ServingFields` as a dict."""
    values = ServingFields(p, gpus, util, price, requests_per_day, peak).values()
    return dict(zip(INFERENCE_FIELDS, values, strict=True))


def point_fields(p: InferencePoint, gpus: int) -> dict[str, float | int]:
    """The Result fields one replica's performance fills (``gpus``: the replica's)."""
    out = dict(zip(_POINT_FIELDS, _POINT_GETTER(ServingFields(p, gpus, 1.0, None, 0.0, 1.0)), strict=True))
    out["gpus"] = gpus
    return out


def _fill_serving(res: _Draft, ctx: Ctx, s: ServingSetup, fields: dict[str, object] | None = None) -> None:
    """Write the serving fields (``fields``, else one replica's, ``s.fields``), trace and inputs."""
    p = s.point
    res.__dict__.update(fields if fields is not None else s.fields)
    res.trace = [] if ctx.lean else [p.make_trace]  # formatted when the Result's trace is first read
    res.inputs = {**res.inputs, **s.inputs}


# ---- daily service -----------------------------------------------------------------------------------
def daily(ctx: Ctx) -> Result:
    """A ChatGPT-like service for a day: fleet size and cost from traffic, lengths, peak and utilisation."""
    _lengths_from_tokens(ctx)
    measured = ctx.given("decode_tps") or ctx.given("prefill_tps")
    s_in = int(ctx.opt("in", DEFAULT_IN))
    s_out = int(ctx.opt("out", DEFAULT_OUT))
    res: _Draft
    if measured:
        res, gpus_per_replica, gpu_s_per_req, prefill_share, util = _measured_setup(ctx, s_in, s_out)
    else:
        s = serving_setup(ctx)
        p = s.point
        s_in, s_out = p.s_in, p.s_out
        res = _base(ctx, "daily", s.gpus)
        _fill_serving(res, ctx, s)
        gpus_per_replica, util = s.gpus, s.util
        gpu_s_per_req = s.gpus * p.t_cycle / p.batch
        prefill_share = p.prefill_share
    res.title = f"{ctx.arch.name} service on {ctx.acc.short}"
    r_day, peak = _service(ctx, s_in, s_out)
    avg_rps = r_day / 86400
    peak_rps = avg_rps * peak
    replica_rps = gpus_per_replica / gpu_s_per_req
    replicas = fleet_replicas(r_day, peak, replica_rps, util)
    if ctx.given("gpus"):
        fixed = int(ctx.opt("gpus"))
        replicas_fixed = max(1, fixed // gpus_per_replica)
        if replicas_fixed < replicas:
            ctx.warnings.append(
                f"gpus={fixed} is too few: peak traffic needs {replicas * gpus_per_replica} GPUs at "
                f"utilisation {util:g}"
            )
        replicas = replicas_fixed
    gpus = replicas * gpus_per_replica
    res.replicas = replicas
    res.gpus = gpus
    res.gpus_per_replica = gpus_per_replica
    res.requests_per_s = avg_rps

    def fleet_trace() -> list[dict[str, object]]:  # formatted when the trace is read
        return [
            dict(name="average request rate", formula=f"{fmt_num(r_day)} / 86400 s", value=avg_rps, unit="req/s"),
            dict(name="peak request rate", formula=f"average x {peak:g}", value=peak_rps, unit="req/s"),
            dict(
                name="replica capacity",
                formula=f"GPUs per replica / GPU-seconds per request = {gpus_per_replica} / {gpu_s_per_req:.4g}",
                value=replica_rps,
                unit="req/s",
            ),
            dict(
                name="replicas",
                formula=f"ceil(peak / (capacity x util)) = ceil({peak_rps:.4g} / ({replica_rps:.4g} x {util:g}))",
                value=replicas,
                unit="replicas",
                ref="reference README: fleet",
            ),
        ]

    if not ctx.lean:
        res.trace.append(fleet_trace)
    if ctx.price is not None:
        price = ctx.price
        res.cost_per_hour = gpus * price
        res.cost_per_day = gpus * 24 * price
        res.cost_per_month = gpus * HOURS_PER_MONTH * price
        res.cost_per_request = res.cost_per_day / r_day
        busy_gpu_h = r_day * gpu_s_per_req / 3600
        # The whole day's cost (idle included) is shared between input and output tokens in
        # proportion to the busy GPU time each phase takes.
        # Measured mode without prefill_tps= cannot split the time: input cost is then unknown (None),
        # and the output cost carries the prompt processing too.
        res.cost_per_million_input_tokens = (
            res.cost_per_day * prefill_share / (r_day * s_in) * 1e6 if s_in and prefill_share > 0 else None
        )
        res.cost_per_million_output_tokens = res.cost_per_day * (1 - prefill_share) / (r_day * s_out) * 1e6
        res.cost_per_million_tokens = res.cost_per_day / (r_day * (s_in + s_out)) * 1e6
        idle_h = gpus * 24 - busy_gpu_h
        busy_lines = [("prefill (busy GPU time)", prefill_share), ("decode (busy GPU time)", 1 - prefill_share)]
        if prefill_share == 0:  # measured without prefill_tps=: one busy line, prompt processing included
            busy_lines = [("generation incl. prompt processing (busy GPU time, measured)", 1.0)]
        res.breakdown = [
            *(
                breakdown_line(name, busy_gpu_h * share, "GPU-h/day", price, busy_gpu_h * share * price)
                for name, share in busy_lines
            ),
            breakdown_line(
                "headroom and idle (peak sizing, utilisation, whole replicas)",
                idle_h,
                "GPU-h/day",
                price,
                idle_h * price,
            ),
        ]
        if not ctx.lean:
            day, currency = res.cost_per_day, ctx.currency
            res.trace.append(
                lambda: [
                    dict(name="cost per day", formula=f"{gpus} GPUs x 24 h x {price:.4g}", value=day, unit=currency)
                ]
            )
        kwh, ecost = _energy(ctx, gpus * 24)
        res.energy_kwh, res.energy_cost = kwh, ecost
    res.assumptions, res.warnings = ctx.assumptions, ctx.warnings
    return res if ctx.lean else res.build()  # type: ignore[return-value]


def _measured_setup(ctx: Ctx, s_in: int, s_out: int) -> tuple[_Draft, int, float, float, float]:
    """Measured mode: GPU-seconds per request from measured per-GPU prefill and decode throughput."""
    dec = ctx.opt("decode_tps")
    pre = ctx.opt("prefill_tps")
    if dec is None:
        raise GpucostError(
            "measured mode needs decode_tps= (output tokens/s per GPU)",
            hint="e.g. 'daily 70B 8xH100 decode_tps=2700 prefill_tps=20000'",
        )
    t_out = s_out / float(dec)
    t_in = s_in / float(pre) if pre else 0.0
    ctx.add("measured decode throughput", f"{float(dec):g} tokens/s per GPU", "given in the query", True)
    if pre:
        ctx.add("measured prefill throughput", f"{float(pre):g} tokens/s per GPU", "given in the query", True)
    else:
        ctx.add(
            "prefill",
            "included in decode_tps",
            "no prefill_tps given: the measured output rate is taken "
            "to include prompt processing (as end-to-end benchmarks report it)",
        )
    if s_in + s_out and (not ctx.given("in") or not ctx.given("out")):
        ctx.add("request length", f"{s_in} tokens in, {s_out} out", LENGTH_SOURCE)
    gpus_per_replica = ctx.count or (int(ctx.opt("tp")) if ctx.given("tp") else None)
    if gpus_per_replica is None:
        wb = BYTES[str(ctx.opt("dtype"))] if ctx.given("dtype") else BYTES[default_dtype(ctx.acc)[0]]
        need = min_gpus(ctx.arch, ctx.acc.memory_gb or 0, wb, wb, s_in + s_out) if ctx.acc.memory_gb else 1
        gpus_per_replica = need or 1
        ctx.add("GPUs per replica", str(gpus_per_replica), "the least on which the model fits (fleet rounds to it)")
    util = _utilisation(ctx)
    gpu_s = t_in + t_out
    res = _base(ctx, "daily", gpus_per_replica)
    res.tokens_per_s_per_gpu = s_out / gpu_s
    res.tokens_per_s = res.tokens_per_s_per_gpu * gpus_per_replica
    res.trace.append(
        dict(
            name="GPU-seconds per request (measured)",
            formula=f"in / prefill_tps + out / decode_tps = {s_in}/{pre or 'n/a'} + {s_out}/{float(dec):g}",
            value=gpu_s,
            unit="s",
        )
    )
    res.inputs = {**res.inputs, "in": s_in, "out": s_out, "mode": "measured", "util": util}
    return res, gpus_per_replica, gpu_s, (t_in / gpu_s if gpu_s else 0.0), util


# ---- training -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TrainPlan:
    """What a training estimate derives from the model, GPU and options (numbers only)."""

    dtype: str
    peak_flops: float  # [FLOP/s per GPU] at the training precision
    n: float  # forward parameters [count]
    tokens: float
    seq: int
    per_tok: float  # training FLOPs per token
    flops: float
    mfu: float
    goodput: float
    steady_h: float  # GPU-hours at steady-state MFU
    gpu_hours: float  # steady_h / goodput
    gpus: int
    days: float


def train_plan(ctx: Ctx) -> TrainPlan:
    """Model FLOPs, GPU-hours at steady-state MFU and goodput, GPUs and wall-clock, with the
    assumption lines and warnings that explain them: a pure function of the model, the GPU, the
    count given with it and the options (memoised by :func:`train`)."""
    arch, acc = ctx.arch, ctx.acc
    if ctx.given("dtype"):
        dtype = str(ctx.opt("dtype"))
        ctx.add("training precision", dtype, "given in the query", True)
    else:
        dtype, why = default_dtype(acc)
        ctx.add("training precision", dtype, why.replace("serving and training", "training"))
    prec = resolve_precision(acc, dtype)
    ctx.warnings += prec.warnings
    n = arch.forward_params()
    if ctx.given("tokens"):
        tokens = float(ctx.opt("tokens"))
        ctx.add("training tokens", fmt_num(tokens), "given in the query", True)
    else:
        base = arch.active_params if arch.is_moe else arch.total_params
        tokens = chinchilla_tokens(base)
        ctx.add(
            "training tokens",
            f"{fmt_num(tokens)} (20 x N)",
            "compute-optimal D = 20 N (Hoffmann et al. 2022, arXiv:2203.15556)",
        )
        if arch.is_moe:
            ctx.warnings.append("Chinchilla's 20 tokens/parameter is for dense models; applied to active parameters")
    seq = int(ctx.opt("seq", min(arch.max_context, TRAIN_SEQ_CAP)))
    ctx.add(
        "sequence length",
        str(seq),
        "given in the query"
        if ctx.given("seq")
        else f"the model's context, capped at {TRAIN_SEQ_CAP} (long-context extension is a separate, short stage)",
        ctx.given("seq"),
    )
    per_tok = training_flops_per_token(n, arch.n_layers, arch.n_heads, arch.d_head, seq)
    flops = tokens * per_tok
    mfu = ctx.setting("mfu", "MFU (steady state)", eff.DEFAULT_MFU, eff.MFU_SOURCE)
    goodput = ctx.setting("goodput", "goodput", eff.DEFAULT_GOODPUT, eff.GOODPUT_SOURCE)
    steady_h = flops / (prec.peak_flops * mfu) / 3600
    gpu_hours = steady_h / goodput
    state_gb = arch.total_params * TRAIN_STATE_BYTES / 1e9
    min_g = max(1, math.ceil(state_gb * 1e9 / usable_bytes(acc.memory_gb))) if acc.memory_gb else 1
    if ctx.count or ctx.given("gpus"):
        g = int(ctx.count or ctx.opt("gpus"))  # type: ignore[call-overload]
        ctx.add("GPUs", str(g), "given in the query", True)
        if g < min_g:
            ctx.warnings.append(
                f"{g}x {acc.short} cannot hold the training state ({state_gb:,.0f} GB: 16 bytes/param "
                f"for weights, gradients and Adam, fully sharded); needs at least {min_g}"
            )
    elif ctx.given("days"):
        g = max(min_g, math.ceil(gpu_hours / (float(ctx.opt("days")) * 24)))  # type: ignore[arg-type]
        ctx.add("GPUs", str(g), f"the least that finishes in {ctx.q.options['days']} days", True)
    else:
        g = 1
        while g < min_g:
            g *= 2
        g = max(g, 8)
        ctx.add(
            "GPUs",
            str(g),
            f"the least power of two (at least one 8-GPU node) that holds the training state "
            f"({state_gb:,.0f} GB at 16 bytes/param, ZeRO-3 sharded); give gpus= or days=",
        )
    return TrainPlan(
        dtype=dtype,
        peak_flops=prec.peak_flops,
        n=n,
        tokens=tokens,
        seq=seq,
        per_tok=per_tok,
        flops=flops,
        mfu=mfu,
        goodput=goodput,
        steady_h=steady_h,
        gpu_hours=gpu_hours,
        gpus=g,
        days=gpu_hours / g / 24,
    )


def train(ctx: Ctx) -> Result:
    """Training run: model FLOPs, GPU-hours at steady-state MFU and goodput, wall-clock and cost."""
    arch, acc = ctx.arch, ctx.acc
    opts = _options_key(ctx)
    if opts is None:
        t = train_plan(ctx)
    else:
        t = _TRAIN_MEMO(ctx, (id(arch), acc.id, ctx.count, ctx.lean, opts), train_plan, keep=arch)
    g, tokens, seq, mfu, goodput, dtype = t.gpus, t.tokens, t.seq, t.mfu, t.goodput, t.dtype
    gpu_hours, steady_h, days = t.gpu_hours, t.steady_h, t.days
    res = _Draft(
        kind="train",
        query=_canonical(ctx, "train", g if not ctx.count else None),
        currency=ctx.currency,
        inputs={**ctx.inputs, "tokens": tokens, "seq": seq, "mfu": mfu, "goodput": goodput, "dtype": dtype},
        price_per_gpu_hour=ctx.price,
    )
    res.title = f"train {ctx.arch.name} on {fmt_num(tokens)} tokens, {g}x {acc.short}"
    res.gpus, res.flops, res.gpu_hours, res.days = g, t.flops, gpu_hours, days
    if not ctx.lean:
        res.trace = [lambda: _train_trace(arch, t)]  # formatted when the trace is read
    if ctx.price is not None:
        price = ctx.price
        res.cost = gpu_hours * price
        res.breakdown = [
            breakdown_line("training compute (steady state)", steady_h, "GPU-h", price, steady_h * price),
            breakdown_line(
                f"restarts and downtime (goodput {goodput:g})",
                gpu_hours - steady_h,
                "GPU-h",
                price,
                (gpu_hours - steady_h) * price,
            ),
        ]
    kwh, ecost = _energy(ctx, gpu_hours)
    res.energy_kwh, res.energy_cost = kwh, ecost
    res.assumptions, res.warnings = ctx.assumptions, ctx.warnings
    return res if ctx.lean else res.build()  # type: ignore[return-value]


def _train_trace(arch: ModelArch, t: TrainPlan) -> list[dict[str, object]]:
    """The formula trace of a training estimate, step by step, with the numbers put in."""
    return [
        dict(
            name="FLOPs per token",
            formula=f"6 N + 12 L H Q T = 6 x {t.n:.4g} + 12 x {arch.n_layers} x {arch.n_heads} x {arch.d_head} "
            f"x {t.seq}",
            value=t.per_tok,
            unit="FLOP",
            ref="PaLM, arXiv:2204.02311 App. B",
        ),
        dict(
            name="training FLOPs",
            formula=f"tokens x per-token = {t.tokens:.4g} x {t.per_tok:.4g}",
            value=t.flops,
            unit="FLOP",
            ref="Kaplan 2020; Hoffmann 2022",
        ),
        dict(
            name="steady-state GPU-hours",
            formula=f"FLOPs / ({t.peak_flops / 1e12:g}T x {t.mfu:g}) / 3600",
            value=t.steady_h,
            unit="GPU-h",
            ref="MFU: PaLM App. B",
        ),
        dict(name="GPU-hours", formula=f"steady-state / goodput {t.goodput:g}", value=t.gpu_hours, unit="GPU-h"),
        dict(name="wall-clock", formula=f"GPU-hours / {t.gpus} GPUs / 24", value=t.days, unit="days"),
    ]


# ---- compare -------------------------------------------------------------------------------------------
def compare(q: Query, config: EngineConfig) -> Result:
    """One inference workload across several GPUs (and providers), ranked by cost per million tokens.

    A single GPU is compared with the usual alternatives; a price written in the query is the first
    GPU's (the others use their lowest catalog prices).

    GPUs are a comma list (default: the usual alternatives); ``GPU@provider`` pins a provider, and
    ``provider=aws,gcp,lambda`` compares every listed GPU at each provider's lowest price."""
    gpus = [g.strip() for g in (q.gpu or "").split(",") if g.strip()]
    if len(gpus) == 1:  # one GPU: compare it with the usual alternatives (Slack's "Compare GPUs" button)
        first_id = resolve_gpu(parse_gpu_spec(gpus[0])[1]).id
        gpus += [g for g in COMPARE_DEFAULT if resolve_gpu(g).id != first_id]
    gpus = gpus or list(COMPARE_DEFAULT)
    providers = [p.strip() for p in str(q.values.get("provider", "")).split(",") if p.strip()]
    names: list[str] = []
    for g in gpus:
        if "@" in g or len(providers) < 2:
            names.append(g)
        else:
            names += [f"{g}@{p}" for p in providers]
    rows: list[tuple[float, list[object]]] = []
    unpriced: list[list[object]] = []
    notes: list[str] = []
    first: Ctx | None = None
    first_error: GpucostError | None = None
    for name in names:
        gpu_name, _, provider = name.partition("@")
        values = dict(q.values)
        if provider:
            values["provider"] = provider
        # A price in the query is the first GPU's; the others use their catalog prices.
        price = q.price if gpu_name == gpus[0].partition("@")[0] else None
        sub = q.model_copy(update={"kind": "inference", "gpu": gpu_name, "values": values, "price": price})
        try:
            ctx = resolve_ctx(sub, config)
            r = infer(ctx)
        except GpucostError as exc:
            if len(names) == 1 or ("unknown GPU" in exc.message and q.gpu):
                raise
            first_error = first_error or exc
            unpriced.append([name.strip(), None, None, None, None, None, None, "not estimated (see warnings)"])
            notes.append(f"{name.strip()}: {exc.message}")
            continue
        first = first or ctx
        row = [
            (ctx.acc.aliases[0] if ctx.acc.aliases else ctx.acc.id) + (f"@{provider}" if provider else ""),
            r.gpus_per_replica,
            round(r.tokens_per_s_per_gpu or 0, 1),
            r.price_per_gpu_hour,
            r.cost_per_million_tokens,
            r.cost_per_million_output_tokens,
            r.cost_per_request,
            ctx.price_label if r.cost_per_request is not None else "no price (give one, e.g. 2.5usd)",
        ]
        if r.cost_per_million_tokens is None:
            unpriced.append(row)
        else:
            rows.append((r.cost_per_million_tokens, row))
    if first is None:  # nothing could be estimated: the first reason is the answer
        raise first_error or GpucostError("none of the GPUs could be estimated")
    rows.sort(key=lambda t: t[0])
    table_rows = [[i + 1, *row] for i, (_, row) in enumerate(rows)] + [["-", *u] for u in unpriced]
    res = Result(
        kind="compare",
        query=Query(
            kind="compare",
            model=q.model,
            gpu=",".join(n.strip() for n in names),
            price=q.price,
            options=dict(q.options),
        ).canonical(),
        currency=first.currency,
        inputs={"model": first.inputs["model"], "gpus": names},
    )
    res.title = f"{first.arch.name}: cost per million tokens across GPUs"
    res.table = Table(
        columns=[
            "rank",
            "gpu",
            "gpus_per_replica",
            "tokens_per_s_per_gpu",
            "price_per_gpu_hour",
            "cost_per_million_tokens",
            "cost_per_million_output_tokens",
            "cost_per_request",
            "price_source",
        ],
        rows=table_rows,
    )
    if rows:
        best = rows[0][1]
        res.cost_per_million_tokens = rows[0][0]
        res.cost_per_request = best[6]  # type: ignore[assignment]
        res.gpus_per_replica = best[1]  # type: ignore[assignment]
    res.assumptions = [
        a for a in first.assumptions if a.name not in ("accelerator", "price per GPU-hour", "GPUs per replica", "batch")
    ]
    res.assumptions.append(
        Assumption(
            name="prices",
            value="lowest on-demand catalog price per GPU unless given",
            source="shipped SkyPilot catalog extract (2025 snapshot)",
        )
    )
    res.warnings = notes + [
        f"{row[1]}: no catalog price; give one in the query or a price file"
        for row in table_rows
        if row[0] == "-" and row[-1].startswith("no price")
    ]
    return res


# ---- entry point ---------------------------------------------------------------------------------------
def run_query(q: Query, config: EngineConfig, trace: bool = True) -> Result:
    """Evaluate a parsed query (``trace=False``: without the formula trace and assumptions)."""
    out = evaluate(q, config, lean=not trace)
    return out.build() if isinstance(out, _Draft) else out


def evaluate(q: Query, config: EngineConfig, lean: bool = False) -> Result | _Draft:
    """Evaluate a parsed query. ``lean=True`` (bulk evaluation) skips provenance and the formula
    trace and may return the unvalidated draft, whose attributes are the Result's fields."""
    kind = q.kind
    if kind in ("calibrate", "import") or (kind == "prices" and q.rest[:1] == ["import-skypilot"]):
        _refuse_files(config, f"'{kind}'" if kind != "prices" else "'prices import-skypilot'")
    if kind == "calibrate" or (kind == "import" and q.rest[:1] != ["import-skypilot"]):
        from engine import measured

        return measured.cli_command([kind, *q.rest], config)
    if kind in ("gpus", "models", "prices", "help", "import"):
        from engine import listings

        return listings.run_listing(q, config)
    if kind == "compare":
        return compare(q, config)
    if kind == "explain":
        from engine.explain import explain

        return explain(q, config)
    ctx = resolve_ctx(q, config, lean=lean)
    ctx.lean = lean
    if kind == "inference":
        return infer(ctx)
    if kind == "daily":
        return daily(ctx)
    if kind == "train":
        return train(ctx)
    raise GpucostError(f"unknown subcommand '{kind}'", hint="'gpucost help' lists them")


def run(query: str | Query | list[str], config: EngineConfig | None = None, trace: bool = True) -> Result:
    """Parse and evaluate a query. Bad input raises :class:`GpucostError` (one-line message).
    ``trace=False`` leaves out the formula trace (bulk evaluation)."""
    cfg = config or _default_config()
    if not isinstance(query, (str, list, Query)):
        raise GpucostError(f"a query is text, not {type(query).__name__}", hint="e.g. '1.17e8 P4 0.3'")
    if isinstance(query, Query):  # built by a program, not parsed: hold it to what parsing guarantees
        for name in ("model", "gpu", "price"):
            if not isinstance(getattr(query, name), (str, type(None))):
                raise GpucostError(f"Query.{name} must be text", hint="or use engine.build_query(...)")
        query = parse_query(query.canonical())
    # a fresh Query either way (a caller's Query was re-parsed above): the chain may fill derived values in
    if isinstance(query, str):
        query = parse_text(query)
    return run_query(query if isinstance(query, Query) else parse_query(query), cfg, trace)


@lru_cache(maxsize=1)
def _default_config() -> EngineConfig:
    """The built-in settings (an :class:`EngineConfig` is frozen, so one instance serves every call)."""
    return EngineConfig()
