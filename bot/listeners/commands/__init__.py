"""Slash command listeners: ``/gpucost``."""

from __future__ import annotations

from slack_bolt import App

from bot.listeners.commands.gpucost import gpucost_command
from bot.listeners.commands.gpucost_change import ack_change, apply_change, is_workspace_change
from bot.listeners.commands.gpucost_compare import ack_compare, is_compare, upload_compare_chart
from bot.listeners.commands.gpucost_plan import ack_plan, answer_plan, is_plan

COMMAND = "/gpucost"


def register(app: App) -> None:
    """Workspace changes (acked, then checked with Slack and applied in a lazy listener),
    ``/gpucost compare|curve ...`` (answer, then chart in a lazy listener) and ``/gpucost plan ...``
    (acked, then the plan and its chart in a lazy listener) first, then every other ``/gpucost``."""
    app.command(COMMAND, matchers=[is_workspace_change])(ack=ack_change, lazy=[apply_change])
    app.command(COMMAND, matchers=[is_compare])(ack=ack_compare, lazy=[upload_compare_chart])
    app.command(COMMAND, matchers=[is_plan])(ack=ack_plan, lazy=[answer_plan])
    app.command(COMMAND)(gpucost_command)
