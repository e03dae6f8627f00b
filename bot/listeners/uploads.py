"""Uploading the compare chart with ``files_upload_v2`` (files.getUploadURLExternal, the upload,
files.completeUploadExternal), shared by the compare command and the Compare GPUs button.

The answer to a command is private until its user presses "Share to channel", and it may carry the
workspace's negotiated prices; Slack has no private file upload, so the chart goes to the user's
direct-message conversation with the app (conversations.open, scope ``im:write``), not the channel.
Whatever stops the upload (Slack refusing it, slow, or unreachable) is said to the user privately:
the chart is never lost without a word (issue 16 item 7)."""

from __future__ import annotations

import logging

from slack_bolt import Respond
from slack_sdk import WebClient

from bot import render
from bot.chart import ChartRenderer, cost_column
from bot.jobs import Jobs
from bot.webapi import API_ERRORS, error_code, failure
from engine.results import Result

#: Slack's answers that mean the app lacks a permission an admin can grant by reinstalling it.
NEEDS_REINSTALL = frozenset({"missing_scope", "not_allowed_token_type", "not_authed", "invalid_auth"})


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
    """Hand the chart of a compare to the chart pool (:meth:`bot.jobs.Jobs.background`), as a job of its
    own, so the lazy listener that posted the ranking is free at once."""
    if result.table is None or cost_column(result.table) is None:
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

    jobs.background("compare chart", team_id, user_id, response_url, work, on_error=told)


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
    """Draw the bar chart of ``result.table`` (in the chart worker process) and upload it to the user's
    DM with the app; tell the user privately if it cannot be uploaded. ``channel_id`` is where the
    command was typed (named in the comment)."""
    if result.table is None:
        return
    png = renderer.render(result.table, result.title or result.query, result.currency)
    if png is None:
        return
    try:
        dm = client.conversations_open(users=user_id)["channel"]["id"]
        client.files_upload_v2(
            channel=dm,
            content=png,
            filename="gpucost-compare.png",
            title=f"Cost per million tokens: {result.query}"[:250],
            alt_txt="Bar chart of cost per million tokens for each GPU",
            initial_comment=f"<@{user_id}> compared GPUs in <#{channel_id}>: {render.code('/gpucost ' + result.query)}",
        )
    except API_ERRORS as err:
        why = failure(err)
        logger.warning("chart upload failed: %s", why)
        if error_code(err) in NEEDS_REINSTALL:
            hint = " The app needs the im:write scope to send you the chart; ask an admin to reinstall it."
        else:
            hint = " The ranking above is complete; try Compare GPUs again for the chart."
        respond(
            text=f"The chart could not be sent to your direct messages ({render.esc(why)}).{hint}",
            response_type="ephemeral",
            replace_original=False,
        )
