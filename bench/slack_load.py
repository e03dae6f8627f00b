"""Load test of the Slack app on loopback: slash commands, button clicks, and a SIGTERM mid-load.

    python bench/slack_load.py --spawn          # a mock Slack (tests/bot/slack_mock.py) + `python -m bot`
    python bench/slack_load.py --url http://127.0.0.1:3000 --secret "$SLACK_SIGNING_SECRET"

Every request is signed exactly as Slack signs it, from its own user id (so the per-user rate limit
is not what is measured). Each figure is printed next to a baseline measured in the same run, as a
ratio, because the machine is shared and absolute times vary:

1. commands: ``-n`` signed ``/gpucost`` commands at concurrency ``-c``; ack latency p50/p99. Baseline:
   the same requests wrongly signed (the HTTP stack and the gate's 401, no work).
2. clicks: ``--clicks`` button clicks (Share, Explain, Compare GPUs in turn), alone, then again while
   the ``-n`` commands run; click-to-reply latency (the click sent to its response_url post reaching
   the mock) p50/p99. Baseline: the clicks alone.
3. plans (``--plans``, 0 to skip): that many ``/gpucost plan`` commands (``--plan-query``, by default
   a search over every GPU kind of about 3 s), then the ``-n`` commands while the plan workers
   compute them; the commands' ack p50/p99 (baseline: the commands alone, step 1), the plans' ack
   p99, and command-to-answer (the plan's response_url post) p50/p99, which includes the queue.
4. SIGTERM (``--spawn`` only): the commands and clicks again against a fresh server, which gets
   SIGTERM once half the clicks are acknowledged; an acknowledged click with no reply at all when
   the process has exited is lost. Baseline: the acknowledged clicks.

Targets (issue 16): command p99 < 300 ms at concurrency 50 (with plans computing too), click-to-reply
p99 < 3 s under load, 0 replies lost; plan acks within Slack's 3 s (issue 12). Exit code 1 when a
target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_QUERY = "70B 8xH100 in=500 out=300"
DEFAULT_PLAN = "plan gpt-oss-120b requests=1M tpot_max=50ms"
ACTIONS = ("gpucost_share", "gpucost_explain", "gpucost_compare")


def signed(secret: str, body: str) -> dict[str, str]:
    """Slack's v0 signature headers."""
    ts = str(int(time.time()))
    sig = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={sig}",
    }


def command_body(i: int, query: str, response_url: str, user_prefix: str = "UB") -> str:
    """The form body of the i-th slash command (its own user, team T1)."""
    return urlencode(
        {
            "token": "x",
            "team_id": "T1",
            "team_domain": "t1",
            "channel_id": "C1",
            "channel_name": "general",
            "user_id": f"{user_prefix}{i:06d}",
            "user_name": f"bench{i}",
            "command": "/gpucost",
            "text": query,
            "api_app_id": "A1",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": f"{i}.{time.perf_counter_ns()}",
        }
    )


def click_body(i: int, action: str, value: str, response_url: str, user_prefix: str) -> str:
    """The form body of a button click (a block_actions payload), from its own user."""
    user = f"{user_prefix}{i:06d}"
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": "T1"},
        "api_app_id": "A1",
        "token": "x",
        "container": {"type": "message", "message_ts": "1.1", "channel_id": "C1", "is_ephemeral": True},
        "trigger_id": f"{i}.{time.perf_counter_ns()}",
        "team": {"id": "T1", "domain": "t1"},
        "channel": {"id": "C1", "name": "general"},
        "response_url": response_url,
        "actions": [{"action_id": action, "block_id": "gpucost_actions", "value": value, "type": "button"}],
    }
    return urlencode({"payload": json.dumps(payload)})


class Connection:
    """One keep-alive HTTP/1.1 connection on asyncio streams.

    A minimal client on purpose: the benchmark shares the machine's cores with the server, and a
    full HTTP client library costs more CPU per request than the server does.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        """POST and return (status, body); reconnects once if the server closed the connection."""
        for attempt in (1, 2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            assert self.reader is not None
            head = f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Length: {len(body)}\r\n"
            head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
            try:
                self.writer.write(head.encode() + body)
                await self.writer.drain()
                status_line = await self.reader.readline()
                if not status_line:
                    raise ConnectionError("closed")
                status = int(status_line.split()[1])
                length, close = 0, False
                while True:
                    line = await self.reader.readline()
                    if line in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value.strip())
                    elif name.strip().lower() == "connection" and value.strip().lower() == "close":
                        close = True
                data = await self.reader.readexactly(length) if length else b""
                if close:
                    await self.close()
                return status, data
            except (ConnectionError, asyncio.IncompleteReadError, OSError):
                await self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def close(self) -> None:
        """Close the socket."""
        if self.writer is not None:
            self.writer.close()
            self.writer = None


@dataclass
class Load:
    """What one run sent and got back."""

    latencies: list[float] = field(default_factory=list)  # answered requests [s]
    errors: int = 0  # answered, but not as expected
    unanswered: int = 0  # no HTTP answer (refused, reset, timed out)
    clicks_sent: dict[str, float] = field(default_factory=dict)  # response name -> perf_counter at send (or plan)
    clicks_acked: set[str] = field(default_factory=set)


async def run_load(
    url: str,
    secret: str,
    *,
    commands: int,
    concurrency: int,
    query: str,
    response_url: Any,
    clicks: int = 0,
    click_concurrency: int = 10,
    expect: int = 200,
    tag: str = "",
    on_click_acked: Any = None,
    actions: tuple[str, ...] = ACTIONS,
    plans: int = 0,
    plan_query: str = DEFAULT_PLAN,
    plan_load: Load | None = None,
) -> tuple[Load, Load]:
    """Send ``commands`` slash commands at ``concurrency`` and, at the same time, ``clicks`` button
    clicks at ``click_concurrency`` (``response_url(name)`` gives each its own reply address). With
    ``expect=401`` (a wrong secret) commands measure the baseline. Returns (commands, clicks)."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    cmd, clk = Load(), Load()
    next_cmd, next_click = iter(range(commands)), iter(range(clicks))

    async def send(conn: Connection, body: str, load: Load) -> tuple[int, bytes] | None:
        start = time.perf_counter()
        try:
            status, data = await asyncio.wait_for(
                conn.post("/slack/events", body.encode(), signed(secret, body)), timeout=30
            )
        except (OSError, ConnectionError, asyncio.TimeoutError, asyncio.IncompleteReadError):
            load.unanswered += 1
            await conn.close()
            return None
        load.latencies.append(time.perf_counter() - start)
        return status, data

    async def command_worker() -> None:
        conn = Connection(host, port)
        for i in next_cmd:
            answer = await send(conn, command_body(i, query, response_url(f"{tag}cmd{i}"), f"U{tag}C"), cmd)
            if answer is None:
                continue
            status, data = answer
            if expect != 200:
                cmd.errors += status != expect
            elif status != 200 or b'"blocks"' not in data or b"most allowed" in data:
                cmd.errors += 1
        await conn.close()

    async def click_worker() -> None:
        conn = Connection(host, port)
        for i in next_click:
            name = f"{tag}clk{i}"
            body = click_body(i, actions[i % len(actions)], query, response_url(name), f"U{tag}K")
            clk.clicks_sent[name] = time.perf_counter()
            answer = await send(conn, body, clk)
            if answer is None:
                continue
            if answer[0] == 200:
                clk.clicks_acked.add(name)
                if on_click_acked is not None:
                    on_click_acked(len(clk.clicks_acked))
            else:
                clk.errors += 1
        await conn.close()

    async def plan_sender() -> None:
        # Every plan first (each acked at once), so the commands run while the workers compute them.
        assert plan_load is not None
        conn = Connection(host, port)
        for i in range(plans):
            name = f"{tag}pln{i}"
            plan_load.clicks_sent[name] = time.perf_counter()
            answer = await send(conn, command_body(i, plan_query, response_url(name), f"U{tag}P"), plan_load)
            if answer is not None and answer[0] == 200 and b"Planning" in answer[1]:
                plan_load.clicks_acked.add(name)
            elif answer is not None:
                plan_load.errors += 1
        await conn.close()

    if plans:
        await plan_sender()
    workers = [command_worker() for _ in range(concurrency if commands else 0)]
    workers += [click_worker() for _ in range(click_concurrency if clicks else 0)]
    await asyncio.gather(*workers)
    return cmd, clk


def pct(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of ``values`` [same unit], NaN for none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def reply_latencies(mock: Any, clicks: Load) -> tuple[list[float], int]:
    """Click-to-reply [s] of the acknowledged clicks (their first response_url post), and how many
    acknowledged clicks got no reply at all."""
    first: dict[str, float] = {}
    for call in mock.responses():
        if call.method in clicks.clicks_acked and call.method not in first:
            first[call.method] = call.at
    lat = [first[n] - clicks.clicks_sent[n] for n in first]
    return lat, len(clicks.clicks_acked) - len(first)


def chart_latencies(mock: Any, clicks: Load, tag: str) -> list[float]:
    """Click-to-chart [s] of the Compare GPUs clicks whose chart reached the mock (files.completeUploadExternal,
    matched to its click by the user named in the chart's comment)."""
    out = []
    for call in mock.api_calls("files.completeUploadExternal"):
        comment = str(call.params.get("initial_comment", ""))
        if f"<@U{tag}K" in comment:
            i = int(comment.split(f"<@U{tag}K", 1)[1].split(">", 1)[0])
            sent = clicks.clicks_sent.get(f"{tag}clk{i}")
            if sent is not None:
                out.append(call.at - sent)
    return out


def wait_charts(mock: Any, clicks: Load, tag: str, n: int, actions: tuple[str, ...], timeout: float = 120) -> None:
    """Wait until the charts of the Compare GPUs clicks among the first ``n`` have all arrived (they
    follow the replies), so that they do not run into the next measurement."""
    want = sum(1 for i in range(n) if actions[i % len(actions)] == "gpucost_compare")
    deadline = time.monotonic() + timeout
    while len(chart_latencies(mock, clicks, tag)) < want and time.monotonic() < deadline:
        time.sleep(0.1)


def wait_replies(mock: Any, clicks: Load, timeout: float) -> None:
    """Wait until every acknowledged click has a reply, or ``timeout`` [s]."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and reply_latencies(mock, clicks)[1]:
        time.sleep(0.05)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_mock_module() -> Any:
    """tests/bot/slack_mock.py, imported by path (the tests' mock of Slack's Web API)."""
    spec = importlib.util.spec_from_file_location("slack_mock", ROOT / "tests" / "bot" / "slack_mock.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["slack_mock"] = mod
    spec.loader.exec_module(mod)
    return mod


def spawn(tmp: Path, mock: Any, name: str) -> tuple[str, str, subprocess.Popen[bytes], str]:
    """Start `python -m bot` on a free port against the mock; returns (url, secret, process, db url)."""
    port, secret = _free_port(), "bench-signing-secret"
    db_url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp / (name + '.sqlite3')}"
    env = {
        **os.environ,
        "SLACK_SIGNING_SECRET": secret,
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_API_URL": mock.api_url,
        "DATABASE_URL": db_url,
        "GPUCOST_HOST": "127.0.0.1",
        "GPUCOST_PORT": str(port),
        "GPUCOST_LOG_LEVEL": "ERROR",
    }
    proc = subprocess.Popen([sys.executable, "-m", "bot"], cwd=tmp, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url + "/healthz").status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("bench: the server did not start")
        time.sleep(0.1)
    return url, secret, proc, db_url


def recorded_commands(db_url: str, prefix: str) -> int:
    """History rows of the bench's command users (an answered command the app did not record is lost)."""
    import sqlalchemy as sa

    from bot.settings import normalize_database_url

    eng = sa.create_engine(normalize_database_url(db_url))
    with eng.connect() as conn:
        n = conn.execute(
            sa.text("SELECT count(DISTINCT user_id) FROM gpucost_history WHERE user_id LIKE :p"), {"p": prefix + "%"}
        ).scalar_one()
    eng.dispose()
    return int(n)


def ms(x: float) -> str:
    return f"{x * 1000:.0f} ms" if x == x else "n/a"


def ratio(x: float, base: float) -> str:
    return f"x{x / base:.1f}" if base and x == x and base == base else "x?"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures; exit 1 when a target is missed."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-n", "--requests", type=int, default=1000, help="slash commands per run [1000]")
    p.add_argument("-c", "--concurrency", type=int, default=50, help="commands in flight [50]")
    p.add_argument("--clicks", type=int, default=200, help="button clicks per run [200]")
    p.add_argument("--click-concurrency", type=int, default=10, help="clicks in flight [10]")
    p.add_argument("--buttons", default="share,explain,compare", help="buttons clicked in turn [share,explain,compare]")
    p.add_argument("--url", default="http://127.0.0.1:3000", help="the running app (without --spawn)")
    p.add_argument("--secret", default=os.environ.get("SLACK_SIGNING_SECRET", ""), help="its signing secret")
    p.add_argument("--query", default=DEFAULT_QUERY, help=f"the /gpucost text and button value [{DEFAULT_QUERY}]")
    p.add_argument("--plans", type=int, default=6, help="plan commands computed under the commands [6]; 0 skips")
    p.add_argument("--plan-query", default=DEFAULT_PLAN, help=f"the plan's /gpucost text [{DEFAULT_PLAN}]")
    p.add_argument("--spawn", action="store_true", help="start `python -m bot` for the run (and the SIGTERM run)")
    p.add_argument("--warmup", type=int, default=30, help="commands and clicks sent first, not measured [30]")
    p.add_argument("--p99-target-ms", type=float, default=300.0, help="command ack p99 target [300]")
    p.add_argument("--click-p99-target-s", type=float, default=3.0, help="click-to-reply p99 target [3]")
    args = p.parse_args(argv)
    actions = tuple(f"gpucost_{b.strip()}" for b in args.buttons.split(",") if b.strip())

    mock = load_mock_module().SlackMock(tokens={"xoxb-bench": "T1"}).start()
    ok = True
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        proc = None
        db_url = None
        url, secret = args.url, args.secret
        if args.spawn:
            url, secret, proc, db_url = spawn(tmp, mock, "load")
        if not secret:
            raise SystemExit("bench: give --secret or set SLACK_SIGNING_SECRET (or use --spawn)")

        def load(tag: str, commands: int, clicks: int, expect: int = 200, sec: str = secret, **kw: Any):
            return asyncio.run(
                run_load(
                    url,
                    sec,
                    commands=commands,
                    concurrency=args.concurrency,
                    query=args.query,
                    response_url=mock.response_url,
                    clicks=clicks,
                    click_concurrency=args.click_concurrency,
                    expect=expect,
                    tag=tag,
                    actions=actions,
                    **kw,
                )
            )

        try:
            if args.warmup:
                _, warm = load("w", args.warmup, args.warmup)
                wait_replies(mock, warm, 60)
                wait_charts(mock, warm, "w", args.warmup, actions)
            base_cmd, _ = load("b", args.requests, 0, expect=401, sec=secret + "-wrong")
            t0 = time.perf_counter()
            cmd, _ = load("c", args.requests, 0)
            wall = time.perf_counter() - t0
            _, alone = load("a", 0, args.clicks)
            wait_replies(mock, alone, 120)
            wait_charts(mock, alone, "a", args.clicks, actions)
            mixed_cmd, mixed = load("m", args.requests, args.clicks)
            wait_replies(mock, mixed, 120)
            wait_charts(mock, mixed, "m", args.clicks, actions)
            planned = Load()
            if args.plans:
                plan_cmd, _ = load("p", args.requests, 0, plans=args.plans, plan_query=args.plan_query,
                                   plan_load=planned)  # fmt: skip
                wait_replies(mock, planned, 60 + 15 * args.plans)
            recorded = recorded_commands(db_url, "UcC") if db_url else None
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=60)

        b50, b99 = pct(base_cmd.latencies, 0.5), pct(base_cmd.latencies, 0.99)
        c50, c99 = pct(cmd.latencies, 0.5), pct(cmd.latencies, 0.99)
        lost_cmd = cmd.unanswered + (max(0, args.requests - recorded) if recorded is not None else 0)
        print(f"commands: {args.requests} at concurrency {args.concurrency}; query {args.query!r}")
        print(f"  baseline, wrongly signed (401): p50 {ms(b50)}  p99 {ms(b99)}  (unexpected: {base_cmd.errors})")
        print(
            f"  ack latency: p50 {ms(c50)} ({ratio(c50, b50)})  p99 {ms(c99)} ({ratio(c99, b99)})"
            f"  max {ms(max(cmd.latencies, default=float('nan')))}"
        )
        print(f"  throughput {len(cmd.latencies) / wall:.0f}/s; errors {cmd.errors}; lost {lost_cmd}")
        a_lat, a_missing = reply_latencies(mock, alone)
        m_lat, m_missing = reply_latencies(mock, mixed)
        a50, a99, m50, m99 = pct(a_lat, 0.5), pct(a_lat, 0.99), pct(m_lat, 0.5), pct(m_lat, 0.99)
        print(f"clicks: {args.clicks} at concurrency {args.click_concurrency} ({', '.join(actions)} in turn)")
        print(f"  baseline, alone: click-to-reply p50 {ms(a50)}  p99 {ms(a99)}  (no reply: {a_missing})")
        print(
            f"  with {args.requests} commands at concurrency {args.concurrency}: p50 {ms(m50)} ({ratio(m50, a50)})"
            f"  p99 {ms(m99)} ({ratio(m99, a99)})  (no reply: {m_missing}; command ack p99 meanwhile"
            f" {ms(pct(mixed_cmd.latencies, 0.99))})"
        )
        charts = chart_latencies(mock, mixed, "m")
        compares = sum(1 for n in mixed.clicks_acked if actions[int(n[4:]) % len(actions)] == "gpucost_compare")
        if compares:
            print(
                f"  charts (drawn in the worker process, after the reply): {len(charts)} of {compares} delivered;"
                f" click-to-chart p50 {ms(pct(charts, 0.5))}  p99 {ms(pct(charts, 0.99))}"
            )
        ok &= cmd.errors == 0 and lost_cmd == 0 and c99 * 1000 < args.p99_target_ms
        ok &= a_missing == 0 and m_missing == 0 and m99 < args.click_p99_target_s
        if args.plans:
            p50, p99 = pct(plan_cmd.latencies, 0.5), pct(plan_cmd.latencies, 0.99)
            answers, unanswered = reply_latencies(mock, planned)  # command to its answer's post
            print(f"plans: {args.plans} of {args.plan_query!r}, then {args.requests} commands while they are computed")
            print(
                f"  command ack latency: p50 {ms(p50)} ({ratio(p50, c50)} the commands alone)  p99 {ms(p99)}"
                f" ({ratio(p99, c99)}); errors {plan_cmd.errors}"
            )
            print(
                f"  plan ack p99 {ms(pct(planned.latencies, 0.99))}; plan answered after p50 {ms(pct(answers, 0.5))}"
                f"  p99 {ms(pct(answers, 0.99))} (queue included); acknowledged {len(planned.clicks_acked)},"
                f" unanswered {unanswered}, refused {planned.errors}"
            )
            ok &= plan_cmd.errors == 0 and p99 * 1000 < args.p99_target_ms and unanswered == 0
            ok &= planned.errors == 0 and pct(planned.latencies, 0.99) < 3.0

        if args.spawn:
            url, secret, proc, _ = spawn(tmp, mock, "sigterm")
            half = args.clicks // 2
            sent_signal: list[float] = []

            def on_ack(n: int) -> None:
                if n >= half and not sent_signal and proc is not None:
                    proc.send_signal(signal.SIGTERM)
                    sent_signal.append(time.perf_counter())

            _, term = load("t", args.requests, args.clicks, on_click_acked=on_ack)
            code = proc.wait(timeout=120)
            _, lost = reply_latencies(mock, term)
            told = sum(
                1
                for c in mock.responses()
                if c.method in term.clicks_acked and b"gpucost restarted before it could" in c.body
            )
            print(f"SIGTERM once {half} of {args.clicks} clicks were acknowledged, {args.requests} commands running:")
            print(
                f"  acknowledged clicks (baseline): {len(term.clicks_acked)}; replies lost: {lost}"
                f" ({lost / max(1, len(term.clicks_acked)):.0%}); asked to try again: {told}; exit {code}"
            )
            ok &= lost == 0
    mock.stop()
    print(
        f"targets (command p99 < {args.p99_target_ms:.0f} ms, click-to-reply p99 < {args.click_p99_target_s:.0f} s"
        f" under load, 0 lost): {'met' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
