"""The App Home tab: settings, negotiated prices and examples, published with views.publish."""

from __future__ import annotations

from bot.store import Price


def test_home_tab_shows_this_workspace_only(slack, mock, running):
    running.store.set_currency("T1", "CNY", "UADMIN")
    running.store.set_price("T1", Price("H100", 1.85, "USD", "UADMIN"))
    running.store.set_price("T2", Price("A100", 0.5, "USD", "UX"))
    r = slack.event(
        {"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home", "event_ts": "1700000000.1"}
    )
    assert r.status_code == 200
    call = mock.wait_for(lambda: mock.api_calls("views.publish"))[0]
    assert call.params["user_id"] == "U1"
    view = call.params["view"]
    view = __import__("json").loads(view) if isinstance(view, str) else view
    assert view["type"] == "home"
    blob = str(view["blocks"])
    assert "CNY" in blob and "H100" in blob and "$1.85" in blob and "A100" not in blob
    assert "/gpucost 70B 8xH100" in blob


def test_messages_tab_is_ignored(slack, mock):
    r = slack.event({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "messages"})
    assert r.status_code == 200
    assert mock.api_calls("views.publish") == []


def test_home_examples_all_run():
    import engine
    from bot.listeners.events.app_home_opened import EXAMPLES

    for example in EXAMPLES:
        query = example.split("`")[1].removeprefix("/gpucost ")
        assert engine.run(query).kind, query
