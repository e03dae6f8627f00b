"""Direct calls of every AIGC_* function with the argument shapes Excel sends, checked against the engine.

The xlwings decorators are inert on Linux, so the functions are plain Python here. Every expected
number comes from the engine called directly (``engine.run`` on the same query): the Excel layer
must only reshape, never compute.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

import engine
import engine.catalog
import engine.fx
import engine.prices
from engine.results import Result
from excel import functions as fn
from excel._shape import NOT_FINITE


def direct(kind: str | None, model: str, gpu: str, price: str | None = None, **options: str) -> Result:
    """The engine's answer for explicit arguments, without the Excel layer."""
    return engine.run(engine.build_query(kind, model, gpu, price, **options))


# ---- AIGC_COST -----------------------------------------------------------------------------------


def test_cost_scalar_is_the_engines_cost_per_request() -> None:
    expected = direct(None, "llama-3-8b", "H100", "2.5").cost_per_request
    assert fn.aigc_cost("llama-3-8b", "H100", 2.5) == pytest.approx(expected)
    # The article's own example: 117M parameters on a Tesla P4 at 0.3 per GPU-hour.
    assert fn.aigc_cost(1.17e8, "P4", 0.3) == pytest.approx(direct(None, "1.17e8", "P4", "0.3").cost_per_request)


@pytest.mark.parametrize(
    ("metric", "field"),
    [
        (None, "cost_per_request"),
        ("per request", "cost_per_request"),
        ("per million input tokens", "cost_per_million_input_tokens"),
        ("per million output tokens", "cost_per_million_output_tokens"),
        ("output", "cost_per_million_output_tokens"),
        ("tokens per second", "tokens_per_s"),
        ("GPUs", "gpus"),
        ("cost_per_million_input_tokens", "cost_per_million_input_tokens"),
    ],
)
def test_cost_metric_selects_a_result_field(metric: str | None, field: str) -> None:
    expected = getattr(direct(None, "llama-3-8b", "H100", "2.5", **{"in": "500", "out": "300"}), field)
    got = fn.aigc_cost("llama-3-8b", "H100", 2.5, metric, 500.0, 300.0)
    assert got == pytest.approx(expected)


def test_cost_per_day_uses_the_daily_estimate() -> None:
    expected = direct("daily", "llama-3-8b", "H100", "2.5", requests="1000000").cost_per_day
    assert fn.aigc_cost("llama-3-8b", "H100", 2.5, "per day", None, None, 1e6) == pytest.approx(expected)


def test_ints_floats_single_cell_ranges_and_empty_cells_agree(officejs: Any) -> None:
    base = fn.aigc_cost("llama-3-8b", "H100", 2.5, None, 500, 300)
    assert fn.aigc_cost("llama-3-8b", "H100", 2.5, None, 500.0, 300.0) == base
    assert fn.aigc_cost([["llama-3-8b"]], [["H100"]], [[2.5]], None, [[500.0]], [[300.0]]) == base
    assert fn.aigc_cost(*[officejs(v) for v in ("llama-3-8b", "H100", 2.5, None, 500, 300)]) == base
    # Empty cell (None or "") = the engine's default, the same as leaving the argument out.
    default = fn.aigc_cost("llama-3-8b", "H100", 2.5)
    assert fn.aigc_cost("llama-3-8b", "H100", 2.5, None, None, "") == default
    assert fn.aigc_cost("llama-3-8b", "H100", 2.5, "", "", None, None, None) == default


def test_cost_broadcasts_a_column_of_parameter_counts(officejs: Any) -> None:
    counts = [1.17e8, 7e9, 7e10]
    got = fn.aigc_cost(officejs(counts), "H100", 2.5)
    assert [len(row) for row in got] == [1, 1, 1]
    for row, count in zip(got, counts, strict=True):
        assert row[0] == pytest.approx(fn.aigc_cost(count, "H100", 2.5))


def test_cost_broadcasts_a_row_and_a_1d_list() -> None:
    row = fn.aigc_cost("llama-3-8b", [["H100", "A100", "L4"]], None)
    assert len(row) == 1 and len(row[0]) == 3
    assert row[0][1] == pytest.approx(fn.aigc_cost("llama-3-8b", "A100"))
    col = fn.aigc_cost("llama-3-8b", ["H100", "A100"])  # classic xlwings sends a 1-D list
    assert [r[0] for r in col] == [pytest.approx(fn.aigc_cost("llama-3-8b", g)) for g in ("H100", "A100")]


def test_cost_column_rows_fail_alone_and_empty_rows_stay_empty(officejs: Any) -> None:
    got = fn.aigc_cost(officejs(["llama-3-8b", "no-such-model-xyz", None, 7e9]), "H100", 2.5)
    assert got[0][0] == pytest.approx(fn.aigc_cost("llama-3-8b", "H100", 2.5))
    assert isinstance(got[1][0], str) and "no-such-model-xyz" in got[1][0]
    assert got[2][0] == ""
    assert got[3][0] == pytest.approx(fn.aigc_cost(7e9, "H100", 2.5))


def test_cost_empty_cells_in_an_option_column_mean_the_default(officejs: Any) -> None:
    got = fn.aigc_cost("llama-3-8b", "H100", 2.5, None, officejs([500, None, 2000]))
    assert got[1][0] == pytest.approx(fn.aigc_cost("llama-3-8b", "H100", 2.5))
    assert got[2][0] == pytest.approx(fn.aigc_cost("llama-3-8b", "H100", 2.5, None, 2000))


def test_cost_two_ranges_broadcast_cell_by_cell(officejs: Any) -> None:
    models, gpus = officejs(["llama-3-8b", 7e10]), [["H100", "A100"]]
    got = fn.aigc_cost(models, gpus, 2.0)
    assert len(got) == 2 and len(got[0]) == 2
    for r, model in enumerate(["llama-3-8b", 7e10]):
        for c, gpu in enumerate(["H100", "A100"]):
            assert got[r][c] == pytest.approx(fn.aigc_cost(model, gpu, 2.0))


def test_ranges_of_different_sizes_are_refused() -> None:
    with pytest.raises(fn.ExcelError, match="same size"):
        fn.aigc_cost([["a"], ["b"]], [["H100"], ["A100"], ["L4"]])


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("no-such-model-xyz", "H100", 2.5), "no-such-model-xyz"),
        (("llama-3-8b", "no-such-gpu-xyz", 2.5), "no-such-gpu-xyz"),
        (("llama-3-8b", "H100", 2.5, "per fortnight"), "unknown metric"),
        ((None, "H100"), "model"),
        (("llama-3-8b", None), "gpu"),
    ],
)
def test_bad_input_raises_one_line_message(args: tuple[Any, ...], needle: str) -> None:
    with pytest.raises(fn.ExcelError) as info:
        fn.aigc_cost(*args)
    message = str(info.value)
    assert needle in message
    assert "\n" not in message and "Traceback" not in message


def test_a_range_cannot_ask_for_a_table() -> None:
    with pytest.raises(fn.ExcelError, match="table"):
        fn.aigc_infer([["llama-3-8b"], ["gpt2"]], "H100", None, None, None, "table")


# ---- values Excel cannot hold -------------------------------------------------------------------


def test_nan_and_inf_never_reach_excel(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_many(base_query: str, column: str, values: list[Any], metric: str, config: Any = None) -> list[Any]:
        return [math.nan, math.inf, 1.5, "bad row", None][: len(values)]

    monkeypatch.setattr(engine.batch, "evaluate_many", fake_many)
    got = fn.aigc_cost([["a"], ["b"], ["c"], ["d"], ["e"]], "H100", 2.0)
    assert [row[0] for row in got] == [
        NOT_FINITE,
        NOT_FINITE,
        1.5,
        "bad row",
        "'cost_per_request' does not apply to this estimate",
    ]

    nan_result = Result.model_construct(kind="inference", query="q", cost_per_month=math.nan, warnings=[])
    monkeypatch.setattr(engine, "run", lambda *a, **k: nan_result)
    with pytest.raises(fn.ExcelError, match="finite"):
        fn.aigc_cost("llama-3-8b", "H100", 2.0, "per month")


def test_an_engine_bug_is_one_line_not_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: Any, **kwargs: Any) -> Result:
        raise KeyError("oops\nsecond line")

    monkeypatch.setattr(engine, "run", boom)
    with pytest.raises(fn.ExcelFunctionError) as info:
        fn.aigc_estimate("1.17e8 P4 0.3")
    assert "internal error in AIGC_ESTIMATE" in str(info.value) and "\n" not in str(info.value)


# ---- AIGC_ESTIMATE / INFER / DAILY / TRAIN / COMPARE ---------------------------------------------


def _as_dict(table: list[list[Any]]) -> dict[str, Any]:
    assert table[0] == ["metric", "value"]
    assert all(len(row) == 2 for row in table)
    return {row[0]: row[1] for row in table[1:]}


def _excel_safe(table: list[list[Any]]) -> bool:
    return all(v is not None and not (isinstance(v, float) and not math.isfinite(v)) for row in table for v in row)


def test_estimate_spills_metric_value_pairs() -> None:
    query = "llama-3-8b H100 2.5 in=500 out=300"
    table = fn.aigc_estimate(query)
    result = engine.run(query)
    data = _as_dict(table)
    assert data["query"] == result.query
    assert data["cost_per_request"] == pytest.approx(result.cost_per_request)
    assert data["tokens_per_s"] == pytest.approx(result.tokens_per_s)
    assert _excel_safe(table)


def test_estimate_pasted_from_slack_with_a_single_cell_range() -> None:
    assert fn.aigc_estimate([["1.17e8 P4 0.3"]]) == fn.aigc_estimate("1.17e8 P4 0.3")


def test_estimate_bad_query_and_empty_query() -> None:
    with pytest.raises(fn.ExcelError):
        fn.aigc_estimate("no-such-model-xyz H100")
    with pytest.raises(fn.ExcelError, match="empty"):
        fn.aigc_estimate(None)


def test_infer_scalar_metric_and_table() -> None:
    result = direct(None, "llama-3-8b", "H100", "2.5", **{"in": "500", "out": "300"})
    assert fn.aigc_infer("llama-3-8b", "H100", 2.5, 500.0, 300.0) == pytest.approx(result.cost_per_request)
    tps = fn.aigc_infer("llama-3-8b", "H100", 2.5, 500.0, 300.0, "tokens per second")
    assert tps == pytest.approx(result.tokens_per_s)
    table = fn.aigc_infer("llama-3-8b", "H100", 2.5, 500.0, 300.0, "table")
    assert _as_dict(table)["cost_per_request"] == pytest.approx(result.cost_per_request)
    assert _excel_safe(table)


def test_infer_options_reach_the_query() -> None:
    got = fn.aigc_infer("llama-3-8b", "H100", 2.5, 500.0, 300.0, "table", None, 8.0, None, "fp8")
    query = _as_dict(got)["query"]
    expected = direct(None, "llama-3-8b", "H100", "2.5", **{"in": "500", "out": "300", "batch": "8", "dtype": "fp8"})
    assert query == expected.query


def test_daily_defaults_to_cost_per_day() -> None:
    result = direct("daily", "llama-3-8b", "H100", None, requests="1000000", **{"in": "500", "out": "300"})
    assert fn.aigc_daily("llama-3-8b", "H100", None, 1e6, 500.0, 300.0) == pytest.approx(result.cost_per_day)
    assert fn.aigc_daily("llama-3-8b", "H100", None, 1e6, 500.0, 300.0, "gpus") == result.gpus
    assert fn.aigc_daily("llama-3-8b", "H100", None, 1e6, 500.0, 300.0, "per month") == pytest.approx(
        result.cost_per_month
    )


def test_daily_broadcasts_traffic(officejs: Any) -> None:
    traffic = [1e5, 1e6, 1e7]
    got = fn.aigc_daily("llama-3-8b", "H100", None, officejs(traffic))
    for row, requests in zip(got, traffic, strict=True):
        assert row[0] == pytest.approx(fn.aigc_daily("llama-3-8b", "H100", None, requests))


def test_train_defaults_to_cost() -> None:
    result = direct("train", "llama-3-8b", "H100", None, gpus="1024", tokens="15T")
    assert fn.aigc_train("llama-3-8b", "H100", 1024.0, "15T") == pytest.approx(result.cost)
    assert fn.aigc_train("llama-3-8b", "H100", 1024.0, "15T", None, None, "days") == pytest.approx(result.days)


def test_compare_spills_the_engines_ranking(officejs: Any) -> None:
    table = fn.aigc_compare("llama-3-8b", officejs(["H100", "A100", None, "L4"]))
    result = engine.run(engine.build_query("compare", "llama-3-8b", "H100,A100,L4", None))
    assert result.table is not None
    assert table[0] == list(result.table.columns)
    assert len(table) == 1 + len(result.table.rows)
    assert _excel_safe(table)
    with pytest.raises(fn.ExcelError, match="gpus"):
        fn.aigc_compare("llama-3-8b", [[None], [""]])


# ---- catalog look-ups ----------------------------------------------------------------------------


def test_gpu_field_alias_range_and_sheet(officejs: Any) -> None:
    h100 = engine.catalog.resolve_gpu("H100")
    assert fn.aigc_gpu("H100", "memory_gb") == h100.memory_gb
    assert fn.aigc_gpu("H100", "memory") == h100.memory_gb
    assert fn.aigc_gpu("h100", "Memory BW GB S") == h100.memory_bw_gb_s
    col = fn.aigc_gpu(officejs(["H100", None, "no-such-gpu-xyz", "L4"]), "memory_gb")
    assert col[0][0] == h100.memory_gb and col[1][0] == "" and "no-such-gpu-xyz" in col[2][0]
    assert col[3][0] == engine.catalog.resolve_gpu("L4").memory_gb
    sheet = fn.aigc_gpu("H100")
    assert sheet[0] == ["field", "value"] and ["id", h100.id] in sheet
    with pytest.raises(fn.ExcelError, match="unknown GPU field"):
        fn.aigc_gpu("H100", "colour")
    with pytest.raises(fn.ExcelError, match="field"):
        fn.aigc_gpu([["H100"], ["L4"]])


def test_gpus_lists_the_catalog() -> None:
    table = fn.aigc_gpus()
    gpus = engine.catalog.list_gpus()
    assert table[0][:3] == ["id", "name", "vendor"]
    assert [row[0] for row in table[1:]] == [g.id for g in gpus]
    assert _excel_safe(table)


def test_price_is_the_lowest_catalog_price(officejs: Any) -> None:
    assert fn.aigc_price("H100") == engine.prices.lowest_price("H100").usd_per_gpu_hour
    col = fn.aigc_price(officejs(["H100", "L4", "H20", "910B"]))
    assert col[0][0] == engine.prices.lowest_price("H100").usd_per_gpu_hour
    assert col[1][0] == engine.prices.lowest_price("L4").usd_per_gpu_hour
    # the H20's only catalog price is published in CNY (7.5 CNY/h): the cell is USD, converted at the
    # engine's FX rate, never the CNY figure (a CNY row must not pass for USD)
    h20 = engine.prices.lowest_price("H20")
    assert h20.currency == "CNY" and h20.usd_per_gpu_hour == 7.5
    assert col[2][0] == pytest.approx(7.5 / engine.fx.rate("USD", "CNY")) and col[2][0] != 7.5
    assert isinstance(col[3][0], str)  # no catalog price (Ascend 910B): the message, in its own cell
    spot = engine.prices.lowest_price("H100", spot=True).usd_per_gpu_hour
    assert fn.aigc_price("H100", None, None, True) == spot
    with pytest.raises(fn.ExcelError):
        fn.aigc_price("no-such-gpu-xyz")


def test_price_of_a_row_published_in_cny_is_usd(tmp_path: Any, monkeypatch: pytest.MonkeyPatch, officejs: Any) -> None:
    """AIGC_PRICE is USD per GPU-hour: a price row published in CNY is converted at the engine's FX
    rate, not passed through as if it were dollars."""
    from engine.config import EngineConfig

    prices = tmp_path / "prices.csv"
    prices.write_text(
        "provider,region,instance_type,gpu,gpu_count,price_type,usd_per_hour_instance,usd_per_gpu_hour,"
        "source,as_of,currency\n"
        "yuncloud,cn-north,h20.8x,H20,8,on_demand,80,10,https://example.org/cn,2026-11-01,CNY\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(fn, "CONFIG", EngineConfig(price_file=prices, cny_per_usd=8.0))
    assert fn.aigc_price("H20") == pytest.approx(1.25)  # 10 CNY / 8 CNY per USD
    assert fn.aigc_price(officejs(["H20", "H20"])) == [[pytest.approx(1.25)], [pytest.approx(1.25)]]


def test_prices_lists_every_row() -> None:
    table = fn.aigc_prices("A100")
    rows = engine.prices.prices_for("A100")
    assert len(table) == 1 + len(rows)
    assert "usd_per_gpu_hour" in table[0]
    assert _excel_safe(table)


def test_fx_is_the_engines_rate() -> None:
    assert fn.aigc_fx("USD", "CNY") == engine.fx.rate("USD", "CNY")
    assert fn.aigc_fx("usd", "cny") == engine.fx.rate("USD", "CNY")
    assert fn.aigc_fx("CNY", "USD") == pytest.approx(1 / engine.fx.rate("USD", "CNY"))
    with pytest.raises(fn.ExcelError):
        fn.aigc_fx("USD", None)


def test_every_function_has_docs() -> None:
    for name in fn.__all__:
        f = getattr(fn, name)
        assert f.__doc__ and f.__doc__.strip().splitlines()[0].endswith(".")
        assert f"AIGC_{name.removeprefix('aigc_').upper()}(" in f.__doc__


def test_calibration_engine_measured_and_training_arguments_reach_the_engine():
    """The arguments issue 5 adds (engine preset, calibration, measured throughput, goodput, seq,
    deadline) pass through to the same query the command line would run, by position or keyword."""
    import engine
    from excel.functions import aigc_daily, aigc_infer, aigc_train

    assert (
        aigc_infer("llama-3-8b", "H100", 2, 500, 200, engine="trtllm")
        == engine.run("llama-3-8b H100 2 in=500 out=200 engine=trtllm").cost_per_request
    )
    assert (
        aigc_daily("llama-3-8b", "H100", 2, 1e6, 500, 200, decode_tps=1000)
        == engine.run("daily llama-3-8b H100 2 requests=1M in=500 out=200 decode_tps=1000").cost_per_day
    )
    assert (
        aigc_train("llama-2-7b", "A100-80G", None, "2T", None, 2, None, None, None, 0.66, 4096, 30)
        == engine.run("train llama-2-7b A100-80G 2 tokens=2T goodput=0.66 seq=4096 days=30").cost
    )
