"""The App Home tab: the workspace's settings, its negotiated prices, and examples."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot import render
from bot.listeners.context import service, team_of
from bot.listeners.jobs import expect, finishing
from bot.replies import DB_DOWN_ERROR
from bot.store import StoreUnavailable
from bot.webapi import API_ERRORS, failure

EXAMPLES = (
    "`/gpucost 1.17e8 P4 0.3` — serving cost from tokens per day, GPU and price",
    "`/gpucost 70B 8xH100 in=500 out=300` — a 70B model on one 8×H100 node",
    "`/gpucost daily llama-3-70b H100 requests=5M in=800 out=400` — a day of traffic",
    "`/gpucost train 7B H100 tokens=2T` — pre-training",
    "`/gpucost compare 70B in=500 out=300` — the same workload across GPUs, with a chart",
    "`/gpucost plan llama-3-70b requests=1M tpot_max=50ms` — the cheapest GPUs and layout within a latency limit, "
    "against the API prices, with a chart",
    "`/gpucost curve llama-3-70b H100` — throughput per GPU against tokens/s per user",
    "`/gpucost help` — the full grammar",
)


def home_view(svc: Any, team_id: str) -> dict[str, Any]:
    """The Home tab view for a workspace (its settings say they are unavailable when the database is)."""
    try:
        currency, prices = svc.store.workspace(team_id)
    except StoreUnavailable:
        workspace = [render.mrkdwn(f":warning: {DB_DOWN_ERROR}")]
    else:
        price_lines = (
            "\n".join(
                f"• *{render.esc(p.gpu)}*: {render.money(p.price_per_gpu_hour, p.currency)}/GPU-hour" for p in prices
            )
            or "_None: gpucost uses its catalog prices._"
        )
        workspace = [
            render.mrkdwn(f"*Workspace settings*\n• Default currency: *{currency or svc.settings.gpucost_currency}*"),
            render.mrkdwn("*Negotiated GPU prices*\n" + price_lines),
        ]
    blocks = [
        render.header("gpucost: what does it cost to run or train an LLM?"),
        *workspace,
        render.context(
            "Admins and owners change these with `/gpucost settings currency CNY`, "
            "`/gpucost price set H100 1.85usd` and `/gpucost price clear H100`."
        ),
        {"type": "divider"},
        render.mrkdwn("*Examples*\n" + "\n".join(f"• {e}" for e in EXAMPLES)),
    ]
    return {"type": "home", "blocks": blocks}


def ack_home(ack: Ack, event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
    """Acknowledge the event within Slack's 3 seconds; the Home tab (not the Messages tab) is owed."""
    if event.get("tab", "home") == "home":
        expect(context, "Home tab", team_of(context, body), str(event.get("user", "")), None)
    ack()


@finishing("Home tab")
def publish_home(
    event: dict[str, Any],
    body: dict[str, Any],
    context: BoltContext,
    client: WebClient,
    logger: logging.Logger,
) -> None:
    """After the ack: publish the Home tab for the user who opened it. There is no one to tell if
    Slack refuses or does not answer; it is logged, and Slack shows the tab's last version."""
    if event.get("tab", "home") != "home":
        return
    view = home_view(service(context), team_of(context, body))
    try:
        client.views_publish(user_id=event["user"], view=view)
    except API_ERRORS as err:
        logger.warning("views.publish of the Home tab failed: %s", failure(err))
