"""SIGTERM with acknowledged work in the lazy-listener pool (issue 16 item 8): ``python -m bot``
finishes it within GPUCOST_SHUTDOWN_GRACE_S; what it cannot finish is logged, one line each, and
its user told to try again. No acknowledged click goes unanswered without a word."""

from __future__ import annotations

import re
from collections import Counter

import httpx
from bot_process import BotProcess, bot_env
from slack_driver import SlackDriver

QUERY = "70B 8xH100 in=500 out=300"


def _click_and_stop(mock, tmp_path, clicks: int, **settings: str):
    """Start the app with one lazy worker and slow response_url posts, click ``clicks`` times
    (each acknowledged), SIGTERM at once; returns (names answered, output)."""
    mock.tokens["xoxb-main-token-1234"] = "T1"
    env = bot_env(mock.api_url, tmp_path, GPUCOST_LAZY_WORKERS="1", GPUCOST_LOG_LEVEL="INFO", **settings)
    bot = BotProcess(env, tmp_path).wait_ready()
    try:
        with httpx.Client(timeout=10) as http:
            slack = SlackDriver(bot.url, env["SLACK_SIGNING_SECRET"], mock, http)
            mock.response_delay = 0.3  # each reply takes a while to reach Slack
            for i in range(clicks):
                r = slack.click("gpucost_explain", QUERY, user=f"U{i}", name=f"c{i}")
                assert r.status_code == 200  # acknowledged
    finally:
        code = bot.stop(timeout=90)
    assert code == 0, bot.output  # a graceful stop (uvicorn re-raises the SIGTERM; the app exits 0)
    assert "Traceback" not in bot.output and "leaked" not in bot.output
    answered = Counter(c.method for c in mock.responses())
    return answered, bot.output


def test_sigterm_finishes_the_acknowledged_clicks(mock, tmp_path):
    answered, out = _click_and_stop(mock, tmp_path, 12, GPUCOST_SHUTDOWN_GRACE_S="30")
    assert set(answered) == {f"c{i}" for i in range(12)}
    assert all("How gpucost got there" in mock.responses(f"c{i}")[0].json["text"] for i in range(12))
    assert "shutting down: finishing" in out and "could not finish" not in out


def test_sigterm_past_the_grace_period_logs_and_tells_each_user(mock, tmp_path):
    answered, out = _click_and_stop(mock, tmp_path, 12, GPUCOST_SHUTDOWN_GRACE_S="1")
    assert set(answered) == {f"c{i}" for i in range(12)}  # every click got a reply ...
    apologies = [
        c.method for c in mock.responses() if c.json.get("text", "").startswith("gpucost restarted before it could")
    ]
    assert apologies  # ... some of them "please try again"
    lines = re.findall(r"shutdown: could not finish Explain click for user (U\d+) in team T1 .*", out)
    assert sorted(f"c{u[1:]}" for u in lines) == sorted(apologies)
    assert "the user was asked to try again" in out


def _children(pid: int) -> set[int]:
    """The processes whose parent is ``pid`` (from /proc: no ps needed)."""
    from pathlib import Path

    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    """Running (a zombie, exited but not yet reaped, counts as gone)."""
    from pathlib import Path

    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_the_chart_worker_does_not_outlive_the_server(mock, tmp_path):
    """The chart worker process (spawned at start-up) exits when the server is killed outright."""
    import signal
    import time

    mock.tokens["xoxb-main-token-1234"] = "T1"
    bot = BotProcess(bot_env(mock.api_url, tmp_path, GPUCOST_LOG_LEVEL="INFO"), tmp_path).wait_ready()
    deadline = time.monotonic() + 30
    while not (workers := _children(bot.proc.pid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert workers, "no chart worker process"
    bot.proc.send_signal(signal.SIGKILL)
    bot.stop()
    deadline = time.monotonic() + 15
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(w) for w in workers)


def test_sigterm_finishes_an_acknowledged_plan(mock, tmp_path):
    """A plan acknowledged ("Planning…") just before SIGTERM is still computed and posted, with its chart."""
    mock.tokens["xoxb-main-token-1234"] = "T1"
    env = bot_env(mock.api_url, tmp_path, GPUCOST_LOG_LEVEL="INFO", GPUCOST_SHUTDOWN_GRACE_S="30")
    bot = BotProcess(env, tmp_path).wait_ready()
    query = "plan deepseek-v3 requests=1M tpot_max=100ms"  # about a second of search over every GPU kind
    try:
        with httpx.Client(timeout=10) as http:
            ack = SlackDriver(bot.url, env["SLACK_SIGNING_SECRET"], mock, http).command(query, name="plan").json()
        assert ack["text"].startswith(":hourglass_flowing_sand: Planning")
    finally:
        code = bot.stop(timeout=90)
    assert code == 0, bot.output
    assert "Traceback" not in bot.output and "could not finish" not in bot.output
    assert "shutting down: finishing 1 acknowledged request(s)" in bot.output  # the plan was still running
    [answer] = [c.json for c in mock.responses("plan")]
    assert answer["text"].startswith("Plan: DeepSeek-V3") and "configurations evaluated" in str(answer["blocks"])
    assert mock.uploads() and mock.uploads()[0].body.startswith(b"\x89PNG")  # the chart too
