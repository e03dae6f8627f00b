"""Button listeners: Share to channel, Explain, Compare GPUs (under every estimate).

Each acks at once, recording the reply it owes (:mod:`bot.jobs`), and does its work in a lazy
listener after Slack has its 200.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.listeners.actions.compare import compare_gpus
from bot.listeners.actions.explain import explain
from bot.listeners.actions.share import share_to_channel
from bot.listeners.context import team_of
from bot.listeners.jobs import expect
from bot.render import ACTION_COMPARE, ACTION_EXPLAIN, ACTION_SHARE

#: What each button's job is called in logs and in a "could not finish" message.
LABELS = {
    ACTION_SHARE: "Share to channel click",
    ACTION_EXPLAIN: "Explain click",
    ACTION_COMPARE: "Compare GPUs click",
}


def ack_button(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    """Record the reply this click is owed, then acknowledge it within Slack's 3 seconds."""
    action = body["actions"][0]["action_id"]
    expect(context, LABELS.get(action, action), team_of(context, body), body["user"]["id"], body.get("response_url"))
    ack()


def register(app: App) -> None:
    """Register the three buttons."""
    app.action(ACTION_SHARE)(ack=ack_button, lazy=[share_to_channel])
    app.action(ACTION_EXPLAIN)(ack=ack_button, lazy=[explain])
    app.action(ACTION_COMPARE)(ack=ack_button, lazy=[compare_gpus])
