"""``/gpucost compare ...``: the ranking in the ack, then a PNG bar chart uploaded by a lazy listener."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.listeners.context import service, team_of
from bot.listeners.jobs import expect, finishing
from bot.listeners.uploads import chart_later


def is_compare(command: dict[str, Any]) -> bool:
    """Matcher: the command text starts with ``compare``."""
    return command.get("text", "").strip().lower().split(" ", 1)[0] == "compare"


def ack_compare(ack: Ack, command: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    """Answer like any command; when there is a chart to draw, record it as owed to the user."""
    team, user = team_of(context, command), command["user_id"]
    reply = service(context).command(team, user, command.get("text", ""), client)
    query = reply.result.query if reply.result is not None else None
    context["gpucost_compare_query"] = query
    if query:
        expect(context, "compare chart", team, user, command.get("response_url"))
    ack(**reply.as_message())


@finishing("compare chart")
def upload_compare_chart(
    command: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond, logger: logging.Logger
) -> None:
    """After the ack: run the compare again (cheap, deterministic) and hand its chart to the chart pool."""
    query = context.get("gpucost_compare_query")
    if not query:
        return  # refused or bad input: the ack already said so
    svc, team = service(context), team_of(context, command)
    chart_later(
        svc.jobs,
        client,
        respond,
        svc.run(team, query),
        team_id=team,
        channel_id=command["channel_id"],
        user_id=command["user_id"],
        response_url=command.get("response_url"),
        logger=logger,
    )
