"""Events API listeners: the App Home tab."""

from __future__ import annotations

from slack_bolt import App

from bot.listeners.events.app_home_opened import app_home_opened


def register(app: App) -> None:
    """Register ``app_home_opened``."""
    app.event("app_home_opened")(app_home_opened)
