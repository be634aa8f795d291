"""`/salesrl forget DEAL`: delete everything SalesRL stored about a deal, after a confirmation.

    /salesrl forget Acme           -> what would be deleted, and how to confirm
    /salesrl forget Acme confirm   -> deleted: the deal, its calls (transcripts, turn scores, tips),
                                      flags, questions and answers, and any live session

Only someone who may see the deal (a member of its channel) can forget it. Messages the bot posted
in Slack stay there: they belong to the workspace, and people delete them in Slack.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient

from salesrl.bot.slack.context import BotContext
from salesrl.bot.slack.dispatch import CommandRequest, UsageError
from salesrl.bot.slack.incoming_text import unescape
from salesrl.bot.slack.subcommands.deals import find_visible, visible_deal
from salesrl.bot.slack.templates import SlackMessage

log = logging.getLogger(__name__)

CONFIRM = "confirm"
USAGE = "usage: /salesrl forget DEAL, then /salesrl forget DEAL confirm"


def run(req: CommandRequest, ctx: BotContext, client: WebClient) -> SlackMessage | None:
    text = " ".join(unescape(req.args).split())
    if not text:
        raise UsageError(USAGE)
    name, _, last = text.rpartition(" ")
    # a deal the asker may not see is no deal here, so "X confirm" is then the name "X confirm", as for no deal X
    confirmed = last.casefold() == CONFIRM and bool(name) and find_visible(ctx, client, req.asker, name) is not None
    deal = visible_deal(ctx, client, req.asker, name if confirmed else text)
    if not confirmed:
        calls = len(ctx.store.calls.of_deal(req.asker.team_id, deal.id))
        return ctx.templates.message("slack/forget.json.j2", step="ask", deal_name=deal.name, calls=calls)
    deleted = ctx.store.deals.forget(req.asker.team_id, deal.name)
    log.info("deal %s forgotten at the request of %s (%d calls)", deal.id, req.asker.user_id, deleted)
    return ctx.templates.message("slack/forget.json.j2", step="done", deal_name=deal.name, calls=deleted)
