"""Explain: the formula trace behind each number of the estimate, privately."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext, Respond

from bot.listeners.context import button_request
from bot.listeners.jobs import finishing


@finishing("Explain click")
def explain(body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
    """Run ``explain <query>`` (trace + sensitivity) and reply with it under the estimate."""
    request = button_request(body, context, respond)
    if request is None:
        return
    svc, team, _, query = request
    respond(**svc.explain_reply(team, query).as_message(), replace_original=False)
