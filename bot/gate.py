"""The gate in front of bolt for ``POST /slack/events``: signature first, then shape, then replays.

bolt verifies signatures only after it has parsed the body, so unsigned junk (``payload=%7Bnot-json``,
a non-UTF-8 body, ``X-Slack-Request-Timestamp: abc``) crashed inside it with a traceback and a 500,
and it logged every rejected body at INFO. Here, on the raw bytes, before anything parses them:

1. the signature (Slack's ``v0`` HMAC-SHA256 of ``v0:{timestamp}:{body}`` over the raw bytes, as
   slack_sdk's ``SignatureVerifier`` computes it but without decoding the body first, which raised
   on non-UTF-8 bytes; timestamps over five minutes old or ahead refused) -> 401 when missing,
   malformed or wrong;
2. the shape of a signed body (UTF-8; a JSON object, or a form whose ``payload`` is a JSON object)
   -> 400 when not;
3. a replay: the same signed request seen before within the replay window (Slack's five minutes,
   kept ``REPLAY_WINDOW_S``), or an event Slack retries (``X-Slack-Retry-Num``, same ``event_id``)
   after it was taken -> 200 with an empty body (acknowledged, not run again). The record is a
   database table, so it holds across replicas.

A rejection is one bounded log line with the reason and the size, never the body.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from urllib.parse import parse_qs

log = logging.getLogger("bot.gate")

#: Slack's signatures are valid this long either side of now [s] (its "Verifying requests" guide;
#: slack_sdk's SignatureVerifier uses the same bound).
SIGNATURE_MAX_AGE_S = 300

#: How long a request's signature and an event's id are remembered [s]: Slack's signatures are
#: valid for five minutes, retries come within minutes; ten covers both with clock skew.
REPLAY_WINDOW_S = 600


@dataclass(frozen=True)
class Verdict:
    """What the gate decided: ``status`` None lets the request through to bolt."""

    status: int | None
    reason: str = ""
    key: str = ""  # the replay key of a request let through ("" when it has none)


def _shape_error(body: bytes, content_type: str) -> tuple[str, str]:
    """('', replay key) for a well-formed signed body, else (reason, '')."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "body is not UTF-8", ""
    if "application/json" in content_type:
        try:
            data = json.loads(text)
        except ValueError:
            return "body is not JSON", ""
        if not isinstance(data, dict):
            return "JSON body is not an object", ""
        event_id = data.get("event_id")
        return "", f"event:{event_id}" if isinstance(event_id, str) and event_id else ""
    form = parse_qs(text, keep_blank_values=True)
    if "payload" in form:
        try:
            payload = json.loads(form["payload"][0])
        except ValueError:
            return "payload is not JSON", ""
        if not isinstance(payload, dict):
            return "payload is not a JSON object", ""
    return "", ""


def check(body: bytes, headers: dict[str, str], secret: str, seen: SeenStore | None) -> Verdict:
    """The gate's verdict on one ``POST /slack/events`` (``headers`` with lower-case names)."""
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not timestamp.isdigit() or not signature.startswith("v0="):
        return Verdict(401, "missing or malformed signature headers")
    if abs(time.time() - int(timestamp)) > SIGNATURE_MAX_AGE_S:
        return Verdict(401, "expired or future timestamp")
    expected = "v0=" + hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        return Verdict(401, "invalid signature")
    reason, event_key = _shape_error(body, headers.get("content-type", ""))
    if reason:
        return Verdict(400, reason)
    key = event_key or "sig:" + hashlib.sha256(signature.encode()).hexdigest()
    if seen is not None and not seen.first_time(key):
        return Verdict(200, "replayed or retried request already taken", key)
    return Verdict(None, key=key)


def log_rejection(verdict: Verdict, size: int, client: str) -> None:
    """One bounded line: the reason, the size and the client, never the body."""
    log.warning("rejected POST /slack/events from %s: %s (%d bytes)", client[:64], verdict.reason, size)


class SeenStore:
    """The replay record (``gpucost_seen_requests``): ``first_time(key)`` is True once per key
    within ``REPLAY_WINDOW_S``, across every replica sharing the database."""

    def __init__(self, store: object) -> None:
        self._store = store

    def first_time(self, key: str) -> bool:
        return self._store.remember_request(key, time.time(), REPLAY_WINDOW_S)  # type: ignore[attr-defined]
