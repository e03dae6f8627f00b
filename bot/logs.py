"""Logging set-up that keeps secrets out of every log line and every log line one line.

A filter on the root handler rewrites each record before it is written:

- anything shaped like a Slack token (``xoxb-…``, ``xapp-…``), an HTTP ``Basic``/``Bearer``
  credential, and the value of an OAuth parameter (``code``, ``state``, ``client_secret``, tokens)
  is masked, whether it appears as ``code=…`` (a query string), ``'code': '…'`` or
  ``'code': ['…']`` (a dict's repr: slack_sdk's DEBUG request log, bolt's OAuth callback log) or
  ``code: …`` (bolt's "Failed to fetch oauth.v2.access result with code: …" warning); so are the
  configured secret values themselves;
- control characters in the message (newlines above all) are written as escapes (``\\n``), so text
  from a request can never start a line of its own and forge a log entry;
- a message is cut at :data:`MAX_MESSAGE_CHARS`, so a request cannot make the log grow by its size.

Tracebacks keep their lines (they are the app's own) but are masked too.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from typing import TextIO

#: Longest message written [characters]; the rest is replaced by a count.
MAX_MESSAGE_CHARS = 4000

_SLACK_TOKEN = re.compile(r"xox[abposre]-[A-Za-z0-9-]+")
_APP_TOKEN = re.compile(r"xapp-[A-Za-z0-9-]+")
_HTTP_CREDENTIAL = re.compile(r"(?i)\b(Basic|Bearer)\s+[A-Za-z0-9+/=._~-]{6,}")
# The parameter's name, then "=" or ":" (a dict key's closing quote before it, an opening quote
# or list bracket after it), then the value up to a delimiter. "status code: 500" is not a secret.
_PARAM = re.compile(
    r"""(?ix)
    (
      (?<![\w-])(?<!status\ )
      (?:code|state|client_secret|token|access_token|refresh_token|bot_token|user_token)
      ['"]?\s*[:=]\s*\[?\s*['"]?
    )
    [^\s'"&,;\]}]+
    """
)
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r"}


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with tokens, HTTP credentials, OAuth parameters and the given secret values masked."""
    for s in secrets:
        if s:
            text = text.replace(s, "***")
    text = _SLACK_TOKEN.sub("xox?-***", text)
    text = _APP_TOKEN.sub("xapp-***", text)
    text = _HTTP_CREDENTIAL.sub(r"\1 ***", text)
    return _PARAM.sub(r"\1***", text)


def _escape(match: re.Match[str]) -> str:
    c = match.group()
    if c in _NAMED:
        return _NAMED[c]
    return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"


def one_line(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` on one line (control characters escaped) and at most about ``limit`` characters."""
    text = _CONTROL.sub(_escape, text)
    if len(text) > limit:
        text = f"{text[:limit]}… [{len(text) - limit} more characters]"
    return text


class RedactingFilter(logging.Filter):
    """Rewrites each record's message with :func:`redact` and :func:`one_line` before any handler
    formats it."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the fully formatted message (args included) in place; never drops a record."""
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what there is, made safe
            message = f"{record.msg!r} % {record.args!r}"
        record.msg, record.args = one_line(redact(message, self.secrets)), None
        if record.exc_info and record.exc_info[1] is not None:
            # Tracebacks are formatted later; cache a redacted version so it is used instead.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info), self.secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.secrets)
        return True


def setup_logging(level: str, secrets: Iterable[str] = (), stream: TextIO | None = None) -> None:
    """Root logging to ``stream`` (stderr) at ``level`` with the redacting filter on the handler."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True
