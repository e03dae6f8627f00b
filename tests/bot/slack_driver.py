"""Drives the running app the way Slack does: signed form bodies for slash commands and
interactivity, signed JSON for events, and the OAuth browser round trip."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

#: Signing secret the test server is configured with (shared by conftest and the tests).
SECRET = "test-signing-secret"

# Slack gives every request its own trigger_id / event_id, so two requests are never byte-identical.
_serial = itertools.count(1)


def sign(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    """Slack's v0 request signature headers for ``body``."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def command_body(text: str, *, team: str, user: str, channel: str, response_url: str, command: str = "/gpucost") -> str:
    """A slash command form body with the fields (and order) Slack sends."""
    return urlencode(
        {
            "token": "legacy-verification-token",
            "team_id": team,
            "team_domain": team.lower(),
            "channel_id": channel,
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A1",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": f"1.2.{next(_serial)}",
        }
    )


def action_payload(
    action_id: str, value: str, *, team: str, user: str, channel: str, response_url: str
) -> dict[str, Any]:
    """A ``block_actions`` payload for a button click on an ephemeral slash command answer."""
    return {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team},
        "api_app_id": "A1",
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": "1700000000.000100",
            "channel_id": channel,
            "is_ephemeral": True,
        },
        "trigger_id": f"1.2.{next(_serial)}",
        "team": {"id": team, "domain": team.lower()},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": "general"},
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": "gpucost_actions",
                "value": value,
                "type": "button",
                "text": {"type": "plain_text", "text": action_id},
                "action_ts": "1700000001.000200",
            }
        ],
    }


@dataclass
class SlackDriver:
    """Posts to a running app at ``url`` as Slack would, signing with ``secret``."""

    url: str
    secret: str
    mock: Any
    http: httpx.Client

    def post_form(
        self,
        body: str,
        *,
        secret: str | None = None,
        timestamp: int | None = None,
        path: str = "/slack/events",
    ) -> httpx.Response:
        """POST a form body, signed (with ``secret`` if given, e.g. a wrong one)."""
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            **sign(secret or self.secret, body, timestamp),
        }
        return self.http.post(self.url + path, content=body.encode(), headers=headers)

    def command(
        self,
        text: str,
        *,
        team: str = "T1",
        user: str = "U1",
        channel: str = "C1",
        name: str = "cmd",
        **kw: Any,
    ) -> httpx.Response:
        """``/gpucost <text>``; its ``response_url`` posts are recorded by the mock under ``name``."""
        body = command_body(text, team=team, user=user, channel=channel, response_url=self.mock.response_url(name))
        return self.post_form(body, **kw)

    def change(self, text: str, *, name: str = "change", **kw: Any) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """A workspace change (``price set ...``): ``(ack, reply)``, the reply being what the lazy
        listener posted to the response_url after checking with Slack (None when the ack said no)."""
        ack = self.command(text, name=name, **kw).json()
        if not ack["text"].startswith(":hourglass"):
            return ack, None
        return ack, self.mock.wait_for(lambda: self.mock.responses(name))[-1].json

    def click(
        self,
        action_id: str,
        value: str,
        *,
        team: str = "T1",
        user: str = "U1",
        channel: str = "C1",
        name: str = "act",
        **kw: Any,
    ) -> httpx.Response:
        """A button click (interactivity payload)."""
        payload = action_payload(
            action_id, value, team=team, user=user, channel=channel, response_url=self.mock.response_url(name)
        )
        return self.post_form(urlencode({"payload": json.dumps(payload)}), **kw)

    def event(
        self, event: dict[str, Any], *, team: str = "T1", event_id: str | None = None, retry: int | None = None
    ) -> httpx.Response:
        """An Events API ``event_callback`` (JSON body); ``retry`` sends it as Slack's retry number ``retry``."""
        body = json.dumps(
            {
                "token": "legacy-verification-token",
                "team_id": team,
                "api_app_id": "A1",
                "event": event,
                "type": "event_callback",
                "event_id": event_id or f"Ev{next(_serial)}",
                "event_time": int(time.time()),
                "authorizations": [
                    {
                        "enterprise_id": None,
                        "team_id": team,
                        "user_id": f"UBOT{team}",
                        "is_bot": True,
                        "is_enterprise_install": False,
                    }
                ],
                "is_ext_shared_channel": False,
            }
        )
        headers = {"Content-Type": "application/json", **sign(self.secret, body)}
        if retry is not None:
            headers.update({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"})
        return self.http.post(self.url + "/slack/events", content=body.encode(), headers=headers)


def oauth_install(http: httpx.Client, url: str, mock: Any, team: str, token: str, *, code: str | None = None) -> str:
    """The browser's OAuth round trip: ``/slack/install`` (state cookie, Slack's authorize link), then
    ``/slack/oauth_redirect`` with a code the mock grants for ``team``. Returns the state used."""
    from urllib.parse import parse_qs, urlsplit

    code = code or f"code-{team}"
    mock.oauth_codes[code] = {"team": team, "token": token}
    r = http.get(url + "/slack/install")
    assert r.status_code == 200, r.text
    state = r.cookies["slack-app-oauth-state"]
    link = next(part for part in r.text.split('"') if part.startswith("https://slack.com/oauth/v2/authorize"))
    q = parse_qs(urlsplit(link.replace("&amp;", "&")).query)
    assert q["state"] == [state]
    http.cookies.set("slack-app-oauth-state", state)
    r = http.get(url + f"/slack/oauth_redirect?code={code}&state={state}")
    assert r.status_code == 200, r.text
    http.cookies.clear()
    return state
