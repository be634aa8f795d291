"""Transcript files shared in a DM with the bot, or in a channel it is in."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from salesrl.agent.errors import TranscriptError
from salesrl.bot.slack.asker import Asker
from salesrl.bot.slack.context import BotContext
from salesrl.bot.slack.files import TRANSCRIPT_EXTENSIONS, transcript_files
from salesrl.bot.slack.incoming_text import split_deal_name, unescape
from salesrl.bot.slack.listeners.workspace import once_per_event, workspace_id
from salesrl.bot.slack.outbox import report_failure
from salesrl.bot.slack.scoring import CallToScore, submit_scoring


def register(app: App, ctx: BotContext) -> None:
    def accept(event: dict[str, Any], body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        """Runs before the event is acknowledged: Slack never sends an acknowledged event again, so
        its calls are recorded first (bot.slack.pending). Replies go out after the ack."""
        if event.get("bot_id") or not event.get("user"):
            return
        asker = Asker(team_id=workspace_id(context, body), user_id=str(event["user"]),
                      channel_id=event.get("channel"), thread_ts=event.get("thread_ts") or event.get("ts"))
        try:
            files = transcript_files(event.get("files"))
            if not files:
                if event.get("channel_type") == "im":  # in a channel, other files are none of our business
                    kinds = ", ".join("." + e for e in TRANSCRIPT_EXTENSIONS)
                    raise TranscriptError(f"I can only read transcripts: {kinds} files")
                return
            deal_name, _ = split_deal_name(unescape(event.get("text") or ""))
            submit_scoring(ctx, client, asker,
                           [CallToScore(source="file", label=f.name, file=f, deal_name=deal_name) for f in files])
        except Exception as e:
            ctx.after_ack(lambda error=e: report_failure(client, ctx.templates, asker, error))

    def ignore(ack: Any) -> None:
        ack()

    # Slack sends every message of the channels the bot is in; only file shares matter here.
    app.event({"type": "message", "subtype": "file_share"}, middleware=[once_per_event(ctx)])(accept)
    app.event("message")(ignore)
