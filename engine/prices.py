"""GPU prices: the shipped catalog (SkyPilot catalog extract, a 2025 snapshot), a user price file
that overrides it, per-GPU overrides from settings, and an importer for SkyPilot ``vms.csv`` files.

When a query gives no price, the estimate uses the lowest on-demand catalog price for that GPU among
rows that include the host VM (GCP's accelerator-only rows leave out the host's vCPUs and RAM; they
are used only when nothing else exists, with a warning), and names provider, region, instance and date.

Each row keeps the currency its source publishes (``currency``: USD, or CNY for Chinese clouds);
the price columns hold that currency despite their ``usd_`` names (kept for file compatibility).
Rows are ranked, and the lowest picked, by their price converted to USD with :mod:`engine.fx`
(the dated FRED rate, or the settings' override), so a CNY row and a USD row compare fairly.
Every built-in row names its source and date; one without is refused at load.

Imports only pydantic and the standard library.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from engine.catalog import read_data, resolve_gpu
from engine.config import EngineConfig
from engine.errors import GpucostError, suggest, user_path
from engine.fx import convert, normalise_currency

PRICE_COLUMNS = [
    "provider",
    "region",
    "instance_type",
    "gpu",
    "gpu_count",
    "price_type",
    "usd_per_hour_instance",
    "usd_per_gpu_hour",
    "includes_host",
    "source",
    "as_of",
    "notes",
    "currency",
]


class PriceRow(BaseModel):
    """One hourly price [USD per GPU-hour unless ``currency`` says otherwise]."""

    model_config = ConfigDict(frozen=True)

    provider: str
    region: str = ""
    instance_type: str = ""
    gpu: str = Field(description="accelerator id")
    gpu_count: int = 1
    price_type: str = "on_demand"
    usd_per_hour_instance: float | None = None
    usd_per_gpu_hour: float = Field(gt=0)
    includes_host: bool = True
    source: str = ""
    as_of: str = ""
    notes: str = ""
    currency: str = "USD"

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        return normalise_currency(v)

    @property
    def spot(self) -> bool:
        return self.price_type == "spot"

    def price_per_gpu_hour(self, currency: str = "USD", config: EngineConfig | None = None) -> float:
        """This row's price per GPU-hour in ``currency`` [currency / GPU-hour] (FX via :mod:`engine.fx`)."""
        return convert(self.usd_per_gpu_hour, self.currency, currency, config)

    def label(self) -> str:
        """Provider, region, instance, price type and date; a row priced in another currency than
        USD also names its price as published (``7.5 CNY/GPU-h as published``)."""
        bits = [self.provider]
        if self.region:
            bits.append(self.region)
        if self.instance_type:
            bits.append(self.instance_type)
        bits.append("spot" if self.spot else "on-demand")
        native = f", {self.usd_per_gpu_hour:g} {self.currency}/GPU-h as published" if self.currency != "USD" else ""
        return " ".join(bits) + native + (f", {self.as_of}" if self.as_of else "")


def _parse_rows(text: str, origin: str, provenance: bool = False) -> list[PriceRow]:
    """Price rows of a CSV (``PRICE_COLUMNS``; ``currency`` defaults to USD). With ``provenance``
    (the built-in catalog) a row without a source or a date is an error naming its line."""
    rows = []
    for i, r in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        try:
            r = {k: v for k, v in r.items() if k is not None and v not in (None, "")}
            if provenance:
                for need in ("source", "as_of"):
                    if not str(r.get(need, "")).strip():
                        where = " ".join(x for x in (r.get("provider", "?"), r.get("instance_type", "")) if x)
                        raise GpucostError(f"no {need} ({where}): every catalog price names its source and date")
            gpu = resolve_gpu(r["gpu"]).id
            r["gpu"] = gpu
            if "usd_per_gpu_hour" not in r and "usd_per_hour_instance" in r:
                r["usd_per_gpu_hour"] = float(r["usd_per_hour_instance"]) / float(r.get("gpu_count", 1))
            if "includes_host" in r:
                r["includes_host"] = str(r["includes_host"]).lower() in ("true", "1", "yes")
            rows.append(PriceRow(**r))
        except GpucostError as exc:
            raise GpucostError(f"{origin} line {i}: {exc.message}", suggestions=exc.suggestions) from None
        except (KeyError, ValueError) as exc:
            raise GpucostError(
                f"{origin} line {i} is not a price row ({exc.__class__.__name__}: {str(exc).splitlines()[0]})",
                hint="columns: " + ",".join(PRICE_COLUMNS[:8]),
            ) from None
    return rows


@lru_cache(maxsize=1)
def builtin_prices() -> tuple[PriceRow, ...]:
    """The shipped catalog."""
    return tuple(_parse_rows(read_data("prices.csv"), "built-in prices.csv", provenance=True))


@lru_cache(maxsize=8)
def _user_prices(path: str, mtime: float) -> tuple[PriceRow, ...]:
    return tuple(_parse_rows(Path(path).read_text(encoding="utf-8"), path))


def all_prices(config: EngineConfig | None = None) -> list[PriceRow]:
    """Catalog rows, with the user price file's rows replacing every built-in row of the GPUs it names."""
    rows = list(builtin_prices())
    if config is not None and config.price_file:
        p = Path(config.price_file)
        if not p.exists():
            raise GpucostError(f"price file '{p}' does not exist", hint="fix GPUCOST_PRICE_FILE or create the file")
        user = _user_prices(str(p), p.stat().st_mtime)
        named = {r.gpu for r in user}
        rows = [r for r in rows if r.gpu not in named] + list(user)
    return rows


def prices_for(gpu: str, config: EngineConfig | None = None) -> list[PriceRow]:
    """All prices of one GPU, cheapest first (compared in USD through the FX rate in force)."""
    gid = resolve_gpu(gpu).id
    return sorted((r for r in all_prices(config) if r.gpu == gid), key=lambda r: r.price_per_gpu_hour("USD", config))


def lowest_price(
    gpu: str,
    provider: str | None = None,
    region: str | None = None,
    spot: bool = False,
    config: EngineConfig | None = None,
) -> PriceRow:
    """The cheapest matching catalog price (see :func:`_lowest_price`); cached per price file version."""
    pf = config.price_file if config is not None else None
    mtime = Path(pf).stat().st_mtime if pf and Path(pf).exists() else 0.0
    return _lowest_price(resolve_gpu(gpu).id, provider, region, bool(spot), config, str(pf or ""), mtime)


@lru_cache(maxsize=1024)
def _lowest_price(
    gpu: str,
    provider: str | None,
    region: str | None,
    spot: bool,
    config: EngineConfig | None,
    _file: str,
    _mtime: float,
) -> PriceRow:
    """The cheapest matching catalog price (on-demand unless ``spot``), preferring rows that include
    the host VM; rows in different currencies are compared through the FX rate (:func:`prices_for`).
    Raises a :class:`GpucostError` that says how to give a price when none matches."""
    acc = resolve_gpu(gpu)
    rows = prices_for(acc.id, config)
    if provider:
        providers = sorted({r.provider for r in all_prices(config)})
        if provider.lower() not in providers:
            raise GpucostError(
                f"unknown provider '{provider}'",
                suggestions=suggest(provider, providers),
                hint="providers: " + ", ".join(providers),
            )
        rows = [r for r in rows if r.provider == provider.lower()]
    if region:
        regions = sorted({r.region for r in rows})
        rows = [r for r in rows if r.region.lower() == region.lower()]
        if not rows:
            raise GpucostError(
                f"no {acc.short} price in region '{region}'" + (f" at {provider}" if provider else ""),
                suggestions=suggest(region, regions),
                hint=(
                    "regions with a price: "
                    + ", ".join(regions[:8])
                    + (f" and {len(regions) - 8} more ('gpucost prices GPU')" if len(regions) > 8 else "")
                )
                if regions
                else "no region has one",
            )
    rows = [r for r in rows if r.spot == spot]
    full = [r for r in rows if r.includes_host]
    pick = full or rows
    if not pick:
        where = " ".join(x for x in (provider or "", region or "", "spot" if spot else "on-demand") if x)
        raise GpucostError(
            f"the price catalog has no {where} price for {acc.short}",
            hint=f"give one in the query, e.g. '... {acc.query_name} 2.5usd', "
            "or add it to your price file (GPUCOST_PRICE_FILE)",
        )
    return pick[0]


# ---- SkyPilot importer ----------------------------------------------------------------------------
#: Cloud names SkyPilot keeps catalogs for (its ``catalogs/v8/<cloud>/`` folders): a folder of one of
#: these names says which cloud a ``vms.csv`` is; any other folder name says nothing.
SKYPILOT_CLOUDS = frozenset(
    {"aws", "azure", "cudo", "do", "fluidstack", "gcp", "hyperbolic", "ibm", "kubernetes", "lambda", "nebius",
     "oci", "paperspace", "runpod", "scp", "vast", "vsphere"}
)  # fmt: skip


@dataclass
class SkyPilotImport:
    """What an import read: the price rows (one per instance, region and price type, per-zone rows
    merged) and what it skipped, by reason."""

    rows: list[PriceRow]
    skipped: Counter[str]
    unknown_gpus: Counter[str]
    merged: int

    def report(self) -> str:
        """One line on what was skipped and merged ('' when nothing was)."""
        parts = [f"{n} {why}" for why, n in sorted(self.skipped.items())]
        if self.unknown_gpus:
            names = ", ".join(f"{g} ({n})" for g, n in self.unknown_gpus.most_common(6))
            parts.append(f"{sum(self.unknown_gpus.values())} with a GPU not in the accelerator catalog: {names}")
        if self.merged:
            parts.append(f"{self.merged} per-zone rows merged into their region's")
        return "; ".join(parts)


def _provider(path: Path, reader_cols: set[str], row: dict[str, str], given: str | None) -> str:
    if given:
        return given.lower()
    for col in ("Cloud", "cloud", "Provider", "provider"):
        if col in reader_cols and (row.get(col) or "").strip():
            return row[col].strip().lower()
    folder = path.parent.name.lower()
    if path.name == "vms.csv" and folder in SKYPILOT_CLOUDS:
        return folder
    stem = path.stem.split("_")[0].lower()
    if stem in SKYPILOT_CLOUDS:  # e.g. aws_v8_vms_gpu_extract.csv
        return stem
    raise GpucostError(
        f"which cloud is '{path.name}'? it has no cloud column and its folder '{path.parent.name}' is not a cloud name",
        hint="add provider=aws (or gcp, azure, lambda, ...) after the path",
    )


def _prices_in(cell: str) -> list[float]:
    """The positive prices in a SkyPilot price cell (``'1.2'``, or per-zone ``'1.2|1.3'``)."""
    out = []
    for part in (cell or "").split("|"):
        try:
            v = float(part.strip())
        except ValueError:
            continue
        if v > 0:
            out.append(v)
    return out


def import_skypilot(path: str | Path, provider: str | None = None) -> SkyPilotImport:
    """Read a SkyPilot catalog ``vms.csv`` (schema v8: ``InstanceType, AcceleratorName,
    AcceleratorCount, ..., Price, SpotPrice, Region[, AvailabilityZone]``) into price rows.

    The provider is ``provider=``, else the file's cloud column, else its ``catalogs/v8/<cloud>/``
    folder when that is a cloud name; never a guess. Rows of one instance, region and price type
    (one per availability zone) become one row at the lowest price. Rows without an accelerator,
    with one not in the accelerator catalog, or without a price are skipped and counted."""
    p = user_path(path)
    if not p.exists():
        raise GpucostError(f"no file at '{path}'", hint="give the path of a SkyPilot vms.csv")
    best: dict[tuple[str, str, str, str], tuple[float, int, PriceRow]] = {}
    skipped: Counter[str] = Counter()
    unknown: Counter[str] = Counter()
    with p.open(encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        cols = set(reader.fieldnames or [])
        if not {"InstanceType", "AcceleratorName", "Price"} <= cols:
            raise GpucostError(
                f"'{path}' is not a SkyPilot vms.csv", hint="it needs InstanceType, AcceleratorName, Price columns"
            )
        spot_col = next((c for c in reader.fieldnames or [] if c.startswith("SpotPrice")), None)
        for r in reader:
            name = (r.get("AcceleratorName") or "").strip()
            if not name:
                skipped["without an accelerator (CPU instances)"] += 1
                continue
            try:
                gid = resolve_gpu(name).id
            except GpucostError:
                unknown[name] += 1
                continue
            prov = _provider(p, cols, r, provider)
            count = float(r.get("AcceleratorCount") or 1) or 1
            region = r.get("Region") or r.get("Regions") or ""
            found = False
            for kind, col in (("on_demand", "Price"), ("spot", spot_col)):
                prices = _prices_in(r.get(col) or "") if col else []
                if not prices:
                    continue
                found = True
                inst = min(prices)
                key = (prov, region, r["InstanceType"], kind)
                seen = best.get(key)
                zones = (seen[1] if seen else 0) + len(prices)
                if seen is not None and seen[0] <= inst:
                    best[key] = (seen[0], zones, seen[2])
                    continue
                best[key] = (
                    inst,
                    zones,
                    PriceRow(
                        provider=prov,
                        region=region,
                        instance_type=r["InstanceType"],
                        gpu=gid,
                        gpu_count=int(count),
                        price_type=kind,
                        usd_per_hour_instance=inst,
                        usd_per_gpu_hour=inst / count,
                        includes_host=True,
                        source=f"SkyPilot catalog {p}",
                        as_of="imported",
                        notes="imported by gpucost prices import-skypilot",
                    ),
                )
            if not found:
                skipped["without a price"] += 1
    rows = []
    merged = 0
    for _inst, zones, row in best.values():
        if zones > 1:
            merged += zones - 1
            row = row.model_copy(update={"notes": f"{row.notes}; lowest of {zones} zone rows"})
        rows.append(row)
    return SkyPilotImport(rows, skipped, unknown, merged)


def write_price_file(rows: list[PriceRow], path: str | Path, merge: bool = True) -> int:
    """Write rows to a user price file (merging with rows already there for other GPUs/providers)."""
    p = user_path(path)
    existing: list[PriceRow] = []
    if merge and p.exists():
        existing = list(_parse_rows(p.read_text(encoding="utf-8"), str(p)))
        keys = {(r.provider, r.gpu) for r in rows}
        existing = [r for r in existing if (r.provider, r.gpu) not in keys]
    p.parent.mkdir(parents=True, exist_ok=True)
    with p.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=PRICE_COLUMNS, lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        for r in [*existing, *rows]:
            d = r.model_dump()
            d["includes_host"] = "true" if r.includes_host else "false"
            w.writerow(d)
    return len(existing) + len(rows)
