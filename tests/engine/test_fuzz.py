"""Property-based tests: no input string crashes the parser or the engine.

Whatever is typed, ``engine.run`` either returns a Result whose numbers are finite or raises
``GpucostError`` with a one-line message. Anything else (a TypeError, ZeroDivisionError, a pydantic
ValidationError leaking out) is a bug."""

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import run
from engine.errors import GpucostError
from engine.query import parse_query

WORDS = [
    "",
    "daily",
    "train",
    "compare",
    "explain",
    "gpus",
    "models",
    "prices",
    "help",
    "1.17e8",
    "117M",
    "70B",
    "1.5T",
    "1.17亿",
    "7千万",
    "0",
    "-5",
    "1e400",
    "nan",
    "gpt2",
    "llama-2-70b",
    "deepseek-v3",
    "mixtral-8x7b",
    "P4",
    "H100",
    "8xH100",
    "0xH100",
    "99999xT4",
    "A100-80G",
    "MI300X",
    "A30",
    "TPUv4",
    "0.3",
    "$2",
    "0.3元",
    "¥",
    "in=",
    "in=0",
    "in=100",
    "out=1",
    "out=1e9",
    "batch=max",
    "batch=0",
    "batch=7",
    "tp=3",
    "tp=0",
    "dtype=int4",
    "dtype=fp8",
    "dtype=fp16",
    "kv=fp8",
    "requests=10M",
    "tokens_in=1",
    "peak=0.5",
    "util=1",
    "util=0",
    "tokens=1T",
    "gpus=1",
    "days=0.01",
    "mfu=1",
    "goodput=0.01",
    "spot",
    "static",
    "engine=hf",
    "currency=CNY",
    "currency=EUR",
    "decode_tps=1",
    "prefill_tps=1e-6",
    "tpot_max=1us",
    "ttft_max=1ms",
    "power=1",
    "pue=5",
    "kwh=1元",
    "=",
    "==",
    "'",
    '"',
    "calibration=../x",
    "seq=1",
    "users=1",
    "per_user=0.001",
]

finite_fields = ("tokens_per_s", "cost_per_request", "cost_per_day", "gpu_hours", "cost", "ttft_s", "tpot_s")


def _check(query: str) -> None:
    try:
        r = run(query)
    except GpucostError as e:
        assert "\n" not in str(e) and str(e)
        return
    for f in finite_fields:
        v = getattr(r, f)
        assert v is None or (math.isfinite(v) and v >= 0), (query, f, v)
    r.to_json_dict()  # every part validates, the formula trace (built on read) included


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(WORDS), min_size=0, max_size=7))
def test_token_soup_never_crashes(words):
    _check(" ".join(words))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_text_never_crashes_the_parser_or_engine(text):
    try:
        parse_query(text)
    except GpucostError:
        pass
    _check(text)
