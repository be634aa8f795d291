"""`/salesrl deals` (your deals) and `/salesrl deal NAME` (one deal over time, with a chart; with `link
hubspot ID` after the name, linked to its CRM deal: bot.slack.subcommands.crm_link).

Every command that names a deal finds it here. A deal of a channel the asker is not in is answered
exactly as a name that names no deal: the refusal tells nothing about other channels' deals.
"""

from __future__ import annotations

import difflib
from typing import Iterable, Sequence

from slack_sdk import WebClient

from salesrl.bot.deal_fields import split_fields
from salesrl.bot.chart import call_labels, render_deal_chart_png, render_one_call_deal_png
from salesrl.bot.slack.asker import Asker
from salesrl.bot.slack.context import BotContext
from salesrl.bot.slack.dispatch import CommandRequest, UsageError
from salesrl.bot.slack.incoming_text import unescape
from salesrl.bot.slack.membership import Membership, may_see
from salesrl.bot.slack.subcommands import crm_link
from salesrl.bot.slack.outbox import Undelivered, post_where_asked, report_failure, tell_undelivered, upload_chart
from salesrl.bot.slack.templates import SlackMessage
from salesrl.bot.store import Call, Deal, NotFound


def no_deal(name: str, nearby: Sequence[str] = ()) -> NotFound:
    """The answer to a name that names no deal the asker may see (`nearby`: names of deals they may see)."""
    hint = "did you mean " + " or ".join(f"“{n[:80]}”" for n in nearby) + "?" if nearby else "/salesrl deals lists yours"
    return NotFound(f"no deal named “{' '.join(name.split())[:80]}”: {hint}")


def nearest_names(typed: str, names: Iterable[str], most: int = 3) -> list[str]:
    """The names `typed` most likely meant: those it begins, then the closest spellings."""
    by_key = {n.casefold(): n for n in names}
    key = " ".join(typed.split()).casefold()
    if not key:
        return []
    begun = [n for k, n in sorted(by_key.items()) if k.startswith(key)]
    close = [by_key[k] for k in difflib.get_close_matches(key, list(by_key), n=most, cutoff=0.6)]
    return list(dict.fromkeys(begun + close))[:most]


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
        # only the deals the asker may see are offered, so the answer is the same whether or not
        # another channel has a deal of that name
        membership = Membership()
        visible = [d.name for d in ctx.store.deals.list(asker.team_id) if may_see(client, asker, d, membership)]
        raise no_deal(name, nearest_names(name, visible))
    return deal


def my_deals(ctx: BotContext, client: WebClient, asker: Asker) -> list[Deal]:
    """The asker's own deals, less those of channels they have left."""
    membership = Membership()  # read each channel's members once for the whole list
    return [d for d in ctx.store.deals.list(asker.team_id, owner_id=asker.user_id)
            if may_see(client, asker, d, membership)]


def list_mine(req: CommandRequest, ctx: BotContext, client: WebClient) -> SlackMessage | None:
    return ctx.templates.message("slack/deals.json.j2", deals=my_deals(ctx, client, req.asker))


def show(req: CommandRequest, ctx: BotContext, client: WebClient) -> SlackMessage | None:
    """`deal NAME`: the deal over time; `deal NAME amount 40k stage negotiation close 2027-01-31` sets those."""
    text = unescape(req.args)
    deal = find_visible(ctx, client, req.asker, text)  # a deal named "Acme Close" is still shown
    if deal is None and (to_link := crm_link.split_link(text.split())) is not None:
        name, crm, crm_id = to_link
        return crm_link.link(ctx, client, req.asker.team_id, visible_deal(ctx, client, req.asker, " ".join(name)), crm, crm_id)
    if deal is None:
        name, fields = split_fields(text.split())
        deal = visible_deal(ctx, client, req.asker, " ".join(name))
        if fields is not None:
            changed = ctx.store.deals.update(req.asker.team_id, deal.name, **fields.as_update())
            return ctx.templates.message("slack/deal_fields.json.j2", deal=changed)
    # drawing the chart takes CPU time: the worker pool does it, like scoring
    ctx.workers.submit(lambda: _post_deal(ctx, client, req.asker, deal))
    return None


def _deal_chart(ctx: BotContext, team: str, calls: Sequence[Call]) -> bytes:
    """The deal's calls over time; for a deal of one call, that call turn by turn."""
    labels = call_labels([c.created_at for c in calls])
    detail = ctx.store.calls.get(team, calls[0].id) if len(calls) == 1 else None
    if detail is not None and detail.turns:
        return render_one_call_deal_png([t.probability for t in detail.turns], [t.role for t in detail.turns],
                                        labels[0])
    return render_deal_chart_png([(label, c.final_probability) for label, c in zip(labels, calls)])


def _post_deal(ctx: BotContext, client: WebClient, asker: Asker, deal: Deal) -> None:
    try:
        calls = ctx.store.calls.of_deal(asker.team_id, deal.id)
        flags = ctx.store.flags.list_open(asker.team_id, deal.id)
        posted = post_where_asked(client, asker, lambda fallback: ctx.templates.message(
            "slack/deal_detail.json.j2", deal=deal, calls=calls, flags=flags, fallback_channel=fallback))
        if calls:
            # the detail message starts the thread, so the name is unique in it
            upload_chart("the chart of the deal", client, posted, _deal_chart(ctx, asker.team_id, calls),
                         "deal-chart.png", f"{deal.name} over time",
                         f"Probability {deal.name} converts after each turn of its only call" if len(calls) == 1
                         else f"Probability {deal.name} converts after each of its {len(calls)} calls")
    except Undelivered as e:
        tell_undelivered(client, ctx.templates, asker, e, f"`/salesrl deal {deal.name}` draws it again")
    except Exception as e:
        report_failure(client, ctx.templates, asker, e)
