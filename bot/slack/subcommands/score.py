"""`/salesrl score [deal name ::] transcript`, and `/salesrl score` alone for the modal."""

from __future__ import annotations

from slack_sdk import WebClient

from salesrl.agent.errors import SalesRLError, TranscriptError
from salesrl.bot.slack.context import BotContext
from salesrl.bot.slack.dispatch import CommandRequest
from salesrl.bot.slack.incoming_text import split_deal_name, unescape
from salesrl.bot.slack.outbox import failure_message
from salesrl.bot.slack.score_form import open_score_modal
from salesrl.bot.slack.scoring import CallToScore, submit_scoring
from salesrl.bot.slack.templates import SlackMessage


def ack(req: CommandRequest, ctx: BotContext, client: WebClient) -> SlackMessage | None:
    """Everything happens in the ack: the modal's trigger expires in 3 seconds, and a pasted call is
    recorded before "Scoring…" goes back to Slack, so a crash after it cannot lose the call."""
    if not req.args:
        open_score_modal(ctx, client, req.asker, req.trigger_id)
        return None
    deal_name, text = split_deal_name(unescape(req.args))
    if not text.strip():
        raise TranscriptError("paste the transcript after the deal name: /salesrl score Acme :: Ana: Hi Ben…")
    try:
        submit_scoring(ctx, client, req.asker,
                       [CallToScore(source="slash_command", label="pasted text", text=text, deal_name=deal_name)])
    except SalesRLError as e:  # the text is gone from the message box once sent: it goes back with the error
        return failure_message(ctx.templates, e, pasted=text)
    return ctx.templates.message("slack/scoring.json.j2", what="your call")
