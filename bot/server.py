"""The ASGI application uvicorn serves in HTTP mode.

``/slack/events``, ``/slack/install`` and ``/slack/oauth_redirect`` go to bolt's ASGI adapter
(:class:`slack_bolt.adapter.asgi.SlackRequestHandler`); ``/healthz`` answers here, writing to the
database (:meth:`bot.store.Store.health_check`). The lifespan is handled here too: on shutdown
(SIGTERM; uvicorn has stopped taking requests and finished those in flight) the work acknowledged
to Slack is drained from the lazy-listener pool, for up to ``GPUCOST_SHUTDOWN_GRACE_S``, before
uvicorn lets the signal end the process (:meth:`bot.jobs.Jobs.shutdown`). Also around bolt's adapter:

- the sync ``App.dispatch`` runs in a worker thread, not on the event loop: the stock adapter
  calls it inline, so one slow request (a Web API call in a listener) would stall every other;
- request bodies over ``GPUCOST_MAX_BODY_BYTES`` get 413 before they are read into memory whole
  or reach the signature check.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import anyio.to_thread
from slack_bolt import App
from slack_bolt.adapter.asgi import SlackRequestHandler
from slack_bolt.adapter.asgi.http_request import AsgiHttpRequest
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from sqlalchemy.engine import Engine

from bot.gate import SeenStore, Verdict, check, log_rejection
from bot.store import Store, StoreUnavailable

log = logging.getLogger("bot.server")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class ThreadedSlackRequestHandler(SlackRequestHandler):
    """bolt's ASGI handler with ``App.dispatch`` (and the OAuth flow) run in a thread.

    At most ``threads`` requests run at once: listeners are mostly CPU (the engine) under one GIL,
    and a few threads served in turn give far steadier ack times than dozens contending.
    """

    def __init__(self, app: App, path: str = "/slack/events", threads: int = 4) -> None:
        super().__init__(app, path)
        self.threads = threads
        self._limiter: anyio.CapacityLimiter | None = None

    async def _run(self, func: Callable[[BoltRequest], BoltResponse], request: BoltRequest) -> BoltResponse:
        if self._limiter is None:  # created on the event loop
            self._limiter = anyio.CapacityLimiter(self.threads)
        return await anyio.to_thread.run_sync(func, request, limiter=self._limiter)

    async def _bolt_request(self, request: AsgiHttpRequest) -> BoltRequest:
        return BoltRequest(body=await request.get_raw_body(), query=request.query_string, headers=request.get_headers())

    async def dispatch(self, request: AsgiHttpRequest) -> BoltResponse:
        """Verify and run the listeners in a worker thread."""
        return await self._run(self.app.dispatch, await self._bolt_request(request))

    async def handle_installation(self, request: AsgiHttpRequest) -> BoltResponse:
        """``GET /slack/install``: issue a state (database write) in a worker thread."""
        flow = self.app.oauth_flow
        assert flow is not None
        return await self._run(flow.handle_installation, await self._bolt_request(request))

    async def handle_callback(self, request: AsgiHttpRequest) -> BoltResponse:
        """``GET /slack/oauth_redirect``: exchange the code (Web API call) in a worker thread."""
        flow = self.app.oauth_flow
        assert flow is not None
        return await self._run(flow.handle_callback, await self._bolt_request(request))


async def _send_simple(send: Send, status: int, body: dict[str, Any]) -> None:
    data = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": data})


def create_asgi_app(
    app: App,
    db: Engine,
    max_body_bytes: int,
    threads: int = 8,
    signing_secret: str = "",
    shutdown_grace_s: float = 20.0,
) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """The ASGI callable: bolt's handler for Slack's paths, ``/healthz``, a body size limit,
    (with ``signing_secret``) :mod:`bot.gate` in front of ``POST /slack/events``, and the lifespan
    (drain the acknowledged work on shutdown, up to ``shutdown_grace_s`` [s])."""
    from bot.app import service_of

    bolt = ThreadedSlackRequestHandler(app, path="/slack/events", threads=threads)
    jobs = service_of(app).jobs
    store = Store.for_engine(db)
    seen = SeenStore(store)

    def gate(body: bytes, headers: dict[str, str], client: str) -> Verdict:
        try:
            return check(body, headers, signing_secret, seen)
        except StoreUnavailable:  # no replay record: verify without it rather than refuse (the store logs the outage)
            return check(body, headers, signing_secret, None)

    async def lifespan(receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                jobs.renderer.warm_up()  # the chart worker loads matplotlib now, not at the first Compare GPUs
                jobs.plans.warm_up()  # the plan workers load the engine's catalogs now, not at the first plan
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await anyio.to_thread.run_sync(jobs.shutdown, shutdown_grace_s)
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if scope["path"] == "/healthz":
            ok, reason = await anyio.to_thread.run_sync(store.health_check)
            body = {"ok": True, "database": "ok"} if ok else {"ok": False, "database": f"unavailable ({reason})"}
            await _send_simple(send, 200 if ok else 503, body)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_body_bytes:
            await _send_simple(send, 413, {"ok": False, "error": "request body too large"})
            return
        # Read the body here (bounded), then hand bolt a receive() that replays it.
        chunks = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # client went away
            chunks.extend(message.get("body", b""))
            if len(chunks) > max_body_bytes:
                await _send_simple(send, 413, {"ok": False, "error": "request body too large"})
                return
            if not message.get("more_body", False):
                break
        body = bytes(chunks)
        if signing_secret and scope["path"] == "/slack/events" and scope.get("method") == "POST":
            names = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in headers.items()}
            client = str((scope.get("client") or ("?", 0))[0])
            verdict = await anyio.to_thread.run_sync(gate, body, names, client)
            if verdict.status is not None:
                if verdict.status != 200:
                    log_rejection(verdict, len(body), client)
                    await _send_simple(send, verdict.status, {"ok": False, "error": verdict.reason})
                else:  # a replay or retry already taken: acknowledged, not run again
                    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"0")]})
                    await send({"type": "http.response.body", "body": b""})
                return

        async def replay() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        await bolt(scope, replay, send)

    return asgi
