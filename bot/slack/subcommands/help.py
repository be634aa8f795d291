"""`/salesrl help` (and `/salesrl` alone): the subcommands, answered inside the ack."""

from __future__ import annotations

from slack_sdk import WebClient

from salesrl.bot.slack.context import BotContext
from salesrl.bot.slack.dispatch import CommandRequest, Step, Subcommands
from salesrl.bot.slack.templates import SlackMessage


def for_table(table: Subcommands) -> Step:
    def ack(req: CommandRequest, ctx: BotContext, client: WebClient) -> SlackMessage | None:
        return ctx.templates.message("slack/help.json.j2", command=req.command, subcommands=list(table))

    return ack
