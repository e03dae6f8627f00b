"""Keep the README's examples true: re-run every marked command and paste its real output.

    python scripts/readme_examples.py          # rewrite README.md in place
    python scripts/readme_examples.py --check  # exit 1 if any example is out of date (used by the tests)

A block looks like this in README.md (``lines=N`` keeps the first N lines)::

    <!-- example: gpucost 1.17e8 P4 0.3 | lines=19 -->
    ```
    $ gpucost 1.17e8 P4 0.3
    ...output...
    ```
    <!-- /example -->
"""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BLOCK = re.compile(r"(<!-- example: (?P<cmd>.+?) -->\n)(?P<body>.*?)(<!-- /example -->)", re.S)


def output_of(command: str) -> str:
    """What ``gpucost ...`` prints (the engine called in-process, exactly as the CLI renders it)."""
    import contextlib
    import io

    from engine.cli import main

    cmd, _, opts = command.partition(" | ")
    lines = int(opts.split("=", 1)[1]) if opts.startswith("lines=") else None
    argv = shlex.split(cmd)[1:]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        main(argv)
    text = (out.getvalue() + err.getvalue()).rstrip("\n")
    if lines:
        text = "\n".join(text.splitlines()[:lines])
    return f"```\n$ {cmd}\n{text}\n```\n"


def render(readme: str) -> str:
    return BLOCK.sub(lambda m: m.group(1) + output_of(m.group("cmd")) + m.group(4), readme)


def main(argv: list[str]) -> int:
    path = ROOT / "README.md"
    old = path.read_text(encoding="utf-8")
    new = render(old)
    if "--check" in argv:
        if new != old:
            print("README.md examples are out of date: run python scripts/readme_examples.py", file=sys.stderr)
            return 1
        return 0
    path.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
