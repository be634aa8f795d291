"""`/salesrl deal NAME link hubspot|salesforce ID`: link a deal to its CRM deal by hand (bot.crm links
them by itself only when the names are the same once normalised)."""

from __future__ import annotations

from salesrl.bot.slack.context import BotContext
from salesrl.bot.slack.templates import SlackMessage
from salesrl.bot.store import Deal
from salesrl.bot.store.tables import CRMS

LINK = "link"
CRM_NAMES = {"hubspot": "HubSpot", "salesforce": "Salesforce"}


def split_link(words: list[str]) -> tuple[list[str], str, str] | None:
    """`Acme Corp link hubspot 123` -> (["Acme", "Corp"], "hubspot", "123"); None when it does not end so."""
    if len(words) >= 4 and words[-3].lower() == LINK and words[-2].lower() in CRMS:
        return words[:-3], words[-2].lower(), words[-1]
    return None


def link(ctx: BotContext, team: str, deal: Deal, crm: str, crm_id: str) -> SlackMessage:
    crm_deal = ctx.store.crm.link(team, deal.id, crm, crm_id)
    linked = ctx.store.deals.get_by_id(team, deal.id) or deal
    return ctx.templates.message("slack/crm_link.json.j2", deal=linked, crm=CRM_NAMES[crm], crm_deal=crm_deal)
