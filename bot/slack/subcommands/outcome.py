"""`/salesrl outcome NAME won|lost|open [confirm]`: close a deal, or reopen it; changing a recorded
outcome asks for `confirm`."""

from __future__ import annotations

from slack_sdk import WebClient

from salesrl.bot.flags.flagging import announce_cleared, flags_of
from salesrl.bot.slack.context import BotContext
from salesrl.bot.slack.dispatch import CommandRequest, UsageError
from salesrl.bot.slack.incoming_text import unescape
from salesrl.bot.slack.subcommands.deals import visible_deal
from salesrl.bot.slack.templates import SlackMessage

OUTCOMES = {"won": True, "win": True, "lost": False, "lose": False, "loss": False, "open": None, "reopen": None}
USAGE = "usage: /salesrl outcome DEAL NAME won (or lost, or open to reopen it)"
CONFIRM = "confirm"


def run(req: CommandRequest, ctx: BotContext, client: WebClient) -> SlackMessage | None:
    words = unescape(req.args).split()
    confirmed = len(words) > 2 and words[-1].casefold() == CONFIRM
    words = words[:-1] if confirmed else words
    if len(words) < 2 or words[-1].lower() not in OUTCOMES:
        raise UsageError(USAGE)
    deal = visible_deal(ctx, client, req.asker, " ".join(words[:-1]))
    won = OUTCOMES[words[-1].lower()]
    wanted = "open" if won is None else "won" if won else "lost"
    if deal.status == wanted:
        raise UsageError(f"{deal.name} is already {'open' if won is None else 'recorded as ' + wanted}")
    if deal.is_closed and not confirmed:  # a recorded outcome is a fact the digest and training rely on
        raise UsageError(f"{deal.name} is recorded as {deal.status}. To change that: "
                         f"/salesrl outcome {deal.name} {wanted} {CONFIRM}")
    team = req.asker.team_id
    recorded = ctx.store.deals.record_outcome(team, deal.name, won, cleared_by=req.asker.user_id)
    changed = recorded.deal
    # closing cleared the open flags with the outcome: their threads are told why
    cleared = flags_of(ctx, team, recorded.cleared_flags)
    announce_cleared(ctx, client, team, changed, cleared, cleared_by=req.asker.user_id,
                     why=f"the deal was {changed.status}")
    return ctx.templates.message("slack/outcome.json.j2", deal=changed)
