"""Slash command listeners: ``/gpucost``."""

from __future__ import annotations

from slack_bolt import App

from bot.listeners.commands.gpucost import gpucost_command
from bot.listeners.commands.gpucost_compare import ack_compare, is_compare, upload_compare_chart

COMMAND = "/gpucost"


def register(app: App) -> None:
    """``/gpucost compare ...`` (answer + chart in a lazy listener) first, then every other ``/gpucost``."""
    app.command(COMMAND, matchers=[is_compare])(ack=ack_compare, lazy=[upload_compare_chart])
    app.command(COMMAND)(gpucost_command)
