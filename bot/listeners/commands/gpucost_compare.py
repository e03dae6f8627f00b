"""``/gpucost compare ...`` and ``/gpucost curve ...``: the answer in the ack (both take milliseconds),
then its PNG chart (a compare's bar chart, a curve's throughput-interactivity chart) uploaded to the
user's DM by a lazy listener."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.listeners.context import service, team_of
from bot.listeners.jobs import expect, finishing
from bot.listeners.uploads import chart_kind, chart_later

#: The commands answered in the ack with a chart after it.
CHARTED = ("compare", "curve")


def is_compare(command: dict[str, Any]) -> bool:
    """Matcher: the command text starts with ``compare`` or ``curve``."""
    return command.get("text", "").strip().lower().split(" ", 1)[0] in CHARTED


def ack_compare(ack: Ack, command: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    """Answer like any command; when there is a chart to draw, record it as owed to the user."""
    team, user = team_of(context, command), command["user_id"]
    reply = service(context).command(team, user, command.get("text", ""), client)
    result = reply.result
    query = result.query if result is not None and chart_kind(result) is not None else None
    context["gpucost_compare_query"] = query
    if query and result is not None:
        expect(context, f"{result.kind} chart", team, user, command.get("response_url"))
    ack(**reply.as_message())


@finishing("chart")
def upload_compare_chart(
    command: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond, logger: logging.Logger
) -> None:
    """After the ack: run the compare or curve again (cheap, deterministic) and hand its chart to the chart pool."""
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
