"""``/gpucost <query>``: answer in the ack itself, privately, as Block Kit with a text fallback."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot.listeners.context import service, team_of


def gpucost_command(ack: Ack, command: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    """Parse the command, let the service answer, and acknowledge with the answer (ephemeral)."""
    reply = service(context).command(team_of(context, command), command["user_id"], command.get("text", ""), client)
    ack(**reply.as_message())
