"""The App Home tab: the person's own deals, and the team's pipeline as far as they may see it.

Everyone gets both parts: their deals (of channels they are still in) with the latest probability and
trend; then, over every deal they may see, the deals at risk, the flagged deals, the biggest movers of
the last 7 days and the calls per rep, with the digest's numbers (bot.digest.content). Each deal links
to its latest call in Slack. A rep with no deals yet sees how to score one, and a manager who scores
nothing still sees the team's deals.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from slack_sdk import WebClient

from salesrl.bot.digest.content import build_digest
from salesrl.bot.digest.periods import Period
from salesrl.bot.flags.thresholds import thresholds_for
from salesrl.bot.slack.asker import Asker
from salesrl.bot.slack.context import BotContext
from salesrl.bot.slack.deal_links import deal_links
from salesrl.bot.slack.membership import Membership, may_see
from salesrl.bot.store.tables import utcnow

MY_DEALS_SHOWN = 30
TEAM_DAYS = 7


def home_view(ctx: BotContext, client: WebClient, asker: Asker) -> dict[str, Any]:
    team, now = asker.team_id, utcnow()
    membership = Membership()  # each channel's members read once for the whole tab
    visible = [d for d in ctx.store.deals.list(team) if may_see(client, asker, d, membership)]
    mine = [d for d in visible if d.owner_id == asker.user_id]
    visible_ids = {d.id for d in visible}
    period = Period(key="home", cadence="weekly", start=now - timedelta(days=TEAM_DAYS), end=now, timezone="UTC")
    content = build_digest(ctx.store, team, period, at_risk_below=thresholds_for(ctx.store, ctx.settings, team).below,
                           shown=lambda d: d.id in visible_ids)
    by_id = {d.id: d for d in visible}
    named = [by_id[i] for i in dict.fromkeys(
        [d.id for d in mine[:MY_DEALS_SHOWN]] + [d.id for d in content.at_risk]
        + [f.deal_id for f in content.flagged if f.deal_id is not None]
        + [m.deal_id for m in content.movers_up + content.movers_down]) if i in by_id]
    return ctx.templates.view("slack/app_home.json.j2", deals=mine, shown=MY_DEALS_SHOWN, team=content,
                              team_days=TEAM_DAYS, links=deal_links(ctx.store, client, team, named))
