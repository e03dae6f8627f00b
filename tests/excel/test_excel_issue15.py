"""Issue 15's bugs, each pinned by a direct call in CPython (the real runtimes have their own files:
test_excel_pyodide.py, test_excel_xlwings_server.py, test_excel_classic_vba.py, test_excel_workbook.py).
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

import engine
import engine.batch
from excel import _shape
from excel import functions as fn

DIV0 = {"type": "Error", "basicType": "Error", "basicValue": "#DIV/0!", "errorType": "Div0"}


# ---- item 1: no parameter named like a VBA reserved word -----------------------------------------


def test_no_function_has_a_currency_parameter() -> None:
    for name in fn.__all__:
        params = inspect.signature(getattr(fn, name)).parameters
        assert "currency" not in params, name
    assert fn.aigc_cost(1.17e8, "P4", 0.3, currency_code="CNY") == pytest.approx(
        engine.run("1.17e8 P4 0.3usd currency=CNY").cost_per_request
    )


# ---- item 2: every failure is an xlwings.XlwingsError (xlwings Server passes its message on) -----


def test_every_failure_is_an_xlwings_error_and_a_value_error() -> None:
    import xlwings

    for call in (lambda: fn.aigc_cost("no-such-model", "H100"), lambda: fn.aigc_cost(7e9, "H100", "abc")):
        with pytest.raises(xlwings.XlwingsError) as info:
            call()
        assert isinstance(info.value, ValueError) and "\n" not in str(info.value)


# ---- item 3: an error cell is not an empty cell ---------------------------------------------------


@pytest.mark.parametrize("error", ["#DIV/0!", "#N/A", "#VALUE!", "#REF!", DIV0])
def test_error_in_a_single_cell_is_refused_naming_the_argument(error: Any) -> None:
    code = error["basicValue"] if isinstance(error, dict) else error
    with pytest.raises(fn.ExcelError, match=f"'price' is the error {code}"):
        fn.aigc_cost(7e9, "H100", error)
    with pytest.raises(fn.ExcelError, match=f"'model' is the error {code}"):
        fn.aigc_cost(error, "H100", 2.0)
    with pytest.raises(fn.ExcelError, match=f"'metric' is the error {code}"):
        fn.aigc_cost(7e9, "H100", 2.0, error)
    with pytest.raises(fn.ExcelError, match=f"'requests_per_day' is the error {code}"):
        fn.aigc_daily("llama-3-8b", "H100", 2.0, error)
    with pytest.raises(fn.ExcelError, match=f"'currency_code' is the error {code}"):
        fn.aigc_estimate("1.17e8 P4 0.3", error)


def test_error_cell_in_a_range_fails_only_its_row() -> None:
    got = fn.aigc_cost([[7e9], ["#N/A"], [DIV0]], "H100", 2.0)
    assert got[0][0] == pytest.approx(fn.aigc_cost(7e9, "H100", 2.0))
    assert "'model' is the error #N/A" in got[1][0] and "'model' is the error #DIV/0!" in got[2][0]
    got = fn.aigc_gpu([["H100"], ["#REF!"]], "memory_gb")
    assert got[0][0] == 80 and "'gpu' is the error #REF!" in got[1][0]


# ---- item 6: one bad GPU in AIGC_COMPARE --------------------------------------------------------


def test_compare_ranks_the_good_gpus_and_fails_the_bad_row() -> None:
    good = fn.aigc_compare("llama-3-70b", [["H100"], ["L4"]])
    got = fn.aigc_compare("llama-3-70b", [["H100"], ["H1000"], ["L4"], ["#N/A"]])
    assert got[: len(good)] == good
    bad = got[len(good) :]
    assert [row[1] for row in bad] == ["H1000", "#N/A"]
    assert "unknown GPU 'H1000'" in bad[0][0] and "'gpus' cell 4 is the error #N/A" in bad[1][0]
    assert all(isinstance(cell, _shape.CellError) for row in bad for i, cell in enumerate(row) if i != 1)
    with pytest.raises(fn.ExcelError, match="unknown GPU 'H1000'"):
        fn.aigc_compare("llama-3-70b", [["H1000"]])
    with pytest.raises(fn.ExcelError, match="unknown model"):  # a bad model is still the whole call's error
        fn.aigc_compare("no-such-model", [["H100"], ["L4"]])


# ---- item 7: an answer for another replica than asked is an error --------------------------------


def test_a_single_cell_that_does_not_fit_says_so() -> None:
    with pytest.raises(fn.ExcelError, match=r"does not fit: .*needs at least 2x H100.*not 1"):
        fn.aigc_cost(7e10, "1xH100", 2.5)
    with pytest.raises(fn.ExcelError, match="does not fit"):
        fn.aigc_infer(7e10, "H100", 2.5, tp=1.0)
    assert fn.aigc_cost(7e10, "2xH100", 2.5) == pytest.approx(engine.run("7e10 2xH100 2.5").cost_per_request)
    assert fn.aigc_cost(7e10, "H100", 2.5) == pytest.approx(engine.run("7e10 H100 2.5").cost_per_request)


def test_a_range_row_that_does_not_fit_says_so() -> None:
    got = fn.aigc_cost([[7e9], [7e10]], "1xH100", 2.5)
    assert got[0][0] == pytest.approx(fn.aigc_cost(7e9, "1xH100", 2.5))
    assert got[1][0].startswith("does not fit") and got[1][0].code == "#VALUE!"
    got = fn.aigc_cost(7e10, [["1xH100"], ["2xH100"]], 2.5)
    assert got[0][0].startswith("does not fit") and got[1][0] == pytest.approx(fn.aigc_cost(7e10, "2xH100", 2.5))


# ---- item 8: bad rows are real Excel errors where the route has them ------------------------------


def test_bad_rows_are_cell_errors_and_excel_errors_on_office_js(monkeypatch: pytest.MonkeyPatch) -> None:
    args = ([[7e9], ["zzz"], [""]], "H100", 2.0, "per million output tokens")
    got = fn.aigc_cost(*args)
    assert isinstance(got[1][0], _shape.CellError) and got[1][0].startswith("unknown model 'zzz'")
    assert got[2][0] == ""
    monkeypatch.setenv("XLWINGS_ON_SERVER", "true")  # xlwings Server (Lite: sys.platform == "emscripten")
    office = fn.aigc_cost(*args)
    assert office[1][0] == "#VALUE!" and type(office[1][0]) is str and office[0][0] == got[0][0]
    na = fn.aigc_train([["llama-3-8b"], ["zzz"]], "H100", 8.0, None, None, 2.0, "ttft_s")
    assert na == [["#N/A"], ["#VALUE!"]]


# ---- item 9: Pyodide's jsnull is an empty cell ------------------------------------------------------


class _JsNull:
    """Stands in for pyodide.ffi.JsNull (the real one: test_excel_pyodide.py)."""


def test_jsnull_is_an_empty_cell(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_shape, "_JSNULL", _JsNull)
    null = _JsNull()
    plain = fn.aigc_cost(1.17e8, "P4", 0.3)
    assert fn.aigc_cost(1.17e8, "P4", 0.3, null) == plain
    assert fn.aigc_cost(1.17e8, "P4", 0.3, null, null, null, null, null) == plain
    assert fn.aigc_cost([[1.17e8], [null]], "P4", 0.3) == [[plain], [""]]
    assert fn.aigc_cost(1.17e8, "P4", [[null], [0.3]]) == [[fn.aigc_cost(1.17e8, "P4")], [plain]]


# ---- item 10: broadcasts through the column path; short excerpts of long inputs ------------------


def test_row_by_column_broadcast_uses_one_column_call_per_column(monkeypatch: pytest.MonkeyPatch) -> None:
    models = [[float(1e9 * (i + 1))] for i in range(20)]
    prices = [[1.0 + 0.1 * j for j in range(20)]]
    calls: list[int] = []
    real = engine.batch.evaluate_many

    def counting(query: str, column: str, values: list[object], *rest: Any) -> Any:
        calls.append(len(values))
        return real(query, column, values, *rest)

    monkeypatch.setattr(engine.batch, "evaluate_many", counting)
    got = fn.aigc_cost(models, "H100", prices)
    assert calls == [20] * 20  # 20 column calls of 20 models, not 400 estimates
    for i in (0, 7, 19):
        for j in (0, 11, 19):
            assert got[i][j] == pytest.approx(fn.aigc_cost(models[i][0], "H100", prices[0][j]), rel=1e-12)


def test_messages_quote_a_short_excerpt_of_a_long_input() -> None:
    long = "x" * 10_000
    for call in (
        lambda: fn.aigc_cost(7e9, "H100", 2.0, long),
        lambda: fn.aigc_cost(7e9, "H100", 2.0, None, f"500 {long}=1"),
        lambda: fn.aigc_cost(7e9, "H100", f"{long}=2"),
    ):
        with pytest.raises(fn.ExcelError) as info:
            call()
        assert len(str(info.value)) <= 200 and "xxx..." in str(info.value), str(info.value)[:300]
    row = fn.aigc_cost([[7e9], [f"{long}=1"]], "H100", 2.0)[1][0]
    assert len(row) <= 200
