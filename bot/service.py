"""What ``/gpucost`` does, independent of how Slack delivered it.

Listeners parse Slack's payload and call :class:`Gpucost`; it applies the safety rules (query
length, per-user rate limit), handles the bot's own subcommands (``price``, ``history``,
``settings``, ``help``) and hands every estimate to :func:`engine.run` with the workspace's
:class:`~engine.config.EngineConfig`. It never computes a cost itself.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import engine
from bot import guard, render, render_plan
from bot.admin import Workspace, is_change, parse_change
from bot.jobs import Jobs
from bot.plans import PlannerBusy, PlannerFailed
from bot.replies import DB_DOWN_NOTICE, HISTORY_NOT_SAVED, Reply, db_down_reply, error_reply
from bot.settings import BotSettings
from bot.store import Store, StoreUnavailable
from engine.config import EngineConfig, PriceOverride
from engine.errors import GpucostError
from engine.results import Result

log = logging.getLogger(__name__)

#: Kinds of result worth keeping in ``/gpucost history``.
HISTORY_KINDS = ("inference", "daily", "train", "compare", "explain", "plan", "curve")

#: Under a plan refused because too many are queued.
BUSY_HINT = "A plan that names its GPUs (`gpus=H100,H200`) searches less and finishes sooner."

BOT_HELP = """*Workspace commands (this Slack app)*
• `/gpucost price list` shows this workspace's negotiated GPU prices
• `/gpucost price set H100 1.85usd` sets one (workspace admins and owners only); `13元` or `13cny` for yuan
• `/gpucost price clear H100` removes it, `/gpucost price clear all` removes every one (admins only)
• `/gpucost settings` shows the workspace settings
• `/gpucost settings currency CNY` sets its default currency (admins only)
• `/gpucost history` shows your last 10 estimates in this workspace

*Plans and curves*
• `/gpucost plan llama-3-70b requests=1M tpot_max=50ms` says "Planning…" at once, then gives the cheapest \
configuration (cost per day, latency), the cheapest API offer, the break-even traffic and the five cheapest rows, \
each with its query; a search over every GPU kind takes up to a few seconds (`gpus=H100,H200` searches fewer)
• `/gpucost curve llama-3-70b H100` shows the throughput-interactivity frontier, each point with its query
• Both send their chart to your direct messages with the app

Answers are private to you until you press *Share to channel*. *Explain* shows the formula
behind each number, *Compare GPUs* runs the same workload on the usual alternatives."""


def is_plan_query(text: str) -> bool:
    """The query asks for a plan (computed in the plan worker processes, answered after the ack)."""
    return text.strip().split(" ", 1)[0].lower() == "plan"


class Gpucost:
    """The Slack app's use of the engine and the store, for one deployment (any number of workspaces)."""

    def __init__(self, store: Store, settings: BotSettings) -> None:
        self.store = store
        self.settings = settings
        self.workspace = Workspace(store, settings)
        #: The lazy-listener pool (bolt's ``listener_executor``) and the work acknowledged on it.
        self.jobs = Jobs(settings.gpucost_lazy_workers, settings.gpucost_plan_workers)

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
        including a ``provider=``/``region=`` the price catalog does not know: see :mod:`bot.guard`).
        A plan runs in a plan worker process (:class:`bot.plans.PlanRunner`; it may also raise
        :class:`~bot.plans.PlannerBusy` or :class:`~bot.plans.PlannerFailed`): call it only after the ack."""
        config = config or self.config_or_default(team_id)[0]
        self.check_options(query, config)
        if is_plan_query(query):
            return self.jobs.plans.run(query, config)
        return engine.run(query, config=config)

    @staticmethod
    def check_options(query: str, config: EngineConfig) -> None:
        """Raise ``GpucostError`` for a ``provider=``/``region=`` the price catalog does not know."""
        unknown = guard.unknown_option(query, config)
        if unknown is not None:
            key, value, known = unknown
            shown = ", ".join(known[:8]) + (f" and {len(known) - 8} more" if len(known) > 8 else "")
            raise GpucostError(f"unknown {key} '{value}'; {key}s in the price catalog: {shown}")

    def estimate_reply(
        self,
        team_id: str,
        query: str,
        *,
        shared_by: str | None = None,
        with_buttons: bool = True,
        asked_at: float | None = None,
    ) -> Reply:
        """Run ``query`` and render it; bad input becomes the engine's one-line message and a hint.
        ``asked_at`` (``time.monotonic()`` at the command's ack) lets a plan say how long it took."""
        config, db_ok = self.config_or_default(team_id)
        notice = None if db_ok else DB_DOWN_NOTICE
        try:
            result = self.run(team_id, query, config)
        except GpucostError as err:
            reply = error_reply(str(err))
            reply.notice = notice
            return reply
        except PlannerBusy as err:
            return error_reply(str(err), BUSY_HINT)
        except PlannerFailed as err:
            log.warning("plan not answered (%s): %r", err, query)
            return error_reply(f"gpucost could not finish this plan ({err}); please try again in a moment.")
        except Exception:
            # A bug, not bad input: log it (the query holds no secrets) and answer without a traceback.
            log.exception("engine failed on query %r", query)
            return error_reply("gpucost could not answer that because of an internal error; it has been logged.")
        text = render.esc(render.headline(result))
        if shared_by:
            text = f"<@{shared_by}> shared: {text} {render.code('/gpucost ' + result.query)}"
        buttons = with_buttons and not shared_by
        if result.kind == "plan":
            answered_in = time.monotonic() - asked_at if asked_at is not None else None
            blocks = render_plan.plan_blocks(
                result, with_buttons=buttons, shared_by=shared_by, answered_in_s=answered_in, chart_note=buttons
            )
        elif result.kind == "curve":
            blocks = render_plan.curve_blocks(result, with_buttons=buttons, shared_by=shared_by, chart_note=buttons)
        else:
            compare = self.compare_query(team_id, result, config) if buttons else None
            blocks = render.result_blocks(result, with_buttons=buttons, shared_by=shared_by, compare_query=compare)
        return Reply(text=text, blocks=blocks, result=result, notice=notice)

    def compare_query(self, team_id: str, result: Result, config: EngineConfig) -> str | None:
        """The ``compare ...`` query of the same workload across GPUs, or None where the engine's
        compare does not apply (issue 16 item 10). An inference query is one as it stands (compare
        reads every option inference does); a daily query without its ``daily`` is one when compare
        accepts its options (not ``disagg=``, ``gpus=``, ``prefill_tps=``...), which is checked by
        running it; a training run has none (compare is of serving)."""
        if result.kind == "inference":
            return f"compare {result.query}"
        if result.kind != "daily" or not result.query.startswith("daily "):
            return None
        query = "compare " + result.query.removeprefix("daily ")
        try:
            self.run(team_id, query, config)
        except GpucostError:
            return None
        except Exception:
            log.exception("compare of a daily answer failed: %r", query)
            return None
        return query

    def explain_reply(self, team_id: str, query: str) -> Reply:
        """``explain <query>``: the formula trace and what moves the answer most."""
        config, db_ok = self.config_or_default(team_id)
        try:
            result = self.run(team_id, f"explain {query}", config)
        except GpucostError as err:
            return error_reply(str(err))
        return Reply(
            text=f"How gpucost got there: {render.esc(render.headline(result))}",
            blocks=render.trace_blocks(result),
            notice=None if db_ok else DB_DOWN_NOTICE,
        )

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
            if is_change(text):  # the listeners send these to change_ack/change_apply instead
                change = parse_change(text)
                return change if isinstance(change, Reply) else self.workspace.apply(team_id, user_id, change, client)
            if sub in ("price", "prices") and (not rest or rest.lower() == "list"):
                return self.workspace.price_list(team_id)
            if sub == "history":
                return self.history(team_id, user_id)
            if sub in ("settings", "setting", "config"):
                return self.workspace.view(team_id, rest)
        except StoreUnavailable:
            return db_down_reply()
        return self.answer(team_id, user_id, text)

    def answer(self, team_id: str, user_id: str, text: str, asked_at: float | None = None) -> Reply:
        """The estimate's reply, kept in the user's history (a plan's after its ack: see :meth:`plan_ack`)."""
        reply = self.estimate_reply(team_id, text, asked_at=asked_at)
        if reply.result is not None and reply.result.kind in HISTORY_KINDS and reply.notice is None:
            try:
                self.store.add_history(team_id, user_id, reply.result.query, render.headline(reply.result))
            except StoreUnavailable:
                reply.notice = HISTORY_NOT_SAVED
        return reply

    # -- plans: acknowledged at once, answered after the search -------------------------------------
    def plan_ack(self, team_id: str, user_id: str, text: str) -> tuple[Reply, str | None]:
        """The ack of ``/gpucost plan ...`` and the query to plan after it (None: nothing follows).
        Checked at once, cheaply: the rate limit and length, the grammar (``engine.parse_query``), the
        ``provider=``/``region=`` values and the plan queue; the model, GPUs and limits are checked by
        the plan itself, whose one-line error is then the answer."""
        text = " ".join(text.split())
        refusal = self.refuse(team_id, user_id, text)
        if refusal is not None:
            return refusal, None
        try:
            engine.parse_query(text)
            self.check_options(text, self.config_or_default(team_id)[0])
        except GpucostError as err:
            return error_reply(str(err)), None
        plans = self.jobs.plans
        if plans.busy():
            return error_reply(str(PlannerBusy(plans.in_flight)), BUSY_HINT), None
        ahead = plans.in_flight
        wait = f" ({ahead} plan{'s' if ahead != 1 else ''} ahead of yours)" if ahead else ""
        narrow = "" if "gpus=" in text.lower() else " (`gpus=H100,H200` searches fewer GPU kinds, sooner)"
        line = (
            f":hourglass_flowing_sand: Planning {render.code('/gpucost ' + text)}{wait}: it takes up to a few "
            f"seconds{narrow}. The answer will follow here, and its chart in your direct messages with the app."
        )
        return Reply(text=line, blocks=[render.mrkdwn(line)]), text

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
        title = "Your last estimate" if len(items) == 1 else f"Your last {len(items)} estimates"
        entries = [
            f"{i}. {render.code('/gpucost ' + h.query)}\n      {render.esc(h.headline)}" for i, h in enumerate(items, 1)
        ]
        # Whole entries per section (never one cut mid-code-span at Slack's 3,000 characters).
        return Reply(text=title, blocks=[render.header(title), *render.packed_sections(entries)])

    # -- workspace changes: validated in the ack, applied after it (Slack's users.info may be slow) --
    def change_ack(self, team_id: str, user_id: str, text: str) -> tuple[Reply, bool]:
        """The ack of a workspace change and whether :meth:`change_apply` should follow: a refusal
        or a malformed change is answered at once (False); a valid one is checked and applied after
        the ack, which says so (True)."""
        text = " ".join(text.split())
        refusal = self.refuse(team_id, user_id, text)
        if refusal is not None:
            return refusal, False
        change = parse_change(text)
        if isinstance(change, Reply):
            return change, False
        return Reply(text=change.pending, blocks=[render.mrkdwn(change.pending)]), True

    def change_apply(self, team_id: str, user_id: str, text: str, client: Any) -> Reply:
        """Check with Slack that the user is an admin and apply the change (after the ack)."""
        change = parse_change(" ".join(text.split()))
        if isinstance(change, Reply):
            return change
        return self.workspace.apply(team_id, user_id, change, client)
