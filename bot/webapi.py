"""Calls to Slack's Web API after the ack: what went wrong, in words a user can act on.

The app's ``WebClient`` has a short timeout (``SLACK_API_TIMEOUT_S``), so a slow or unreachable
Slack fails a call within seconds instead of holding a worker; :func:`failure` turns whatever the
call raised (slack_sdk's ``SlackApiError``, urllib's ``URLError``, a socket timeout, an HTTP error
page) into a few words for the reply and the log.
"""

from __future__ import annotations

import socket
from http.client import HTTPException
from urllib.error import URLError

from slack_sdk.errors import SlackApiError, SlackClientError

#: What a failed Web API call may raise (urllib under slack_sdk's WebClient).
API_ERRORS: tuple[type[BaseException], ...] = (SlackClientError, OSError, HTTPException, ValueError)

#: ``users.info`` answers that settle the question "is this user an admin?" (no).
USER_UNKNOWN = frozenset({"user_not_found", "user_not_visible"})


def error_code(err: BaseException) -> str | None:
    """Slack's own error code (``missing_scope``, ``ratelimited``...) when the API answered one (an
    HTTP 200 with ``"ok": false``; slack_sdk also reports an error page that way, not with a code)."""
    if isinstance(err, SlackApiError) and err.response is not None and err.response.status_code == 200:
        code = err.response.get("error")
        return str(code) if code else None
    return None


def failure(err: BaseException) -> str:
    """A few words naming a Web API failure (never a token or a URL with one)."""
    code = error_code(err)
    if code:
        return code
    if isinstance(err, SlackApiError) and err.response is not None:
        return f"Slack answered HTTP {err.response.status_code}"
    reason = getattr(err, "reason", None) if isinstance(err, URLError) else err
    if isinstance(reason, (socket.timeout, TimeoutError)):
        return "Slack did not answer in time"
    if isinstance(reason, OSError) or isinstance(err, HTTPException):
        return "Slack could not be reached"
    return type(err).__name__
