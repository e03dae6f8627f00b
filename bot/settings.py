"""Settings of the Slack app, read with pydantic-settings from the environment or ``.env``.

Secrets are :class:`pydantic.SecretStr` so they never show up in ``repr()``, logs or error
messages. Every setting is listed with a comment in ``.env.example``.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from engine.config import EngineConfig

SLACK_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///gpucost-slack.sqlite3"


def normalize_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs: bare ``postgresql://`` would pick psycopg2 (not a dependency)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def default_plan_workers() -> int:
    """Half the machine's cores, at least one: plans are CPU-bound, and the other half is left to the
    server (the acks) and the chart worker."""
    return max(1, (os.cpu_count() or 2) // 2)


class BotSettings(BaseSettings):
    """Everything the Slack app can be configured with (env var = field name in upper case)."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True)

    slack_signing_secret: SecretStr | None = Field(
        default=None, description="Basic Information > App Credentials > Signing Secret (HTTP mode)"
    )
    slack_bot_token: SecretStr | None = Field(default=None, description="xoxb- token (single workspace)")
    slack_app_token: SecretStr | None = Field(default=None, description="xapp- token (Socket Mode)")
    slack_client_id: str | None = Field(default=None, description="OAuth client id (multi-workspace)")
    slack_client_secret: SecretStr | None = Field(default=None, description="OAuth client secret")
    slack_scopes: str = Field(default="commands,chat:write,files:write,im:write,users:read")
    slack_redirect_uri: str | None = Field(default=None, description="OAuth redirect URL, if not the default")
    slack_api_url: str = Field(default=SLACK_API_URL, description="base URL of Slack's Web API")
    slack_authorize_url: str = Field(
        default="https://slack.com/oauth/v2/authorize", description="where /slack/install sends the user"
    )

    database_url: str = Field(default=DEFAULT_DATABASE_URL)

    gpucost_host: str = "127.0.0.1"
    gpucost_port: int = Field(default=3000, ge=0, le=65535)
    gpucost_rate_limit_per_minute: int = Field(default=30, ge=1, description="commands per user per minute")
    gpucost_max_query_chars: int = Field(default=500, ge=10, description="longest query accepted [characters]")
    gpucost_max_body_bytes: int = Field(default=65536, ge=1024, description="largest request body [bytes]")
    gpucost_log_level: str = "INFO"
    slack_api_timeout_s: float = Field(
        default=5.0, gt=0, le=60, description="longest wait for one Slack Web API call, after the ack [s]"
    )
    gpucost_lazy_workers: int = Field(
        default=16, ge=1, le=256, description="threads finishing work after the ack (button replies, charts)"
    )
    gpucost_plan_workers: int = Field(
        default_factory=lambda: default_plan_workers(),
        ge=1,
        le=64,
        description="processes computing /gpucost plan (default: half the cores, at least 1)",
    )
    gpucost_shutdown_grace_s: float = Field(
        default=20.0, ge=0, le=600, description="on SIGTERM, how long acknowledged work may take to finish [s]"
    )

    # Engine settings for the whole deployment (the same variables as the command line's).
    gpucost_currency: str = Field(default="USD", description="currency of workspaces that set none")
    gpucost_cny_per_usd: float | None = Field(default=None, gt=0, description="FX override [CNY per USD]")
    gpucost_price_file: Path | None = Field(default=None, description="deployment-wide price list (CSV)")
    gpucost_calibration_dir: Path | None = Field(default=None, description="calibration profiles folder")

    def engine_config(self) -> EngineConfig:
        """The engine configuration every workspace starts from. ``allow_files=False``: a Slack
        message must never name files on the server (config.json paths, import, calibrate)."""
        return EngineConfig(
            currency=self.gpucost_currency.upper(),
            cny_per_usd=self.gpucost_cny_per_usd,
            price_file=self.gpucost_price_file,
            calibration_dir=self.gpucost_calibration_dir,
            allow_files=False,
        )

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, v: str) -> str:
        # slack_sdk joins base_url + method name, so the base must end with "/".
        return v if v.endswith("/") else v + "/"

    @field_validator("database_url")
    @classmethod
    def _driver(cls, v: str) -> str:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        v = normalize_database_url(v)
        try:
            backend = make_url(v).get_backend_name()
        except ArgumentError:
            backend = None
        if backend not in ("sqlite", "postgresql"):
            scheme = v.split(":", 1)[0][:40]
            raise ValueError(
                f"'{scheme}:' is not a database the app supports; use sqlite:///FILE "
                "or postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
            )
        return v

    @model_validator(mode="after")
    def _one_auth_mode(self) -> BotSettings:
        if self.oauth_enabled and self.slack_client_secret is None:
            raise ValueError("SLACK_CLIENT_ID is set but SLACK_CLIENT_SECRET is not; set both for OAuth")
        if not self.oauth_enabled and self.slack_bot_token is None:
            raise ValueError("set SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (OAuth)")
        return self

    @property
    def oauth_enabled(self) -> bool:
        """Multi-workspace OAuth mode (install pages + installation store) instead of one bot token."""
        return bool(self.slack_client_id)

    @property
    def scopes(self) -> list[str]:
        """Bot scopes as a list."""
        return [s.strip() for s in self.slack_scopes.split(",") if s.strip()]
