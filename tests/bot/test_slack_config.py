"""Settings, ``.env.example`` and ``bot/manifest.yml`` agree with each other and with the app."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from bot.settings import BotSettings

ROOT = Path(__file__).resolve().parents[2]


def test_env_example_lists_every_setting():
    text = (ROOT / ".env.example").read_text()
    assert text.startswith("# Slack app")
    for name in BotSettings.model_fields:
        assert f"\n{name.upper()}=" in text, name


def test_env_example_loads_as_is(tmp_path, monkeypatch):
    env = tmp_path / ".env"
    env.write_text((ROOT / ".env.example").read_text().replace("SLACK_BOT_TOKEN=\n", "SLACK_BOT_TOKEN=xoxb-x\n"))
    for name in BotSettings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    s = BotSettings(_env_file=env)
    assert s.slack_redirect_uri is None and not s.oauth_enabled  # empty values mean "not set"
    assert (s.gpucost_host, s.gpucost_port, s.gpucost_rate_limit_per_minute) == ("127.0.0.1", 3000, 30)
    assert s.database_url.startswith("sqlite:///")


def test_settings_validation_and_secrets_hidden():
    with pytest.raises(ValidationError, match="SLACK_BOT_TOKEN"):
        BotSettings(_env_file=None, slack_signing_secret="s")
    with pytest.raises(ValidationError, match="SLACK_CLIENT_SECRET"):
        BotSettings(_env_file=None, slack_signing_secret="s", slack_client_id="1.2")
    s = BotSettings(
        _env_file=None,
        slack_signing_secret="sekrit",
        slack_bot_token="xoxb-sekrit",
        database_url="postgres://u:p@h/db",
        slack_api_url="http://127.0.0.1:1/api",
    )
    assert "sekrit" not in repr(s) and "sekrit" not in str(s.model_dump())
    assert s.database_url == "postgresql+psycopg://u:p@h/db"
    assert s.slack_api_url.endswith("/api/")


def test_manifest_matches_the_app():
    m = yaml.safe_load((ROOT / "bot" / "manifest.yml").read_text())
    [cmd] = m["features"]["slash_commands"]
    assert cmd["command"] == "/gpucost" and cmd["url"].endswith("/slack/events")
    assert m["settings"]["interactivity"]["request_url"].endswith("/slack/events")
    assert m["settings"]["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    assert m["features"]["app_home"]["home_tab_enabled"] is True
    assert m["oauth_config"]["redirect_urls"][0].endswith("/slack/oauth_redirect")
    default_scopes = BotSettings.model_fields["slack_scopes"].default.split(",")
    assert sorted(m["oauth_config"]["scopes"]["bot"]) == sorted(default_scopes)
