"""xlwings Server: the real ``xlwings-server`` app on 127.0.0.1 in production mode, and its call path.

The first tests start the real server (``uvicorn xlwings_server.main:main_app``, a 1.x project folder
whose ``custom_functions/__init__.py`` has the README's one line) and post what the add-in posts: good
input comes back as values, bad input as HTTP 400 with the one-line message (the add-in shows it on
the cell and does not retry a 400; it retries 500, which is what any other exception becomes, with
the message replaced by "An error occurred."). The tests after them drive the call path in-process.


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

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]

#: The line the README adds to an xlwings Server project's custom_functions/__init__.py.
README_LINE = "from excel.xlwings_server import *  # noqa: F403  gpucost: =AIGC_COST() and friends"

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
        return {"error": type(err).__name__, "message": str(err), "bases": [c.__name__ for c in type(err).__mro__]}

DIV0 = {"type": "Error", "basicValue": "#DIV/0!", "errorType": "Div0"}
meta = xlwings.server.custom_functions_meta(module)
out = {
    "meta": meta,
    "fx": call("aigc_fx", [["USD"]], [["CNY"]]),
    "gpu_column": call("aigc_gpu", [["H100"], ["L4"], [""]], [["memory_gb"]]),
    "cost": call("aigc_cost", [[1.17e8]], [["P4"]], [[0.3]], None, None, None, None, None),
    "error_cell": call("aigc_cost", [[7e9]], [["H100"]], [[DIV0]]),
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
        "AIGC_GPU", "AIGC_GPUS", "AIGC_PRICE", "AIGC_PRICES", "AIGC_FX", "AIGC_PLAN", "AIGC_CURVE",
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
    # xlwings Server answers XlwingsError with HTTP 400 and its message, anything else with 500.
    assert got["bad"]["error"] == "ExcelError" and "XlwingsError" in got["bad"]["bases"]
    # An error cell is not an empty cell (err_to_str=True on every argument).
    assert got["error_cell"]["message"].startswith("'price' is the error #DIV/0!")


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


# ---------------------------------------------------------------------------------------------
# The real server
# ---------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """xlwings Server 1.x in production mode on 127.0.0.1, with gpucost's functions, as the README sets it up."""
    project = tmp_path_factory.mktemp("xlwings-server-project")
    (project / "custom_functions").mkdir()
    (project / "custom_functions" / "__init__.py").write_text(README_LINE + "\n", encoding="utf-8")
    (project / "custom_scripts").mkdir()
    (project / "custom_scripts" / "__init__.py").write_text("", encoding="utf-8")
    port = _free_port()
    environ = {
        **os.environ,
        "XLWINGS_PROJECT_DIR": str(project),
        "XLWINGS_ENVIRONMENT": "prod",
        "XLWINGS_LICENSE_KEY": "noncommercial",  # PolyForm Noncommercial: testing an open-source project
        "XLWINGS_ENABLE_SOCKETIO": "false",
        "PYTHONPATH": str(REPO),
    }
    log = (project / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "xlwings_server.main:main_app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=project,
        env=environ,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/xlwings/custom-functions-meta", timeout=2).read()
                break
            except (urllib.error.URLError, ConnectionError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    raise RuntimeError((project / "server.log").read_text()[-3000:]) from None
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _post(base: str, func_name: str, *args: Any) -> tuple[int, str]:
    """POST the body the Office.js add-in sends; (status, body text)."""
    body = {
        "func_name": func_name,
        "args": list(args),
        "caller_address": "Sheet1!B2",
        "formula_name": func_name.upper(),
        "version": "0.0.0",
        "runtime": "1.4",
        "culture_info_name": "en-US",
        "date_format": "M/d/yyyy",
        "client": "Office.js",
    }
    request = urllib.request.Request(
        f"{base}/xlwings/custom-functions-call",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def _retry_codes() -> list[int]:
    """The statuses the xlwings Server add-in retries (its setting's default), read in a subprocess:
    importing xlwings_server.config sets XLWINGS_ON_SERVER for the whole process."""
    code = (
        "from xlwings_server.config import Settings; "
        "print(Settings.model_fields['custom_functions_retry_codes'].default)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    return [int(x) for x in out.stdout.strip().strip("[]").split(",")]


def test_real_server_registers_the_functions(server: str) -> None:
    meta = json.loads(urllib.request.urlopen(f"{server}/xlwings/custom-functions-meta", timeout=10).read())
    names = {f["name"] for f in meta["functions"]}
    assert {"AIGC_COST", "AIGC_ESTIMATE", "AIGC_COMPARE", "AIGC_FX"} <= names
    cost = next(f for f in meta["functions"] if f["name"] == "AIGC_COST")
    assert [p["name"] for p in cost["parameters"]][-1] == "currency_code"


def test_real_server_answers_good_input_with_values(server: str) -> None:
    from excel import functions as plain

    status, text = _post(server, "aigc_cost", [[1.17e8]], [["P4"]], [[0.3]])
    assert status == 200
    assert json.loads(text)["result"] == [[plain.aigc_cost(1.17e8, "P4", 0.3)]]
    status, text = _post(server, "aigc_cost", [[1.17e8], [7e9]], [["H100"]], [[2.0]])
    assert status == 200
    assert json.loads(text)["result"] == plain.aigc_cost([[1.17e8], [7e9]], "H100", 2.0)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (([["no-such-model-xyz"]], [["H100"]]), "unknown model 'no-such-model-xyz'"),
        (([[7e9]], [["H1000"]], [[2.0]]), "unknown GPU 'H1000'"),
        (
            ([[7e9]], [["H100"]], [[{"type": "Error", "basicValue": "#DIV/0!", "errorType": "Div0"}]]),
            "'price' is the error #DIV/0!",
        ),
        (([[7e10]], [["1xH100"]], [[2.5]]), "does not fit"),
        (([[7e9]], [["H100"]], None, [["per fortnight"]]), "unknown metric 'per fortnight'"),
    ],
)
def test_real_server_answers_bad_input_with_the_message_and_no_retry(
    server: str, args: tuple[Any, ...], needle: str
) -> None:
    status, text = _post(server, "aigc_cost", *args)
    assert status == 400, text
    assert status not in _retry_codes()
    assert needle in text and "\n" not in text.strip() and text != "An error occurred."


def test_real_server_returns_real_errors_for_bad_rows(server: str) -> None:
    status, text = _post(
        server,
        "aigc_cost",
        [[7e9], ["zzz"], [{"type": "Error", "basicValue": "#N/A", "errorType": "NotAvailable"}]],
        [["H100"]],
        [[2.0]],
    )
    assert status == 200, text
    rows = json.loads(text)["result"]
    assert isinstance(rows[0][0], float)
    assert rows[1][0] == {"type": "Error", "errorType": "Value"}
    assert rows[2][0] == {"type": "Error", "errorType": "Value"}
    status, text = _post(server, "aigc_compare", [["llama-3-70b"]], [["H100"], ["H1000"], ["L4"]])
    assert status == 200, text
    table = json.loads(text)["result"]
    assert [row[1] for row in table[1:]] == ["H100", "L4", "H1000"]
    assert table[3][0] == {"type": "Error", "errorType": "Value"}


# ---------------------------------------------------------------------------------------------
# AIGC_PLAN and AIGC_CURVE on the real server
# ---------------------------------------------------------------------------------------------


def test_real_server_registers_plan_and_curve_as_non_volatile(server: str) -> None:
    """A plan takes 0.1-3 s: Excel recalculates its cell only when an input changes (no "volatile")."""
    meta = json.loads(urllib.request.urlopen(f"{server}/xlwings/custom-functions-meta", timeout=10).read())
    functions = {f["name"]: f for f in meta["functions"]}
    plan, curve = functions["AIGC_PLAN"], functions["AIGC_CURVE"]
    assert [p["name"] for p in plan["parameters"]][:9] == [
        "model", "requests_per_day", "input_tokens", "output_tokens", "tpot_max", "ttft_max", "gpus", "top", "output",
    ]  # fmt: skip
    assert [p["name"] for p in curve["parameters"]][:3] == ["model", "gpu", "price"]
    assert plan["result"]["dimensionality"] == "matrix"
    for function in functions.values():
        assert not function.get("options", {}).get("volatile"), function["name"]


def test_real_server_spills_a_plan_and_a_curve(server: str) -> None:
    from excel import functions as plain

    gpus = [["H100"], ["H200"]]
    status, text = _post(server, "aigc_plan", [["llama-3-70b"]], [[1e6]], None, None, [[0.05]], None, gpus, [[5.0]])
    assert status == 200, text
    table = json.loads(text)["result"]
    assert table == plain.aigc_plan("llama-3-70b", 1e6, None, None, 0.05, None, gpus, 5.0)
    assert len(table) == 6 and table[0][-1] == "query" and isinstance(table[1][table[0].index("pareto")], bool)
    status, text = _post(
        server, "aigc_plan", [["llama-3-70b"]], [[1e6]], None, None, [[0.05]], None, gpus, None, [["cost_per_day"]]
    )
    assert status == 200, text
    assert json.loads(text)["result"] == [[table[1][table[0].index("cost_per_day")]]]
    status, text = _post(server, "aigc_curve", [["llama-3-70b"]], [["H100"]], None, [[1000.0]], [[300.0]])
    assert status == 200, text
    assert json.loads(text)["result"] == plain.aigc_curve("llama-3-70b", "H100", None, 1000.0, 300.0)


@pytest.mark.parametrize(
    ("func_name", "args", "needle"),
    [
        (
            "aigc_plan",
            ([["llama-3-70b"]], None, None, None, None, None, [["H100"], [{"type": "Error", "basicValue": "#N/A"}]]),
            "'gpus' cell 2 is the error #N/A",
        ),
        ("aigc_plan", ([["llama-3-70b"]], None, None, None, None, None, [["H100"]], [[0.0]]), "'top' must be a whole"),
        ("aigc_plan", ([["llama-3-70b"]], None, None, None, [[0.001]], None, [["H100"]]), "no configuration meets"),
        ("aigc_curve", ([["llama-3-70b"]], [["1xH100"]]), "does not fit"),
    ],
)
def test_real_server_answers_a_bad_plan_with_the_message_and_no_retry(
    server: str, func_name: str, args: tuple[Any, ...], needle: str
) -> None:
    status, text = _post(server, func_name, *args)
    assert status == 400, text
    assert status not in _retry_codes()
    assert needle in text and "\n" not in text.strip()
