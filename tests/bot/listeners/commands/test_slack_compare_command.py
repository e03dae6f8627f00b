"""``/gpucost compare ...``: the ranking in the ack, then the PNG chart via files_upload_v2."""

from __future__ import annotations

import json

import engine
from bot.chart import cost_column
from engine.config import EngineConfig

QUERY = "compare 70B in=500 out=300"


def test_compare_acks_table_then_uploads_png(slack, mock):
    expected = engine.run(QUERY, config=EngineConfig())
    assert expected.kind == "compare" and expected.table is not None
    assert cost_column(expected.table) is not None, expected.table.columns
    r = slack.command(QUERY, channel="C5")
    body = r.json()
    assert body["response_type"] == "ephemeral"
    assert expected.headline() in body["text"]
    assert "```" in str(body["blocks"])  # the ranking table
    # files_upload_v2: get an upload URL, upload the bytes, complete into the channel.
    complete = mock.wait_for(lambda: mock.api_calls("files.completeUploadExternal"))[0]
    get_url = mock.api_calls("files.getUploadURLExternal")[0]
    assert get_url.params["filename"] == "gpucost-compare.png"
    upload = mock.uploads()[0]
    assert upload.body.startswith(b"\x89PNG")
    assert int(get_url.params["length"]) == len(upload.body)
    # private like the answer: the chart goes to the user's DM with the app, not the channel
    assert mock.api_calls("conversations.open")[0].params["users"] == "U1"
    assert complete.params["channel_id"] == "DU1"
    files = complete.params["files"]
    files = json.loads(files) if isinstance(files, str) else files
    assert files[0]["id"] == upload.method
    assert "<@U1>" in complete.params["initial_comment"] and "<#C5>" in complete.params["initial_comment"]


def test_chart_upload_refused_tells_the_user(slack, mock):
    mock.errors["conversations.open"] = "missing_scope"
    slack.command(QUERY, name="cmp")
    post = mock.wait_for(lambda: mock.responses("cmp"))[0].json
    assert "missing_scope" in post["text"] and "im:write" in post["text"]
    assert post["response_type"] == "ephemeral"


def test_bad_compare_gets_no_upload(slack, mock):
    body = slack.command("compare 70B 8xNOSUCHGPU").json()
    assert body["response_type"] == "ephemeral"
    assert "/gpucost help" in str(body["blocks"])
    import time

    time.sleep(0.3)
    assert mock.api_calls("files.getUploadURLExternal") == []
