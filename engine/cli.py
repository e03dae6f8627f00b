"""The ``gpucost`` command line: ``gpucost [--json] [--png FILE] <query>``, the same grammar as Slack and Excel.

``--png FILE`` saves the chart of a ``plan`` or ``curve`` answer (:mod:`engine.charts`; matplotlib,
from the ``slack`` extra, imported only then).

Exit codes: 0 success, 2 bad input (one-line message on stderr), 1 an internal error (one line too;
``GPUCOST_DEBUG=1`` shows the traceback). Settings come from the environment or a ``.env`` file in
the working directory: ``GPUCOST_CURRENCY``, ``GPUCOST_CNY_PER_USD``, ``GPUCOST_PRICE_FILE``,
``GPUCOST_CALIBRATION_DIR``.

Imports only pydantic, the standard library and engine modules.
"""

from __future__ import annotations

import gc
import json
import os
import sys
from pathlib import Path


def _load_dotenv(path: Path = Path(".env")) -> None:
    """Read KEY=VALUE lines from ./.env into the environment (existing variables win)."""
    if not path.is_file():
        return
    try:
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            k, v = line.split("=", 1)
            k = k.strip().removeprefix("export ").strip()
            v = v.strip().strip('"').strip("'")
            if k.startswith("GPUCOST_") and k not in os.environ:
                os.environ[k] = v
    except OSError:
        pass


def _png_flag(args: list[str]) -> tuple[str | None, str | None]:
    """Take ``--png FILE`` (or ``--png=FILE``) out of ``args``: (the path, or a one-line error)."""
    path: str | None = None
    for i, a in enumerate(args):
        if a == "--png" or a.startswith("--png="):
            path = a.partition("=")[2] if "=" in a else (args[i + 1] if i + 1 < len(args) else "")
            del args[i : i + (1 if "=" in a else 2)]
            if not path or path.startswith("-"):
                return None, "--png needs a file name"
            if not path.lower().endswith(".png"):
                return None, f"--png {path}: the chart is a PNG; name a .png file"
            break
    return path, None


def _write_png(result: object, path: str) -> None:
    """Draw a plan's or a curve's chart (:mod:`engine.charts`, matplotlib) into ``path``."""
    from engine.charts import png
    from engine.errors import user_path

    data = png(result)  # type: ignore[arg-type]
    target = user_path(path)
    target.write_bytes(data)
    print(f"gpucost: chart saved to {target}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    # A one-shot command has no use for pydantic plugins; scanning for them (importlib.metadata over
    # every installed distribution) costs tens of milliseconds at start-up.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    args = list(sys.argv[1:] if argv is None else argv)
    as_json = False
    for flag in ("--json", "-j"):
        while flag in args:
            args.remove(flag)
            as_json = True
    png_path, png_error = _png_flag(args)
    if args[:1] in (["--help"], ["-h"]):  # the same text as `gpucost help [topic]`
        args = ["help", *args[1:]]
    if args[:1] == ["--version"]:
        from engine import __version__

        print(f"gpucost {__version__}")
        return 0
    _load_dotenv()
    from engine.errors import GpucostError

    try:
        from engine.config import EngineConfig

        try:
            config = EngineConfig.from_env()
        except GpucostError:
            raise
        except ValueError as exc:
            raise GpucostError(
                f"bad setting in the environment: {str(exc).splitlines()[0]}", hint="check GPUCOST_* variables"
            ) from None
        if png_error:
            raise GpucostError(png_error, hint="e.g. gpucost plan llama-3-70b requests=1M --png plan.png")
        if args[:1] == ["calibrate"] or args[:1] == ["import"]:
            from engine import measured

            result = measured.cli_command(args, config)
        else:
            from engine.commands import run

            result = run(args, config)
        if png_path is not None:
            _write_png(result, png_path)
        # rendered here, inside the error handling
        if as_json:
            out = json.dumps(result.to_json_dict(), ensure_ascii=False, indent=2)
        else:
            from engine.format import render_text

            out = render_text(result)
    except GpucostError as exc:
        print(f"gpucost: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug: still one line, unless debugging
        from engine.errors import path_error

        err = path_error(exc) if isinstance(exc, OSError) else None
        if err is not None:  # a path the system refused (a name over 255 bytes): bad input, not a bug
            print(f"gpucost: {err}", file=sys.stderr)
            return 2
        if os.environ.get("GPUCOST_DEBUG"):
            raise
        print(
            f"gpucost: internal error ({exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
            "please report it with the query (GPUCOST_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return 1
    if sys.stdout is None:  # started with stdout closed (`gpucost ... >&-`)
        print("gpucost: standard output is closed; nothing to write the answer to", file=sys.stderr)
        return 1
    try:
        print(out)
        sys.stdout.flush()
    except BrokenPipeError:  # `gpucost ... | head`: the reader left; not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except OSError as exc:  # a full disk, a revoked terminal: one line, not a traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the unwritten rest goes nowhere
        print(f"gpucost: cannot write the answer ({exc.strerror or exc})", file=sys.stderr)
        return 1
    return 0


def entry() -> None:
    """The ``gpucost`` console script: :func:`main` as a one-shot process, started and ended lean.

    - Garbage collection is off while the engine imports, then the imported objects are frozen
      (``gc.freeze``): start-up builds tens of thousands of long-lived objects (pydantic's schemas
      and validators), and collecting them over and over while they are built finds nothing to free
      (42 collections, 10-14 ms of a ~200 ms command on the reference machine).
    - The process ends with ``os._exit`` once its output is flushed, skipping the interpreter's
      teardown of those objects (50-60 ms, a sixth of the whole command, measured by
      ``bench/engine_speed.py``). Nothing is lost: files the commands write are closed by then, and
      the engine registers no ``atexit`` work.

    Tests call :func:`main`, which changes neither."""
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")  # before any model is built (see main)
    if sys.argv[1:2] != ["--version"]:  # the one command that needs no engine
        gc.disable()
        try:
            import engine.commands  # noqa: F401  (what nearly every command imports; an import error is reported by main)
        except Exception:  # pragma: no cover - a broken install; main() reports it in one line
            pass
        gc.freeze()
        gc.enable()
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except OSError:  # the reader left (`gpucost ... | head`), or the disk is full: reported by main
            pass
    os._exit(code)


if __name__ == "__main__":
    entry()
