"""Explain: the formula trace behind each number of the estimate, privately."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext, Respond

from bot import render
from bot.listeners.context import button_request
from bot.service import error_reply
from engine.errors import GpucostError


def explain(body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
    """Run ``explain <query>`` (trace + sensitivity) and reply with it under the estimate."""
    request = button_request(body, context, respond)
    if request is None:
        return
    svc, team, _, query = request
    try:
        result = svc.run(team, f"explain {query}")
    except GpucostError as err:
        respond(**error_reply(str(err)).as_message(), replace_original=False)
        return
    respond(
        text=f"How gpucost got there: {render.headline(result)}",
        blocks=render.trace_blocks(result),
        response_type="ephemeral",
        replace_original=False,
    )
