"""Helpers every listener uses to read what bolt put in the context."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext, Respond

from bot.service import Gpucost


def service(context: BoltContext) -> Gpucost:
    """The :class:`~bot.service.Gpucost` service the app's middleware put in the context."""
    return context["gpucost"]


def team_of(context: BoltContext, body: dict[str, Any]) -> str:
    """The workspace a request belongs to (team, else enterprise for org-wide installs)."""
    team = context.team_id or body.get("team_id") or (body.get("team") or {}).get("id")
    return str(team or context.enterprise_id or "")


def button_request(
    body: dict[str, Any], context: BoltContext, respond: Respond
) -> tuple[Gpucost, str, str, str] | None:
    """What a button click asks: ``(service, team, user, query)``; None when the service refuses it
    (rate limit, query too long), after telling the user privately why."""
    svc = service(context)
    team, user = team_of(context, body), body["user"]["id"]
    query = body["actions"][0]["value"]
    refusal = svc.refuse(team, user, query)
    if refusal is not None:
        respond(**refusal.as_message(), replace_original=False)
        return None
    return svc, team, user, query
