"""``/gpucost plan ...``: acknowledged at once ("Planning…"), then the plan is computed in a plan
worker process (a search over every GPU kind takes up to a few seconds, past Slack's 3 s for the
ack) and posted through the command's response_url by a lazy listener, followed by its chart in
the user's DM with the app (issue 12)."""

from __future__ import annotations

import logging
import time
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.listeners.context import service, team_of
from bot.listeners.jobs import expect, finishing
from bot.listeners.uploads import chart_later
from bot.service import is_plan_query

#: Context keys from the ack to the lazy listener (bolt copies the context).
QUERY_KEY = "gpucost_plan_query"
ASKED_KEY = "gpucost_plan_asked"


def is_plan(command: dict[str, Any]) -> bool:
    """Matcher: the command text starts with ``plan``."""
    return is_plan_query(command.get("text", ""))


def ack_plan(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
    """Refuse or reject at once (rate limit, grammar, unknown provider or region, a full queue);
    otherwise say the plan is on its way, and record the answer as owed to the user."""
    team, user = team_of(context, command), command["user_id"]
    reply, query = service(context).plan_ack(team, user, command.get("text", ""))
    context[QUERY_KEY] = query
    context[ASKED_KEY] = time.monotonic()
    if query:
        expect(context, "plan", team, user, command.get("response_url"))
    ack(**reply.as_message())


@finishing("plan")
def answer_plan(
    command: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond, logger: logging.Logger
) -> None:
    """After the ack: compute the plan (in a plan worker process), post it, then hand its chart to
    the chart pool."""
    query = context.get(QUERY_KEY)
    if not query:
        return  # refused or bad input: the ack already said so
    svc, team, user = service(context), team_of(context, command), command["user_id"]
    reply = svc.answer(team, user, query, asked_at=context.get(ASKED_KEY))
    respond(**reply.as_message(), replace_original=False)
    if reply.result is not None:
        chart_later(
            svc.jobs,
            client,
            respond,
            reply.result,
            team_id=team,
            channel_id=command["channel_id"],
            user_id=user,
            response_url=command.get("response_url"),
            logger=logger,
        )
