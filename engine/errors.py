"""Errors the engine raises for bad input.

Every error is a one-line, user-facing message that says what was wrong and how to fix it, with
"did you mean" suggestions where a name was not recognised. Front ends (CLI, Slack, Excel) show
``str(err)`` as is and never a traceback.

This module imports only the standard library.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from pathlib import Path

MAX_QUOTE = 60  # [characters] of a user's token quoted in a message; the rest is elided
_QUOTED = re.compile(rf"'([^'\s]{{{MAX_QUOTE + 1},}})'")  # one long quoted token


def excerpt(text: str, n: int = MAX_QUOTE) -> str:
    """``text``, or its first ``n`` characters and how many more there were."""
    return text if len(text) <= n else f"{text[:n]}... ({len(text) - n:,} more characters)"


class GpucostError(ValueError):
    """Bad input: the message is one line, fit to show to a user.

    ``token`` is the piece of input that was wrong (when there is one), ``hint`` how to fix it,
    ``suggestions`` close names for an unknown one.
    """

    def __init__(
        self,
        message: str,
        *,
        token: str | None = None,
        hint: str | None = None,
        suggestions: Iterable[str] = (),
    ) -> None:
        self.message = message
        self.token = token
        self.hint = hint
        self.suggestions = list(suggestions)
        super().__init__(self.render())

    def render(self) -> str:
        parts = [self.message.rstrip(".")]
        if self.suggestions:
            parts.append("did you mean " + ", ".join(f"'{s}'" for s in self.suggestions[:4]) + "?")
        if self.hint:
            parts.append(self.hint.rstrip("."))
        text = "; ".join(parts).replace("\n", " ") + "."
        return _QUOTED.sub(lambda m: f"'{excerpt(m.group(1))}'", text)


class UnknownNameError(GpucostError):
    """A GPU, model, provider, currency or option name that is not in the catalogs."""


class DoesNotFitError(GpucostError):
    """Raised only where an answer cannot be given at all (a fit failure is normally an answer)."""


def suggest(name: str, candidates: Iterable[str], n: int = 4, cutoff: float = 0.6) -> list[str]:
    """Close matches for ``name`` among ``candidates`` (case-insensitive), best first."""
    cands = list(dict.fromkeys(candidates))
    lower = {c.lower(): c for c in cands}
    hits = difflib.get_close_matches(name.lower(), list(lower), n=n, cutoff=cutoff)
    out = [lower[h] for h in hits]
    # Also offer names that contain what was typed (e.g. "h1" -> "H100"), after the fuzzy ones.
    key = name.lower()
    if len(key) >= 2:
        for c in cands:
            if key in c.lower() and c not in out:
                out.append(c)
            if len(out) >= n:
                break
    return out[:n]


def user_path(text: str | Path) -> Path:
    """A path as a user typed it, ``~`` expanded; a ``~name`` of no such user (or no home directory)
    is a one-line error, not the RuntimeError ``pathlib`` raises."""
    try:
        return Path(text).expanduser()
    except RuntimeError:
        raise GpucostError(
            f"cannot expand '{text}': no such user or home directory", hint="write the path in full, e.g. /data/x.json"
        ) from None


def path_error(exc: OSError) -> GpucostError | None:
    """The one-line error for a path the system refused for its shape (a name over 255 bytes, a
    path too long), or None for any other OS error."""
    import errno

    if exc.errno != errno.ENAMETOOLONG:
        return None
    name = str(exc.filename or "")
    return GpucostError(
        f"the path '{excerpt(name)}' is too long (a file or folder name over 255 bytes)",
        hint="check the path; shorten the name",
    )
