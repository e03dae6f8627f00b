"""Argument shapes Excel sends, and values Excel can hold: normalise, broadcast, sanitise.

Excel (classic xlwings, xlwings Lite and xlwings Server alike) hands a custom function a scalar
for a single cell, a list for a 1-D range, a list of lists for a 2-D range, ``None`` for an
omitted argument or an empty cell (Office.js sometimes sends ``""`` for empty cells inside a
range), and floats for every number (``8.0``, not ``8``). This module turns all of that into one
shape — a grid, a list of rows — broadcasts several grids against each other like NumPy does, and
turns results back into something Excel can hold: no NaN, no inf, no ``None`` inside a spilled
array.

It computes no cost and imports only the standard library (it is inlined into the generated
xlwings Lite ``main.py``), never ``engine``, ``bot`` or ``xlwings``.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from typing import Any

#: A grid: a list of rows, each a list of cell values.
Grid = list[list[Any]]

#: Shown in a cell of a spilled result when the number could not be represented in Excel.
NOT_FINITE = "not a finite number"


#: Longest excerpt of an input a message quotes [characters]; a longer input is cut with "...".
EXCERPT_CHARS = 40

#: Excel's error values as text (what xlwings hands a function for an error cell with
#: ``err_to_str=True``, and what Office.js shows). Microsoft, "How to correct a #... error" pages and
#: the Excel JavaScript API's ``Excel.ErrorCellValueType``.
EXCEL_ERRORS = frozenset(
    {
        "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
        "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#PYTHON!",
    }
)  # fmt: skip

#: ``Excel.ErrorCellValueType`` names (the ``errorType`` of an Office.js error object) to their text.
_ERROR_TYPES = {
    "Null": "#NULL!", "Div0": "#DIV/0!", "Value": "#VALUE!", "Ref": "#REF!", "Name": "#NAME?",
    "Num": "#NUM!", "NotAvailable": "#N/A", "GettingData": "#GETTING_DATA", "Spill": "#SPILL!",
    "Calc": "#CALC!", "Field": "#FIELD!", "Blocked": "#BLOCKED!", "Connect": "#CONNECT!",
    "Busy": "#BUSY!", "Unknown": "#UNKNOWN!", "Python": "#PYTHON!",
}  # fmt: skip


class ExcelArgumentError(ValueError):
    """An argument that cannot be used as given; ``str(err)`` is one line for the cell's tooltip."""


class CellError(str):
    """One cell of a spilled result that holds an error: the text is its one-line message, ``code``
    the Excel error it stands for (``#VALUE!`` bad input, ``#N/A`` a metric that does not apply,
    ``#NUM!`` a number Excel cannot hold). Routes that can return real error values (Office.js:
    xlwings Lite and xlwings Server) send ``code``; the others show the message."""

    code: str

    def __new__(cls, message: str, code: str = "#VALUE!") -> CellError:
        cell = super().__new__(cls, message)
        cell.code = code
        return cell


def _jsnull_type() -> type | None:
    """Pyodide's ``JsNull`` (JavaScript ``null`` since Pyodide 0.28), or None outside Pyodide."""
    if sys.platform != "emscripten":
        return None
    try:
        from pyodide.ffi import JsNull  # type: ignore[import-not-found]
    except ImportError:  # Pyodide before 0.28: null arrives as None
        return None
    return JsNull  # type: ignore[no-any-return]


_JSNULL = _jsnull_type()


def is_jsnull(value: Any) -> bool:
    """True for Pyodide's ``jsnull``: an empty cell as an older xlwings passes it on a newer Pyodide."""
    return _JSNULL is not None and isinstance(value, _JSNULL)


def is_blank(value: Any) -> bool:
    """True for what Excel sends for an empty cell or an omitted argument (``None``, ``""``,
    Pyodide's ``jsnull``)."""
    return value is None or (isinstance(value, str) and not value.strip()) or is_jsnull(value)


def error_value(value: Any) -> str | None:
    """The Excel error an argument cell holds (``"#DIV/0!"``), or None for an ordinary value.

    Reads the text xlwings passes with ``err_to_str=True`` and the error objects Office.js sends
    (``{"type": "Error", "basicValue": "#DIV/0!", "errorType": "Div0"}``).
    """
    if isinstance(value, str):
        text = value.strip().upper()
        return text if text in EXCEL_ERRORS else None
    if isinstance(value, dict) and value.get("type") == "Error":
        basic = value.get("basicValue")
        if isinstance(basic, str) and basic.strip().upper() in EXCEL_ERRORS:
            return basic.strip().upper()
        return _ERROR_TYPES.get(str(value.get("errorType")), "#VALUE!")
    return None


def refuse_error(value: Any, name: str, where: str = "") -> None:
    """Raise a one-line error naming the argument when ``value`` is an Excel error value."""
    code = error_value(value)
    if code is not None:
        raise ExcelArgumentError(
            f"'{name}'{where} is the error {code}; fix the cell it comes from (or wrap it in IFERROR)"
        )


def excerpt(value: Any, limit: int = EXCERPT_CHARS) -> str:
    """``value`` as one line of text, cut to ``limit`` characters with "..." (for messages)."""
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def to_grid(value: Any) -> Grid:
    """A scalar, a 1-D list (read as a column) or a 2-D list of lists, as a rectangular grid.

    A 1-D list is what classic xlwings sends for a one-column or one-row range without
    ``ndim=2``; reading it as a column keeps a column of inputs a column of outputs.
    """
    if isinstance(value, tuple):
        value = list(value)
    if not isinstance(value, list):
        return [[value]]
    if not value:
        return [[None]]
    if all(type(row) is list for row in value):
        width = len(value[0])
        if width and all(len(row) == width for row in value):
            return value  # already a rectangular grid: no copy (a 10,000-row column stays cheap)
    if all(isinstance(row, (list, tuple)) for row in value):
        rows = [list(row) for row in value]
        width = max(len(row) for row in rows)
        if width == 0:
            return [[None]]
        # Ragged input cannot come from a range; pad it rather than fail on a hand-made list.
        return [row + [None] * (width - len(row)) for row in rows]
    if any(isinstance(item, (list, tuple)) for item in value):
        raise ExcelArgumentError("a range argument mixes single values and rows; give a rectangular range")
    return [[item] for item in value]


def shape_of(grid: Grid) -> tuple[int, int]:
    """``(rows, columns)`` of a grid."""
    return len(grid), len(grid[0])


def is_scalar(value: Any) -> bool:
    """True when the argument is a single value (a single cell counts as one)."""
    return shape_of(to_grid(value)) == (1, 1)


def broadcast_shape(names: Sequence[str], grids: Sequence[Grid]) -> tuple[int, int]:
    """The common shape of several grids: each dimension is 1 or the same size (NumPy's rule).

    Raises :class:`ExcelArgumentError` naming the arguments whose sizes clash.
    """
    rows, cols = 1, 1
    row_from, col_from = "", ""
    for name, grid in zip(names, grids, strict=True):
        r, c = shape_of(grid)
        if r != 1:
            if rows not in (1, r):
                raise ExcelArgumentError(
                    f"'{row_from}' has {rows} rows but '{name}' has {r}; give ranges of the same size, or a single cell"
                )
            rows, row_from = r, name
        if c != 1:
            if cols not in (1, c):
                raise ExcelArgumentError(
                    f"'{col_from}' has {cols} columns but '{name}' has {c}; "
                    "give ranges of the same size, or a single cell"
                )
            cols, col_from = c, name
    return rows, cols


def cell_at(grid: Grid, row: int, col: int) -> Any:
    """The value of ``grid`` at ``(row, col)`` after broadcasting (size-1 dimensions repeat)."""
    r = row if len(grid) > 1 else 0
    line = grid[r]
    return line[col if len(line) > 1 else 0]


def flatten(grid: Grid) -> list[Any]:
    """Row-major values of a grid."""
    return [value for row in grid for value in row]


def reshape(values: Sequence[Any], shape: tuple[int, int]) -> Grid:
    """Row-major ``values`` as a grid of ``shape``."""
    rows, cols = shape
    return [list(values[i * cols : (i + 1) * cols]) for i in range(rows)]


def number_token(value: float | int) -> str:
    """A number as a query token the grammar reads back exactly: ``8.0`` -> ``8``,
    ``117000000.0`` -> ``117000000``, ``0.3`` -> ``0.3`` (as ``engine.build_query`` writes them)."""
    if type(value) is bool:
        raise ExcelArgumentError(f"expected a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ExcelArgumentError(f"{value!r} is not a finite number")
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return repr(number)


def text_token(value: Any, name: str) -> str | None:
    """A cell as a query value: numbers via :func:`number_token`, text trimmed, blanks ``None``.

    Text holding ``=`` is refused: it would smuggle a second option into the query. An Excel
    error value (``#DIV/0!``, an Office.js error object) is refused naming the argument: it is not
    an empty cell.
    """
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return number_token(value)
    refuse_error(value, name)
    if isinstance(value, dict) and "basicValue" in value:  # an Office.js data type (FormattedNumber)
        return text_token(value["basicValue"], name)
    if isinstance(value, (dict, list, tuple)):
        raise ExcelArgumentError(f"'{name}' must be a single value, not {excerpt(value)}")
    text = str(value).strip()
    if "=" in text:
        raise ExcelArgumentError(f"'{name}' must be a single value, not '{excerpt(text)}'")
    return text


def finite_or_message(value: Any) -> Any:
    """A result cell Excel can hold: NaN and inf become a short message, ``None`` an empty cell."""
    if value is None:
        return ""
    if isinstance(value, float) and not math.isfinite(value):
        return CellError(NOT_FINITE, "#NUM!")
    return value


def clean_table(rows: Sequence[Sequence[Any]]) -> Grid:
    """A spilled table Excel can hold: rectangular, no ``None``, no NaN or inf."""
    if not rows:
        return [[""]]
    width = max(len(row) for row in rows)
    out: Grid = []
    for row in rows:
        cells = [finite_or_message(_plain(v)) for v in row]
        out.append(cells + [""] * (width - len(cells)))
    return out


def _plain(value: Any) -> Any:
    """Cell-friendly form of a value from a result (dates and odd types become text)."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    return str(value)
