"""``python -m tests.bot.slack_mock`` lets an operator try the app without Slack: one mock serves
the Web API the app calls and prints each call; another run sends signed /gpucost commands to the
app and prints the answers and the follow-ups posted to its response_url."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from bot_process import BotProcess, bot_env, free_port

ROOT = Path(__file__).resolve().parents[2]


def test_an_operator_tries_the_app_with_the_standalone_mock(tmp_path):
    port = free_port()
    serving = subprocess.Popen(
        [sys.executable, "-m", "tests.bot.slack_mock", "--port", str(port), "--admin", "UMOCK"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(serving.stdout), daemon=True).start()  # type: ignore[arg-type]
    try:
        deadline = time.monotonic() + 20
        while not any("SLACK_API_URL=" in line for line in lines):
            assert serving.poll() is None and time.monotonic() < deadline, "".join(lines)
            time.sleep(0.05)
        api_url = next(line for line in lines if "SLACK_API_URL=" in line).split("SLACK_API_URL=")[1].split()[0]
        assert api_url == f"http://127.0.0.1:{port}/api/"
        env = bot_env(api_url, tmp_path, SLACK_BOT_TOKEN="xoxb-mock", GPUCOST_LOG_LEVEL="WARNING")
        with BotProcess(env, tmp_path) as bot:
            bot.wait_ready()
            mock_args = ["--port", str(free_port()), "--app", bot.url, "--secret", env["SLACK_SIGNING_SECRET"]]
            texts = ["70B 8xH100 in=500 out=300", "price set H100 1.85usd"]
            r = subprocess.run(
                [sys.executable, "-m", "tests.bot.slack_mock", *mock_args, "--wait", "3", *texts],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=60,
            )
    finally:
        serving.terminate()
        serving.wait(timeout=10)
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    assert "-> /gpucost 70B 8xH100 in=500 out=300" in out and "<- answer: dense 70B" in out
    assert "<- answer: :hourglass_flowing_sand: Checking with Slack" in out
    assert "<- response_url (ephemeral): Set this workspace's" in out
    served = "".join(lines)
    assert "<- auth.test" in served and '<- users.info {"user": "UMOCK"' in served
