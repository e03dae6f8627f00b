"""``python -m bot`` as an operator runs it, in a subprocess: settings from the environment, the
output collected, stopped with SIGTERM as a process manager does."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bot_env(api_url: str, workdir: Path, **extra: str) -> dict[str, str]:
    """The environment of ``python -m bot`` with nothing inherited from ours that the app reads."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "GPUCOST_", "DATABASE_URL"))}
    env.update(
        {
            "SLACK_SIGNING_SECRET": "main-signing-secret-9f8e7d",
            "SLACK_BOT_TOKEN": "xoxb-main-token-1234",
            "SLACK_API_URL": api_url,
            "DATABASE_URL": f"sqlite:///{workdir / 'main.sqlite3'}",
            "GPUCOST_LOG_LEVEL": "DEBUG",
            **extra,
        }
    )
    return {k: v for k, v in env.items() if v is not None}


class BotProcess:
    """A running ``python -m bot`` (HTTP mode unless ``args`` say otherwise); output in :attr:`output`."""

    def __init__(self, env: dict[str, str], workdir: Path, args: tuple[str, ...] = ()) -> None:
        self.port = int(env.get("GPUCOST_PORT") or free_port())
        env = {**env, "GPUCOST_HOST": "127.0.0.1", "GPUCOST_PORT": str(self.port)}
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", *args],
            cwd=workdir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        self._lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.append(line)

    @property
    def output(self) -> str:
        """Everything the process wrote so far (stdout and stderr)."""
        return "".join(self._lines)

    def wait_ready(self, timeout: float = 30) -> BotProcess:
        """Wait until ``/healthz`` answers 200."""
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=5) as http:
            while True:
                try:
                    if http.get(self.url + "/healthz").status_code == 200:
                        return self
                except httpx.TransportError:
                    pass
                assert self.proc.poll() is None, f"bot exited {self.proc.returncode}:\n{self.output}"
                assert time.monotonic() < deadline, f"bot did not come up:\n{self.output}"
                time.sleep(0.05)

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM, then wait for the process to exit; returns its exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait(timeout=10)
        self._reader.join(timeout=10)
        return code

    def __enter__(self) -> BotProcess:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def run_bot(env: dict[str, str], workdir: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``python -m bot`` to completion (start-up failures); stdout and stderr kept apart."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout
    )
