"""Helpers every listener uses to read what bolt put in the context."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext

from bot.service import Gpucost


def service(context: BoltContext) -> Gpucost:
    """The :class:`~bot.service.Gpucost` service the app's middleware put in the context."""
    return context["gpucost"]


def team_of(context: BoltContext, body: dict[str, Any]) -> str:
    """The workspace a request belongs to (team, else enterprise for org-wide installs)."""
    team = context.team_id or body.get("team_id") or (body.get("team") or {}).get("id")
    return str(team or context.enterprise_id or "")
