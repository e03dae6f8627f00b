"""Generate ``excel/examples/gpucost.xlsx``: what a ChatGPT-like service costs per day, in formulas.

The workbook is built from the ``AIGC_*`` functions only, so every number in it is the engine's:

- **Inputs**: the model, GPU, price (empty = the lowest catalog price), traffic and lengths.
- **Daily cost**: the daily and monthly cost, GPUs, replicas and unit costs of the service, each one
  formula over the inputs, plus the same daily cost in CNY.
- **GPU comparison**: the same service on several GPUs (memory, catalog price, GPUs needed, cost
  per day, cost per million output tokens), one row per GPU, a whole-column broadcast formula
  beside it, and a bar chart of the daily cost.

Generated, never edited by hand, so it is reproducible: ``python -m excel.build_workbook``.
A test evaluates its formulas with the ``formulas`` package and checks them against the engine.
Needs openpyxl (the ``dev`` extra); imports nothing from ``engine``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.formula import ArrayFormula

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


def daily_formula(gpu_ref: str, output: str) -> str:
    """``=AIGC_DAILY(...)`` over the Inputs sheet for one GPU cell and one output."""
    c = CELL
    return (
        f"=AIGC_DAILY({c['model']},{gpu_ref},{c['price']},{c['requests']},{c['in']},{c['out']},"
        f'"{output}",{c["currency"]})'
    )


def build(path: Path = TARGET) -> Path:
    """Write the example workbook to ``path`` and return it."""
    wb = Workbook()
    bold = Font(bold=True)
    head = PatternFill("solid", fgColor="DDEBF7")

    ws = wb.active
    ws.title = "Inputs"
    ws["A1"] = "gpucost: what does a ChatGPT-like service cost per day? Change the blue cells."
    ws["A1"].font = bold
    for i, (label, value, note) in enumerate(INPUTS, start=3):
        ws.cell(row=i, column=1, value=label)
        cell = ws.cell(row=i, column=2, value=value)
        cell.fill = head
        ws.cell(row=i, column=3, value=note)
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 16
    ws.column_dimensions["C"].width = 60

    ds = wb.create_sheet("Daily cost")
    ds["A1"] = "Daily cost of the service on the Inputs sheet (every number is an AIGC_DAILY formula)"
    ds["A1"].font = bold
    for i, (label, output) in enumerate(DAILY_ROWS, start=3):
        ds.cell(row=i, column=1, value=label)
        ds.cell(row=i, column=2, value=daily_formula(CELL["gpu"], output))
    fx_row = 3 + len(DAILY_ROWS)
    ds.cell(row=fx_row, column=1, value="Cost per day in CNY (if the currency is USD)")
    ds.cell(row=fx_row, column=2, value='=B3*AIGC_FX("USD","CNY")')
    ds.cell(row=fx_row + 1, column=1, value="Cost per request, from AIGC_COST")
    ds.cell(
        row=fx_row + 1,
        column=2,
        value=(
            f'=AIGC_COST({CELL["model"]},{CELL["gpu"]},{CELL["price"]},"per request",{CELL["in"]},'
            f"{CELL['out']},{CELL['requests']},{CELL['currency']})"
        ),
    )
    ds.column_dimensions["A"].width = 44
    ds.column_dimensions["B"].width = 18

    cs = wb.create_sheet("GPU comparison")
    headers = (
        "GPU",
        "Memory [GB]",
        "Price [USD/GPU-hour]",
        "GPUs needed",
        "Cost per day",
        "Cost per million output tokens",
        "Cost per day (one broadcast formula)",
    )
    for col, text in enumerate(headers, start=1):
        cell = cs.cell(row=1, column=col, value=text)
        cell.font = bold
        cell.fill = head
    last = 1 + len(COMPARE_GPUS)
    for row, gpu in enumerate(COMPARE_GPUS, start=2):
        cs.cell(row=row, column=1, value=gpu)
        cs.cell(row=row, column=2, value=f'=AIGC_GPU(A{row},"memory_gb")')
        cs.cell(row=row, column=3, value=f"=AIGC_PRICE(A{row})")
        cs.cell(row=row, column=4, value=daily_formula(f"A{row}", "gpus"))
        cs.cell(row=row, column=5, value=daily_formula(f"A{row}", "per day"))
        cs.cell(row=row, column=6, value=daily_formula(f"A{row}", "per million output tokens"))
    # One formula over the whole GPU column: the range broadcasts to a column of answers.
    cs["G2"] = ArrayFormula(f"G2:G{last}", daily_formula(f"A2:A{last}", "per day"))
    for col, width in zip("ABCDEFG", (12, 13, 20, 13, 16, 30, 34), strict=True):
        cs.column_dimensions[col].width = width

    chart = BarChart()
    chart.type = "bar"
    chart.title = "Cost per day of the service, by GPU"
    chart.y_axis.title = "cost per day"
    chart.x_axis.title = "GPU"
    chart.add_data(Reference(cs, min_col=5, min_row=1, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(cs, min_col=1, min_row=2, max_row=last))
    chart.legend = None
    chart.height, chart.width = 9, 18
    cs.add_chart(chart, f"A{last + 3}")

    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
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
