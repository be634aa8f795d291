"""`/salesrl deal NAME link hubspot|salesforce ID`: link a deal to its CRM deal by hand (bot.crm links
them by itself only when the names are the same once normalised). Without the ID, the closest CRM deals by
name are offered, each with the command that links it: a person chooses, nothing is linked by a guess."""

from __future__ import annotations

import difflib

from slack_sdk import WebClient

from salesrl.bot.crm.matching import match_key
from salesrl.bot.crm.config import CRM_NAMES
from salesrl.bot.flags.flagging import announce_cleared, flags_of
from salesrl.bot.slack.context import BotContext
from salesrl.bot.slack.dispatch import UsageError
from salesrl.bot.slack.templates import SlackMessage
from salesrl.bot.store import Deal
from salesrl.bot.store.tables import CRMS

LINK = "link"
OFFERED = 5


def split_link(words: list[str]) -> tuple[list[str], str, str | None] | None:
    """`Acme Corp link hubspot 123` -> (["Acme", "Corp"], "hubspot", "123"); without the id, None in its place;
    None when the words do not end so."""
    if len(words) >= 4 and words[-3].lower() == LINK and words[-2].lower() in CRMS:
        return words[:-3], words[-2].lower(), words[-1]
    if len(words) >= 3 and words[-2].lower() == LINK and words[-1].lower() in CRMS:
        return words[:-2], words[-1].lower(), None
    return None


def link(ctx: BotContext, client: WebClient, team: str, deal: Deal, crm: str, crm_id: str | None) -> SlackMessage:
    if crm_id is None:
        return offer(ctx, team, deal, crm)
    done = ctx.store.crm.link(team, deal.id, crm, crm_id)
    linked = ctx.store.deals.get_by_id(team, deal.id) or deal
    # the CRM deal's outcome closed the deal: the flags it cleared are told why in their threads, as by the sync
    cleared = flags_of(ctx, team, done.cleared_flags)
    announce_cleared(ctx, client, team, linked, cleared, cleared_by=None,
                     why=f"the deal was {linked.status} in {CRM_NAMES[crm]}")
    return ctx.templates.message("slack/crm_link.json.j2", deal=linked, crm=CRM_NAMES[crm], crm_deal=done.crm_deal)


def likeness(a: str, b: str) -> float:
    """How alike two normalised names are: their spelling (difflib's ratio), plus a half for the same first word
    ("acme" and "acme holdings")."""
    same_start = a.split()[:1] == b.split()[:1]
    return difflib.SequenceMatcher(None, a, b).ratio() + (0.5 if same_start else 0.0)


def closest(name: str, candidates: list[tuple[str, str]], most: int = OFFERED) -> list[tuple[str, str]]:
    """The (crm_id, name) whose names are closest to `name` once normalised, closest first."""
    key = match_key(name)
    scored = [(likeness(key, match_key(n)), n, i) for i, n in candidates]
    return [(i, n) for score, n, i in sorted(scored, key=lambda x: (-x[0], x[1], x[2]))[:most] if score >= 0.6]


def offer(ctx: BotContext, team: str, deal: Deal, crm: str) -> SlackMessage:
    offered = closest(deal.name, ctx.store.crm.unlinked_names(team, crm))
    if not offered:
        raise UsageError(f"no unlinked {CRM_NAMES[crm]} deal has a name like “{deal.name[:80]}”: link it with its id, "
                         f"/salesrl deal {deal.name[:80]} link {crm} ID")
    return ctx.templates.message("slack/crm_offer.json.j2", deal=deal, crm=crm, crm_name=CRM_NAMES[crm], offered=offered)
