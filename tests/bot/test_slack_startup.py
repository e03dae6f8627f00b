"""Start-up failures of ``python -m bot`` are one line on stderr and exit code 2, never a traceback
(issue 16 item 9): a bad ``DATABASE_URL``, PostgreSQL unreachable, a bot token Slack refuses, no route
to Slack's Web API, an app token Slack refuses."""

from __future__ import annotations

import pytest
from bot_process import bot_env, free_port, run_bot


def _one_line_exit_2(r, *needles: str) -> None:
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr + r.stdout
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("gpucost bot: "), r.stderr
    for needle in needles:
        assert needle in r.stderr, r.stderr


def _env(mock, tmp_path, **extra):
    mock.tokens["xoxb-main-token-1234"] = "T1"
    return bot_env(mock.api_url, tmp_path, GPUCOST_LOG_LEVEL="WARNING", **extra)


def test_database_url_of_no_supported_kind(mock, tmp_path):
    r = run_bot(_env(mock, tmp_path, DATABASE_URL="notadb://x"), tmp_path)
    _one_line_exit_2(r, "DATABASE_URL", "notadb:", "postgresql://")


def test_postgresql_unreachable(mock, tmp_path):
    url = f"postgresql://gpucost:pw-7c1d@127.0.0.1:{free_port()}/gpucost"
    r = run_bot(_env(mock, tmp_path, DATABASE_URL=url), tmp_path)
    _one_line_exit_2(r, "cannot use the database postgresql+psycopg://gpucost:***@127.0.0.1:")
    assert "pw-7c1d" not in r.stderr


def test_sqlite_file_that_cannot_be_created(mock, tmp_path):
    r = run_bot(_env(mock, tmp_path, DATABASE_URL=f"sqlite:///{tmp_path}/no/such/dir/x.sqlite3"), tmp_path)
    _one_line_exit_2(r, "cannot use the database sqlite:///", "No such file or directory")


def test_bot_token_slack_refuses(mock, tmp_path):
    r = run_bot(_env(mock, tmp_path, SLACK_BOT_TOKEN="xoxb-revoked-999"), tmp_path)
    _one_line_exit_2(r, "Slack refused SLACK_BOT_TOKEN (auth.test: invalid_auth)")
    assert "xoxb-revoked-999" not in r.stderr


@pytest.mark.parametrize("socket", [False, True])
def test_no_route_to_slack(mock, tmp_path, socket):
    dead = f"http://127.0.0.1:{free_port()}/api/"
    extra = {"SLACK_APP_TOKEN": "xapp-1"} if socket else {}
    r = run_bot(_env(mock, tmp_path, SLACK_API_URL=dead, **extra), tmp_path, *(["--socket"] if socket else []))
    _one_line_exit_2(r, f"cannot reach Slack's Web API at {dead}", "Connection refused")


def test_app_token_slack_refuses(mock, tmp_path):
    r = run_bot(_env(mock, tmp_path, SLACK_APP_TOKEN="xapp-revoked-1"), tmp_path, "--socket")
    _one_line_exit_2(r, "Slack refused SLACK_APP_TOKEN (apps.connections.open: invalid_auth)")
    assert "xapp-revoked-1" not in r.stderr
