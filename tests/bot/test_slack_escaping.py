"""User text never becomes Slack markup: no mentions, links or broken code spans in what the bot posts."""

from __future__ import annotations

import re

import pytest

QUERY = "70B 8xH100 2usd"

# Unescaped Slack control sequences: <!channel>, <!here>, <@U…>, <!subteam^…>, <https://…|label>.
_MARKUP = re.compile(r"<[!@#]|<https?:")


def _ack_button_value(slack, text: str) -> str:
    body = slack.command(text).json()
    actions = next(b for b in body["blocks"] if b["type"] == "actions")
    return actions["elements"][0]["value"]


@pytest.mark.parametrize("value", ["<!channel>", "<https://evil.example|Re-authenticate>", "<@U999>", "<!subteam^S1>"])
def test_unknown_region_or_provider_is_refused_and_not_echoed(slack, value):
    for key in ("region", "provider"):
        body = slack.command(f"{QUERY} {key}={value}").json()
        assert body["text"].startswith(f"unknown {key} '")
        assert "price catalog" in body["text"]
        assert not _MARKUP.search(body["text"]) and not _MARKUP.search(str(body["blocks"]))
        assert "&lt;" in body["text"]


def test_error_replies_escape_user_text(slack):
    body = slack.command("70B 8x<!channel> 2usd").json()
    assert not _MARKUP.search(body["text"]) and not _MARKUP.search(str(body["blocks"]))


def test_known_region_still_runs(slack):
    body = slack.command("70B 8xH100 region=us-east-1").json()
    assert "actions" in [b["type"] for b in body["blocks"]], body["text"]


def test_shared_post_keeps_query_in_an_unbreakable_code_span(slack, mock):
    value = _ack_button_value(slack, QUERY)
    # A crafted button value (anyone can post a block_actions payload with any value once signed
    # by Slack, e.g. via a forged message in a shared channel) with markup and a backtick.
    crafted = value + " `<!channel>`"
    slack.click("gpucost_share", crafted, name="share")
    post = mock.wait_for(lambda: mock.responses("share"))[0].json
    for text in (post["text"], str(post["blocks"])):
        assert not _MARKUP.search(text), text
    # The query sits in exactly one code span in the top-level text: two backticks, no more.
    assert post["text"].count("`") == 2 or post["response_type"] == "ephemeral"


def test_backtick_in_the_query_cannot_open_a_code_span(slack):
    body = slack.command(QUERY + " `<!here>`").json()
    section = body["blocks"][0]["text"]["text"]
    assert section.startswith(":x:") and "`" not in section and not _MARKUP.search(section)


def test_code_span_helper_cannot_be_broken():
    from bot.render import code

    span = code("70B `<!channel>` ``` x")
    assert span.count("`") == 2 and span.startswith("`") and span.endswith("`")
    assert "<" not in span and ">" not in span


def test_workspace_changes_never_echo_markup(slack, mock):
    """A GPU name that is not in the catalog is cleared as typed: the ack and the reply escape it."""
    ack, reply = slack.change("price clear <!channel>", user="UADMIN")
    assert "Checking with Slack" in ack["text"] and reply is not None
    for message in (ack, reply):
        assert not _MARKUP.search(message["text"]) and not _MARKUP.search(str(message["blocks"]))
        assert "&lt;!channel&gt;" in message["text"]
