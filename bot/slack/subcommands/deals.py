"""`/salesrl deals` (your deals) and `/salesrl deal NAME` (one deal over time, with a chart).

Every command that names a deal finds it here. A deal of a channel the asker is not in is answered
exactly as a name that names no deal: the refusal tells nothing about other channels' deals.
"""

from __future__ import annotations

from slack_sdk import WebClient

from salesrl.bot.chart import render_deal_chart_png
from salesrl.bot.slack.asker import Asker
from salesrl.bot.slack.context import BotContext
from salesrl.bot.slack.dispatch import CommandRequest, UsageError
from salesrl.bot.slack.incoming_text import unescape
from salesrl.bot.slack.membership import Membership, may_see
from salesrl.bot.slack.outbox import Undelivered, post_where_asked, report_failure, tell_undelivered, upload_chart
from salesrl.bot.slack.templates import SlackMessage
from salesrl.bot.store import Deal, NotFound


def no_deal(name: str) -> NotFound:
    """The answer to a name that names no deal the asker may see."""
    return NotFound(f"no deal named “{' '.join(name.split())[:80]}”: /salesrl deals lists yours")


def find_visible(ctx: BotContext, client: WebClient, asker: Asker, name: str) -> Deal | None:
    """The deal named `name` if the asker may see it; None when there is none, or it is another channel's."""
    name = " ".join(name.split())
    if not name:
        raise UsageError("name a deal: /salesrl deal Acme")
    deal = ctx.store.deals.get(asker.team_id, name[:200])
    return deal if deal is not None and may_see(client, asker, deal) else None


def visible_deal(ctx: BotContext, client: WebClient, asker: Asker, name: str) -> Deal:
    """The deal named `name`, if the asker may see it; else the one line a name of no deal gets."""
    deal = find_visible(ctx, client, asker, name)
    if deal is None:
        raise no_deal(name)
    return deal


def my_deals(ctx: BotContext, client: WebClient, asker: Asker) -> list[Deal]:
    """The asker's own deals, less those of channels they have left."""
    membership = Membership()  # read each channel's members once for the whole list
    return [d for d in ctx.store.deals.list(asker.team_id, owner_id=asker.user_id)
            if may_see(client, asker, d, membership)]


def list_mine(req: CommandRequest, ctx: BotContext, client: WebClient) -> SlackMessage | None:
    return ctx.templates.message("slack/deals.json.j2", deals=my_deals(ctx, client, req.asker))


def show(req: CommandRequest, ctx: BotContext, client: WebClient) -> SlackMessage | None:
    deal = visible_deal(ctx, client, req.asker, unescape(req.args))
    # drawing the chart takes CPU time: the worker pool does it, like scoring
    ctx.workers.submit(lambda: _post_deal(ctx, client, req.asker, deal))
    return None


def _post_deal(ctx: BotContext, client: WebClient, asker: Asker, deal: Deal) -> None:
    try:
        calls = ctx.store.calls.of_deal(asker.team_id, deal.id)
        flags = ctx.store.flags.list_open(asker.team_id, deal.id)
        posted = post_where_asked(client, asker, lambda fallback: ctx.templates.message(
            "slack/deal_detail.json.j2", deal=deal, calls=calls, flags=flags, fallback_channel=fallback))
        if calls:
            png = render_deal_chart_png([(c.created_at.strftime("%b %d"), c.final_probability) for c in calls])
            # the detail message starts the thread, so the name is unique in it
            upload_chart("the chart of the deal", client, posted, png, "deal-chart.png", f"{deal.name} over time",
                         f"Probability {deal.name} converts after each of its {len(calls)} calls")
    except Undelivered as e:
        tell_undelivered(client, ctx.templates, asker, e, f"`/salesrl deal {deal.name}` draws it again")
    except Exception as e:
        report_failure(client, ctx.templates, asker, e)
