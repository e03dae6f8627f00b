"""Compare GPUs: the same workload on the usual alternatives, privately, plus the bar chart."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import BoltContext, Respond
from slack_sdk import WebClient

from bot.listeners.context import button_request
from bot.listeners.jobs import finishing
from bot.listeners.uploads import chart_later


@finishing("Compare GPUs click")
def compare_gpus(
    body: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond, logger: logging.Logger
) -> None:
    """Run the button's ``compare ...`` query, reply with the ranking privately, and hand its chart
    (for the user's DM with the app) to the chart pool (``chart_later``). Buttons posted before the
    value was the compare query itself carry the estimate's query, which is compared as it stands."""
    request = button_request(body, context, respond)
    if request is None:
        return
    svc, team, user, query = request
    reply = svc.estimate_reply(team, query if query.startswith("compare ") else f"compare {query}")
    respond(**reply.as_message(), replace_original=False)
    if reply.result is not None:
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        if channel:
            chart_later(
                svc.jobs,
                client,
                respond,
                reply.result,
                team_id=team,
                channel_id=channel,
                user_id=user,
                response_url=body.get("response_url"),
                logger=logger,
            )
