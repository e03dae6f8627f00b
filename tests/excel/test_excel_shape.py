"""Argument shapes Excel sends, broadcasting and Excel-safe results (no engine needed)."""

from __future__ import annotations

import math

import pytest

from excel._shape import (
    NOT_FINITE,
    ExcelArgumentError,
    broadcast_shape,
    cell_at,
    clean_table,
    finite_or_message,
    is_blank,
    number_token,
    reshape,
    text_token,
    to_grid,
)


@pytest.mark.parametrize(
    ("value", "grid"),
    [
        (7.0, [[7.0]]),
        (None, [[None]]),
        ("H100", [["H100"]]),
        ([[1.0], [2.0]], [[1.0], [2.0]]),  # a column from a range (ndim=2)
        ([1.0, 2.0], [[1.0], [2.0]]),  # a 1-D list, as classic xlwings sends a range: a column
        ([[1.0, 2.0]], [[1.0, 2.0]]),  # a row
        ([[1.0, 2.0], [3.0]], [[1.0, 2.0], [3.0, None]]),  # ragged: padded
        ([], [[None]]),
        ((1, 2), [[1], [2]]),
    ],
)
def test_to_grid(value: object, grid: list[list[object]]) -> None:
    assert to_grid(value) == grid


def test_to_grid_refuses_mixed_rows() -> None:
    with pytest.raises(ExcelArgumentError, match="rectangular"):
        to_grid([1.0, [2.0]])


def test_broadcast_shape_follows_numpy() -> None:
    col, row, one = [[1], [2], [3]], [[1, 2]], [[1]]
    assert broadcast_shape(["a", "b"], [col, one]) == (3, 1)
    assert broadcast_shape(["a", "b"], [col, row]) == (3, 2)
    assert broadcast_shape(["a"], [one]) == (1, 1)
    with pytest.raises(ExcelArgumentError, match="'a' has 3 rows but 'b' has 2"):
        broadcast_shape(["a", "b"], [col, [[1], [2]]])
    with pytest.raises(ExcelArgumentError, match="columns"):
        broadcast_shape(["a", "b"], [row, [[1, 2, 3]]])


def test_cell_at_repeats_size_one_dimensions() -> None:
    assert cell_at([[5]], 9, 9) == 5
    assert cell_at([[1], [2]], 1, 3) == 2
    assert cell_at([[1, 2]], 4, 1) == 2


@pytest.mark.parametrize(
    ("number", "token"),
    [
        (8.0, "8"),
        (8, "8"),
        (0.3, "0.3"),
        (117000000.0, "117000000"),
        (7e10, "70000000000"),
        (2.5e-05, "2.5e-05"),
        (-3.0, "-3"),
    ],
)
def test_number_token_reads_back_exactly(number: float, token: str) -> None:
    assert number_token(number) == token
    assert float(token) == float(number)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, True])
def test_number_token_refuses_what_is_not_a_number(bad: float) -> None:
    with pytest.raises(ExcelArgumentError):
        number_token(bad)


def test_text_token() -> None:
    assert text_token(None, "x") is None
    assert text_token("  ", "x") is None
    assert text_token(" H100 ", "gpu") == "H100"
    assert text_token(500.0, "in") == "500"
    assert text_token(True, "spot") == "true"
    with pytest.raises(ExcelArgumentError, match="single value"):
        text_token("70B in=5", "model")


def test_blank_and_finite() -> None:
    assert is_blank(None) and is_blank("") and is_blank(" ")
    assert not is_blank(0.0) and not is_blank(False)
    assert finite_or_message(math.nan) == NOT_FINITE
    assert finite_or_message(math.inf) == NOT_FINITE
    assert finite_or_message(None) == ""
    assert finite_or_message(1.5) == 1.5


def test_clean_table_is_rectangular_and_excel_safe() -> None:
    table = clean_table([["a", None], ["b", math.nan, 3], ["c"]])
    assert table == [["a", "", ""], ["b", NOT_FINITE, 3], ["c", "", ""]]
    assert clean_table([]) == [[""]]


def test_reshape_round_trip() -> None:
    assert reshape([1, 2, 3, 4, 5, 6], (2, 3)) == [[1, 2, 3], [4, 5, 6]]
