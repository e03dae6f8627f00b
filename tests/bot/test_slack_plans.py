"""The plan runner (bot/plans.py): plans computed in worker processes, equal to the engine's own
answer, bad input passed through as the engine's one line, a dead worker replaced."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

import engine
from bot.plans import PlannerBusy, PlannerFailed, PlanRunner
from engine.config import EngineConfig
from engine.errors import GpucostError

CONFIG = EngineConfig(allow_files=False)
PLAN = "plan llama-3-70b requests=1M tpot_max=50ms gpus=H100,H200"


@pytest.fixture
def runner():
    r = PlanRunner(1)
    yield r
    r.workers.shutdown(wait=True)


def _without_timing(result):
    """A plan's JSON without the search time (the one thing two runs do not share)."""
    data = result.to_json_dict()
    data["inputs"].pop("elapsed_s")
    data["assumptions"] = [a for a in data["assumptions"] if a["name"] != "search"]
    return data


def test_a_plan_from_the_worker_is_the_engines_answer(runner):
    assert runner.workers.submit(os.getpid).result(timeout=60) != os.getpid()  # another process
    got = runner.run(PLAN, CONFIG)
    assert _without_timing(got) == _without_timing(engine.run(PLAN, config=CONFIG))
    assert runner.in_flight == 0


def test_bad_input_comes_back_as_the_engines_one_line(runner):
    with pytest.raises(GpucostError) as local:
        engine.run("plan nosuchmodel requests=1M", config=CONFIG)
    with pytest.raises(GpucostError) as remote:
        runner.run("plan nosuchmodel requests=1M", CONFIG)
    assert str(remote.value) == str(local.value)


def test_a_dead_worker_fails_its_plans_and_the_next_gets_a_new_worker(runner):
    worker = runner.workers.submit(os.getpid).result(timeout=60)
    busy = runner.workers.submit(time.sleep, 60)  # holds the only worker, so the plan below waits in line
    failed: list[BaseException] = []
    waiting = threading.Thread(target=lambda: _catch(failed, runner.run, PLAN, CONFIG))
    waiting.start()
    deadline = time.monotonic() + 30
    while runner.in_flight == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(worker, signal.SIGKILL)  # as an OOM kill would end it
    waiting.join(timeout=60)
    assert [type(e) for e in failed] == [PlannerFailed] and "worker process died" in str(failed[0])
    assert busy.exception(timeout=10) is not None
    assert runner.run(PLAN, CONFIG).kind == "plan"  # a new worker
    assert runner.workers.submit(os.getpid).result(timeout=60) != worker
    assert runner.in_flight == 0


def _catch(into: list[BaseException], func, *args) -> None:
    try:
        func(*args)
    except BaseException as err:
        into.append(err)


def test_a_full_queue_is_refused_and_a_stopped_runner_says_so(runner, monkeypatch):
    monkeypatch.setattr(runner, "limit", 0)
    with pytest.raises(PlannerBusy, match="computing 0 plans already"):
        runner.run(PLAN, CONFIG)
    monkeypatch.setattr(runner, "limit", 9)
    runner.shutdown()
    with pytest.raises(PlannerFailed, match="shutting down"):
        runner.run(PLAN, CONFIG)
    assert runner.in_flight == 0
