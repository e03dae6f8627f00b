"""``/gpucost price set|clear ...`` and ``/gpucost settings currency ...``: validated and acked at
once, then checked with Slack (``users.info``, admins only) and applied in a lazy listener, whose
reply (through the command's response_url) says what happened. Slack's API being slow or down can
no longer make the ack miss Slack's 3 seconds (issue 16 item 7)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.admin import is_change
from bot.listeners.context import service, team_of
from bot.listeners.jobs import expect, finishing


def is_workspace_change(command: dict[str, Any]) -> bool:
    """Matcher: the command asks to change a workspace setting or price."""
    return is_change(command.get("text", ""))


def ack_change(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
    """Refuse or reject at once; otherwise say the change is being checked."""
    team, user = team_of(context, command), command["user_id"]
    reply, follow = service(context).change_ack(team, user, command.get("text", ""))
    context["gpucost_follow_up"] = follow
    if follow:
        expect(context, "workspace change", team, user, command.get("response_url"))
    ack(**reply.as_message())


@finishing("workspace change")
def apply_change(command: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond) -> None:
    """After the ack: ask Slack whether the user is an admin, apply, and say what happened."""
    if not context.get("gpucost_follow_up"):
        return
    svc = service(context)
    reply = svc.change_apply(team_of(context, command), command["user_id"], command.get("text", ""), client)
    respond(**reply.as_message(), replace_original=False)
