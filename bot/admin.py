"""The workspace commands: ``price list|set|clear`` and ``settings [currency X]``.

Changes (``price set``, ``price clear``, ``settings currency``) are for workspace admins and owners,
which only Slack knows (``users.info``), and Slack's API may be slow or down. So a change is split
in two (issue 16 item 7): :func:`parse_change` validates it at once, in the ack, and the ack says
it is being checked; :meth:`Workspace.apply` then asks Slack and writes, after the ack, and its
reply says what happened: done, refused (not an admin), or not done because Slack or the database
could not be asked. Nothing here guesses: a user Slack could not be asked about is never treated as
an admin, nor told they are not one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

from bot import render
from bot.replies import DB_DOWN_ERROR, RETRY_HINT, Reply, error_reply
from bot.settings import BotSettings
from bot.store import Price, Store, StoreUnavailable
from bot.webapi import API_ERRORS, USER_UNKNOWN, error_code, failure
from engine.errors import GpucostError
from engine.fx import normalise_currency
from engine.units import parse_price

log = logging.getLogger(__name__)

#: The first two words of a change; ``price``/``prices`` and ``settings``/``setting``/``config`` alike.
CHANGE_WORDS = frozenset(
    {("price", "set"), ("prices", "set"), ("price", "clear"), ("prices", "clear")}
    | {(s, "currency") for s in ("settings", "setting", "config")}
)

NOT_ADMIN = "Only workspace admins and owners can change gpucost's workspace settings and prices."
NOT_ADMIN_HINT = "Ask an admin, or use a price in the query itself, e.g. `/gpucost 70B 8xH100 1.85usd`."


def is_change(text: str) -> bool:
    """Whether a ``/gpucost`` text asks for a workspace change (its first two words)."""
    words = text.lower().split()
    return len(words) >= 2 and (words[0], words[1]) in CHANGE_WORDS


def plural(n: int, word: str, words: str | None = None) -> str:
    """``1 negotiated price``, ``2 negotiated prices``."""
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


@dataclass(frozen=True)
class Change:
    """A validated workspace change, not yet allowed or applied."""

    action: Literal["price_set", "price_clear", "currency"]
    gpu: str | None = None  # price_set, price_clear (None: all)
    value: float | None = None  # price_set [currency per GPU-hour]
    currency: str | None = None  # price_set: the price's (None: the workspace's); currency: the new default

    @property
    def pending(self) -> str:
        """What the ack says while the change waits for Slack's answer (mrkdwn; the GPU name, which may
        be the user's own text for ``price clear``, escaped)."""
        gpu = render.esc(self.gpu)
        what = {
            "price_set": f"set this workspace's {gpu} price",
            "price_clear": f"clear {'all negotiated prices' if self.gpu is None else f'the {gpu} price'}",
            "currency": f"set this workspace's default currency to {self.currency}",
        }[self.action]
        return f":hourglass_flowing_sand: Checking with Slack that you are a workspace admin, then I will {what}."


def parse_change(text: str) -> Change | Reply:
    """The change a ``/gpucost`` text asks for, or the one-line error saying what is wrong with it."""
    words = text.split()
    verb, args = words[1].lower(), words[2:]
    if verb == "currency":
        if len(args) != 1:
            return error_reply("Usage: `/gpucost settings currency USD` or `/gpucost settings currency CNY`.")
        try:
            return Change("currency", currency=normalise_currency(args[0]))
        except GpucostError:
            return error_reply(
                f"gpucost does not know the currency '{args[0]}'.",
                "Use `/gpucost settings currency USD` or `/gpucost settings currency CNY`.",
            )
    if verb == "clear":
        if not args:
            return error_reply("Usage: `/gpucost price clear <GPU>` or `/gpucost price clear all`.")
        if args[0].lower() == "all":
            return Change("price_clear")
        try:
            return Change("price_clear", gpu=canonical_gpu(args[0]))
        except GpucostError:
            return Change("price_clear", gpu=args[0])  # clear what was stored under the typed name
    if len(args) < 2:
        return error_reply(
            "Usage: `/gpucost price set <GPU> <price per GPU-hour>`.",
            "For example `/gpucost price set H100 1.85usd` or `price set H100 13元`.",
        )
    price_text = "".join(args[1:])
    try:  # the engine's price grammar: 1.85, $1.85, 1.85usd, 13元, ¥13, 13cny
        value, cur = parse_price(price_text)
    except GpucostError:
        return error_reply(
            f"'{price_text}' is not a price per GPU-hour.", "Write it like `1.85usd`, `$1.85`, `13元` or `13cny`."
        )
    try:
        gpu = canonical_gpu(args[0])
    except GpucostError as err:
        return error_reply(str(err), "`/gpucost gpus` lists the GPUs gpucost knows.")
    return Change("price_set", gpu=gpu, value=value, currency=cur)


def canonical_gpu(name: str) -> str:
    """The catalog's id for a GPU name (``h100`` -> ``h100-sxm-80gb``), raising ``GpucostError`` if unknown."""
    from engine.catalog import resolve_gpu

    acc = resolve_gpu(name)
    return str(getattr(acc, "id", None) or getattr(acc, "name", name))


class Workspace:
    """A workspace's settings and negotiated prices: viewing them, and admins changing them."""

    def __init__(self, store: Store, settings: BotSettings) -> None:
        self.store = store
        self.settings = settings

    def default_currency(self) -> str:
        """The deployment's currency, for a workspace that set none."""
        return self.settings.gpucost_currency.upper()

    def check_admin(self, client: Any, user_id: str) -> tuple[bool | None, str]:
        """``(True|False, "")`` as Slack's ``users.info`` says, or ``(None, what failed)`` when Slack
        could not be asked (down, slow, rate-limited, token refused)."""
        try:
            user = client.users_info(user=user_id)["user"]
        except API_ERRORS as err:
            if error_code(err) in USER_UNKNOWN:
                return False, ""
            log.warning("users.info failed for %s: %s", user_id, failure(err))
            return None, failure(err)
        return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner")), ""

    def apply(self, team_id: str, user_id: str, change: Change, client: Any) -> Reply:
        """Ask Slack whether the user is an admin, then make the change; the reply says what happened."""
        admin, why = self.check_admin(client, user_id)
        if admin is None:
            return error_reply(
                f"Nothing was changed: gpucost could not check with Slack that you are a workspace admin ({why}).",
                RETRY_HINT,
            )
        if not admin:
            return error_reply(NOT_ADMIN, NOT_ADMIN_HINT)
        try:
            if change.action == "currency":
                assert change.currency is not None
                self.store.set_currency(team_id, change.currency, user_id)
                return Reply(
                    text=f"Default currency set to {change.currency}.",
                    blocks=render.text_blocks(
                        f":white_check_mark: Default currency for this workspace is now *{change.currency}*."
                    ),
                )
            if change.action == "price_set":
                assert change.gpu is not None and change.value is not None
                currency = change.currency or self.store.get_currency(team_id) or self.default_currency()
                self.store.set_price(team_id, Price(change.gpu, change.value, currency, user_id))
                done = f"Set this workspace's {change.gpu} price to {render.money(change.value, currency)}/GPU-hour."
            else:
                n = self.store.clear_price(team_id, change.gpu)
                what = "all negotiated prices" if change.gpu is None else f"the {change.gpu} price"
                done = f"Cleared {what} ({n} removed)."
            reply = self.price_list(team_id)
        except StoreUnavailable:
            return error_reply(f"Nothing was changed: {DB_DOWN_ERROR}", RETRY_HINT)
        reply.text = render.esc(done)
        reply.blocks.insert(0, render.mrkdwn(f":white_check_mark: {reply.text}"))
        return reply

    def price_list(self, team_id: str) -> Reply:
        """The workspace's negotiated prices (raises StoreUnavailable without the database)."""
        prices = self.store.list_prices(team_id)
        if not prices:
            return Reply(
                text="This workspace has no negotiated prices; catalog prices are used.",
                blocks=render.text_blocks(
                    "This workspace has no negotiated prices; gpucost uses its catalog prices. "
                    "Admins can add one with `/gpucost price set H100 1.85usd`."
                ),
            )
        lines = [
            f"• *{render.esc(p.gpu)}*: {render.money(p.price_per_gpu_hour, p.currency)}/GPU-hour "
            f"(set by <@{render.esc(p.set_by)}>)"
            for p in prices
        ]
        return Reply(
            text=plural(len(prices), "negotiated price"),
            blocks=render.text_blocks("\n".join(lines), title="This workspace's negotiated GPU prices"),
        )

    def view(self, team_id: str, rest: str) -> Reply:
        """``settings``: the default currency and the number of negotiated prices."""
        if rest.strip():
            return error_reply(f"Unknown setting '{rest}'.", "Use `/gpucost settings currency USD|CNY`.")
        currency, prices = self.store.workspace(team_id)
        cur = currency or self.default_currency()
        n = plural(len(prices), "negotiated price")
        return Reply(
            text=f"Currency {cur}, {n}",
            blocks=render.text_blocks(
                f"• Default currency: *{cur}*\n• Negotiated prices: {len(prices)} (`/gpucost price list`)",
                title="Workspace settings",
            ),
        )
