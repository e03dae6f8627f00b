"""Prices in their own currency: loaders refuse unsourced rows, a CNY row stays CNY, a GPU without a
public price says how to give one, and the default price compares currencies through the FX rate."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest

from engine import run
from engine.config import EngineConfig
from engine.errors import GpucostError
from engine.prices import _parse_rows, builtin_prices, lowest_price, prices_for
from tests.shared_data import shared_data

ROOT = Path(__file__).resolve().parents[2]
HEAD = (
    "provider,region,instance_type,gpu,gpu_count,price_type,usd_per_hour_instance,usd_per_gpu_hour,"
    "source,as_of,currency\n"
)


def test_the_catalog_loader_refuses_a_row_without_source_or_date() -> None:
    ok = HEAD + "alibaba,cn-hangzhou,x,H20,1,on_demand,10,10,https://example.org,2026-01-01,CNY\n"
    assert _parse_rows(ok, "t", provenance=True)[0].currency == "CNY"
    with pytest.raises(GpucostError, match="line 2: no source"):
        _parse_rows(HEAD + "alibaba,cn-hangzhou,x,H20,1,on_demand,10,10,,2026-01-01,CNY\n", "t", provenance=True)
    with pytest.raises(GpucostError, match="line 2: no as_of"):
        _parse_rows(HEAD + "alibaba,cn-hangzhou,x,H20,1,on_demand,10,10,https://e.org,,CNY\n", "t", provenance=True)
    with pytest.raises(GpucostError, match="line 2"):
        _parse_rows(HEAD + "alibaba,cn-hangzhou,x,H20,1,on_demand,10,10,https://e.org,2026-01-01,EUR\n", "t")
    # every shipped row names its source and date
    assert all(r.source and r.as_of for r in builtin_prices())


def test_the_build_refuses_an_unsourced_price_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    import build_catalogs

    extra = tmp_path / "extra.csv"
    rows = list(csv.DictReader((ROOT / "data" / "gpu_prices_extra.csv").open(encoding="utf-8")))
    rows[0]["source"] = ""
    with extra.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    monkeypatch.setattr(build_catalogs, "EXTRA_PRICES", (extra,))
    shared = shared_data()
    with pytest.raises(SystemExit, match="has no source"):
        build_catalogs.build_prices(shared)
    api = tmp_path / "api.csv"
    text = (ROOT / "data" / "api_prices.csv").read_text(encoding="utf-8").splitlines()
    api.write_text("\n".join([text[0], text[1].replace("2025-09-05", "")]) + "\n", encoding="utf-8")
    monkeypatch.setattr(build_catalogs, "API_PRICES", api)
    with pytest.raises(SystemExit, match="has no as_of"):
        build_catalogs.build_api_prices()


def test_the_shipped_price_table_is_well_formed_and_the_build_refuses_a_stray_cell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """data/gpu_prices_extra.csv has one named column per cell; a note with an unquoted comma (a
    cell under no header) or an unnamed header column stops the build instead of losing the cell."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import build_catalogs

    table = ROOT / "data" / "gpu_prices_extra.csv"
    with table.open(encoding="utf-8") as fh:
        header, *rows = list(csv.reader(fh))
    assert all(name.strip() for name in header) and len(set(header)) == len(header)
    assert all(len(r) == len(header) for r in rows)
    assert {r[header.index("currency")] for r in rows} <= {"USD", "CNY"}
    shared = shared_data()
    bad = tmp_path / "extra.csv"
    lines = table.read_text(encoding="utf-8").splitlines()
    bad.write_text("\n".join([lines[0], lines[1] + ",a stray cell"]) + "\n", encoding="utf-8")
    monkeypatch.setattr(build_catalogs, "EXTRA_PRICES", (bad,))
    with pytest.raises(SystemExit, match="line 2 has more cells than the header"):
        build_catalogs.build_prices(shared)
    bad.write_text("\n".join([lines[0].replace(",currency", ",,currency"), lines[1]]) + "\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="unnamed or repeated column"):
        build_catalogs.build_prices(shared)


def test_the_shipped_prices_file_is_the_build_output() -> None:
    """engine/catalog/data/prices.csv and api_prices.csv are built, never hand-edited."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import build_catalogs

    shared = shared_data()
    got = list(csv.DictReader((ROOT / "engine" / "catalog" / "data" / "prices.csv").open(encoding="utf-8")))
    assert got == build_catalogs.build_prices(shared)
    api = list(csv.DictReader((ROOT / "engine" / "catalog" / "data" / "api_prices.csv").open(encoding="utf-8")))
    assert api == build_catalogs.build_api_prices()


@pytest.fixture
def h20_file(tmp_path: Path) -> Path:
    """A user price file with an H20 row in CNY and one in USD (the user's own, sourced prices)."""
    f = tmp_path / "prices.csv"
    f.write_text(
        HEAD
        + "yuncloud,cn-north,h20.8x,H20,8,on_demand,80,10,https://example.org/cn,2026-11-01,CNY\n"
        + "uscloud,us-east,h20-box,H20,1,on_demand,1.5,1.5,https://example.org/us,2026-11-01,USD\n",
        encoding="utf-8",
    )
    return f


def test_a_cny_row_keeps_cny(h20_file: Path) -> None:
    cfg = EngineConfig(price_file=h20_file, cny_per_usd=8.0)
    cny = next(r for r in prices_for("H20", cfg) if r.provider == "yuncloud")
    assert cny.currency == "CNY" and cny.usd_per_gpu_hour == 10  # stored as published
    assert cny.price_per_gpu_hour("USD", cfg) == pytest.approx(1.25)
    r = run("prices H20", cfg)
    cols = r.table.columns  # type: ignore[union-attr]
    row = dict(zip(cols, next(x for x in r.table.rows if x[1] == "yuncloud"), strict=True))  # type: ignore[union-attr]
    assert row["price_as_published"] == 10 and row["currency_as_published"] == "CNY"
    assert row["price_per_gpu_hour"] == pytest.approx(1.25)  # shown in USD, converted
    assert "converted at 8 CNY per USD" in (r.text or "")
    in_cny = run("prices H20 currency=CNY", cfg)
    assert dict(zip(cols, in_cny.table.rows[0], strict=True))["price_per_gpu_hour"] == 10  # type: ignore[union-attr]


def test_the_default_price_is_the_cheaper_after_conversion(h20_file: Path) -> None:
    # 10 CNY at 8 CNY/USD = 1.25 USD < 1.5 USD: the CNY row is the default
    cheap_cny = EngineConfig(price_file=h20_file, cny_per_usd=8.0)
    assert lowest_price("H20", config=cheap_cny).provider == "yuncloud"
    # 10 CNY at 5 CNY/USD = 2.0 USD > 1.5 USD: the USD row is
    dear_cny = EngineConfig(price_file=h20_file, cny_per_usd=5.0)
    assert lowest_price("H20", config=dear_cny).provider == "uscloud"
    # and an estimate says which row it picked, with the price as published
    r = run("daily llama-3-8b H20 requests=10000", cheap_cny)
    line = next(a for a in r.assumptions if a.name == "price per GPU-hour")
    assert "yuncloud cn-north h20.8x on-demand, 10 CNY/GPU-h as published, 2026-11-01" in line.value
    assert r.price_per_gpu_hour == pytest.approx(1.25)
    # a dated, sourced row is not called "a 2025 price snapshot" (that is the SkyPilot extract's caveat)
    assert line.source.startswith("https://example.org/cn") and "2025" not in line.source


def test_a_gpu_without_a_public_price_says_so_and_how_to_give_one() -> None:
    # no dated public price for Ascend 910B was found (data/README.md says where we looked)
    r = run("prices 910B")
    assert r.table is not None and r.table.rows == []
    assert "no public price for Ascend 910B" in (r.text or "")
    assert "2.5usd" in (r.text or "") and "GPUCOST_PRICE_FILE" in (r.text or "")
    assert "currency_as_published" in r.table.columns


def _rows(result) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    return [dict(zip(result.table.columns, row, strict=True)) for row in result.table.rows]


def test_prices_h20_lists_the_sourced_shipped_row_in_its_own_currency() -> None:
    """The shipped catalog prices the H20: CompShare's single-GPU list price, 7.5 CNY per hour,
    dated, sourced, kept in CNY and converted only for display."""
    (h20,) = [r for r in builtin_prices() if r.gpu == "h20"]
    assert (h20.provider, h20.currency, h20.usd_per_gpu_hour, h20.gpu_count) == ("compshare", "CNY", 7.5, 1)
    assert h20.as_of == "2026-05-13" and h20.source.startswith("https://www.compshare.cn/docs/operation/charge/bill")
    assert h20.includes_host and h20.price_type == "on_demand"
    cfg = EngineConfig(cny_per_usd=7.5)
    r = run("prices H20", cfg)
    (row,) = _rows(r)
    assert row["provider"] == "compshare" and row["currency_as_published"] == "CNY"
    assert row["price_as_published"] == 7.5 and row["price_per_gpu_hour"] == pytest.approx(1.0)  # 7.5 CNY / 7.5
    assert row["as_of"] == "2026-05-13"
    assert "no public price" not in (r.text or "")
    (cny,) = _rows(run("prices H20 currency=CNY", cfg))
    assert cny["price_per_gpu_hour"] == 7.5
    # and an estimate on an H20 without a price now uses it, naming it
    est = run("daily llama-3-8b H20 requests=10000", cfg)
    line = next(a for a in est.assumptions if a.name == "price per GPU-hour")
    assert "compshare cn H20 (1 GPU) on-demand, 7.5 CNY/GPU-h as published, 2026-05-13" in line.value
    assert est.price_per_gpu_hour == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("provider", "region", "instance", "gpu", "count", "price", "currency", "as_of"),
    [
        # Alibaba Cloud China-site price file (CNY per instance-hour), P4 and T4 as in the article
        ("alibaba", "cn-hangzhou", "ecs.gn5i-c2g1.large", "p4", 1, 8.68, "CNY", "2024-12-30"),
        ("alibaba", "cn-hangzhou", "ecs.gn6i-c4g1.xlarge", "t4", 1, 11.63, "CNY", "2024-12-30"),
        ("alibaba", "cn-beijing", "ecs.ebmgn7ex.32xlarge", "a100-sxm-80gb", 8, 270.8333, "CNY", "2024-12-30"),
        # Tencent Cloud international page (USD), Guangzhou Zone 3
        ("tencent", "ap-guangzhou", "GN7.2XLARGE32", "t4", 1, 1.26, "USD", "2023-06-30"),
        ("tencent", "ap-guangzhou", "GN10Xp.20XLARGE320", "v100-sxm2-32gb", 8, 13.78, "USD", "2023-06-30"),
    ],
)
def test_shipped_chinese_cloud_rows_keep_their_published_price_and_currency(
    provider: str, region: str, instance: str, gpu: str, count: int, price: float, currency: str, as_of: str
) -> None:
    (row,) = [r for r in builtin_prices() if (r.provider, r.region, r.instance_type) == (provider, region, instance)]
    assert (row.gpu, row.gpu_count, row.currency, row.as_of) == (gpu, count, currency, as_of)
    assert row.usd_per_hour_instance == price  # the instance price as published, in its own currency
    assert row.usd_per_gpu_hour == pytest.approx(price / count)
    assert row.source.startswith("https://") and row.includes_host
    cfg = EngineConfig(cny_per_usd=8.0)
    expected_usd = price / count / (8.0 if currency == "CNY" else 1.0)
    assert row.price_per_gpu_hour("USD", cfg) == pytest.approx(expected_usd)
    listed = [x for x in _rows(run(f"prices {gpu} --all", cfg)) if x["instance"] == instance and x["region"] == region]
    assert listed and listed[0]["currency_as_published"] == currency
    assert listed[0]["price_as_published"] == pytest.approx(price / count)
