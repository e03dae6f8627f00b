"""Generate ``excel/examples/gpucost.xlsx``: what a ChatGPT-like service costs per day, in formulas.

The workbook is built from the ``AIGC_*`` functions only, so every number in it is the engine's:

- **Inputs**: the model, GPU, price (empty = the lowest catalog price), traffic and lengths.
- **Daily cost**: the daily and monthly cost, GPUs, replicas and unit costs of the service, each one
  formula over the inputs, plus the same daily cost in CNY.
- **GPU comparison**: the same service on several GPUs (memory, catalog price, GPUs needed, cost
  per day, cost per million output tokens), one row per GPU, beside it the same daily cost from one
  call over the whole GPU column (``INDEX`` picks each row), and a bar chart of the daily cost.
- **Plan**: what the service should run on (``AIGC_PLAN`` over the comparison sheet's GPUs, within the
  Inputs sheet's latency limits): the cheapest configuration per day and its query, the cheapest rows
  per day and the frontier as spilled (dynamic array) tables, and a scatter chart of cost per million
  output tokens (log scale) against output tokens per second per user: the frontier as a line, the
  cheapest rows as points, the cheapest per day marked (the chart ``engine.charts.series`` describes).

Every formula cell also stores its value, computed now by the same functions (``excel.functions``,
the engine's numbers), as Excel's cached result: a viewer without the functions (a file preview,
LibreOffice, pandas/openpyxl, Excel before the add-in loads) shows the numbers and the charts instead
of ``#NAME?``; Excel with the functions recalculates them on load. A spilled table stores its formula
in its first cell and its values in every cell it covers, as Excel saves a spill; LibreOffice (7.4)
recomputes array formulas when it opens a file, so it shows ``#NAME?`` in the Plan sheet's two tables
(and an empty plan chart) without the functions, whatever its recalculation setting.

Generated, never edited by hand, so it is reproducible: ``python -m excel.build_workbook``.
Tests evaluate its formulas with the ``formulas`` package and read its cached values with openpyxl
(``data_only=True``), and check both against the engine. Needs XlsxWriter (the ``dev`` extra).
"""

from __future__ import annotations

import argparse
import datetime
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from excel import functions as fn

TARGET = Path(__file__).resolve().parent / "examples" / "gpucost.xlsx"

#: (label, value, note) rows of the Inputs sheet, from row 3; ``None`` is a deliberately empty cell.
INPUTS: tuple[tuple[str, object, str], ...] = (
    ("Model", "gpt-3-175b", "name from the catalog, or a parameter count such as 175B"),
    ("GPU", "A100", "GPU name; the engine picks how many per replica"),
    ("Price per GPU-hour", None, "empty = lowest on-demand catalog price"),
    ("Requests per day", 100_000_000, "a ChatGPT-scale service: 100 million requests a day"),
    ("Input tokens per request", 500, "prompt length"),
    ("Output tokens per request", 300, "answer length"),
    ("Currency", "USD", "USD or CNY"),
    (
        "Time per output token limit [s]",
        0.05,
        "the Plan sheet keeps what meets it: 0.05 s = 50 ms, 20 output tokens/s per user; empty = no limit",
    ),
    ("Time to first token limit [s]", None, "the Plan sheet's limit on the time to the first token; empty = no limit"),
    ("Plan rows shown", 20, 'the Plan sheet\'s cheapest rows per day; "all" for every one'),
)

#: Cells of the Inputs sheet, by role (absolute references for the formulas).
CELL = {
    "model": "Inputs!$B$3",
    "gpu": "Inputs!$B$4",
    "price": "Inputs!$B$5",
    "requests": "Inputs!$B$6",
    "in": "Inputs!$B$7",
    "out": "Inputs!$B$8",
    "currency": "Inputs!$B$9",
    "tpot_max": "Inputs!$B$10",
    "ttft_max": "Inputs!$B$11",
    "top": "Inputs!$B$12",
}

#: (label, output argument of AIGC_DAILY) rows of the Daily cost sheet, from row 3.
DAILY_ROWS: tuple[tuple[str, str], ...] = (
    ("Cost per day", "per day"),
    ("Cost per month", "per month"),
    ("GPUs", "gpus"),
    ("Replicas", "replicas"),
    ("Cost per request", "per request"),
    ("Cost per million output tokens", "per million output tokens"),
    ("Price per GPU-hour used", "price_per_gpu_hour"),
)

#: GPUs of the comparison sheet (rows 2..).
COMPARE_GPUS: tuple[str, ...] = ("H100", "H200", "B200", "A100", "A100-80G", "L40S", "L4")
#: The GPU kinds the Plan sheet searches: the comparison sheet's GPU column.
PLAN_GPUS = f"'GPU comparison'!$A$2:$A${1 + len(COMPARE_GPUS)}"

#: Rows of the Plan sheet (1-based): the cheapest configuration, the chart, the table of the
#: cheapest rows per day, and the frontier (the chart's line) with room for FRONTIER_ROWS rows.
PLAN_BEST_ROW = 4
PLAN_CHART_ROW = 7
PLAN_TABLE_ROW = 27
FRONTIER_ROWS = 40


def daily_formula(gpu_ref: str, output: str) -> str:
    """``=AIGC_DAILY(...)`` over the Inputs sheet for one GPU cell and one output."""
    c = CELL
    return (
        f"=AIGC_DAILY({c['model']},{gpu_ref},{c['price']},{c['requests']},{c['in']},{c['out']},"
        f'"{output}",{c["currency"]})'
    )


def _daily(gpu: Any, output: str) -> Any:
    """What ``daily_formula`` computes, for the cached value."""
    v = {label: value for label, value, _ in INPUTS}
    return fn.aigc_daily(
        v["Model"],
        gpu,
        v["Price per GPU-hour"],
        v["Requests per day"],
        v["Input tokens per request"],
        v["Output tokens per request"],
        output,
        v["Currency"],
    )


def plan_formula(output: str | None) -> str:
    """``=AIGC_PLAN(...)`` of the service on the Inputs sheet over the comparison sheet's GPUs."""
    c = CELL
    # Every argument is given (an empty text for "the default"): an empty argument (",,") reaches a
    # function as "missing" in Excel but as 0 in some formula engines.
    top = c["top"] if output is None else '""'
    view = f'"{output}"' if output else '""'
    return (
        f"=AIGC_PLAN({c['model']},{c['requests']},{c['in']},{c['out']},{c['tpot_max']},{c['ttft_max']},{PLAN_GPUS},"
        f"{top},{view},{c['currency']})"
    )


def _plan(output: str | None) -> Any:
    """What ``plan_formula`` computes, for the cached values."""
    v = {label: value for label, value, _ in INPUTS}
    return fn.aigc_plan(
        v["Model"],
        v["Requests per day"],
        v["Input tokens per request"],
        v["Output tokens per request"],
        v["Time per output token limit [s]"],
        v["Time to first token limit [s]"],
        [[gpu] for gpu in COMPARE_GPUS],
        v["Plan rows shown"] if output is None else "",
        output or "",
        v["Currency"],
    )


def _spill(ws: Any, row: int, formula: str, grid: list[list[Any]], fmt: Any = None) -> tuple[int, int]:
    """Write a dynamic array formula at ``row`` (1-based), column A, with its spilled values as the
    cached results (Excel stores a spill that way: the formula in the first cell, values in the
    others); returns the last row and column (0-based) it covers."""
    last_row, last_col = row - 1 + len(grid) - 1, len(grid[0]) - 1
    ws.write_dynamic_array_formula(row - 1, 0, last_row, last_col, formula, fmt, grid[0][0])
    for r, line in enumerate(grid):
        for col, value in enumerate(line):
            if (r, col) == (0, 0):
                continue
            if isinstance(value, bool):
                ws.write_boolean(row - 1 + r, col, value, fmt if r == 0 else None)
            elif value == "":  # an empty cell of the answer (a figure that does not apply): an empty text, as spilled
                ws.write_string(row - 1 + r, col, "")
            else:
                ws.write(row - 1 + r, col, value, fmt if r == 0 else None)
    return last_row, last_col


def _plan_sheet(wb: Any, bold: Any, head: Any) -> None:
    """The Plan sheet: what the service should run on (AIGC_PLAN), and a chart of the frontier."""
    v = {label: value for label, value, _ in INPUTS}
    ps = wb.add_worksheet("Plan")
    ps.write(
        "A1",
        "What should the service on the Inputs sheet run on? AIGC_PLAN searches the GPU kinds of the GPU comparison "
        "sheet: replica sizes, layouts, precisions, serving engines and each provider's price, within the limit.",
        bold,
    )
    ps.write(
        "A2",
        "Each row's query (last column) reproduces it: =AIGC_ESTIMATE(that cell). A plan takes 0.1-3 s; "
        "Excel recalculates it only when an input changes.",
    )
    table = _plan(None)
    columns = table[0]
    # The cheapest row's figures: references to the table's first row (another AIGC_PLAN formula
    # would run the plan again; AIGC_PLAN(..., "cost_per_day") gives the same number).
    money = wb.add_format({"num_format": "#,##0.00"})
    for row, (label, column, fmt) in enumerate(
        ((f"Cheapest per day [{v['Currency']}]", "cost_per_day", money), ("Its query", "query", None)),
        start=PLAN_BEST_ROW,
    ):
        ps.write(f"A{row}", label)
        cell = xl_rowcol_to_cell(PLAN_TABLE_ROW, columns.index(column))  # the first data row (0-based)
        ps.write_formula(f"B{row}", f"={cell}", fmt, table[1][columns.index(column)])
    x, y = columns.index("tokens_per_s_per_user"), columns.index("cost_per_million_output_tokens")
    ps.write(f"A{PLAN_TABLE_ROW - 1}", "The cheapest configurations per day (rows shown: Inputs sheet)", bold)
    last, _ = _spill(ps, PLAN_TABLE_ROW, plan_formula(None), table, head)
    front_row = last + 1 + 4  # 1-based row of the frontier's header: three rows below the table
    frontier = _plan("frontier")
    if len(frontier) - 1 > FRONTIER_ROWS:  # the chart reads FRONTIER_ROWS rows
        raise SystemExit(f"the frontier has {len(frontier) - 1} rows; raise FRONTIER_ROWS")
    ps.write(
        f"A{front_row - 1}",
        "The frontier: no other row is as cheap per million output tokens and as fast per output token (the chart's "
        "line)",
        bold,
    )
    _spill(ps, front_row, plan_formula("frontier"), frontier, head)
    ps.set_column(0, 0, 22)
    ps.set_column(1, len(columns) - 2, 13)
    ps.set_column(columns.index("layout"), columns.index("layout"), 30)
    ps.set_column(len(columns) - 1, len(columns) - 1, 100)

    chart = wb.add_chart({"type": "scatter"})
    top_first, top_last = PLAN_TABLE_ROW, PLAN_TABLE_ROW + len(table) - 2  # 0-based data rows of the table
    chart.add_series(
        {
            "name": "cheapest configurations per day",
            "categories": ["Plan", top_first, x, top_last, x],
            "values": ["Plan", top_first, y, top_last, y],
            "marker": {"type": "circle", "size": 5, "fill": {"color": "#B8C4D0"}, "border": {"color": "#8A9AAB"}},
        }
    )
    chart.add_series(
        {
            "name": "frontier",
            "categories": ["Plan", front_row, x, front_row + FRONTIER_ROWS - 1, x],
            "values": ["Plan", front_row, y, front_row + FRONTIER_ROWS - 1, y],
            "line": {"color": "#1F5F99", "width": 2},
            "marker": {"type": "circle", "size": 5, "fill": {"color": "#1F5F99"}, "border": {"color": "#1F5F99"}},
        }
    )
    chart.add_series(
        {
            "name": "cheapest per day",
            "categories": ["Plan", top_first, x, top_first, x],
            "values": ["Plan", top_first, y, top_first, y],
            "marker": {"type": "diamond", "size": 10, "fill": {"color": "#D9472B"}, "border": {"color": "#D9472B"}},
        }
    )
    chart.set_title(
        {"name": "Cost per million output tokens against output tokens/s per user", "name_font": {"size": 11}}
    )
    chart.set_x_axis(
        {"name": "output tokens/s per user (1 / time per output token)", "major_gridlines": {"visible": True}}
    )
    chart.set_y_axis({"name": "cost per million output tokens (Inputs currency)", "log_base": 10})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 760, "height": 360})
    ps.insert_chart(f"A{PLAN_CHART_ROW}", chart)


def build(path: Path = TARGET) -> Path:
    """Write the example workbook to ``path`` (formulas with their cached values) and return it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path))
    wb.set_properties(
        {
            "title": "gpucost example",
            "comments": "generated by python -m excel.build_workbook",
            "created": datetime.datetime(2025, 1, 1),  # a fixed date: the same inputs give the same file
        }
    )
    bold = wb.add_format({"bold": True})
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7"})
    blue = wb.add_format({"bg_color": "#DDEBF7"})
    v = {label: value for label, value, _ in INPUTS}

    ws = wb.add_worksheet("Inputs")
    ws.write("A1", "gpucost: what does a ChatGPT-like service cost per day? Change the blue cells.", bold)
    for i, (label, value, note) in enumerate(INPUTS, start=3):
        ws.write(f"A{i}", label)
        if value is None:
            ws.write_blank(f"B{i}", None, blue)
        else:
            ws.write(f"B{i}", value, blue)
        ws.write(f"C{i}", note)
    ws.set_column("A:A", 28)
    ws.set_column("B:B", 16)
    ws.set_column("C:C", 60)

    ds = wb.add_worksheet("Daily cost")
    ds.write("A1", "Daily cost of the service on the Inputs sheet (every number is an AIGC_DAILY formula)", bold)
    for i, (label, output) in enumerate(DAILY_ROWS, start=3):
        ds.write(f"A{i}", label)
        ds.write_formula(f"B{i}", daily_formula(CELL["gpu"], output), None, _daily(v["GPU"], output))
    fx_row = 3 + len(DAILY_ROWS)
    ds.write(f"A{fx_row}", "Cost per day in CNY (if the currency is USD)")
    ds.write_formula(
        f"B{fx_row}", '=B3*AIGC_FX("USD","CNY")', None, _daily(v["GPU"], "per day") * fn.aigc_fx("USD", "CNY")
    )
    ds.write(f"A{fx_row + 1}", "Cost per request, from AIGC_COST")
    cost = fn.aigc_cost(
        v["Model"],
        v["GPU"],
        v["Price per GPU-hour"],
        "per request",
        v["Input tokens per request"],
        v["Output tokens per request"],
        v["Requests per day"],
        v["Currency"],
    )
    ds.write_formula(
        f"B{fx_row + 1}",
        f'=AIGC_COST({CELL["model"]},{CELL["gpu"]},{CELL["price"]},"per request",{CELL["in"]},'
        f"{CELL['out']},{CELL['requests']},{CELL['currency']})",
        None,
        cost,
    )
    ds.set_column("A:A", 44)
    ds.set_column("B:B", 18)

    cs = wb.add_worksheet("GPU comparison")
    headers = (
        "GPU",
        "Memory [GB]",
        "Price [USD/GPU-hour]",
        "GPUs needed",
        "Cost per day",
        "Cost per million output tokens",
        "Cost per day (one call over the column)",
    )
    for col, text in enumerate(headers):
        cs.write(0, col, text, head)
    last = 1 + len(COMPARE_GPUS)
    for row, gpu in enumerate(COMPARE_GPUS, start=2):
        cs.write(f"A{row}", gpu)
        cs.write_formula(f"B{row}", f'=AIGC_GPU(A{row},"memory_gb")', None, fn.aigc_gpu(gpu, "memory_gb"))
        cs.write_formula(f"C{row}", f"=AIGC_PRICE(A{row})", None, fn.aigc_price(gpu))
        cs.write_formula(f"D{row}", daily_formula(f"A{row}", "gpus"), None, _daily(gpu, "gpus"))
        cs.write_formula(f"E{row}", daily_formula(f"A{row}", "per day"), None, _daily(gpu, "per day"))
        cs.write_formula(
            f"F{row}",
            daily_formula(f"A{row}", "per million output tokens"),
            None,
            _daily(gpu, "per million output tokens"),
        )
    # One call over the whole GPU column (the range broadcasts to a column of answers); INDEX takes
    # each row's answer. Plain formulas, not an array formula: LibreOffice recalculates array
    # formulas when it opens a file (showing #NAME? without the functions) but shows the cached
    # values of plain ones.
    column = _daily([[gpu] for gpu in COMPARE_GPUS], "per day")
    for row, (value,) in enumerate(column, start=2):
        cs.write_formula(f"G{row}", f"=INDEX({daily_formula(f'$A$2:$A${last}', 'per day')[1:]},{row - 1})", None, value)
    for col, width in zip("ABCDEFG", (12, 13, 20, 13, 16, 30, 34), strict=True):
        cs.set_column(f"{col}:{col}", width)

    chart = wb.add_chart({"type": "bar"})
    chart.add_series(
        {
            "name": "Cost per day",
            "categories": ["GPU comparison", 1, 0, last - 1, 0],
            "values": ["GPU comparison", 1, 4, last - 1, 4],
        }
    )
    chart.set_title({"name": "Cost per day of the service, by GPU"})
    chart.set_x_axis({"name": "cost per day"})
    chart.set_y_axis({"name": "GPU"})
    chart.set_legend({"none": True})
    chart.set_size({"width": 680, "height": 340})
    cs.insert_chart(f"A{last + 3}", chart)

    _plan_sheet(wb, bold, head)
    wb.close()
    return path


def main(argv: list[str] | None = None) -> int:
    """Write the workbook (``--out`` to put it elsewhere)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=TARGET, help=f"where to write it (default {TARGET})")
    args = parser.parse_args(argv)
    print(f"wrote {build(args.out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
