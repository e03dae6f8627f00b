"""The messages the Slack app sends that are not engine answers' bodies: the :class:`Reply`
container every listener acks or responds with, one-line errors, and the fixed texts of the app's
fault states (the database or Slack's Web API unavailable). Only formatting: no I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot import render
from engine.results import Result

HINT = "Try `/gpucost help` for the grammar and examples, e.g. `/gpucost 70B 8xH100 in=500 out=300`."

#: Said under an estimate answered without the database (issue 16 item 6).
DB_DOWN_NOTICE = (
    "Estimates work, but history and this workspace's prices and settings are unavailable right now "
    "(the app's database cannot be reached); this answer uses the catalog's prices."
)
#: Said under an estimate the database gave prices for but did not save (a read-only database).
HISTORY_NOT_SAVED = "This estimate is not in your history: the app's database is not taking writes right now."
#: The answer to a workspace command that needs the database when it is down.
DB_DOWN_ERROR = (
    "History and this workspace's prices and settings are unavailable right now: the app's database cannot be reached."
)
#: Share to channel while the database is down (the channel would see catalog, not workspace, prices).
NOT_SHARED_DB_DOWN = (
    "Not shared: this workspace's prices are unavailable right now (the app's database cannot be reached), "
    "so the channel would see other numbers than you did."
)
#: After "nothing was changed" or "not shared" for a fault that should pass.
RETRY_HINT = "Try again in a minute; estimates work meanwhile."
DB_DOWN_HINT = (
    "Estimates still work, e.g. `/gpucost 70B 8xH100 in=500 out=300`; try the workspace commands again in a minute."
)


@dataclass
class Reply:
    """A message for Slack: plain ``text`` fallback plus Block Kit ``blocks``."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    response_type: str = "ephemeral"
    result: Result | None = None
    #: One line shown above the answer (e.g. the database is down), or None.
    notice: str | None = None

    def as_message(self) -> dict[str, Any]:
        """Keyword arguments for ``ack()`` / ``respond()``."""
        text, blocks = self.text, self.blocks
        if self.notice:
            text = f"{text}\n{self.notice}"
            at = 1 if blocks and blocks[0].get("type") == "header" else 0
            blocks = [*blocks[:at], render.context(f":warning: {self.notice}"), *blocks[at:]][: render.MAX_BLOCKS]
        return {"text": text[:3000], "blocks": blocks, "response_type": self.response_type}


def error_reply(message: str, hint: str = HINT) -> Reply:
    """A one-line refusal or error with a hint; ``message`` may echo user text, so it is escaped."""
    return Reply(text=render.esc(message), blocks=render.error_blocks(message, hint))


def db_down_reply() -> Reply:
    """A workspace command that needs the database, while it is down."""
    return error_reply(DB_DOWN_ERROR, DB_DOWN_HINT)
