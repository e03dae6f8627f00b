"""Load test of the Slack app: N signed ``/gpucost`` slash commands at concurrency C, on loopback.

    python bench/slack_load.py --spawn                      # starts a mock Slack + `python -m bot`
    python bench/slack_load.py --url http://127.0.0.1:3000 --secret "$SLACK_SIGNING_SECRET"

Each command is a form body signed exactly as Slack signs it, from its own user id (so the
per-user rate limit is not what is measured). Prints the ack latency (p50, p99, max), errors
(non-200, or an answer without Block Kit), and lost requests (no HTTP answer; with ``--spawn``,
also commands the server answered but did not record in its history).
Target on a 2-core machine: 1000 commands at concurrency 50, no errors, p99 < 300 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import importlib.util
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_QUERY = "70B 8xH100 in=500 out=300"


def signed(secret: str, body: str) -> dict[str, str]:
    """Slack's v0 signature headers."""
    ts = str(int(time.time()))
    sig = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={sig}",
    }


def command_body(i: int, query: str, response_url: str) -> str:
    """The form body of the i-th slash command (its own user, team T1)."""
    return urlencode(
        {
            "token": "x",
            "team_id": "T1",
            "team_domain": "t1",
            "channel_id": "C1",
            "channel_name": "general",
            "user_id": f"UB{i:06d}",
            "user_name": f"bench{i}",
            "command": "/gpucost",
            "text": query,
            "api_app_id": "A1",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": f"{i}.1",
        }
    )


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


async def run_load(
    url: str, secret: str, n: int, concurrency: int, query: str, response_url: str, expect: int = 200
) -> tuple[list[float], int, int]:
    """Send the commands; returns (latencies [s] of answered ones, errors, lost). With
    ``expect=401`` (a wrong secret) it measures the baseline: the same HTTP path, refused by the
    signature check before any work."""
    latencies: list[float] = []
    errors = lost = 0
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    next_i = iter(range(n))

    async def worker() -> None:
        nonlocal errors, lost
        conn = Connection(host, port)
        for i in next_i:
            body = command_body(i, query, response_url)
            start = time.perf_counter()
            try:
                status, data = await asyncio.wait_for(
                    conn.post("/slack/events", body.encode(), signed(secret, body)), timeout=30
                )
            except (OSError, ConnectionError, asyncio.TimeoutError, asyncio.IncompleteReadError):
                lost += 1
                await conn.close()
                continue
            latencies.append(time.perf_counter() - start)
            if expect != 200:
                errors += status != expect
            elif status != 200 or b'"blocks"' not in data or b"most allowed" in data:
                errors += 1
        await conn.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, errors, lost


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spawn(tmp: Path) -> tuple[str, str, subprocess.Popen[bytes], object, str]:
    """Start the Slack API mock (tests/bot/slack_mock.py) and `python -m bot` on a free port."""
    spec = importlib.util.spec_from_file_location("slack_mock", ROOT / "tests" / "bot" / "slack_mock.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["slack_mock"] = mod
    spec.loader.exec_module(mod)
    mock = mod.SlackMock(tokens={"xoxb-bench": "T1"}).start()
    port, secret = _free_port(), "bench-signing-secret"
    db_url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    env = {
        **os.environ,
        "SLACK_SIGNING_SECRET": secret,
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_API_URL": mock.api_url,
        "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", db_url),
        "GPUCOST_HOST": "127.0.0.1",
        "GPUCOST_PORT": str(port),
        "GPUCOST_LOG_LEVEL": "WARNING",
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
    return url, secret, proc, mock, env["DATABASE_URL"]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures; exit 1 when the target is missed."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-n", "--requests", type=int, default=1000, help="slash commands to send [1000]")
    p.add_argument("-c", "--concurrency", type=int, default=50, help="requests in flight [50]")
    p.add_argument("--url", default="http://127.0.0.1:3000", help="the running app")
    p.add_argument("--secret", default=os.environ.get("SLACK_SIGNING_SECRET", ""), help="its signing secret")
    p.add_argument("--query", default=DEFAULT_QUERY, help=f"the /gpucost text [{DEFAULT_QUERY}]")
    p.add_argument("--spawn", action="store_true", help="start a Slack mock and `python -m bot` for the run")
    p.add_argument("--warmup", type=int, default=20, help="commands sent first and not measured [20]")
    p.add_argument("--p99-target-ms", type=float, default=300.0)
    args = p.parse_args(argv)

    proc = mock = None
    db_url = None
    with tempfile.TemporaryDirectory() as tmpdir:
        url, secret = args.url, args.secret
        if args.spawn:
            url, secret, proc, mock, db_url = spawn(Path(tmpdir))
        if not secret:
            raise SystemExit("bench: give --secret or set SLACK_SIGNING_SECRET (or use --spawn)")
        response_url = mock.response_url("bench") if mock else "http://127.0.0.1:9/none"  # type: ignore[attr-defined]
        try:
            if args.warmup:
                asyncio.run(
                    run_load(url, secret, args.warmup, min(args.warmup, args.concurrency), args.query, response_url)
                )
            # Baseline in the same run: the same requests signed with a wrong secret (HTTP stack, bolt,
            # signature check, 401), so the figures below can be read as ratios on a noisy machine.
            base_lat, base_err, _ = asyncio.run(
                run_load(url, secret + "-wrong", args.requests, args.concurrency, args.query, response_url, 401)
            )
            t0 = time.perf_counter()
            lat, errors, lost = asyncio.run(
                run_load(url, secret, args.requests, args.concurrency, args.query, response_url)
            )
            wall = time.perf_counter() - t0
            recorded = None
            if db_url is not None:
                import sqlalchemy as sa

                from bot.settings import normalize_database_url

                eng = sa.create_engine(normalize_database_url(db_url))
                with eng.connect() as conn:
                    recorded = conn.execute(
                        sa.text("SELECT count(DISTINCT user_id) FROM gpucost_history WHERE user_id LIKE 'UB%'")
                    ).scalar_one()
                eng.dispose()
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=20)
            if mock is not None:
                mock.stop()  # type: ignore[attr-defined]
    if recorded is not None:
        # Warm-up users are the first ids too, so they are already counted.
        lost += max(0, args.requests - recorded)
    lat_ms = sorted(x * 1000 for x in lat)
    p50 = statistics.median(lat_ms) if lat_ms else float("nan")
    p99 = lat_ms[min(len(lat_ms) - 1, round(0.99 * len(lat_ms)) - 1)] if lat_ms else float("nan")
    base_ms = sorted(x * 1000 for x in base_lat)
    b50 = statistics.median(base_ms) if base_ms else float("nan")
    b99 = base_ms[min(len(base_ms) - 1, round(0.99 * len(base_ms)) - 1)] if base_ms else float("nan")
    print(f"commands: {args.requests}  concurrency: {args.concurrency}  query: {args.query!r}")
    print(f"baseline (wrongly signed, 401): p50 {b50:.1f} ms  p99 {b99:.1f} ms  (unexpected statuses: {base_err})")
    print(
        f"ack latency: p50 {p50:.1f} ms  p99 {p99:.1f} ms  max {max(lat_ms, default=float('nan')):.1f} ms"
        f"  (x{p50 / b50:.1f} and x{p99 / b99:.1f} the baseline)"
    )
    print(f"throughput: {len(lat) / wall:.0f} commands/s over {wall:.2f} s")
    print(f"errors: {errors}  lost: {lost}" + (f"  (history rows: {recorded})" if recorded is not None else ""))
    ok = errors == 0 and lost == 0 and p99 < args.p99_target_ms
    print(f"target (no errors, no lost, p99 < {args.p99_target_ms:.0f} ms): {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
