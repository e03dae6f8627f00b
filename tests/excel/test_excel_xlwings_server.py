"""Contract test through xlwings Server's custom-function call path, with the JSON Office.js posts.

xlwings Server's ``POST /xlwings/custom-functions-call`` endpoint hands the request body to
``xlwings.server.custom_functions_call(data, custom_functions)`` and returns ``{"result": ...}``;
``GET /xlwings/custom-functions-meta`` returns ``xlwings.server.custom_functions_meta(...)``, which
Excel uses to register the functions. These tests drive both functions with our
``excel.xlwings_server`` module, the way the server does, in a subprocess that sets
``XLWINGS_ON_SERVER=true`` (as xlwings Server does before importing xlwings) and the
``noncommercial`` licence key: the ``xlwings.pro`` code they run is dual-licensed (PolyForm
Noncommercial 1.0.0, or a commercial licence), and this is non-commercial testing of an open-source
project. The xlwings Server application itself (FastAPI, auth, socket.io) is not started.
"""

from __future__ import annotations

from typing import Any

_SERVER_ENV = {"XLWINGS_ON_SERVER": "true", "XLWINGS_LICENSE_KEY": "noncommercial"}

_CALL = """
import asyncio, json
import xlwings
import xlwings.server
from excel import xlwings_server as module
from excel import functions as plain

def body(func_name, *args):
    # What the Office.js client posts: every argument a 2-D array, null for an omitted one.
    return {
        "func_name": func_name,
        "args": list(args),
        "caller_address": "Sheet1!B2",
        "formula_name": func_name.upper(),
        "version": xlwings.__version__,
        "runtime": "1.4",
        "culture_info_name": "en-US",
        "date_format": "M/d/yyyy",
        "client": "Office.js",
    }

def call(func_name, *args):
    try:
        return {"result": asyncio.run(xlwings.server.custom_functions_call(body(func_name, *args), module))}
    except Exception as err:
        return {"error": type(err).__name__, "message": str(err)}

meta = xlwings.server.custom_functions_meta(module)
out = {
    "meta": meta,
    "fx": call("aigc_fx", [["USD"]], [["CNY"]]),
    "gpu_column": call("aigc_gpu", [["H100"], ["L4"], [""]], [["memory_gb"]]),
    "cost": call("aigc_cost", [[1.17e8]], [["P4"]], [[0.3]], None, None, None, None, None),
    "cost_column": call("aigc_cost", [[1.17e8], [7e9]], [["H100"]], [[2.0]], None, None, None, None, None),
    "estimate": call("aigc_estimate", [["1.17e8 P4 0.3"]], None),
    "bad": call("aigc_cost", [["no-such-model-xyz"]], [["H100"]], None, None, None, None, None, None),
    "expected": {
        "fx": plain.aigc_fx("USD", "CNY"),
        "gpu_column": plain.aigc_gpu([["H100"], ["L4"], [""]], "memory_gb"),
        "cost": plain.aigc_cost(1.17e8, "P4", 0.3),
        "cost_column": plain.aigc_cost([[1.17e8], [7e9]], "H100", 2.0),
        "estimate": plain.aigc_estimate("1.17e8 P4 0.3"),
    },
}
print(json.dumps(out, default=str))
"""


def test_custom_functions_meta_registers_every_function(run_blocked: Any) -> None:
    got = run_blocked(_CALL, blocked=(), env=_SERVER_ENV)
    functions = {f["name"]: f for f in got["meta"]["functions"]}
    assert set(functions) == {
        "AIGC_COST", "AIGC_ESTIMATE", "AIGC_INFER", "AIGC_DAILY", "AIGC_TRAIN", "AIGC_COMPARE",
        "AIGC_GPU", "AIGC_GPUS", "AIGC_PRICE", "AIGC_PRICES", "AIGC_FX",
    }  # fmt: skip
    cost = functions["AIGC_COST"]
    assert cost["description"].startswith("Cost of serving a model")
    params = {p["name"]: p for p in cost["parameters"]}
    assert list(params)[:4] == ["model", "gpu", "price", "metric"]
    assert "optional" not in params["model"] and params["price"]["optional"] is True
    # Every argument has its own help text for Excel's function wizard.
    for function in functions.values():
        for param in function["parameters"]:
            assert not param["description"].startswith("Positional argument"), (function["name"], param)


def test_custom_functions_call_with_office_js_bodies(run_blocked: Any) -> None:
    got = run_blocked(_CALL, blocked=(), env=_SERVER_ENV)
    expected = got["expected"]
    assert got["fx"] == {"result": [[expected["fx"]]]}
    assert got["gpu_column"] == {"result": expected["gpu_column"]}
    assert got["cost"] == {"result": [[expected["cost"]]]}
    assert got["cost_column"] == {"result": expected["cost_column"]}
    assert got["estimate"] == {"result": expected["estimate"]}
    # Bad input: an exception with the one-line message, which the add-in shows on the cell.
    assert "no-such-model-xyz" in got["bad"]["message"] and "\n" not in got["bad"]["message"]


def test_server_module_refuses_queries_that_name_server_files(tmp_path):
    """On a shared xlwings Server a cell must not probe or write the server's files."""
    import importlib

    import excel.xlwings_server
    from excel import functions

    importlib.reload(excel.xlwings_server)  # its import switches file access off (even if imported before)
    assert functions.CONFIG.allow_files is False

    try:
        cfg = tmp_path / "config.json"
        cfg.write_text('{"num_hidden_layers": 2, "hidden_size": 64, "num_attention_heads": 2, "vocab_size": 10}')
        for query in (f"{cfg} H100", f"import {cfg} 8xH100", f"calibrate x {cfg} llama-3-8b H100"):
            try:
                functions.aigc_estimate(query)
            except Exception as exc:  # the xlwings error path: the message shows in the cell
                assert "does not allow" in str(exc), query
            else:
                raise AssertionError(f"{query!r} was evaluated on the server")
    finally:
        from engine.config import EngineConfig

        functions.CONFIG = EngineConfig()
