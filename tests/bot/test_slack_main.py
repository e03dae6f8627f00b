"""``python -m bot`` as a user runs it: settings from the environment, migrations applied on start,
HTTP mode on GPUCOST_HOST:GPUCOST_PORT, Socket Mode with ``--socket``; no secrets in the logs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import sqlalchemy as sa
from slack_driver import SlackDriver

SECRET = "main-signing-secret-9f8e7d"
TOKEN = "xoxb-main-token-1234"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(mock, tmp_path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "GPUCOST_", "DATABASE_URL"))}
    env.update(
        {
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_API_URL": mock.api_url,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'main.sqlite3'}",
            "GPUCOST_LOG_LEVEL": "DEBUG",
            **extra,
        }
    )
    return env


def test_http_mode_end_to_end_and_logs_hold_no_secrets(mock, tmp_path):
    mock.tokens[TOKEN] = "T1"
    port = _free_port()
    env = _env(mock, tmp_path, GPUCOST_HOST="127.0.0.1", GPUCOST_PORT=str(port))
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        with httpx.Client(timeout=10) as http:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if http.get(url + "/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                assert time.monotonic() < deadline, "server did not come up"
                time.sleep(0.1)
            slack = SlackDriver(url, SECRET, mock, http)
            body = slack.command("help").json()
            assert body["response_type"] == "ephemeral"
            assert slack.command("help", secret="wrong").status_code == 401
            assert slack.command("price set H100 1.85usd").status_code == 200
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    from alembic.script import ScriptDirectory

    from bot.db import alembic_config

    db = sa.create_engine(f"sqlite:///{tmp_path / 'main.sqlite3'}")
    head = ScriptDirectory.from_config(alembic_config(db)).get_current_head()
    with db.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one() == head
    db.dispose()
    assert "database schema is current" in out
    assert "will be unused" not in out and "will be ignored" not in out  # bolt's token warnings (issue 16 item 12)
    assert SECRET not in out and TOKEN not in out and "xoxb-" not in out.replace("xox?-***", "")


def test_bad_settings_exit_2_with_one_line(mock, tmp_path):
    env = _env(mock, tmp_path)
    del env["SLACK_BOT_TOKEN"]
    r = subprocess.run([sys.executable, "-m", "bot"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "SLACK_BOT_TOKEN" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run(
        [sys.executable, "-m", "bot", "--socket"],
        cwd=tmp_path,
        env=_env(mock, tmp_path),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert r.returncode == 2 and "SLACK_APP_TOKEN" in r.stderr


def test_socket_mode_opens_a_connection_with_the_app_token(mock, tmp_path):
    mock.tokens[TOKEN] = "T1"
    mock.tokens["xapp-test-1"] = "T1"
    env = _env(mock, tmp_path, SLACK_APP_TOKEN="xapp-test-1")
    del env["SLACK_SIGNING_SECRET"]  # not needed in Socket Mode
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "--socket"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        call = mock.wait_for(lambda: mock.api_calls("apps.connections.open"), timeout=30)[0]
        assert call.token == "xapp-test-1"
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert "xapp-test-1" not in out and TOKEN not in out
