"""``python -m bot``: serve the Slack app over HTTP (uvicorn), or ``--socket`` for Socket Mode.

Reads settings from the environment or ``.env``, applies the database migrations, builds the app
(bolt checks the bot token with ``auth.test``) and serves it. Anything that stops it from starting
(bad settings, a database it cannot reach, a token Slack refuses, no route to Slack) ends with one
line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import re
import signal
import sys
from collections.abc import Iterator
from threading import Event
from typing import TYPE_CHECKING

from pydantic import ValidationError

if TYPE_CHECKING:
    from slack_bolt import App
    from sqlalchemy.engine import Engine

    from bot.settings import BotSettings

log = logging.getLogger("bot")


class StartupError(Exception):
    """The app cannot start; the message is the one line the operator sees."""


def _settings_error(err: ValidationError) -> str:
    parts = []
    for e in err.errors():
        loc = ".".join(str(x) for x in e.get("loc", ()))
        parts.append(f"{loc.upper() + ': ' if loc else ''}{e.get('msg', '')}".replace("Value error, ", ""))
    return "; ".join(parts)


def _reason(err: BaseException) -> str:
    """The first line of what went wrong, bounded, with the driver's own message where there is one."""
    from slack_sdk.errors import SlackApiError

    if isinstance(err, SlackApiError) and err.response is not None:
        return str(err.response.get("error") or "error")
    inner = getattr(err, "orig", None) or getattr(err, "reason", None) or err
    text = str(inner).strip().splitlines()[0] if str(inner).strip() else type(inner).__name__
    return text[:300]


@contextlib.contextmanager
def _quiet(*names: str) -> Iterator[None]:
    """Silence libraries' own error lines while a start-up step runs: its failure is one line of ours."""
    loggers = [logging.getLogger(n) for n in names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def open_database(settings: BotSettings) -> Engine:
    """The migrated database, or :class:`StartupError` naming it (password hidden) and the reason."""
    from sqlalchemy.engine import make_url

    from bot.db import make_engine, migrate

    shown = make_url(settings.database_url).render_as_string(hide_password=True)
    try:
        db = make_engine(settings.database_url)
        migrate(db)
    except Exception as err:
        raise StartupError(f"cannot use the database {shown}: {_reason(err)}") from None
    log.info("database schema is current (%s)", db.url.get_backend_name())
    return db


def build(settings: BotSettings, db: Engine) -> App:
    """The bolt App; bolt's ``auth.test`` of ``SLACK_BOT_TOKEN`` failing is a :class:`StartupError`."""
    from slack_bolt.error import BoltError
    from slack_sdk.errors import SlackApiError

    from bot.app import build_app

    try:
        with _quiet("slack_sdk", "slack_bolt"):
            return build_app(settings, db)
    except BoltError as err:
        cause = err.__context__
        if isinstance(cause, SlackApiError):
            raise StartupError(f"Slack refused SLACK_BOT_TOKEN (auth.test: {_reason(cause)})") from None
        found = re.search(r"'error': '([a-z_]+)'", str(err))
        raise StartupError(f"Slack refused SLACK_BOT_TOKEN (auth.test: {found[1] if found else err})") from None
    except (OSError, ValueError) as err:  # URLError, refused, timeout, bad SLACK_API_URL
        raise StartupError(f"cannot reach Slack's Web API at {settings.slack_api_url}: {_reason(err)}") from None


def socket_mode(app: App, settings: BotSettings) -> int:
    """Open the Socket Mode connection (one line and :class:`StartupError` if Slack refuses the app
    token or cannot be reached), then serve until stopped."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_sdk.errors import SlackApiError

    assert settings.slack_app_token is not None
    handler = SocketModeHandler(app, settings.slack_app_token.get_secret_value())
    try:
        with _quiet("slack_sdk", "slack_bolt", "bot.bolt"):
            handler.connect()
    except SlackApiError as err:
        raise StartupError(f"Slack refused SLACK_APP_TOKEN (apps.connections.open: {_reason(err)})") from None
    except Exception as err:
        raise StartupError(f"cannot open the Socket Mode connection to Slack: {_reason(err)}") from None
    log.info("Socket Mode connection open")
    Event().wait()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m bot", description="gpucost's Slack app")
    parser.add_argument("--socket", action="store_true", help="use Socket Mode (needs SLACK_APP_TOKEN)")
    parser.add_argument("--host", help="override GPUCOST_HOST")
    parser.add_argument("--port", type=int, help="override GPUCOST_PORT")
    args = parser.parse_args(argv)

    from bot.settings import BotSettings

    try:
        settings = BotSettings()
    except ValidationError as err:
        print(f"gpucost bot: bad settings: {_settings_error(err)}", file=sys.stderr)
        return 2
    if args.socket and settings.slack_app_token is None:
        print(
            "gpucost bot: --socket needs SLACK_APP_TOKEN (an xapp- app-level token with connections:write)",
            file=sys.stderr,
        )
        return 2
    if not args.socket and settings.slack_signing_secret is None:
        print(
            "gpucost bot: set SLACK_SIGNING_SECRET (Basic Information > App Credentials) for HTTP mode",
            file=sys.stderr,
        )
        return 2

    from bot.logs import one_line, redact, setup_logging

    secrets = [
        s.get_secret_value()
        for s in (
            settings.slack_signing_secret,
            settings.slack_bot_token,
            settings.slack_app_token,
            settings.slack_client_secret,
        )
        if s
    ]
    setup_logging(settings.gpucost_log_level, secrets)

    try:
        db = open_database(settings)
        app = build(settings, db)
        if args.socket:
            return socket_mode(app, settings)
    except StartupError as err:
        print(f"gpucost bot: {one_line(redact(str(err), secrets))}", file=sys.stderr)
        return 2

    import uvicorn

    from bot.server import create_asgi_app

    host = args.host or settings.gpucost_host
    port = settings.gpucost_port if args.port is None else args.port
    asgi = create_asgi_app(
        app,
        db,
        settings.gpucost_max_body_bytes,
        signing_secret=settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else "",
        shutdown_grace_s=settings.gpucost_shutdown_grace_s,
    )
    # uvicorn handles SIGTERM and SIGINT while it serves (stops taking requests, finishes those in
    # flight, then the app's lifespan drains the work owed to Slack), then raises the signal again.
    # Ending here with SystemExit(0) instead of the default action lets the interpreter exit
    # normally (worker threads and the chart process joined), with no KeyboardInterrupt traceback.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _exit_after_shutdown)
    # No access log: OAuth redirects carry the one-time code in the query string.
    uvicorn.run(asgi, host=host, port=port, log_config=None, access_log=False, lifespan="on")
    return 0


def _exit_after_shutdown(signum: int, frame: object) -> None:
    log.info("stopped (%s)", signal.Signals(signum).name)
    raise SystemExit(0)


if __name__ == "__main__":
    sys.exit(main())
