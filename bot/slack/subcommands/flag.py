"""`/salesrl flag DEAL reason` and `/salesrl unflag DEAL`.

A deal name may have spaces: `flag Acme Corp :: no budget until Q3` separates them explicitly;
without `::` the longest name of a deal the asker may see at the start is the deal, and the rest the
reason. A deal of a channel the asker is not in is no deal to them (bot.slack.subcommands.deals).
"""

from __future__ import annotations

from slack_sdk import WebClient

from salesrl.agent.redact import redact
from salesrl.bot.flags.flagging import clear_flags, flag_deal
from salesrl.bot.flags.review import where_flag_saved
from salesrl.bot.sharing import is_private, share_deal
from salesrl.bot.slack.asker import Asker
from salesrl.bot.slack.context import BotContext
from salesrl.bot.slack.outbox import Undelivered, reply_privately, report_failure, tell_undelivered
from salesrl.bot.slack.dispatch import CommandRequest, UsageError
from salesrl.bot.slack.incoming_text import unescape
from salesrl.bot.slack.membership import Membership, may_see
from salesrl.bot.slack.subcommands.deals import visible_deal
from salesrl.bot.slack.templates import SlackMessage
from salesrl.bot.store import Deal

FLAG_USAGE = "usage: /salesrl flag DEAL reason, e.g. /salesrl flag Acme :: the VP went quiet"


def split_deal_and_reason(ctx: BotContext, client: WebClient, asker: Asker, args: str) -> tuple[Deal, str]:
    text = " ".join(unescape(args).split())
    if "::" in text:
        name, _, reason = text.partition("::")
        return visible_deal(ctx, client, asker, name), reason.strip()
    folded = text.casefold()
    membership = Membership()  # each channel's members read once
    known = [d for d in ctx.store.deals.list(asker.team_id)
             if (folded == d.name.casefold() or folded.startswith(d.name.casefold() + " "))
             and may_see(client, asker, d, membership)]
    if known:
        deal = max(known, key=lambda d: len(d.name))
        return deal, text[len(deal.name):].strip()
    first = text.split(" ", 1)[0] if text else ""
    return visible_deal(ctx, client, asker, first), text[len(first):].strip()


def flag(req: CommandRequest, ctx: BotContext, client: WebClient) -> SlackMessage | None:
    if not req.args.strip():
        raise UsageError(FLAG_USAGE)
    deal, reason = split_deal_and_reason(ctx, client, req.asker, req.args)
    channel = req.asker.channel_id or ""
    if is_private(deal) and channel[:1] in ("C", "G"):  # flagging it here is the rep's own choice to share it
        deal = share_deal(ctx, client, req.asker, deal, channel)
    if deal.is_closed:  # a flag asks the team to act on a deal that is still open
        raise UsageError(f"{deal.name} was {deal.status}: a closed deal is not flagged "
                         f"(to reopen it: /salesrl outcome {deal.name} open confirm)")
    if ctx.settings.redact:
        reason = redact(reason)
    if not reason:
        raise UsageError(f"say why you flag {deal.name}: /salesrl flag {deal.name} :: reason")

    def post() -> None:
        try:
            _, posted = flag_deal(ctx, client, req.asker.team_id, deal, reason, flagged_by=req.asker.user_id,
                                  origin_channel=req.asker.channel_id)
            reply_privately(client, req.asker, ctx.templates.message(
                "slack/flag_done.json.j2", kind="flagged", deal_name=deal.name,
                review_channel_set=ctx.store.config.get(req.asker.team_id).review_channel_id is not None,
                channel=posted.channel_id if posted else None, full=posted is None or posted.full,
                automatic=False, count=0))
        except Undelivered as e:
            tell_undelivered(client, ctx.templates, req.asker, e, where_flag_saved(deal.name))
        except Exception as e:
            report_failure(client, ctx.templates, req.asker, e)

    ctx.workers.submit(post)  # drawing the chart for the post takes CPU time
    return None


def unflag(req: CommandRequest, ctx: BotContext, client: WebClient) -> SlackMessage | None:
    deal = visible_deal(ctx, client, req.asker, unescape(req.args))
    count = clear_flags(ctx, client, req.asker.team_id, deal, cleared_by=req.asker.user_id, why="unflagged")
    return ctx.templates.message("slack/flag_done.json.j2", kind="cleared", deal_name=deal.name, channel=None,
                                 count=count)
