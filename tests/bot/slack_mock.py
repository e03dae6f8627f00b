"""A mock of Slack's Web API on 127.0.0.1 (ephemeral port) that records every call.

It answers the methods the app uses (``auth.test``, ``users.info``, ``chat.postMessage``,
``views.publish``, ``oauth.v2.access``, the three steps of ``files_upload_v2``) and the
``response_url`` posts, so end-to-end tests can assert on exactly what reached "Slack".
Tokens map to teams (``tokens``), users carry their admin flags (``users``), any method can be made
to fail (``errors``: Slack's error code), slow (``delays``: seconds, per method or ``"*"``), or the
whole Web API down (``api_status``: every method answers that HTTP status, as in an outage; the
response_url posts still work); ``response_delay`` slows the response_url posts. Standard library
only; used by the tests and by ``bench/``.

It also runs on its own, so an operator can try the app without Slack (from the repository root)::

    python -m tests.bot.slack_mock                 # a mock on 127.0.0.1:8090; prints the settings to give the app
    python -m tests.bot.slack_mock --app http://127.0.0.1:3000 --secret "$SLACK_SIGNING_SECRET" \
        "70B 8xH100 in=500 out=300" "price set H100 1.85usd"

The second form also sends each text to the app as a signed ``/gpucost`` (with a response_url on
the mock) and prints the app's answer and everything the app then sends to "Slack".
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Call:
    """One request that reached the mock."""

    kind: str  # "api", "response_url" or "upload"
    method: str  # API method, response_url name or upload file id
    params: dict[str, Any]
    token: str | None
    body: bytes = b""
    at: float = field(default_factory=time.perf_counter)  # when it reached the mock [s, perf_counter]

    @property
    def json(self) -> dict[str, Any]:
        """The JSON body (response_url posts)."""
        return json.loads(self.body or b"{}")


@dataclass
class SlackMock:
    """The mock server; ``start()`` it, point ``SLACK_API_URL`` at :attr:`api_url`."""

    tokens: dict[str, str] = field(default_factory=lambda: {"xoxb-test": "T1"})
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    delays: dict[str, float] = field(default_factory=dict)
    api_status: int | None = None
    response_delay: float = 0.0
    on_call: Callable[[Call], None] | None = None  # told of every call as it arrives (the standalone mock prints)
    oauth_codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._files = 0

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self, port: int = 0) -> SlackMock:
        """Serve on 127.0.0.1 (``port``, an ephemeral one by default) in a daemon thread."""
        mock = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, payload = mock._handle(self.path, dict(self.headers), body)
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                ctype = "text/plain" if isinstance(payload, bytes) else "application/json; charset=utf-8"
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a delay past its timeout): as Slack would see it

            do_GET = do_POST

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True, name="slack-mock").start()
        return self

    def stop(self) -> None:
        """Shut the server down."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base(self) -> str:
        """``http://127.0.0.1:<port>``."""
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        """What ``SLACK_API_URL`` should be set to."""
        return self.base + "/api/"

    def response_url(self, name: str) -> str:
        """A ``response_url`` for a command or action; posts to it are recorded under ``name``."""
        return f"{self.base}/response/{name}"

    # -- assertions helpers --------------------------------------------------------------------
    def api_calls(self, method: str | None = None) -> list[Call]:
        """Recorded Web API calls (of one method)."""
        with self._lock:
            return [c for c in self.calls if c.kind == "api" and (method is None or c.method == method)]

    def responses(self, name: str | None = None) -> list[Call]:
        """Recorded ``response_url`` posts (to one name)."""
        with self._lock:
            return [c for c in self.calls if c.kind == "response_url" and (name is None or c.method == name)]

    def uploads(self) -> list[Call]:
        """Recorded file uploads (the bytes sent to the upload URL)."""
        with self._lock:
            return [c for c in self.calls if c.kind == "upload"]

    def wait_for(self, pred: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Poll ``pred`` until it is truthy (lazy listeners run after the ack); fail after ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = pred()
            if value:
                return value
            time.sleep(0.02)
        raise AssertionError(f"timed out waiting; calls so far: {[(c.kind, c.method) for c in self.calls]}")

    def reset(self) -> None:
        """Forget recorded calls."""
        with self._lock:
            self.calls.clear()

    # -- behaviour -----------------------------------------------------------------------------
    def _handle(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        parts = urlsplit(path)
        segments = parts.path.strip("/").split("/")
        if segments[0] == "upload" and len(segments) == 2:
            self._record(Call("upload", segments[1], {}, None, body))
            return 200, b"OK - " + str(len(body)).encode()
        params: dict[str, Any] = dict(parse_qsl(parts.query))
        ctype = headers.get("Content-Type", headers.get("content-type", ""))
        if "application/x-www-form-urlencoded" in ctype:
            params.update(parse_qsl(body.decode()))
        elif "application/json" in ctype and body:
            try:
                params.update(json.loads(body))
            except ValueError:
                pass
        auth = headers.get("Authorization") or headers.get("authorization") or ""
        token = auth.removeprefix("Bearer ").strip() or params.get("token")
        if segments[0] == "response" and len(segments) == 2:
            if self.response_delay:
                time.sleep(self.response_delay)
            self._record(Call("response_url", segments[1], params, token, body))
            return 200, b"ok"
        if segments[0] != "api" or len(segments) != 2:
            return 404, {"ok": False, "error": "unknown_path"}
        method = segments[1]
        self._record(Call("api", method, params, token, body))
        delay = self.delays.get(method, self.delays.get("*", 0.0))
        if delay:
            time.sleep(delay)
        if self.api_status is not None:
            return self.api_status, b"Slack is having trouble right now"
        if method in self.errors:
            return 200, {"ok": False, "error": self.errors[method]}
        if method == "oauth.v2.access":
            return 200, self._oauth(params, headers)
        team = self.tokens.get(token or "")
        if team is None:
            return 200, {"ok": False, "error": "invalid_auth"}
        return 200, self._api(method, params, team)

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)
        if self.on_call is not None:
            self.on_call(call)

    def _api(self, method: str, params: dict[str, Any], team: str) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "url": f"https://{team.lower()}.slack.com/",
                "team": f"Team {team}",
                "user": "gpucost",
                "team_id": team,
                "user_id": f"UBOT{team}",
                "bot_id": f"BBOT{team}",
                "is_enterprise_install": False,
            }
        if method == "users.info":
            uid = params.get("user", "")
            flags = self.users.get(uid, {})
            return {
                "ok": True,
                "user": {
                    "id": uid,
                    "team_id": team,
                    "name": uid.lower(),
                    "is_admin": False,
                    "is_owner": False,
                    "is_primary_owner": False,
                    **flags,
                },
            }
        if method in ("chat.postMessage", "chat.postEphemeral"):
            return {"ok": True, "channel": params.get("channel"), "ts": f"{time.time():.6f}"}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(params.get("users", "")).split(",")[0]}}
        if method == "views.publish":
            return {"ok": True, "view": {"id": "V1", "type": "home"}}
        if method == "files.getUploadURLExternal":
            with self._lock:
                self._files += 1
                fid = f"F{self._files:06d}"
            return {"ok": True, "upload_url": f"{self.base}/upload/{fid}", "file_id": fid}
        if method == "files.completeUploadExternal":
            files = params.get("files")
            files = json.loads(files) if isinstance(files, str) else (files or [])
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title", "")} for f in files]}
        if method == "files.info":
            return {"ok": True, "file": {"id": params.get("file")}}
        return {"ok": True}

    def _oauth(self, params: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        grant = self.oauth_codes.get(params.get("code", ""))
        if grant is None:
            return {"ok": False, "error": "invalid_code"}
        team, token = grant["team"], grant["token"]
        self.tokens[token] = team
        return {
            "ok": True,
            "app_id": "A1",
            "authed_user": {"id": grant.get("user", "UINSTALLER")},
            "scope": "commands,chat:write,files:write,im:write,users:read",
            "token_type": "bot",
            "access_token": token,
            "bot_user_id": f"UBOT{team}",
            "team": {"id": team, "name": f"Team {team}"},
            "enterprise": None,
            "is_enterprise_install": False,
        }


# -- standalone: python -m tests.bot.slack_mock -------------------------------------------------------


def describe(call: Call) -> str:
    """One line for an operator: what the app sent to "Slack"."""
    if call.kind == "response_url":
        body = call.json
        kind = body.get("response_type") or ("replace" if body.get("replace_original") else "message")
        return f"<- response_url ({kind}): {str(body.get('text', ''))[:300]}"
    if call.kind == "upload":
        return f"<- file upload {call.method}: {len(call.body):,} bytes"
    shown = {k: v for k, v in call.params.items() if k not in ("token", "view", "blocks", "client_secret")}
    if "view" in call.params:
        shown["view"] = "(Block Kit view)"
    return f"<- {call.method} {json.dumps(shown, ensure_ascii=False, default=str)[:300]}"


def send_command(app_url: str, secret: str, text: str, response_url: str, *, team: str, user: str) -> str:
    """POST a signed ``/gpucost <text>`` to the app's /slack/events; its answer's text (or status)."""
    body = (
        f"token=mock&team_id={team}&team_domain=mock&channel_id=CMOCK&channel_name=mock&user_id={user}"
        f"&user_name=operator&command=%2Fgpucost&text={urllib.parse.quote_plus(text)}&api_app_id=AMOCK&response_url={urllib.parse.quote_plus(response_url)}"
        f"&trigger_id={time.time_ns()}"
    )
    ts = str(int(time.time()))
    signature = "v0=" + hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    request = urllib.request.Request(
        app_url.rstrip("/") + "/slack/events",
        data=body.encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature,
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            data = resp.read()
    except urllib.error.HTTPError as err:
        return f"HTTP {err.code}"
    except OSError as err:
        return f"could not reach the app: {err}"
    if not data:
        return "(empty acknowledgement)"
    try:
        return str(json.loads(data).get("text", ""))
    except ValueError:
        return data.decode("utf-8", "replace")[:300]


def main(argv: list[str] | None = None) -> int:
    """Serve the mock until Ctrl-C; with ``--app``, also send the given texts as signed commands."""
    p = argparse.ArgumentParser(prog="python -m tests.bot.slack_mock", description=__doc__.split("\n\n")[0])
    p.add_argument("texts", nargs="*", help="/gpucost texts to send to the app (with --app)")
    p.add_argument("--port", type=int, default=8090, help="port on 127.0.0.1 [8090]")
    p.add_argument("--token", default="xoxb-mock", help="the bot token the mock accepts [xoxb-mock]")
    p.add_argument("--team", default="TMOCK", help="its workspace id [TMOCK]")
    p.add_argument("--user", default="UMOCK", help="the user sending the commands [UMOCK]")
    p.add_argument("--admin", action="append", default=[], help="a user id the mock says is an admin (repeatable)")
    p.add_argument("--app", help="the app's base URL, to send the texts to (e.g. http://127.0.0.1:3000)")
    p.add_argument("--secret", default="", help="the app's SLACK_SIGNING_SECRET (with --app)")
    p.add_argument("--wait", type=float, default=5.0, help="with texts: seconds to wait for follow-ups [5]")
    args = p.parse_args(argv)

    mock = SlackMock(tokens={args.token: args.team}, users={u: {"is_admin": True} for u in args.admin})
    mock.on_call = lambda call: print(describe(call), flush=True)
    try:
        mock.start(port=args.port)
    except OSError as err:
        print(f"slack_mock: cannot listen on 127.0.0.1:{args.port}: {err.strerror}", file=sys.stderr)
        return 2
    print(f"Slack Web API mock on {mock.base} (every call is printed below). Start the app with:")
    print(f"  SLACK_API_URL={mock.api_url} SLACK_BOT_TOKEN={args.token} SLACK_SIGNING_SECRET=<any> python -m bot")
    print(f"  (team {args.team}; admins: {', '.join(args.admin) or 'none, add --admin UMOCK'})", flush=True)
    try:
        if args.texts:
            if not args.app or not args.secret:
                print("slack_mock: texts need --app URL and --secret SECRET", file=sys.stderr)
                return 2
            for i, text in enumerate(args.texts):
                print(f"-> /gpucost {text}")
                answer = send_command(
                    args.app, args.secret, text, mock.response_url(f"cmd{i}"), team=args.team, user=args.user
                )
                print(f"<- answer: {answer[:300]}", flush=True)
            time.sleep(args.wait)
            return 0
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    finally:
        mock.stop()


if __name__ == "__main__":
    sys.exit(main())
