"""``python -m bot``: serve the Slack app over HTTP (uvicorn), or ``--socket`` for Socket Mode.

Reads settings from the environment or ``.env``, applies the database migrations, builds the app
and serves it. Bad settings end with one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys

from pydantic import ValidationError

log = logging.getLogger("bot")


def _settings_error(err: ValidationError) -> str:
    parts = []
    for e in err.errors():
        loc = ".".join(str(x) for x in e.get("loc", ()))
        parts.append(f"{loc.upper() + ': ' if loc else ''}{e.get('msg', '')}".replace("Value error, ", ""))
    return "; ".join(parts)


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

    from bot.logs import setup_logging

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

    from bot.app import build_app
    from bot.db import make_engine, migrate

    db = make_engine(settings.database_url)
    migrate(db)
    log.info("database schema is current (%s)", db.url.get_backend_name())
    app = build_app(settings, db)

    if args.socket:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        assert settings.slack_app_token is not None
        SocketModeHandler(app, settings.slack_app_token.get_secret_value()).start()
        return 0

    import uvicorn

    from bot.server import create_asgi_app

    host = args.host or settings.gpucost_host
    port = settings.gpucost_port if args.port is None else args.port
    asgi = create_asgi_app(
        app,
        db,
        settings.gpucost_max_body_bytes,
        signing_secret=settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else "",
    )
    # No access log: OAuth redirects carry the one-time code in the query string.
    uvicorn.run(asgi, host=host, port=port, log_config=None, access_log=False, lifespan="on")
    return 0


if __name__ == "__main__":
    sys.exit(main())
