"""The bot's own subcommands: price set/list/clear (admins only, via users.info), settings, history."""

from __future__ import annotations

import engine
from engine.config import EngineConfig, PriceOverride

QUERY = "70B 8xH100 in=500 out=300"


def test_price_set_needs_admin(slack, mock, running):
    ack, body = slack.change("price set H100 1.85usd", user="U1")
    assert "Checking with Slack" in ack["text"] and ack["response_type"] == "ephemeral"
    assert "Only workspace admins and owners" in body["text"]
    assert mock.api_calls("users.info")[0].params["user"] == "U1"
    assert running.store.list_prices("T1") == []


def test_admin_sets_lists_and_clears_price(slack, mock, running):
    _, body = slack.change("price set h100 1.85usd", user="UADMIN")
    assert body["response_type"] == "ephemeral"
    assert "$1.85" in body["text"]
    [price] = running.store.list_prices("T1")
    assert (price.price_per_gpu_hour, price.currency, price.set_by) == (1.85, "USD", "UADMIN")
    gpu = price.gpu
    listed = slack.command("price list").json()
    assert gpu in str(listed["blocks"]) and "1.85" in str(listed["blocks"])
    # The negotiated price reaches the engine for this workspace only.
    ours = slack.command(QUERY).json()["text"]
    theirs = slack.command(QUERY, team="T2").json()["text"]
    cfg = EngineConfig(
        price_overrides=(
            PriceOverride(gpu=gpu, price_per_gpu_hour=1.85, currency="USD", source="workspace negotiated price"),
        )
    )
    assert engine.run(QUERY, config=cfg).headline() in ours
    assert engine.run(QUERY, config=EngineConfig()).headline() in theirs
    # Owners may clear it.
    _, cleared = slack.change("price clear H100", user="UOWNER", name="clear")
    assert "Cleared" in cleared["text"]
    assert running.store.list_prices("T1") == []


def test_price_in_yuan_and_bad_price(slack, running):
    slack.change("price set H100 13元", user="UADMIN")
    assert running.store.list_prices("T1")[0].currency == "CNY"
    bad, follow = slack.change("price set H100 cheap", user="UADMIN")
    assert "not a price" in bad["text"] and follow is None  # answered in the ack, nothing follows
    unknown, _ = slack.change("price set NOSUCHGPU 1usd", user="UADMIN")
    assert unknown["response_type"] == "ephemeral" and "\n" not in unknown["text"]


def test_unknown_user_is_not_an_admin(slack, mock, running):
    mock.errors["users.info"] = "user_not_found"
    _, body = slack.change("price set H100 1.85usd", user="UADMIN")
    assert "Only workspace admins" in body["text"]
    assert running.store.list_prices("T1") == []


def test_settings_currency(slack, running):
    assert "USD" in slack.command("settings").json()["text"]
    assert "Only workspace admins" in slack.change("settings currency CNY", name="s1")[1]["text"]
    assert "CNY" in slack.change("settings currency cny", user="UADMIN", name="s2")[1]["text"]
    assert running.store.get_currency("T1") == "CNY"
    assert running.store.get_currency("T2") is None
    assert "does not know" in slack.change("settings currency XYZ", user="UADMIN")[0]["text"]


def test_history_last_ten_per_user_and_workspace(slack, running):
    for i in range(12):
        slack.command(f"70B 8xH100 in={100 + i} out=300")
    slack.command(QUERY, user="U2")
    slack.command(QUERY, team="T2")
    body = slack.command("history").json()
    blob = str(body["blocks"])
    assert body["response_type"] == "ephemeral"
    assert "in=111" in blob and "in=102" in blob and "in=101" not in blob
    assert len(running.store.list_history("T1", "U1")) == 10
    assert [h.query for h in running.store.list_history("T1", "U2")] == [engine.run(QUERY).query]
    assert "no estimates" in str(slack.command("history", user="U3").json()["blocks"])
