"""The shipped catalogs: accelerators, models, prices and FX rates, read through one function each.

Catalog files are package data (``engine/catalog/data/``) read with :mod:`importlib.resources`,
validated by pydantic at load and cached. Every row keeps its ``source`` and ``as_of``. Names are
forgiving: case, spaces, dashes, "GB" vs "G", "SXM4" vs "SXM", vendor words ("NVIDIA", "Tesla") are
ignored, and a count prefix (``8xH100``, ``8*H100``) is split off by :func:`parse_gpu_spec`.

Imports only pydantic and the standard library.
"""

from __future__ import annotations

import csv
import io
import json
import re
from functools import lru_cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field, field_validator

from engine._model import empty_list
from engine.architecture import ModelArch, from_hf_config
from engine.errors import GpucostError, UnknownNameError, suggest, user_path


def read_data(name: str) -> str:
    """Text of one shipped catalog file."""
    return resources.files("engine.catalog").joinpath("data", name).read_text(encoding="utf-8")


class Accelerator(BaseModel):
    """One accelerator variant (a row of ``gpus.csv``). Peaks are DENSE (no 2:4 sparsity).

    Units: memory [GB = 1e9 bytes], bandwidth [GB/s], peaks [TFLOP/s] or [TOP/s], power [W],
    interconnect [GB/s, bidirectional total per GPU: NVLink all links both ways (H100 900), AMD XGMI 7 links
    x 128 GB/s (MI300X 896); the engine halves it per direction], scale-out [GB/s per GPU, one way]."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    vendor: str
    aliases: list[str] = Field(default_factory=empty_list)
    release_year: int | None = None
    memory_gb: float | None = None
    memory_bw_gb_s: float | None = None
    peak_tflops_fp32: float | None = None
    peak_tflops_tf32: float | None = None
    peak_tflops_fp16: float | None = None
    peak_tflops_fp8: float | None = None
    peak_tops_int8: float | None = None
    peak_tops_int4: float | None = None
    peak_tflops_fp4: float | None = Field(default=None, description="dense FP4 (NVFP4/MXFP4) tensor peak")
    tdp_w: float | None = None
    interconnect_gb_s: float | None = None
    interconnect_type: str = ""
    scaleout_gb_s: float | None = Field(
        default=None, description="scale-out network per GPU in the vendor's reference system [GB/s, one way]"
    )
    scaleup_domain_gpus: int | None = Field(
        default=None,
        description="GPUs in one scale-up (NVLink/XGMI) domain of the reference system (GB200 NVL72: 72; HGX/DGX, "
        "OAM boards: 8); None = not sourced",
    )
    source: str
    as_of: str = ""
    notes: str = ""

    @field_validator("aliases", mode="before")
    @classmethod
    def _split(cls, v: object) -> object:
        return [a for a in v.split("|") if a] if isinstance(v, str) else v

    @field_validator(
        "release_year",
        "memory_gb",
        "memory_bw_gb_s",
        "peak_tflops_fp32",
        "peak_tflops_tf32",
        "peak_tflops_fp16",
        "peak_tflops_fp8",
        "peak_tops_int8",
        "peak_tops_int4",
        "peak_tflops_fp4",
        "tdp_w",
        "interconnect_gb_s",
        "scaleout_gb_s",
        "scaleup_domain_gpus",
        mode="before",
    )
    @classmethod
    def _empty_none(cls, v: object) -> object:
        return None if v == "" else v

    @property
    def short(self) -> str:
        """Display name people use ("H100 SXM5 80GB")."""
        return self.name.removeprefix(self.vendor + " ")

    @property
    def query_name(self) -> str:
        """The name a query writes for this GPU, with a count before it where needed: its first
        alias that is one word and not a bare number ("RTX4090", not "4090": ``4x4090`` is not read
        as a count and a GPU), else its id."""
        return next((a for a in self.aliases if not a.isdigit() and " " not in a), self.id)


_VENDOR_WORDS = re.compile(r"\b(nvidia|tesla|geforce|amd|instinct|huawei|intel|habana|google|hgx|dgx)\b")


def normalise(name: str) -> str:
    """Canonical key for forgiving name matching."""
    s = _VENDOR_WORDS.sub("", name.lower())
    s = re.sub(r"[^a-z0-9.]", "", s)
    s = s.replace("gb", "g").replace("sxm5", "sxm").replace("sxm4", "sxm").replace("sxm2", "sxm")
    return s


@lru_cache(maxsize=1)
def _gpu_table() -> tuple[list[Accelerator], dict[str, Accelerator]]:
    rows = [Accelerator(**r) for r in csv.DictReader(io.StringIO(read_data("gpus.csv")))]
    index: dict[str, Accelerator] = {}
    for acc in rows:
        for key in (acc.id, acc.short, *acc.aliases):
            index.setdefault(normalise(key), acc)
    return rows, index


def list_gpus() -> list[Accelerator]:
    """Every accelerator in the catalog, in catalog order."""
    return list(_gpu_table()[0])


_COUNT = re.compile(r"^\s*(\d+)\s*[x×*]\s*(.+)$", re.IGNORECASE)
MAX_COUNT = 10_000_000  # GPUs written with the GPU (8xH100); the gpus= option's range too


def parse_gpu_spec(text: str) -> tuple[int | None, str]:
    """``'8xH100'`` -> ``(8, 'H100')``; ``'H100'`` -> ``(None, 'H100')``."""
    m = _COUNT.match(text)
    if m and not m.group(2).strip().isdigit():
        count = int(m.group(1))
        if count > MAX_COUNT:
            raise GpucostError(
                f"'{text.strip()}' asks for {count:,} GPUs, out of range",
                token=text,
                hint=f"write at most {MAX_COUNT:,} GPUs with the GPU, e.g. 8x{m.group(2).strip()}",
            )
        return count, m.group(2).strip()
    return None, text.strip()


@lru_cache(maxsize=512)
def resolve_gpu(name: str) -> Accelerator:
    """The accelerator a user means by ``name`` (forgiving), or a :class:`UnknownNameError` with
    suggestions."""
    _, index = _gpu_table()
    key = normalise(name)
    if key in index:
        return index[key]
    rows = _gpu_table()[0]
    names = [a for acc in rows for a in (acc.aliases[:1] or [acc.id])]
    raise UnknownNameError(
        f"unknown GPU '{name}'",
        token=name,
        suggestions=suggest(name, names + [acc.id for acc in rows]),
        hint="'gpucost gpus' lists them all",
    )


@lru_cache(maxsize=1)
def _model_table() -> tuple[list[ModelArch], dict[str, ModelArch]]:
    rows = [ModelArch(**m) for m in json.loads(read_data("models.json"))]
    index: dict[str, ModelArch] = {}
    for m in rows:
        for key in (m.id, m.name, *m.aliases):
            index.setdefault(_model_key(key), m)
    return rows, index


def _model_key(name: str) -> str:
    s = name.lower().replace("meta-llama/", "").replace("-hf", "")
    return re.sub(r"[^a-z0-9.]", "", s)


#: Name parts of fine-tuned or re-packaged releases that keep the base model's architecture
#: (Hugging Face repo names: ``Meta-Llama-3-8B-Instruct``, ``gemma-2-9b-it``, ``Llama-2-7b-chat-hf``).
_VARIANT_PARTS = frozenset({"instruct", "chat", "base", "it", "hf"})


def variant_of(name: str) -> str | None:
    """The catalog id of the model a Hugging Face repo id or release name is a variant of, or None:
    ``meta-llama/Meta-Llama-3-8B-Instruct`` -> ``llama-3-8b``. The organisation prefix, a
    ``Meta-`` maker prefix and the parts in ``_VARIANT_PARTS`` are dropped (an instruct, chat or
    base release has the base model's shape); nothing else is (a quantised ``-FP8`` or ``-AWQ``
    release stores its weights differently: give ``dtype=`` and the base name)."""
    if name.endswith(".json") or name.count("/") > 1 or "\\" in name:
        return None
    repo = name.rsplit("/", 1)[-1].lower()
    parts = [p for p in repo.split("-") if p not in _VARIANT_PARTS]
    if parts[:1] == ["meta"]:
        parts = parts[1:]
    _, index = _model_table()
    for candidate in ("-".join(parts), repo):
        m = index.get(_model_key(candidate))
        if m is not None and candidate != name:
            return m.id
    return None


def list_models() -> list[ModelArch]:
    """Every model in the catalog."""
    return list(_model_table()[0])


def resolve_model(name: str, allow_files: bool = True) -> ModelArch:
    """A catalog model by name, or a local Hugging Face config (a path to ``config.json`` or its
    folder). Unknown names raise :class:`UnknownNameError` with suggestions. With
    ``allow_files=False`` (shared front ends) a name that is not in the catalog is never looked up
    on disk: not even its existence is revealed."""
    rows, index = _model_table()
    key = _model_key(name)
    if key in index:
        return index[key]
    base = variant_of(name)
    if base is not None:
        return index[_model_key(base)]
    if name.endswith(".json") or "/" in name or "\\" in name or name.startswith("~"):
        if not allow_files:
            raise GpucostError(
                f"the model '{name}' would be read from a file on the server, which this front end does not allow",
                hint="name a catalog model ('gpucost models') or a parameter count, or use the gpucost command line",
            )
        p = user_path(name)
        if p.exists():
            return from_hf_config(p)
        if name.endswith(".json"):
            raise GpucostError(f"no config file at '{name}'", hint="give the path of a Hugging Face config.json")
    raise UnknownNameError(
        f"unknown model '{name}'",
        token=name,
        suggestions=suggest(name, [m.id for m in rows]),
        hint="give a parameter count like 7B, a catalog model ('gpucost models'), or a config.json path",
    )
