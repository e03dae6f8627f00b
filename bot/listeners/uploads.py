"""Uploading a chart with ``files_upload_v2`` (files.getUploadURLExternal, the upload,
files.completeUploadExternal): a compare's (the compare command and the Compare GPUs button), a
plan's and a curve's (the plan and curve commands).

The answer to a command is private until its user presses "Share to channel", and it may carry the
workspace's negotiated prices; Slack has no private file upload, so the chart goes to the user's
direct-message conversation with the app (conversations.open, scope ``im:write``), not the channel.
Whatever stops the upload (Slack refusing it, slow, or unreachable) is said to the user privately:
the chart is never lost without a word (issue 16 item 7)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_bolt import Respond
from slack_sdk import WebClient

from bot import render
from bot.chart import ChartRenderer, cost_column
from bot.jobs import Jobs
from bot.webapi import API_ERRORS, error_code, failure
from engine.results import Result

#: Slack's answers that mean the app lacks a permission an admin can grant by reinstalling it.
NEEDS_REINSTALL = frozenset({"missing_scope", "not_allowed_token_type", "not_authed", "invalid_auth"})


@dataclass(frozen=True)
class ChartKind:
    """How the chart of one kind of result is named and described in Slack."""

    job: str  # the job's label ("compare chart"), in logs and "could not finish" messages
    filename: str
    title: str  # the file's title, before the query
    alt: str  # alt text (what the image shows, for screen readers)
    did: str  # "<@U…> {did} in <#C…>: `/gpucost …`"
    again: str  # what to do for the chart after a failed upload


CHARTS = {
    "compare": ChartKind(
        "compare chart",
        "gpucost-compare.png",
        "Cost per million tokens",
        "Bar chart of cost per million tokens for each GPU",
        "compared GPUs",
        "The ranking above is complete; try Compare GPUs again for the chart.",
    ),
    "plan": ChartKind(
        "plan chart",
        "gpucost-plan.png",
        "Plan: cost per million output tokens against tokens/s per user",
        "Scatter chart of cost per million output tokens (log scale) against output tokens per second per user for "
        "every planned configuration, with the cost-latency frontier, the cheapest configuration per day, the "
        "latency limit and the API offers' output prices",
        "planned",
        "The plan above is complete; run the command again for the chart.",
    ),
    "curve": ChartKind(
        "curve chart",
        "gpucost-curve.png",
        "Throughput per GPU against tokens/s per user",
        "Line chart of output tokens per second per GPU against output tokens per second per user, one line per "
        "layout over batch sizes, with the frontier",
        "drew a throughput curve",
        "The table above is complete; run the command again for the chart.",
    ),
}


def chart_kind(result: Result) -> ChartKind | None:
    """How ``result``'s chart is uploaded, or None when it has none (a compare without a cost column)."""
    if result.table is None or not result.table.rows:
        return None
    if result.kind == "compare" and cost_column(result.table) is None:
        return None
    return CHARTS.get(result.kind)


def chart_later(
    jobs: Jobs,
    client: WebClient,
    respond: Respond,
    result: Result,
    *,
    team_id: str,
    channel_id: str,
    user_id: str,
    response_url: str | None,
    logger: logging.Logger,
) -> None:
    """Hand the chart of a compare, plan or curve to the chart pool (:meth:`bot.jobs.Jobs.background`),
    as a job of its own, so the lazy listener that posted the answer is free at once."""
    kind = chart_kind(result)
    if kind is None:
        return

    def told() -> None:
        respond(
            text="The chart could not be drawn because of an internal error; it has been logged.",
            response_type="ephemeral",
            replace_original=False,
        )

    def work() -> None:
        upload_chart(
            client, respond, result, renderer=jobs.renderer, channel_id=channel_id, user_id=user_id, logger=logger
        )

    jobs.background(kind.job, team_id, user_id, response_url, work, on_error=told)


def upload_chart(
    client: WebClient,
    respond: Respond,
    result: Result,
    *,
    renderer: ChartRenderer,
    channel_id: str,
    user_id: str,
    logger: logging.Logger,
) -> None:
    """Draw the chart of ``result`` (in the chart worker process) and upload it to the user's DM with
    the app; tell the user privately if it cannot be uploaded. ``channel_id`` is where the command
    was typed (named in the comment)."""
    kind = chart_kind(result)
    if kind is None:
        return
    png = renderer.render_result(result)
    if png is None:
        return
    try:
        dm = client.conversations_open(users=user_id)["channel"]["id"]
        client.files_upload_v2(
            channel=dm,
            content=png,
            filename=kind.filename,
            title=f"{kind.title}: {result.query}"[:250],
            alt_txt=kind.alt,
            initial_comment=f"<@{user_id}> {kind.did} in <#{channel_id}>: {render.code('/gpucost ' + result.query)}",
        )
    except API_ERRORS as err:
        why = failure(err)
        logger.warning("chart upload failed: %s", why)
        if error_code(err) in NEEDS_REINSTALL:
            hint = " The app needs the im:write scope to send you the chart; ask an admin to reinstall it."
        else:
            hint = " " + kind.again
        respond(
            text=f"The chart could not be sent to your direct messages ({render.esc(why)}).{hint}",
            response_type="ephemeral",
            replace_original=False,
        )
