"""`/salesrl score [deal name ::] transcript`, and `/salesrl score` alone for the modal."""

from __future__ import annotations

from slack_sdk import WebClient

from agent.errors import TranscriptError
from bot.slack.context import BotContext
from bot.slack.dispatch import CommandRequest
from bot.slack.incoming_text import split_deal_name, unescape
from bot.slack.score_modal import open_score_modal
from bot.slack.scoring import CallToScore, submit_scoring
from bot.slack.templates import SlackMessage


def ack(req: CommandRequest, bot: BotContext, client: WebClient) -> SlackMessage | None:
    if not req.args:
        open_score_modal(bot, client, req.asker, req.trigger_id)
        return None
    return bot.templates.message("slack/scoring.json.j2", what="your call")


def run(req: CommandRequest, bot: BotContext, client: WebClient) -> SlackMessage | None:
    if not req.args:
        return None  # the modal is open; its submission does the work
    deal_name, text = split_deal_name(unescape(req.args))
    if not text.strip():
        raise TranscriptError("paste the transcript after the deal name: /salesrl score Acme :: Ana: Hi Ben…")
    submit_scoring(bot, client, req.asker,
                   CallToScore(source="slash_command", label="pasted text", text=text, deal_name=deal_name))
    return None
