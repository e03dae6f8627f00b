"""Build the shipped catalogs in ``engine/catalog/data/`` from ``../shared/data``.

Run from the repository root: ``python scripts/build_catalogs.py [SHARED_DATA_DIR]``. The output files
are committed; this script makes them reproducible. Every output row keeps its source and date.

- ``gpus.csv``: every row of ``gpu_specs.csv``, with a stable ``id`` and the aliases people type,
  ``source`` (URL + field source codes) and ``as_of`` (newest date among the sources it cites).
- ``prices.csv``: every row of ``gpu_prices.csv`` and of the project's ``data/gpu_prices_extra.csv``,
  whose GPU is in the accelerator catalog, mapped to
  the accelerator ``id``; ``includes_host`` says whether the price includes the host VM.
- ``fx.csv``: the dated CNY-per-USD table (Federal Reserve H.10 via FRED).
- ``api_prices.csv``: the project's API price table ``data/api_prices.csv`` (input, cached-input and
  output prices per million tokens per model and provider, currency as published), validated by the
  engine's loader: a row without a source URL or a date stops the build.
- ``host_power.csv``: server power ratings for the host overhead in energy (``data/host_power.csv``).
"""

from __future__ import annotations

import csv
import io
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "engine" / "catalog" / "data"


def _engine_price_columns() -> list[str]:
    sys.path.insert(0, str(ROOT))
    from engine.prices import PRICE_COLUMNS as cols

    return list(cols)


def _engine_gpu_columns() -> list[str]:
    sys.path.insert(0, str(ROOT))
    from engine.catalog import Accelerator

    return list(Accelerator.model_fields)


# (accelerator, variant) -> (id, aliases). Aliases are what users type; matching is forgiving
# (case, spaces, dashes, "GB" vs "G", "SXM4" vs "SXM" are normalised in engine/catalog).
IDS: dict[tuple[str, str], tuple[str, list[str]]] = {
    ("P4", "Tesla P4 8GB PCIe"): ("p4", ["P4", "Tesla P4"]),
    ("P40", "Tesla P40 24GB PCIe"): ("p40", ["P40", "Tesla P40"]),
    ("P100", "Tesla P100 PCIe 16GB"): ("p100-pcie-16gb", ["P100", "P100 PCIe"]),
    ("P100", "Tesla P100 SXM2 16GB"): ("p100-sxm2-16gb", ["P100 SXM2", "P100 SXM"]),
    ("T4", "T4 16GB PCIe"): ("t4", ["T4", "Tesla T4", "T4g"]),
    ("V100", "V100 PCIe 16GB"): ("v100-pcie-16gb", ["V100 PCIe"]),
    ("V100", "V100 PCIe 32GB"): ("v100-pcie-32gb", ["V100 PCIe 32GB"]),
    ("V100", "V100 SXM2 16GB"): ("v100-sxm2-16gb", ["V100", "V100 16GB", "Tesla V100"]),
    ("V100", "V100 SXM2 32GB"): ("v100-sxm2-32gb", ["V100-32GB", "V100 32G"]),
    ("A10", "A10 24GB PCIe"): ("a10", ["A10"]),
    ("A10G", "A10G 24GB (AWS-only variant)"): ("a10g", ["A10G"]),
    ("A30", "A30 24GB PCIe"): ("a30", ["A30"]),
    ("A40", "A40 48GB PCIe"): ("a40", ["A40"]),
    ("A100", "A100 PCIe 40GB"): ("a100-pcie-40gb", ["A100 PCIe", "A100 PCIe 40GB"]),
    ("A100", "A100 PCIe 80GB"): ("a100-pcie-80gb", ["A100 PCIe 80GB"]),
    ("A100", "A100 SXM4 40GB"): ("a100-sxm-40gb", ["A100", "A100-40G", "A100 40GB", "A100 SXM"]),
    ("A100", "A100 SXM4 80GB"): ("a100-sxm-80gb", ["A100-80G", "A100-80GB", "A100 80GB", "A100 SXM 80GB"]),
    ("A800", "A800 SXM4 80GB (China export variant)"): ("a800-sxm-80gb", ["A800", "A800 SXM"]),
    ("A800", "A800 PCIe 80GB"): ("a800-pcie-80gb", ["A800 PCIe"]),
    ("L4", "L4 24GB PCIe"): ("l4", ["L4"]),
    ("L20", "L20 48GB PCIe (China variant)"): ("l20", ["L20"]),
    ("L40", "L40 48GB PCIe"): ("l40", ["L40"]),
    ("L40S", "L40S 48GB PCIe"): ("l40s", ["L40S"]),
    ("H100", "H100 PCIe 80GB"): ("h100-pcie-80gb", ["H100 PCIe"]),
    ("H100", "H100 SXM5 80GB"): ("h100-sxm-80gb", ["H100", "H100 SXM", "H100-80GB", "H100-MEGA"]),
    ("H100", "H100 NVL 94GB (per GPU)"): ("h100-nvl-94gb", ["H100 NVL"]),
    ("H800", "H800 SXM5 80GB (China export variant)"): ("h800-sxm-80gb", ["H800", "H800 SXM"]),
    ("H20", "HGX H20 96GB (China export variant)"): ("h20", ["H20", "HGX H20"]),
    ("H200", "H200 SXM 141GB"): ("h200-sxm-141gb", ["H200", "H200 SXM"]),
    ("GH200", "GH200 Grace Hopper (GPU part)"): ("gh200", ["GH200"]),
    ("B200", "B200 SXM 180GB"): ("b200", ["B200"]),
    ("GB200", "GB200 (per Blackwell GPU)"): ("gb200", ["GB200"]),
    ("RTX 4090", "GeForce RTX 4090 24GB"): ("rtx-4090", ["4090", "RTX 4090", "RTX4090"]),
    ("RTX 3090", "GeForce RTX 3090 24GB"): ("rtx-3090", ["3090", "RTX 3090", "RTX3090"]),
    ("MI250X", "Instinct MI250X 128GB OAM (2 GCDs)"): ("mi250x", ["MI250X"]),
    ("MI300X", "Instinct MI300X 192GB OAM"): ("mi300x", ["MI300X"]),
    ("MI325X", "Instinct MI325X 256GB OAM"): ("mi325x", ["MI325X"]),
    ("TPU v4", "TPU v4 (per chip)"): ("tpu-v4", ["TPU v4", "TPUv4"]),
    ("TPU v5e", "TPU v5e (per chip)"): ("tpu-v5e", ["TPU v5e", "TPUv5e", "v5e"]),
    ("TPU v5p", "TPU v5p (per chip)"): ("tpu-v5p", ["TPU v5p", "TPUv5p", "v5p"]),
    ("TPU v6e", "TPU v6e Trillium (per chip)"): ("tpu-v6e", ["TPU v6e", "Trillium", "v6e"]),
    ("Ascend 910B", "Ascend 910B (generic Epoch row)"): ("ascend-910b", ["910B", "Ascend 910B"]),
    ("Ascend 910B", "Ascend 910B2 64GB"): ("ascend-910b2", ["910B2"]),
    ("Ascend 910B", "Ascend 910B3 64GB"): ("ascend-910b3", ["910B3"]),
    ("Ascend 910B", "Ascend 910B4 32GB"): ("ascend-910b4", ["910B4"]),
    ("Gaudi 2", "Gaudi 2 96GB OAM"): ("gaudi2", ["Gaudi 2", "Gaudi2"]),
    ("Gaudi 3", "Gaudi 3 128GB OAM"): ("gaudi3", ["Gaudi 3", "Gaudi3"]),
    # parts only the project's table (data/gpu_specs_extra.csv) has
    ("B300", "B300 SXM 288GB (HGX/DGX B300)"): ("b300", ["B300", "HGX B300", "DGX B300", "Blackwell Ultra"]),
    ("GB300", "GB300 (per Blackwell Ultra GPU)"): ("gb300", ["GB300", "GB300 NVL72"]),
    ("MI355X", "Instinct MI355X 288GB OAM"): ("mi355x", ["MI355X"]),
    ("MI350X", "Instinct MI350X 288GB OAM"): ("mi350x", ["MI350X"]),
}

# SkyPilot accelerator names -> accelerator ids. SkyPilot's "A100" is the 40GB SXM part (AWS p4d,
# GCP a2-highgpu); "H100-MEGA" is GCP a3-mega (H100 SXM with more NICs); "T4g" is AWS g5g (T4G).
SKYPILOT_GPU: dict[str, str] = {
    "A10": "a10",
    "A10G": "a10g",
    "A100": "a100-sxm-40gb",
    "A100-80GB": "a100-sxm-80gb",
    "B200": "b200",
    "GH200": "gh200",
    "H100": "h100-sxm-80gb",
    "H100-MEGA": "h100-sxm-80gb",
    "H200": "h200-sxm-141gb",
    "L4": "l4",
    "L40S": "l40s",
    "P100": "p100-pcie-16gb",
    "P4": "p4",
    "T4": "t4",
    "T4g": "t4",
    "V100": "v100-sxm2-16gb",
    "V100-32GB": "v100-sxm2-32gb",
    "TPU v4": "tpu-v4",
    "TPU v5e": "tpu-v5e",
    "TPU v5p": "tpu-v5p",
    "TPU v6e": "tpu-v6e",
}

# The shipped accelerator file has exactly the fields of the engine's Accelerator, in order.
GPU_COLUMNS = _engine_gpu_columns()
# The shipped price file has exactly the columns the engine's price files have.
PRICE_COLUMNS = _engine_price_columns()


def _source_dates(shared: Path) -> dict[str, str]:
    """Source code -> the date we can cite for it (from sources.csv 'version/date')."""
    known = {
        "EPOCH": "2026-03-31",
        "STAS": "2026-08-10",
        "LLMA": "2024-11-13",
        "LLMV": "2024-07-30",
        "STH": "2016",
        "TW": "2016",
        "GEEK": "2018-09-13",
        "NVPB": "2022-11",
        "FRED": "2025-08-01",
    }
    codes = {r["code"] for r in csv.DictReader((shared / "sources.csv").open(encoding="utf-8"))}
    return {c: known.get(c, "") for c in codes}


#: Readable names of the source codes of ``sources.csv`` (its ``description`` column says more).
SOURCE_NAMES = {
    "EPOCH": "Epoch AI ML hardware dataset (CC BY 4.0)",
    "STAS": "stas00/ml-engineering accelerator tables",
    "LLMA": "llm-analysis GPU configs",
    "LLMV": "LLM-Viewer hardware table",
    "LMPRED": "LM-Predictor hardware table",
    "TT": "torchtitan peak-FLOPS table",
    "HW_NPU": "Huawei torchtitan-npu peak table",
    "STH": "ServeTheHome",
    "TW": "techwarrant",
    "GEEK": "geektopia.es",
    "ECER": "NVIDIA A40 datasheet table (ecer.com copy)",
    "MULLET": "NVIDIA L40/L40S datasheet table (mullet.se copy)",
    "GK": "glennklockwood.com",
    "AIM": "aiminingco.com",
    "NVPB": "NVIDIA H100 PCIe product brief",
}


def _readable_source(url: str, codes: set[str]) -> str:
    """A spec row's provenance as a person reads it: the datasheet URL, then the datasets its
    figures come from (the per-field codes stay in the row's notes)."""
    names = sorted({SOURCE_NAMES[c] for c in codes if c in SOURCE_NAMES})
    return "; ".join(x for x in (url, "figures from " + ", ".join(names) if names else "") if x) or "see notes"


#: The project's own spec source table: one sourced cell per row (see data/README.md).
EXTRA_SPECS = ROOT / "data" / "gpu_specs_extra.csv"
#: Columns the extra table may fill beyond the shared file's (the engine's names on the right).
NEW_SPEC_COLUMNS = {
    "fp4_tflops": "peak_tflops_fp4",
    "scaleout_gbps": "scaleout_gb_s",
    "scaleup_domain_gpus": "scaleup_domain_gpus",
}
#: Vendors of parts the shared file lacks, by accelerator name prefix.
NEW_PART_VENDORS = {"B": "NVIDIA", "GB": "NVIDIA", "MI": "AMD"}


def _spec_rows(shared: Path, dates: dict[str, str]) -> list[dict[str, str]]:
    """The shared spec rows with the project's sourced cells merged in: a cell fills an empty one
    (or replaces an interconnect type the shared file marks "value not sourced"), never overrides
    a sourced value; each source becomes a code of its own (``X1``, ``X2``, ...) in
    ``field_sources``, named and dated from the table. Parts the shared file lacks become rows."""
    rows = list(csv.DictReader((shared / "gpu_specs.csv").open(encoding="utf-8")))
    if not EXTRA_SPECS.exists():
        return rows
    by_key = {(r["accelerator"], r["variant"]): r for r in rows}
    codes: dict[str, str] = {}
    for cell in csv.DictReader(EXTRA_SPECS.open(encoding="utf-8")):
        key = (cell["accelerator"], cell["variant"])
        row = by_key.get(key)
        if row is None:
            vendor = next((v for p, v in sorted(NEW_PART_VENDORS.items(), key=lambda t: -len(t[0]))
                           if cell["accelerator"].startswith(p)), "")  # fmt: skip
            row = {k: "" for k in rows[0]} | {"accelerator": key[0], "variant": key[1], "vendor": vendor}
            rows.append(row)
            by_key[key] = row
        field, value = cell["field"], cell["value"].strip()
        if not value:
            continue
        code = codes.setdefault(cell["source_url"], f"X{len(codes) + 1}")
        SOURCE_NAMES.setdefault(code, cell["source_title"] or cell["source_url"])
        dates.setdefault(code, cell["source_date"])
        old = row.get(field, "")
        if field == "interconnect_type" and "not sourced" in old:
            old = ""
        if old:
            continue  # a sourced value stands
        row[field] = value
        if field == "interconnect_gbps":  # the type's "value not sourced" mark is now untrue
            kind = row.get("interconnect_type", "")
            row["interconnect_type"] = re.sub(r"\s*\((?:reduced; )?value not sourced\)", "", kind) + (
                " (reduced)" if "reduced" in kind else ""
            )
        if field != "interconnect_type":
            row["field_sources"] = ";".join(x for x in (row.get("field_sources", ""), f"{field}={code}") if x)
        if not row.get("source_url"):
            row["source_url"] = cell["source_url"]
        said = f"{field}: {cell['source_url']}" + (f" ({cell['note']})" if cell.get("note") else "")
        row["notes"] = "; ".join(x for x in (row.get("notes", ""), said) if x)
    return rows


def build_gpus(shared: Path) -> list[dict[str, str]]:
    dates = _source_dates(shared)
    out = []
    for row in _spec_rows(shared, dates):
        ident, aliases = IDS.get((row["accelerator"], row["variant"])) or (
            re.sub(r"[^a-z0-9]+", "-", row["variant"].lower()).strip("-"),  # a part only the extra table has
            [row["accelerator"].lower()],
        )
        codes = set()
        for part in row["field_sources"].split(";"):
            if "=" in part:
                for c in part.split("=", 1)[1].split("/"):
                    codes.add(c.split("(")[0].strip())
        cited = sorted(d for c in codes if (d := dates.get(c)))
        out.append(
            {
                "id": ident,
                "name": f"{row['vendor']} {row['variant']}",
                "vendor": row["vendor"],
                "aliases": "|".join(aliases),
                "release_year": row["release_year"],
                "memory_gb": row["memory_gb"],
                "memory_bw_gb_s": row["memory_bw_gbps"],
                "peak_tflops_fp32": row["fp32_tflops"],
                "peak_tflops_tf32": row["tf32_tflops"],
                "peak_tflops_fp16": row["fp16_bf16_tensor_tflops"],
                "peak_tflops_fp8": row["fp8_tflops"],
                "peak_tops_int8": row["int8_tops"],
                "peak_tops_int4": row["int4_tops"],
                "peak_tflops_fp4": row.get("fp4_tflops", ""),
                "scaleout_gb_s": row.get("scaleout_gbps", ""),
                "scaleup_domain_gpus": row.get("scaleup_domain_gpus", ""),
                "tdp_w": row["tdp_w"],
                "interconnect_gb_s": row["interconnect_gbps"],
                "interconnect_type": row["interconnect_type"],
                "source": _readable_source(row["source_url"], codes),
                "as_of": cited[-1] if cited else "undated (its only source gives no date)",
                "notes": "; ".join(x for x in (row["notes"], f"field sources: {row['field_sources']}") if x),
            }
        )
    return out


#: The project's own price source tables (same layout as the shared ``gpu_prices.csv``; see data/README.md).
EXTRA_PRICES = (ROOT / "data" / "gpu_prices_extra.csv",)


def _price_source_rows(shared: Path) -> list[dict[str, str]]:
    """The rows of the shared and project price tables. A header with an unnamed or repeated
    column, or a row with more cells than the header (an unquoted comma in a note), stops the
    build: a cell under no header would silently drop out of the row."""
    rows: list[dict[str, str]] = []
    for path in (shared / "gpu_prices.csv", *EXTRA_PRICES):
        reader = csv.DictReader(path.open(encoding="utf-8"))
        names = list(reader.fieldnames or [])
        if any(not n.strip() for n in names) or len(set(names)) != len(names):
            raise SystemExit(f"{path.name}: the header has an unnamed or repeated column: {','.join(names)}")
        for n, row in enumerate(reader, start=2):
            if None in row:
                raise SystemExit(
                    f"{path.name} line {n} has more cells than the header (quote a note that holds a comma)"
                )
            rows.append(row)
    return rows


#: Accelerator ids, which a project price row may name directly (``h100-nvl-94gb``).
_GPU_IDS = {ident for ident, _aliases in IDS.values()}


def build_prices(shared: Path) -> list[dict[str, str]]:
    """Every shared and project price row whose GPU is in the accelerator catalog. A row must
    name its source and date, and says its currency (USD where the table has no currency column);
    prices stay in that currency."""
    out = []
    for n, row in enumerate(_price_source_rows(shared), start=2):
        gpu = SKYPILOT_GPU.get(row["gpu"]) or (row["gpu"] if row["gpu"] in _GPU_IDS else None)
        if gpu and "pcie" in row["instance_type"].lower():  # e.g. Lambda gpu_1x_h100_pcie
            gpu = {
                "h100-sxm-80gb": "h100-pcie-80gb",
                "a100-sxm-40gb": "a100-pcie-40gb",
                "a100-sxm-80gb": "a100-pcie-80gb",
            }.get(gpu, gpu)
        if gpu is None:  # A6000, RTX6000, TPU v2/v3: not in the accelerator catalog (no specs sourced)
            continue
        accel_only = "accelerator-only" in row["notes"]
        if not (row.get("source") or "").strip():
            raise SystemExit(f"price row {n} ({row['provider']} {row['instance_type']}) has no source")
        out.append(
            {
                "provider": row["provider"],
                "region": row["region"],
                "instance_type": row["instance_type"],
                "gpu": gpu,
                "gpu_count": row["gpu_count"],
                "price_type": row["price_type"],
                "usd_per_hour_instance": row["usd_per_hour_instance"],
                "usd_per_gpu_hour": row["usd_per_gpu_hour"],
                "includes_host": "false" if accel_only else "true",
                "source": row["source"],
                "as_of": row["as_of"] or "2025 snapshot (SkyPilot catalog commit date unknown)",
                "notes": row["notes"],
                "currency": (row.get("currency") or "USD").strip().upper(),
            }
        )
    return out


def build_fx(shared: Path) -> list[dict[str, str]]:
    out = []
    for row in csv.DictReader((shared / "fx_cny_usd.csv").open(encoding="utf-8")):
        period = row["period"]
        date = period.split(" ")[0].lstrip("~")
        out.append(
            {
                "date": date,
                "period": period,
                "cny_per_usd": row["cny_per_usd"],
                "source": f"{row['series']} {row['source_url']} ({row['retrieved_from_store_note']})",
            }
        )
    return out


#: The project's API price source table (see data/README.md).
API_PRICES = ROOT / "data" / "api_prices.csv"


def build_api_prices() -> list[dict[str, str]]:
    """The API price table, each row checked by the engine's own loader (source URL, date,
    currency, non-negative prices), in a stable order."""
    sys.path.insert(0, str(ROOT))
    from engine.api_prices import API_COLUMNS, parse_offers
    from engine.errors import GpucostError

    text = API_PRICES.read_text(encoding="utf-8")
    try:
        parse_offers(text, str(API_PRICES))
    except GpucostError as exc:
        raise SystemExit(exc.render()) from None
    rows = [{k: (r.get(k) or "").strip() for k in API_COLUMNS} for r in csv.DictReader(io.StringIO(text))]
    return sorted(rows, key=lambda r: (r["kind"] == "closed", r["model"], r["provider"], r["provider_model"]))

HOST_POWER_COLUMNS = [
    *("system", "gpu_ids", "gpus_per_server", "system_power_w", "gpu_power_w"),
    *("source", "as_of", "notes"),
]


def build_host_power() -> list[dict[str, str]]:
    """``host_power.csv``: the project's server power ratings (``data/host_power.csv``) as they are,
    each row with its URL and date; every GPU id must be in the accelerator catalog being built."""
    rows = list(csv.DictReader((ROOT / "data" / "host_power.csv").open(encoding="utf-8")))
    known = {r["id"] for r in csv.DictReader((OUT / "gpus.csv").open(encoding="utf-8"))}
    for r in rows:
        missing = [g for g in r["gpu_ids"].split("|") if g not in known]
        if missing or not r["source"] or not r["as_of"]:
            raise SystemExit(f"data/host_power.csv: {r['system']}: unknown GPU ids {missing} or no source/date")
    return rows


def write(path: Path, rows: list[dict[str, str]], columns: list[str]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def main(argv: list[str]) -> int:
    shared = Path(argv[1]) if len(argv) > 1 else ROOT.parent / "shared" / "data"
    OUT.mkdir(parents=True, exist_ok=True)
    gpus = build_gpus(shared)
    write(OUT / "gpus.csv", gpus, GPU_COLUMNS)
    prices = build_prices(shared)
    write(OUT / "prices.csv", prices, PRICE_COLUMNS)
    fx = build_fx(shared)
    write(OUT / "fx.csv", fx, ["date", "period", "cny_per_usd", "source"])
    api = build_api_prices()
    sys.path.insert(0, str(ROOT))
    from engine.api_prices import API_COLUMNS

    write(OUT / "api_prices.csv", api, API_COLUMNS)
    host = build_host_power()
    write(OUT / "host_power.csv", host, HOST_POWER_COLUMNS)
    print(
        f"gpus: {len(gpus)} rows, prices: {len(prices)} rows, fx: {len(fx)} rows, api: {len(api)} rows, "
        f"host power: {len(host)} rows -> {OUT}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
