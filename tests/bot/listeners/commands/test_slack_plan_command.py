"""``/gpucost plan ...`` and ``/gpucost curve ...`` end to end (issue 12, Slack part): the real HTTP
server, signed commands, the mock Web API recording the answer posted to the response_url and the
chart uploaded to the user's DM; SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import time

import engine
from bot.app import service_of
from bot.fmt import esc
from engine.config import EngineConfig
from engine.errors import GpucostError

#: Quick plans (tens of milliseconds): one model without an API offer, one with two.
PLAN = "plan llama-3-70b requests=1M tpot_max=50ms gpus=H100,H200"
PLAN_API = "plan gpt-oss-120b requests=1M tpot_max=50ms gpus=H100,4090"
CURVE = "curve llama-3-70b H100 in=1000 out=300"

# Unescaped Slack control sequences: <!channel>, <!here>, <@U…>, <!subteam^…>, <https://…|label>.
_MARKUP = re.compile(r"<[!@#]|<https?:")


def expected(query: str):
    return engine.run(query, config=EngineConfig(allow_files=False))


def sections(blocks: list[dict]) -> list[str]:
    """The mrkdwn text of every section and context block, in order."""
    out = []
    for b in blocks:
        if b["type"] == "section" and "text" in b:
            out.append(b["text"]["text"])
        elif b["type"] == "context":
            out.append(" ".join(e["text"] for e in b["elements"]))
    return out


def table_of(blocks: list[dict]) -> list[str]:
    """The lines of the first code block (the fitted table)."""
    block = next(t for t in sections(blocks) if t.startswith("```"))
    return block.strip("`").splitlines()


def slow_plans(running, monkeypatch, seconds: float) -> None:
    """Make every plan of the running app take ``seconds`` longer, deterministically: the lazy listener's
    call into the plan worker sleeps first (the worker process itself cannot be patched from here)."""
    plans = service_of(running.app).jobs.plans
    real = plans.run

    def slow(query, config, *args, **kwargs):
        time.sleep(seconds)
        return real(query, config, *args, **kwargs)

    monkeypatch.setattr(plans, "run", slow)


def test_a_slow_plan_is_acked_at_once_and_posted_when_done(slack, mock, running, monkeypatch):
    slow_plans(running, monkeypatch, 4.0)  # past Slack's 3 s
    start = time.perf_counter()
    r = slack.command(PLAN, channel="C5", name="plan")
    acked = time.perf_counter() - start
    assert r.status_code == 200 and acked < 3.0, acked
    ack = r.json()
    assert ack["response_type"] == "ephemeral" and ack["text"].startswith(":hourglass_flowing_sand: Planning")
    assert f"`/gpucost {PLAN}`" in ack["text"] and "direct messages" in ack["text"]
    assert mock.responses("plan") == []  # nothing yet: the answer follows the plan
    post = mock.wait_for(lambda: mock.responses("plan"), timeout=60)[0]
    assert post.at - start >= 4.0
    body = post.json
    want = expected(PLAN)
    assert body["response_type"] == "ephemeral" and body["replace_original"] is False
    assert body["text"] == esc(want.headline())
    texts = sections(body["blocks"])
    answered = re.search(r"Answered ([\d.]+) s after the command", " ".join(texts))
    assert answered and float(answered.group(1)) >= 4.0
    # The chart follows, in the user's DM with the app.
    complete = mock.wait_for(lambda: mock.api_calls("files.completeUploadExternal"), timeout=60)[0]
    assert mock.api_calls("files.getUploadURLExternal")[0].params["filename"] == "gpucost-plan.png"
    assert mock.api_calls("conversations.open")[0].params["users"] == "U1"
    assert complete.params["channel_id"] == "DU1"
    upload = mock.uploads()[0]
    assert upload.body.startswith(b"\x89PNG") and len(upload.body) > 10_000
    files = complete.params["files"]
    files = json.loads(files) if isinstance(files, str) else files
    assert files[0]["id"] == upload.method
    comment = complete.params["initial_comment"]
    assert "<@U1> planned in <#C5>" in comment and f"`/gpucost {want.query}`" in comment


def test_plan_answer_best_row_table_queries_and_count(slack, mock):
    want = expected(PLAN)
    assert want.kind == "plan" and want.table is not None and not want.api
    cols = {c: i for i, c in enumerate(want.table.columns)}
    best = want.table.rows[0]
    slack.command(PLAN, name="plan")
    body = mock.wait_for(lambda: mock.responses("plan"), timeout=60)[0].json
    texts = sections(body["blocks"])
    blob = "\n".join(texts)
    summary = next(t for t in texts if t.startswith("*Best:*"))
    # the best configuration, its cost per day and latency (as the command line shows them)
    assert f"*Best:* {best[cols['gpus']]}× {best[cols['gpu']]} (1 replica: {best[cols['layout']]})" in summary
    assert f"{best[cols['dtype']]}, {best[cols['engine']]}, batch {best[cols['batch']]}" in summary
    assert f"at {best[cols['provider']]} {best[cols['region']]}" in summary
    assert f"*Cost:* ${want.cost_per_day:,.2f} a day" in summary
    assert f"${want.price_per_gpu_hour:.2f} per GPU-hour" in summary
    assert f"time to first token {best[cols['ttft_loaded_s']] * 1000:.3g} ms under load" in summary
    assert f"{want.tpot_s * 1000:.3g} ms per output token" in summary
    assert "*API:* no published offer for this model" in summary
    # the five cheapest rows, in a table that fits Slack's width
    lines = table_of(body["blocks"])
    assert lines[0].split()[:3] == ["#", "GPU", "GPUs"] and "$/day" in lines[0] and "TPOT" in lines[0]
    assert [line.split()[0] for line in lines[1:]] == ["1", "2", "3", "4", "5"]
    assert max(map(len, lines)) <= 72
    for line, row in zip(lines[1:], want.table.rows[:5], strict=True):
        assert line.split()[1:3] == [row[cols["gpu"]], str(row[cols["gpus"]])]
        assert f"${row[cols['cost_per_day']]:,.2f}" in line
    assert f"Not shown here: {len(want.table.rows) - 5:,} more rows" in blob
    assert f"`gpucost {want.query} --json`" in blob
    # each row's query in a code span, and it reproduces the row
    queries = re.findall(r"#(\d) `/gpucost ([^`]+)`", blob)
    assert queries == [(str(r[cols["rank"]]), r[cols["query"]]) for r in want.table.rows[:5]]
    again = expected(queries[0][1])
    assert again.cost_per_day == want.cost_per_day and again.tpot_s == want.tpot_s
    # how many configurations were evaluated and how long it took
    i = want.inputs
    assert (
        f"{i['configurations_evaluated']:,} configurations evaluated ({i['configurations_meeting_limits']:,} meeting "
        "the limits) in " in blob
    )
    assert f"{i['rows']:,} listed, the 5 cheapest per day shown" in blob
    for w in want.warnings:
        assert esc(w) in blob
    # one button: Share (Explain and Compare GPUs do not apply to a plan)
    actions = next(b for b in body["blocks"] if b["type"] == "actions")
    assert [(e["action_id"], e["value"]) for e in actions["elements"]] == [("gpucost_share", want.query)]


def test_plan_with_api_offers_gives_the_cheapest_and_the_break_even(slack, mock):
    want = expected(PLAN_API)
    assert want.api and want.break_even_requests_per_day is not None
    offer = want.api[0]
    slack.command(PLAN_API, name="plan")
    body = mock.wait_for(lambda: mock.responses("plan"), timeout=60)[0].json
    blob = "\n".join(sections(body["blocks"]))
    be = want.break_even_requests_per_day
    assert be < 1e6  # the formatting below is for thousands
    assert (
        f"*Cheapest API:* {offer.provider} `{offer.provider_model}`, ${offer.cost_per_day:,.2f} a day "
        f"(${offer.usd_per_million_input_tokens:.2f} in, ${offer.usd_per_million_output_tokens:.2f} out per million "
        "tokens)"
    ) in blob
    assert f"*Break-even:* self-hosting costs less above {be / 1000:.3g}K requests a day" in blob
    assert f"(at 1M requests a day: self-hosting ${want.cost_per_day:,.2f}, API ${offer.cost_per_day:,.2f})" in blob
    # every offer with its date and source link
    for o in want.api:
        assert f"{o.provider} `{o.provider_model}`: *${o.cost_per_day:,.2f} a day*" in blob
        assert f"{o.as_of}, <{o.source}|source>" in blob


def test_plan_grammar_errors_are_answered_in_the_ack(slack, mock):
    try:
        engine.parse_query("plan llama-3-70b reqests=1M")
    except GpucostError as err:
        message = str(err)
    r = slack.command("plan llama-3-70b reqests=1M", name="bad")
    body = r.json()
    assert body["text"] == esc(message) and "did you mean 'requests'" in body["text"]
    assert sections(body["blocks"])[0].startswith(":x:") and "/gpucost help" in str(body["blocks"])
    time.sleep(0.5)
    assert mock.responses("bad") == [] and mock.uploads() == []


def test_plan_errors_found_by_the_search_are_one_posted_line(slack, mock):
    for i, query in enumerate(("plan <!channel> requests=1M", "plan llama-3-70b requests=1M tpot_max=1ms gpus=H100")):
        try:
            expected(query)
        except GpucostError as err:
            message = str(err)
        ack = slack.command(query, name=f"bad{i}").json()
        assert ack["text"].startswith(":hourglass_flowing_sand: Planning") and not _MARKUP.search(str(ack))
        post = mock.wait_for(lambda n=f"bad{i}": mock.responses(n), timeout=60)[0].json
        assert post["text"] == esc(message) and post["response_type"] == "ephemeral"
        assert "\n" not in post["text"] and "Traceback" not in str(post)
        assert not _MARKUP.search(post["text"]) and not _MARKUP.search(str(post["blocks"]))
    assert "&lt;!channel&gt;" in mock.responses("bad0")[0].json["text"]
    time.sleep(0.5)
    assert mock.uploads() == []


def test_unknown_provider_in_a_plan_is_refused_in_the_ack(slack, mock):
    body = slack.command("plan llama-3-70b requests=1M provider=<!here>", name="bad").json()
    assert body["text"].startswith("unknown provider '&lt;!here&gt;'") and not _MARKUP.search(str(body))
    time.sleep(0.3)
    assert mock.responses("bad") == []


def test_plan_chart_upload_refused_tells_the_user(slack, mock):
    mock.errors["conversations.open"] = "missing_scope"
    slack.command(PLAN, name="plan")
    posts = mock.wait_for(lambda: len(mock.responses("plan")) >= 2 and mock.responses("plan"), timeout=60)
    answer, told = posts[0].json, posts[1].json
    assert answer["text"] == esc(expected(PLAN).headline())
    assert "missing_scope" in told["text"] and "im:write" in told["text"] and told["response_type"] == "ephemeral"


def test_plan_chart_with_slack_down_says_what_failed(slack, mock):
    mock.api_status = 503
    slack.command(PLAN, name="plan")
    posts = mock.wait_for(lambda: len(mock.responses("plan")) >= 2 and mock.responses("plan"), timeout=60)
    told = posts[1].json["text"]
    assert "Slack answered HTTP 503" in told and "run the command again for the chart" in told


def test_share_a_plan_to_the_channel(slack, mock):
    want = expected(PLAN)
    slack.command(PLAN, name="plan")
    answer = mock.wait_for(lambda: mock.responses("plan"), timeout=60)[0].json
    value = next(b for b in answer["blocks"] if b["type"] == "actions")["elements"][0]["value"]
    assert slack.click("gpucost_share", value, user="U7", name="share").status_code == 200
    post = mock.wait_for(lambda: mock.responses("share"), timeout=60)[0].json
    assert post["response_type"] == "in_channel" and post["replace_original"] is False
    assert post["text"] == f"<@U7> shared: {esc(want.headline())} `/gpucost {want.query}`"
    blob = str(post["blocks"])
    assert "Shared by <@U7>" in blob and "*Best:*" in blob and "```" in blob
    assert all(b["type"] != "actions" for b in post["blocks"])  # no private buttons in the channel
    assert "direct messages" not in blob  # no chart is sent for a share
    # no mention or link but the sharer's (and the price sources' links, which are catalog data)
    assert set(re.findall(r"<[!@#][^>]*>", post["text"] + blob)) == {"<@U7>"}


def test_a_crafted_plan_share_value_cannot_ping_the_channel(slack, mock):
    slack.click("gpucost_share", PLAN + " `<!channel>` region=<!here>", name="share")
    post = mock.wait_for(lambda: mock.responses("share"), timeout=60)[0].json
    assert post["response_type"] == "ephemeral"  # refused: only the clicking user sees it
    for text in (post["text"], str(post["blocks"])):
        assert not _MARKUP.search(text), text


def test_curve_is_answered_in_the_ack_with_its_chart_after(slack, mock):
    want = expected(CURVE)
    assert want.kind == "curve" and want.table is not None
    cols = {c: i for i, c in enumerate(want.table.columns)}
    r = slack.command(CURVE, channel="C3", name="curve")
    body = r.json()
    assert body["response_type"] == "ephemeral" and body["text"] == esc(want.headline())
    texts = sections(body["blocks"])
    blob = "\n".join(texts)
    front = [row for row in want.table.rows if row[cols["pareto"]]]
    fastest = max(front, key=lambda row: row[cols["tokens_per_s_per_user"]])
    most = max(front, key=lambda row: row[cols["tokens_per_s_per_gpu"]])
    assert f"*Most throughput:* {most[cols['tokens_per_s_per_gpu']]:,.4g} output tokens/s per GPU" in blob
    assert f"at {fastest[cols['tokens_per_s_per_user']]:.3g} tokens/s per user" in blob
    assert f"*Price:* {want.inputs['price_source']}" in blob
    lines = table_of(body["blocks"])
    assert max(map(len, lines)) <= 72 and len(lines) == 1 + min(10, len(front))
    shown = re.findall(r"`/gpucost ([^`]+)`", next(t for t in texts if t.startswith("*Each point's query*")))
    assert set(shown) <= {row[cols["query"]] for row in front} and len(shown) == len(lines) - 1
    assert fastest[cols["query"]] in shown and most[cols["query"]] in shown
    assert f"Not shown here: {len(want.table.rows) - len(shown)} more rows" in blob
    complete = mock.wait_for(lambda: mock.api_calls("files.completeUploadExternal"), timeout=60)[0]
    assert mock.api_calls("files.getUploadURLExternal")[0].params["filename"] == "gpucost-curve.png"
    assert complete.params["channel_id"] == "DU1" and mock.uploads()[0].body.startswith(b"\x89PNG")
    assert "<#C3>" in complete.params["initial_comment"]


def test_plans_and_curves_are_kept_in_history(slack, mock, running):
    slack.command(PLAN, name="plan")
    mock.wait_for(lambda: mock.responses("plan"), timeout=60)
    slack.command(CURVE)
    assert [h.query for h in running.store.list_history("T1", "U1")] == [expected(CURVE).query, expected(PLAN).query]
    body = slack.command("history").json()
    assert f"`/gpucost {expected(PLAN).query}`" in str(body["blocks"])


def test_the_plan_queue_is_bounded(slack, mock, running, monkeypatch):
    plans = service_of(running.app).jobs.plans
    monkeypatch.setattr(plans, "limit", 1)
    slow_plans(running, monkeypatch, 3.0)
    first = slack.command(PLAN, name="first").json()
    assert first["text"].startswith(":hourglass_flowing_sand: Planning")
    mock.wait_for(lambda: plans.in_flight == 1)
    second = slack.command(PLAN, user="U2", name="second").json()
    assert second["text"] == "gpucost is computing 1 plan already, the most it queues; please try again in a minute."
    assert "gpus=H100,H200" in str(second["blocks"])
    assert mock.wait_for(lambda: mock.responses("first"), timeout=60)[0].json["text"] == esc(expected(PLAN).headline())
    assert mock.responses("second") == []
    mock.wait_for(lambda: plans.in_flight == 0)
    third = slack.command(PLAN, user="U3", name="third").json()
    assert third["text"].startswith(":hourglass_flowing_sand: Planning")
    mock.wait_for(lambda: mock.responses("third"), timeout=60)


def test_the_plan_ack_says_how_many_plans_are_ahead(slack, mock, running, monkeypatch):
    plans = service_of(running.app).jobs.plans
    slow_plans(running, monkeypatch, 2.0)
    slack.command(PLAN, name="first")
    mock.wait_for(lambda: plans.in_flight == 1)
    second = slack.command(PLAN_API, user="U2", name="second").json()
    assert "(1 plan ahead of yours)" in second["text"]
    assert "searches fewer GPU kinds" not in second["text"]  # it names its GPUs already
    for name in ("first", "second"):
        mock.wait_for(lambda n=name: mock.responses(n), timeout=60)


def test_help_tells_how_plans_and_curves_are_answered(slack):
    blob = str(slack.command("help").json()["blocks"])
    assert "`/gpucost plan llama-3-70b requests=1M tpot_max=50ms`" in blob and "Planning…" in blob
    assert "`/gpucost curve llama-3-70b H100`" in blob and "direct messages" in blob
