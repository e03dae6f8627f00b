"""Tying bolt's lazy listeners to :class:`bot.jobs.Jobs`: the ack records the job it promises
(:func:`expect`), the lazy listener marks it done however it ends (:func:`finishing`), and tells the
user when it fails instead of leaving the click unanswered."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext

from bot.listeners.context import service

log = logging.getLogger(__name__)

#: The context key the job id travels under, from the ack to the lazy listener (bolt copies the context).
JOB_KEY = "gpucost_job"


def expect(context: BoltContext, label: str, team: str, user: str, response_url: str | None) -> None:
    """In an ack: record the job the lazy listener will finish."""
    context[JOB_KEY] = service(context).jobs.expect(label, team, user, response_url)


def finishing(label: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Decorate a lazy listener (which must take ``context``): its job is done when it returns or
    fails; a failure is logged and, where the request has a response_url, the user is told."""

    def decorate(func: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(func)  # bolt reads the wrapped function's parameters (inspect.unwrap)
        def run(**kwargs: Any) -> None:
            context: BoltContext = kwargs["context"]
            try:
                func(**kwargs)
            except Exception:
                log.exception("%s failed", label)
                respond = kwargs.get("respond") or context.respond
                if respond is not None and context.response_url:
                    try:
                        respond(
                            text=f"gpucost could not finish your {label} because of an internal error; it has been "
                            "logged.",
                            response_type="ephemeral",
                            replace_original=False,
                        )
                    except Exception as err:
                        log.warning("could not tell the user that %s failed: %s", label, type(err).__name__)
            finally:
                service(context).jobs.done(context.get(JOB_KEY))

        return run

    return decorate
