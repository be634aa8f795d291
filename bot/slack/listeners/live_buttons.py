"""The live card's "End session" button: ends the session of the card's thread (as `end` does)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from salesrl.bot.live.slack_thread import end_live
from salesrl.bot.slack.asker import Asker
from salesrl.bot.slack.context import BotContext
from salesrl.bot.slack.listeners.workspace import workspace_id

END_ACTION = "live_end"


def register(app: App, ctx: BotContext) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()

    def end(body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        team = workspace_id(context, body)
        message = body.get("message") or {}
        channel = str((body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or "")
        card_ts = str(message.get("ts") or (body.get("container") or {}).get("message_ts") or "")
        thread_ts = str(message.get("thread_ts") or card_ts)
        session = ctx.store.live.find(team, channel, thread_ts)
        if session is None or session.card_ts != card_ts:
            return  # already ended, or not a card of ours
        asker = Asker(team_id=team, user_id=str((body.get("user") or {}).get("id") or ""), channel_id=channel,
                      thread_ts=thread_ts, response_url=body.get("response_url"))
        end_live(ctx, client, session, asker)

    app.action(END_ACTION)(ack=acknowledge, lazy=[end])
