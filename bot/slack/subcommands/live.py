"""`/salesrl live DEAL`: a live card in the channel; the messages of its thread are the conversation."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.live.slack_thread import start_live
from bot.slack.context import BotContext
from bot.slack.dispatch import CommandRequest, UsageError
from bot.slack.incoming_text import unescape
from bot.slack.templates import SlackMessage


def run(req: CommandRequest, bot: BotContext, client: WebClient) -> SlackMessage | None:
    name = " ".join(unescape(req.args).split())
    if not name:
        raise UsageError("name the deal: /salesrl live Acme")
    start_live(bot, client, req.asker, name[:200])
    return None  # the card in the channel is the answer
