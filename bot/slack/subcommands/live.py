"""`/salesrl live DEAL`: a live card in the channel; the messages of its thread are the conversation."""

from __future__ import annotations

from slack_sdk import WebClient

from salesrl.bot.live.slack_thread import start_live
from salesrl.bot.slack.context import BotContext
from salesrl.bot.slack.dispatch import CommandRequest, UsageError
from salesrl.bot.slack.incoming_text import unescape
from salesrl.bot.slack.templates import SlackMessage


def run(req: CommandRequest, ctx: BotContext, client: WebClient) -> SlackMessage | None:
    name = " ".join(unescape(req.args).split())
    if not name:
        raise UsageError("name the deal: /salesrl live Acme")
    start_live(ctx, client, req.asker, name[:200])
    return None  # the card in the channel is the answer
