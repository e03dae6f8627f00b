"""Button listeners: Share to channel, Explain, Compare GPUs (under every estimate).

Each acks at once and does its work in a lazy listener, after Slack has its 200.
"""

from __future__ import annotations

from slack_bolt import App

from bot.listeners.actions.compare import compare_gpus
from bot.listeners.actions.explain import explain
from bot.listeners.actions.share import share_to_channel
from bot.render import ACTION_COMPARE, ACTION_EXPLAIN, ACTION_SHARE


def ack_only(ack) -> None:
    """Acknowledge the click within Slack's 3 seconds."""
    ack()


def register(app: App) -> None:
    """Register the three buttons."""
    app.action(ACTION_SHARE)(ack=ack_only, lazy=[share_to_channel])
    app.action(ACTION_EXPLAIN)(ack=ack_only, lazy=[explain])
    app.action(ACTION_COMPARE)(ack=ack_only, lazy=[compare_gpus])
