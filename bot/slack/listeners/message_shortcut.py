"""The message shortcut "Score with SalesRL": a forwarded transcript, or a message with transcript files."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from salesrl.agent.errors import TranscriptError
from salesrl.bot.slack.asker import Asker
from salesrl.bot.slack.context import BotContext
from salesrl.bot.slack.files import transcript_files
from salesrl.bot.slack.incoming_text import split_deal_name, unescape
from salesrl.bot.slack.listeners.workspace import workspace_id
from salesrl.bot.slack.outbox import failure_message, reply_privately
from salesrl.bot.slack.scoring import CallToScore, submit_scoring

CALLBACK_ID = "score_message"


def message_text(message: dict[str, Any]) -> str:
    """The words of a message, including a forwarded (shared) message's text."""
    parts = [message.get("text")]
    attachments = message.get("attachments")
    for attachment in attachments if isinstance(attachments, list) else ():
        if isinstance(attachment, dict) and (attachment.get("is_share") or attachment.get("is_msg_unfurl")):
            parts.append(attachment.get("text"))
    return "\n".join(unescape(p) for p in parts if isinstance(p, str) and p.strip())


def register(app: App, ctx: BotContext) -> None:
    def acknowledge(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        """The calls are recorded before the ack (bot.slack.pending): once Slack has it, a crash
        cannot lose them. What the asker is told goes out after the ack."""
        message = body.get("message") or {}
        asker = Asker(team_id=workspace_id(context, body), user_id=str(body["user"]["id"]),
                      channel_id=(body.get("channel") or {}).get("id"), response_url=body.get("response_url"),
                      thread_ts=message.get("thread_ts") or message.get("ts"))
        try:
            files = transcript_files(message.get("files"))
            deal_name, text = split_deal_name(message_text(message))
            if files:
                calls = [CallToScore(source="file", label=f.name, file=f, deal_name=deal_name) for f in files]
            elif text.strip():
                calls = [CallToScore(source="shortcut", label="a message", text=text, deal_name=deal_name)]
            else:
                raise TranscriptError("that message has no transcript: no text, and no .txt, .vtt, .srt or .json file")
            submit_scoring(ctx, client, asker, calls)
            what = calls[0].label if len(calls) == 1 else f"{len(calls)} files"
            notice = ctx.templates.message("slack/scoring.json.j2", what=what)
        except Exception as e:
            notice = failure_message(ctx.templates, e)
        ack()
        ctx.after_ack(lambda: reply_privately(client, asker, notice))

    app.message_shortcut(CALLBACK_ID)(acknowledge)
