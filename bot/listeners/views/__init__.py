"""View (modal) listeners. gpucost opens no modals yet; kept so the tree matches Slack's kinds."""

from __future__ import annotations

from slack_bolt import App


def register(app: App) -> None:
    """Nothing to register yet."""
