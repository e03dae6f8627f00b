"""A mock of Slack's Web API on 127.0.0.1 (ephemeral port) that records every call.

It answers the methods the app uses (``auth.test``, ``users.info``, ``chat.postMessage``,
``views.publish``, ``oauth.v2.access``, the three steps of ``files_upload_v2``) and the
``response_url`` posts, so end-to-end tests can assert on exactly what reached "Slack".
Tokens map to teams (``tokens``), users carry their admin flags (``users``), any method can be made
to fail (``errors``: Slack's error code), slow (``delays``: seconds, per method or ``"*"``), or the
whole Web API down (``api_status``: every method answers that HTTP status, as in an outage; the
response_url posts still work); ``response_delay`` slows the response_url posts. Standard library
only; used by the tests and by ``bench/``.
"""

from __future__ import annotations

import json
import threading
import time
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
    oauth_codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._files = 0

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> SlackMock:
        """Serve on 127.0.0.1, an ephemeral port, in a daemon thread."""
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

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
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
