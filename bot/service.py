"""What ``/gpucost`` does, independent of how Slack delivered it.

Listeners parse Slack's payload and call :class:`Gpucost`; it applies the safety rules (query
length, per-user rate limit), handles the bot's own subcommands (``price``, ``history``,
``settings``, ``help``) and hands every estimate to :func:`engine.run` with the workspace's
:class:`~engine.config.EngineConfig`. It never computes a cost itself.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import engine
from bot import guard, render
from bot.settings import BotSettings
from bot.store import Price, Store, StoreUnavailable
from engine.config import EngineConfig, PriceOverride
from engine.errors import GpucostError
from engine.fx import normalise_currency
from engine.results import Result
from engine.units import parse_price

log = logging.getLogger(__name__)

#: Kinds of result worth keeping in ``/gpucost history``.
HISTORY_KINDS = ("inference", "daily", "train", "compare", "explain")

BOT_HELP = """*Workspace commands (this Slack app)*
• `/gpucost price list` shows this workspace's negotiated GPU prices
• `/gpucost price set H100 1.85usd` sets one (workspace admins and owners only); `13元` or `13cny` for yuan
• `/gpucost price clear H100` removes it, `/gpucost price clear all` removes every one (admins only)
• `/gpucost settings` shows the workspace settings
• `/gpucost settings currency CNY` sets its default currency (admins only)
• `/gpucost history` shows your last 10 estimates in this workspace

Answers are private to you until you press *Share to channel*. *Explain* shows the formula
behind each number, *Compare GPUs* runs the same workload on the usual alternatives."""

HINT = "Try `/gpucost help` for the grammar and examples, e.g. `/gpucost 70B 8xH100 in=500 out=300`."

#: Said under an estimate answered without the database (issue 16 item 6).
DB_DOWN_NOTICE = (
    "Estimates work, but history and this workspace's prices and settings are unavailable right now "
    "(the app's database cannot be reached); this answer uses the catalog's prices."
)
#: Said under an estimate the database gave prices for but did not save (a read-only database).
HISTORY_NOT_SAVED = "This estimate is not in your history: the app's database is not taking writes right now."
#: The answer to a workspace command that needs the database when it is down.
DB_DOWN_ERROR = (
    "History and this workspace's prices and settings are unavailable right now: the app's database cannot be reached."
)
DB_DOWN_HINT = (
    "Estimates still work, e.g. `/gpucost 70B 8xH100 in=500 out=300`; try the workspace commands again in a minute."
)


@dataclass
class Reply:
    """A message for Slack: plain ``text`` fallback plus Block Kit ``blocks``."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    response_type: str = "ephemeral"
    result: Result | None = None
    #: One line shown above the answer (e.g. the database is down), or None.
    notice: str | None = None

    def as_message(self) -> dict[str, Any]:
        """Keyword arguments for ``ack()`` / ``respond()``."""
        text, blocks = self.text, self.blocks
        if self.notice:
            text = f"{text}\n{self.notice}"
            at = 1 if blocks and blocks[0].get("type") == "header" else 0
            blocks = [*blocks[:at], render.context(f":warning: {self.notice}"), *blocks[at:]][: render.MAX_BLOCKS]
        return {"text": text[:3000], "blocks": blocks, "response_type": self.response_type}


def error_reply(message: str, hint: str = HINT) -> Reply:
    """A one-line refusal or error with a hint; ``message`` may echo user text, so it is escaped."""
    return Reply(text=render.esc(message), blocks=render.error_blocks(message, hint))


def db_down_reply() -> Reply:
    """A workspace command that needs the database, while it is down."""
    return error_reply(DB_DOWN_ERROR, DB_DOWN_HINT)


class Gpucost:
    """The Slack app's use of the engine and the store, for one deployment (any number of workspaces)."""

    def __init__(self, store: Store, settings: BotSettings) -> None:
        self.store = store
        self.settings = settings

    # bolt deep-copies the request context for lazy listeners; the service is shared, not copied
    # (it holds only the thread-safe store and the settings).
    def __copy__(self) -> Gpucost:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Gpucost:
        return self

    # -- engine --------------------------------------------------------------------------------
    def config_for(self, team_id: str) -> EngineConfig:
        """The engine configuration of a workspace: the deployment's engine settings, with the
        workspace's currency and negotiated prices on top; never file access. Raises
        :class:`~bot.store.StoreUnavailable` when the database is down."""
        currency, prices = self.store.workspace(team_id)
        overrides = tuple(
            PriceOverride(
                gpu=p.gpu,
                price_per_gpu_hour=p.price_per_gpu_hour,
                currency=p.currency,
                source="workspace negotiated price",
            )
            for p in prices
        )
        base = self.settings.engine_config()
        return base.model_copy(update={"currency": currency or base.currency, "price_overrides": overrides})

    def config_or_default(self, team_id: str) -> tuple[EngineConfig, bool]:
        """``(config, True)`` from :meth:`config_for`; ``(the deployment's config, False)`` when the
        database is down, so estimates still work (with catalog prices) and the answer says so."""
        try:
            return self.config_for(team_id), True
        except StoreUnavailable:
            return self.settings.engine_config(), False

    def run(self, team_id: str, query: str, config: EngineConfig | None = None) -> Result:
        """``engine.run`` with the workspace's configuration (raises ``GpucostError`` for bad input,
        including a ``provider=``/``region=`` the price catalog does not know: see :mod:`bot.guard`)."""
        config = config or self.config_or_default(team_id)[0]
        unknown = guard.unknown_option(query, config)
        if unknown is not None:
            key, value, known = unknown
            shown = ", ".join(known[:8]) + (f" and {len(known) - 8} more" if len(known) > 8 else "")
            raise GpucostError(f"unknown {key} '{value}'; {key}s in the price catalog: {shown}")
        return engine.run(query, config=config)

    def estimate_reply(
        self, team_id: str, query: str, *, shared_by: str | None = None, with_buttons: bool = True
    ) -> Reply:
        """Run ``query`` and render it; bad input becomes the engine's one-line message and a hint."""
        config, db_ok = self.config_or_default(team_id)
        notice = None if db_ok else DB_DOWN_NOTICE
        try:
            result = self.run(team_id, query, config)
        except GpucostError as err:
            reply = error_reply(str(err))
            reply.notice = notice
            return reply
        except Exception:
            # A bug, not bad input: log it (the query holds no secrets) and answer without a traceback.
            log.exception("engine failed on query %r", query)
            return error_reply("gpucost could not answer that because of an internal error; it has been logged.")
        text = render.esc(render.headline(result))
        if shared_by:
            text = f"<@{shared_by}> shared: {text} {render.code('/gpucost ' + result.query)}"
        blocks = render.result_blocks(result, with_buttons=with_buttons and not shared_by, shared_by=shared_by)
        return Reply(text=text, blocks=blocks, result=result, notice=notice)

    # -- guards --------------------------------------------------------------------------------
    def refuse(self, team_id: str, user_id: str, text: str) -> Reply | None:
        """A refusal for an oversized query or a user over the rate limit, else ``None``. Without the
        database the rate limit cannot be counted, and the request is let through."""
        limit = self.settings.gpucost_max_query_chars
        if len(text) > limit:
            return error_reply(
                f"That query is {len(text)} characters long; gpucost takes at most {limit}.",
                "Shorten it, e.g. `/gpucost 70B 8xH100 in=500 out=300`.",
            )
        try:
            count = self.store.hit(team_id, user_id)
        except StoreUnavailable:
            return None
        per_minute = self.settings.gpucost_rate_limit_per_minute
        if count > per_minute:
            return error_reply(
                f"You have sent {per_minute} gpucost commands this minute, the most allowed per person.",
                "Please wait a minute and try again.",
            )
        return None

    # -- /gpucost ------------------------------------------------------------------------------
    def command(self, team_id: str, user_id: str, text: str, client: Any) -> Reply:
        """Answer ``/gpucost <text>`` for ``user_id`` in workspace ``team_id``."""
        # As typed (bot.logs writes its newlines as \n, so it cannot start a log line of its own).
        log.debug("/gpucost from %s in %s: %s", user_id, team_id, text)
        text = " ".join(text.split())
        refusal = self.refuse(team_id, user_id, text)
        if refusal is not None:
            return refusal
        head, _, rest = text.partition(" ")
        sub = head.lower()
        if sub in ("", "help", "-h", "--help"):
            return self.help()
        try:
            if sub in ("price", "prices") and (not rest or rest.split()[0].lower() in ("set", "list", "clear")):
                return self.price(team_id, user_id, rest, client)
            if sub == "history":
                return self.history(team_id, user_id)
            if sub in ("settings", "setting", "config"):
                return self.workspace_settings(team_id, user_id, rest, client)
        except StoreUnavailable:
            return db_down_reply()
        reply = self.estimate_reply(team_id, text)
        if reply.result is not None and reply.result.kind in HISTORY_KINDS and reply.notice is None:
            try:
                self.store.add_history(team_id, user_id, reply.result.query, render.headline(reply.result))
            except StoreUnavailable:
                reply.notice = HISTORY_NOT_SAVED
        return reply

    def help(self) -> Reply:
        """The engine's help text followed by the workspace commands."""
        try:
            engine_help = engine.run("help").text or ""
        except Exception:
            log.exception("engine help failed")
            engine_help = ""
        blocks = [render.header("gpucost: GPU cost of running or training an LLM")]
        if engine_help.strip():
            # The engine's help is aligned plain text (the CLI's): keep its columns in a code block.
            blocks += render.code_blocks(engine_help.strip())
        blocks += render.text_blocks(BOT_HELP)
        return Reply(text="gpucost help: /gpucost <query>, e.g. /gpucost 70B 8xH100 in=500 out=300", blocks=blocks)

    def history(self, team_id: str, user_id: str) -> Reply:
        """The caller's last 10 estimates in this workspace."""
        items = self.store.list_history(team_id, user_id)
        if not items:
            return Reply(
                text="No estimates yet.",
                blocks=render.text_blocks(
                    "You have no estimates in this workspace yet. Try `/gpucost 70B 8xH100 in=500 out=300`."
                ),
            )
        lines = [
            f"{i}. {render.code('/gpucost ' + h.query)}\n      {render.esc(h.headline)}" for i, h in enumerate(items, 1)
        ]
        return Reply(
            text=f"Your last {len(items)} estimates",
            blocks=render.text_blocks("\n".join(lines), title=f"Your last {len(items)} estimates"),
        )

    # -- admin-only settings -------------------------------------------------------------------
    def is_admin(self, client: Any, user_id: str) -> bool:
        """Whether the user is a workspace admin or owner, asked of Slack with ``users.info``."""
        try:
            user = client.users_info(user=user_id)["user"]
        except Exception as err:  # SlackApiError, network: refuse rather than guess
            log.warning("users.info failed for %s: %s", user_id, type(err).__name__)
            return False
        return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))

    def _admin_refusal(self) -> Reply:
        return error_reply(
            "Only workspace admins and owners can change gpucost's workspace settings and prices.",
            "Ask an admin, or use a price in the query itself, e.g. `/gpucost 70B 8xH100 1.85usd`.",
        )

    def price(self, team_id: str, user_id: str, rest: str, client: Any) -> Reply:
        """``price set GPU PRICE``, ``price list``, ``price clear GPU|all``."""
        words = rest.split()
        action = words[0].lower() if words else "list"
        if action == "list":
            return self.price_list(team_id)
        if action == "set":
            if len(words) < 3:
                return error_reply(
                    "Usage: `/gpucost price set <GPU> <price per GPU-hour>`.",
                    "For example `/gpucost price set H100 1.85usd` or `price set H100 13元`.",
                )
            gpu_name, price_text = words[1], "".join(words[2:])
            try:  # the engine's price grammar: 1.85, $1.85, 1.85usd, 13元, ¥13, 13cny
                value, cur = parse_price(price_text)
            except GpucostError:
                return error_reply(
                    f"'{price_text}' is not a price per GPU-hour.",
                    "Write it like `1.85usd`, `$1.85`, `13元` or `13cny`.",
                )
            currency = cur or self.store.get_currency(team_id) or self.settings.gpucost_currency.upper()
            try:
                gpu = canonical_gpu(gpu_name)
            except GpucostError as err:
                return error_reply(str(err), "`/gpucost gpus` lists the GPUs gpucost knows.")
            if not self.is_admin(client, user_id):
                return self._admin_refusal()
            self.store.set_price(team_id, Price(gpu, value, currency, user_id))
            reply = self.price_list(team_id)
            reply.text = f"Set this workspace's {gpu} price to {render.money(value, currency)}/GPU-hour."
            reply.blocks.insert(0, render.mrkdwn(f":white_check_mark: {reply.text}"))
            return reply
        if action == "clear":
            if len(words) < 2:
                return error_reply("Usage: `/gpucost price clear <GPU>` or `/gpucost price clear all`.")
            if not self.is_admin(client, user_id):
                return self._admin_refusal()
            target = None if words[1].lower() == "all" else words[1]
            if target is not None:
                try:
                    target = canonical_gpu(target)
                except GpucostError:
                    pass  # clear what was stored under the typed name
            n = self.store.clear_price(team_id, target)
            what = "all negotiated prices" if target is None else f"the {target} price"
            reply = self.price_list(team_id)
            reply.text = f"Cleared {what} ({n} removed)."
            reply.blocks.insert(0, render.mrkdwn(f":white_check_mark: {reply.text}"))
            return reply
        return error_reply(f"Unknown price command '{action}'.", "Use `price set`, `price list` or `price clear`.")

    def price_list(self, team_id: str) -> Reply:
        """The workspace's negotiated prices."""
        prices = self.store.list_prices(team_id)
        if not prices:
            return Reply(
                text="This workspace has no negotiated prices; catalog prices are used.",
                blocks=render.text_blocks(
                    "This workspace has no negotiated prices; gpucost uses its "
                    "catalog prices. Admins can add one with "
                    "`/gpucost price set H100 1.85usd`."
                ),
            )
        lines = [
            f"• *{render.esc(p.gpu)}*: {render.money(p.price_per_gpu_hour, p.currency)}/GPU-hour (set by <@{p.set_by}>)"
            for p in prices
        ]
        return Reply(
            text=f"{len(prices)} negotiated prices",
            blocks=render.text_blocks("\n".join(lines), title="This workspace's negotiated GPU prices"),
        )

    def workspace_settings(self, team_id: str, user_id: str, rest: str, client: Any) -> Reply:
        """``settings`` shows them; ``settings currency CNY`` sets the default currency."""
        words = rest.split()
        if not words:
            cur = self.store.get_currency(team_id) or self.settings.gpucost_currency.upper()
            n = len(self.store.list_prices(team_id))
            return Reply(
                text=f"Currency {cur}, {n} negotiated prices",
                blocks=render.text_blocks(
                    f"• Default currency: *{cur}*\n• Negotiated prices: {n} (`/gpucost price list`)",
                    title="Workspace settings",
                ),
            )
        if words[0].lower() == "currency" and len(words) == 2:
            try:
                cur = normalise_currency(words[1])
            except GpucostError:
                return error_reply(
                    f"gpucost does not know the currency '{words[1]}'.",
                    "Use `/gpucost settings currency USD` or `/gpucost settings currency CNY`.",
                )
            if not self.is_admin(client, user_id):
                return self._admin_refusal()
            self.store.set_currency(team_id, cur, user_id)
            return Reply(
                text=f"Default currency set to {cur}.",
                blocks=render.text_blocks(f":white_check_mark: Default currency for this workspace is now *{cur}*."),
            )
        return error_reply(f"Unknown setting '{rest}'.", "Use `/gpucost settings currency USD|CNY`.")


def canonical_gpu(name: str) -> str:
    """The catalog's id for a GPU name (``h100`` -> ``H100``), raising ``GpucostError`` if unknown."""
    try:
        from engine.catalog import resolve_gpu
    except ImportError:  # catalog not available: keep what was typed
        return name.upper()
    acc = resolve_gpu(name)
    return str(getattr(acc, "id", None) or getattr(acc, "name", name))
