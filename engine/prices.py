"""GPU prices: the shipped catalog (SkyPilot catalog extract, a 2025 snapshot), a user price file
that overrides it, per-GPU overrides from settings, and an importer for SkyPilot ``vms.csv`` files.

When a query gives no price, the estimate uses the lowest on-demand catalog price for that GPU among
rows that include the host VM (GCP's accelerator-only rows leave out the host's vCPUs and RAM; they
are used only when nothing else exists, with a warning), and names provider, region, instance and date.

Imports only pydantic and the standard library.
"""

from __future__ import annotations

import csv
import io
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from engine.catalog import read_data, resolve_gpu
from engine.config import EngineConfig
from engine.errors import GpucostError, suggest, user_path

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

    @property
    def spot(self) -> bool:
        return self.price_type == "spot"

    def label(self) -> str:
        bits = [self.provider]
        if self.region:
            bits.append(self.region)
        if self.instance_type:
            bits.append(self.instance_type)
        bits.append("spot" if self.spot else "on-demand")
        return " ".join(bits) + (f", {self.as_of}" if self.as_of else "")


def _parse_rows(text: str, origin: str) -> list[PriceRow]:
    rows = []
    for i, r in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        try:
            r = {k: v for k, v in r.items() if k is not None and v not in (None, "")}
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
    return tuple(_parse_rows(read_data("prices.csv"), "built-in prices.csv"))


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
    """All prices of one GPU, cheapest first."""
    gid = resolve_gpu(gpu).id
    return sorted((r for r in all_prices(config) if r.gpu == gid), key=lambda r: r.usd_per_gpu_hour)


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
    the host VM. Raises a :class:`GpucostError` that says how to give a price when none matches."""
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
            hint=f"give one in the query, e.g. '... {acc.aliases[0] if acc.aliases else acc.id} 2.5usd', "
            "or add it to your price file (GPUCOST_PRICE_FILE)",
        )
    return pick[0]


# ---- SkyPilot importer ----------------------------------------------------------------------------
def import_skypilot(path: str | Path, provider: str | None = None) -> list[PriceRow]:
    """Read a SkyPilot catalog ``vms.csv`` (schema v8: ``InstanceType, AcceleratorName,
    AcceleratorCount, ..., Region, Price, SpotPrice``) into price rows.

    Rows without an accelerator, or with one not in our accelerator catalog, are skipped.
    ``provider`` defaults to the catalog's folder name (``~/.sky/catalogs/v8/<cloud>/vms.csv``)."""
    p = user_path(path)
    if not p.exists():
        raise GpucostError(f"no file at '{path}'", hint="give the path of a SkyPilot vms.csv")
    prov = (provider or (p.parent.name if p.name == "vms.csv" else p.stem.split("_")[0])).lower()
    out: list[PriceRow] = []
    with p.open(encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        cols = set(reader.fieldnames or [])
        if not {"InstanceType", "AcceleratorName", "Price"} <= cols:
            raise GpucostError(
                f"'{path}' is not a SkyPilot vms.csv", hint="it needs InstanceType, AcceleratorName, Price columns"
            )
        for r in reader:
            name = (r.get("AcceleratorName") or "").strip()
            if not name:
                continue
            try:
                gid = resolve_gpu(name).id
            except GpucostError:
                continue
            count = float(r.get("AcceleratorCount") or 1) or 1
            region = r.get("Region") or r.get("Regions") or ""
            for kind, col in (("on_demand", "Price"), ("spot", "SpotPrice")):
                val = (r.get(col) or "").split("|")[0].strip()
                if not val:
                    continue
                try:
                    inst = float(val)
                except ValueError:
                    continue
                if inst <= 0:
                    continue
                out.append(
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
                    )
                )
    return out


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
