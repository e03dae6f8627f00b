"""Share to channel: post the estimate in the channel through ``response_url`` (``in_channel``),
naming who shared it and the exact query, so anyone can re-run or tweak it."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext, Respond

from bot.listeners.context import button_request
from bot.listeners.jobs import finishing
from bot.replies import DB_DOWN_NOTICE, NOT_SHARED_DB_DOWN, RETRY_HINT, error_reply


@finishing("Share to channel click")
def share_to_channel(body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
    """Re-run the button's query with the workspace settings and post it for everyone."""
    request = button_request(body, context, respond)
    if request is None:
        return
    svc, team, user, query = request
    reply = svc.estimate_reply(team, query, shared_by=user)
    if reply.notice == DB_DOWN_NOTICE:
        # Without the workspace's prices the channel would see other numbers than the user did.
        respond(**error_reply(NOT_SHARED_DB_DOWN, RETRY_HINT).as_message(), replace_original=False)
        return
    if reply.result is None:  # the query no longer runs (e.g. the catalog changed): tell only the user
        respond(**reply.as_message(), replace_original=False)
        return
    reply.response_type = "in_channel"
    respond(**reply.as_message(), replace_original=False)
