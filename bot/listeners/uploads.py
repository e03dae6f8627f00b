"""Uploading the compare chart with ``files_upload_v2`` (files.getUploadURLExternal, the upload,
files.completeUploadExternal), shared by the compare command and the Compare GPUs button."""

from __future__ import annotations

import logging

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.chart import bar_chart_png
from engine.results import Result


def upload_chart(
    client: WebClient,
    respond: Respond,
    result: Result,
    *,
    channel_id: str,
    user_id: str,
    logger: logging.Logger,
) -> None:
    """Upload the bar chart of ``result.table`` to the channel; tell the user privately if Slack refuses."""
    if result.table is None:
        return
    png = bar_chart_png(result.table, result.title or result.query, result.currency)
    if png is None:
        return
    try:
        client.files_upload_v2(
            channel=channel_id,
            content=png,
            filename="gpucost-compare.png",
            title=f"Cost per million tokens: {result.query}"[:250],
            alt_txt="Bar chart of cost per million tokens for each GPU",
            initial_comment=f"<@{user_id}> compared GPUs: `/gpucost {result.query}`",
        )
    except SlackApiError as err:
        code = err.response.get("error", "unknown_error") if err.response is not None else "unknown_error"
        logger.warning("chart upload failed: %s", code)
        hint = (
            " Invite the app to this channel (`/invite @gpucost`) to get the chart."
            if code in ("not_in_channel", "channel_not_found")
            else ""
        )
        respond(
            text=f"The chart could not be uploaded ({code}).{hint}",
            response_type="ephemeral",
            replace_original=False,
        )
