"""Builds the bolt :class:`~slack_bolt.App` and registers the listeners (bolt starter template layout).

One token (``SLACK_BOT_TOKEN``) for a single workspace, or OAuth (``SLACK_CLIENT_ID`` and
``SLACK_CLIENT_SECRET``) for many: slack_sdk's SQLAlchemy installation store, and OAuth states
signed by the app (:mod:`bot.oauth_state`) so that ``/slack/install`` writes nothing.
The Web API client points at ``SLACK_API_URL`` so tests can use a local mock of Slack.
"""

from __future__ import annotations

import logging
import weakref
from typing import Any

from slack_bolt import App, BoltContext
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped, warning_token_skipped
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlalchemy import exc
from sqlalchemy.engine import Engine

from bot.listeners import register_listeners
from bot.oauth_state import SignedOAuthStateStore
from bot.service import Gpucost
from bot.settings import BotSettings
from bot.store import Store, StoreUnavailable

#: OAuth ``state`` lifetime [s] (Slack's own default is 10 minutes).
STATE_EXPIRATION_S = 600

_SERVICES: weakref.WeakKeyDictionary[App, Gpucost] = weakref.WeakKeyDictionary()


def service_of(app: App) -> Gpucost:
    """The :class:`~bot.service.Gpucost` service an app built by :func:`build_app` uses."""
    return _SERVICES[app]


class _ExpectedBoltWarnings(logging.Filter):
    """Drops bolt's start-up warnings about a token it will not use: bolt reads ``SLACK_BOT_TOKEN``
    from the environment itself, and this app always hands it a ``client`` (which carries the token
    in single-workspace mode, and none in OAuth mode), so they are noise on every start."""

    _EXPECTED = frozenset({warning_client_prioritized_and_token_skipped(), warning_token_skipped()})

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() not in self._EXPECTED


class DatabaseTolerantAuthorize(InstallationStoreAuthorize):
    """bolt's installation-store authorization, except that a database it cannot read does not make
    the request a bare 500: the request goes on without a bot token (the ack, estimates included,
    needs none; Web API calls then fail and the listeners say so). An installation that is not
    there is still "not installed"."""

    def __init__(self, *, store: Store, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._store = store

    def __call__(self, *, context: BoltContext, **kwargs: Any) -> AuthorizeResult | None:
        ids = {k: kwargs.get(k) for k in ("enterprise_id", "team_id", "user_id")}
        try:
            if not self._store.available():
                raise StoreUnavailable("the database failed moments ago")
            return super().__call__(context=context, **kwargs)
        except (exc.SQLAlchemyError, StoreUnavailable) as err:
            if not isinstance(err, StoreUnavailable):
                self._store._failed(err)
            return AuthorizeResult(**ids)


def install_url(settings: BotSettings) -> str | None:
    """The public ``/slack/install`` page, derived from ``SLACK_REDIRECT_URI`` (None when not set)."""
    redirect = settings.slack_redirect_uri
    if not redirect or "/slack/oauth_redirect" not in redirect:
        return None
    return redirect.split("/slack/oauth_redirect", 1)[0] + "/slack/install"


def not_installed_message(settings: BotSettings) -> str:
    """What a user of a workspace that has not installed the app is told (OAuth mode)."""
    url = install_url(settings)
    where = f"at <{url}|{url.split('://', 1)[-1]}>" if url else "from this app's /slack/install page"
    return (
        f":wave: gpucost is not installed in this workspace yet. A workspace admin can add it {where}; "
        "then `/gpucost help` shows what it does."
    )


def build_app(settings: BotSettings, db: Engine) -> App:
    """The bolt App for ``settings``, storing everything in ``db`` (already migrated)."""
    service = Gpucost(Store.for_engine(db), settings)
    bolt_logger = logging.getLogger("bot.bolt")
    if not any(isinstance(f, _ExpectedBoltWarnings) for f in bolt_logger.filters):
        bolt_logger.addFilter(_ExpectedBoltWarnings())
    common = dict(
        # Socket Mode requests are not signed; HTTP mode refuses to start without a secret (__main__).
        signing_secret=settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else "",
        # Listeners answer in the ack (fast) and leave slow work to lazy listeners, so the HTTP
        # response can wait for the listener: this is what lets lazy listeners see what ack decided.
        process_before_response=True,
        logger=bolt_logger,
        # Lazy listeners run here: a pool sized for I/O, whose jobs are drained on shutdown (bot.jobs).
        listener_executor=service.jobs.executor,
    )
    # Web API calls happen after the ack; a short timeout fails a slow Slack in seconds (bot.webapi).
    timeout = settings.slack_api_timeout_s
    if settings.oauth_enabled:
        assert settings.slack_client_id and settings.slack_client_secret
        installation_store = SQLAlchemyInstallationStore(client_id=settings.slack_client_id, engine=db)
        authorize = DatabaseTolerantAuthorize(
            store=service.store,
            logger=bolt_logger,
            installation_store=installation_store,
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret.get_secret_value(),
        )
        state_store = SignedOAuthStateStore(
            settings.slack_client_secret.get_secret_value(), STATE_EXPIRATION_S, service.store.remember_request
        )
        app = App(
            client=WebClient(base_url=settings.slack_api_url, timeout=timeout),  # type: ignore[arg-type]
            authorize=authorize,
            oauth_settings=OAuthSettings(
                client_id=settings.slack_client_id,
                client_secret=settings.slack_client_secret.get_secret_value(),
                scopes=settings.scopes,
                redirect_uri=settings.slack_redirect_uri,
                install_path="/slack/install",
                redirect_uri_path="/slack/oauth_redirect",
                authorization_url=settings.slack_authorize_url,
                installation_store=installation_store,
                state_store=state_store,
                state_expiration_seconds=STATE_EXPIRATION_S,
            ),
            # A command from a workspace without an installation: say how to install (bolt sends it
            # through the response_url), instead of an empty 200.
            user_facing_authorize_error_message=not_installed_message(settings),
            **common,
        )
    else:
        assert settings.slack_bot_token is not None
        app = App(
            client=WebClient(
                token=settings.slack_bot_token.get_secret_value(),
                base_url=settings.slack_api_url,
                timeout=timeout,  # type: ignore[arg-type]
            ),
            **common,
        )

    @app.middleware
    def provide_service(context: BoltContext, next) -> None:
        """Make the service available to every listener as ``context["gpucost"]``."""
        context["gpucost"] = service
        next()

    register_listeners(app)
    _SERVICES[app] = service
    return app
