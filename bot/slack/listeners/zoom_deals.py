"""The buttons of the DM asking a Zoom meeting's host which deal the call is about (bot.zoom.recordings):
a click files the call under that deal, scored in the worker pool, and the DM then says where it went."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from salesrl.bot.slack.asker import Asker
from salesrl.bot.slack.context import BotContext
from salesrl.bot.slack.listeners.workspace import workspace_id
from salesrl.bot.slack.outbox import report_failure
from salesrl.bot.zoom.recordings import file_under

FILE_ACTION = re.compile(r"^zoom_file:(\d+)$")  # one button per deal: zoom_file:<deal id>, its value the call's row


def register(app: App, ctx: BotContext) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()

    def pick(body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        matched = FILE_ACTION.match(str(action.get("action_id", "")))
        value = str(action.get("value", ""))
        if matched is None or not value.isdigit():
            return  # not a button of ours
        team = workspace_id(context, body)
        user = str((body.get("user") or {}).get("id") or "")
        channel = str((body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or "")
        message_ts = str((body.get("message") or {}).get("ts") or (body.get("container") or {}).get("message_ts") or "")
        asker = Asker(team_id=team, user_id=user, channel_id=channel or None, response_url=body.get("response_url"))

        def job() -> None:
            try:
                filed = file_under(ctx, client, team, int(value), int(matched.group(1)), user)
                if filed is None:
                    return  # another click filed it: that one updates the DM
                done = ctx.templates.message("slack/zoom_filed.json.j2", topic=filed.topic or "untitled",
                                             deal=filed.deal, channel=filed.channel_id)
                if channel and message_ts:
                    client.chat_update(channel=channel, ts=message_ts, **done.as_kwargs())
            except Exception as e:
                report_failure(client, ctx.templates, asker, e)

        ctx.workers.submit(job)

    app.action(FILE_ACTION)(ack=acknowledge, lazy=[pick])

