"""Logging set-up that keeps tokens and secrets out of every log line.

A filter on the root handler masks anything shaped like a Slack token (``xoxb-…``, ``xapp-…``),
an OAuth ``code=``/``state=``/``client_secret=`` parameter, and any configured secret value.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

_PATTERNS = (
    re.compile(r"xox[abposre]-[A-Za-z0-9-]+"),
    re.compile(r"xapp-[A-Za-z0-9-]+"),
    re.compile(r"(?i)((?:code|state|client_secret|token)=)[^&\s\"']+"),
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with tokens, OAuth parameters and the given secret values replaced by ``***``."""
    for s in secrets:
        if s:
            text = text.replace(s, "***")
    text = _PATTERNS[0].sub("xox?-***", text)
    text = _PATTERNS[1].sub("xapp-***", text)
    return _PATTERNS[2].sub(r"\1***", text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message with :func:`redact` before any handler formats it."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the fully formatted message (args included) in place."""
        try:
            message = record.getMessage()
        except Exception:
            return True
        cleaned = redact(message, self.secrets)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            # Tracebacks are formatted later; cache a redacted version so it is used instead.
            formatter = logging.Formatter()
            record.exc_text = redact(formatter.formatException(record.exc_info), self.secrets)
        return True


def setup_logging(level: str, secrets: Iterable[str] = ()) -> None:
    """Root logging to stderr at ``level`` with the redacting filter on the handler."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True
