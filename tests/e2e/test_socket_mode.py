"""`salesrl serve --socket`: the same app over Socket Mode (a WebSocket to Slack, no public URL)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import TRANSCRIPT, bot_settings


@pytest.mark.slow
def test_a_command_over_socket_mode_is_acked_and_answered(agent, fake_slack, tmp_path):
    from salesrl.bot.server import socket_mode_handler
    from salesrl.bot.slack.app import build_app
    from salesrl.bot.store import Store

    url = f"sqlite:///{tmp_path / 'socket.db'}"
    settings = bot_settings(fake_slack, url, slack_app_token=fake_slack.app_token)
    store = Store.open(url)
    app, bot = build_app(settings, store, agent)
    handler = socket_mode_handler(app, fake_slack.app_token)
    handler.connect()
    try:
        envelope = fake_slack.socket_mode_send("slash_commands", {
            "team_id": "T0TEAM", "channel_id": "C0SALES", "user_id": "U0ANA", "command": "/salesrl",
            "text": f"score Acme :: {TRANSCRIPT}", "response_url": fake_slack.response_url(),
            "trigger_id": fake_slack.new_trigger_id(), "api_app_id": "A0SALESRL",
        })
        (ack,) = fake_slack.wait_for("socket_mode_ack")
        assert ack.params["envelope_id"] == envelope
        assert "Scoring" in ack.params["payload"]["text"]
        fake_slack.wait_for("files.completeUploadExternal")
        assert "Acme" in fake_slack.messages("C0SALES")[0]["text"]
    finally:
        handler.close()
        bot.shutdown()
        store.close()
