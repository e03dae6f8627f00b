"""Events API listeners: the App Home tab."""

from __future__ import annotations

from slack_bolt import App

from bot.listeners.events.app_home_opened import ack_home, publish_home


def register(app: App) -> None:
    """``app_home_opened``: acknowledged at once, the Home tab published after (views.publish)."""
    app.event("app_home_opened")(ack=ack_home, lazy=[publish_home])
