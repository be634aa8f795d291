"""`/salesrl outcome NAME won|lost`: close a deal."""

from __future__ import annotations

from slack_sdk import WebClient

from salesrl.bot.flags.flagging import clear_flags
from salesrl.bot.slack.context import BotContext
from salesrl.bot.slack.dispatch import CommandRequest, UsageError
from salesrl.bot.slack.incoming_text import unescape
from salesrl.bot.slack.subcommands.deals import visible_deal
from salesrl.bot.slack.templates import SlackMessage

OUTCOMES = {"won": True, "win": True, "lost": False, "lose": False, "loss": False}


def run(req: CommandRequest, ctx: BotContext, client: WebClient) -> SlackMessage | None:
    name, _, word = unescape(req.args).strip().rpartition(" ")
    if not name.strip() or word.lower() not in OUTCOMES:
        raise UsageError("usage: /salesrl outcome DEAL NAME won (or lost)")
    deal = visible_deal(ctx, client, req.asker, name)
    closed = ctx.store.deals.record_outcome(req.asker.team_id, deal.name, OUTCOMES[word.lower()])
    clear_flags(ctx, client, req.asker.team_id, closed, cleared_by=req.asker.user_id, why=f"the deal was {closed.status}")
    return ctx.templates.message("slack/outcome.json.j2", deal=closed)
