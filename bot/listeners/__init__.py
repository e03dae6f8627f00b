"""Every listener of the app, split by Slack's kinds of request, as in bolt-python's starter template."""

from __future__ import annotations

from slack_bolt import App

from bot.listeners import actions, commands, events, views


def register_listeners(app: App) -> None:
    """Register the listeners of every kind on ``app``."""
    actions.register(app)
    commands.register(app)
    events.register(app)
    views.register(app)
