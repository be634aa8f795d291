"""Which deal a Zoom meeting is about.

In this order, the first deal found wins; when neither finds one, the host is asked (bot.zoom.recordings).
Nothing here makes a deal or guesses: a call filed under the wrong deal is worse than a question to the host.

- `deal_named_in_topic`: a deal of the workspace named in the meeting's topic, by the store's deal
  lookup by name: "Acme :: weekly", "Acme - pricing", "Acme | QBR", "Acme: kickoff" or just "Acme".
- `deal_of_participants`: the one open deal linked to a CRM deal (bot.crm) with a contact at the company
  of an outside participant. Outside: not at the host's own domain; a company: not a free-mail domain
  (bot.email_domains). Two such deals (or none): no match. The participants are looked up at Zoom only
  when the topic names no deal, so a meeting named for its deal costs no request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from salesrl.bot.email_domains import company_domain, company_domains
from salesrl.bot.store import Deal, InvalidValue, Store

# what teams put between a deal's name and the rest of a meeting's topic
_SEPARATORS = re.compile(r"\s*(?:::|\||\s[-–—/]\s|:\s)\s*")


@dataclass(frozen=True)
class Meeting:
    """What a recording event says about its meeting."""

    topic: str
    host_email: str | None
    uuid: str | None = None  # Zoom's id of this meeting instance, for looking up its participants


def topic_candidates(topic: str) -> list[str]:
    """Names a topic may give its deal, most likely first: the whole topic, then each leading run of
    its parts, longest first ("Acme :: EU :: weekly" -> "Acme :: EU :: weekly", "Acme :: EU", "Acme")."""
    topic = " ".join(topic.split())
    parts = [p for p in _SEPARATORS.split(topic) if p]
    seps = _SEPARATORS.findall(topic)
    leading = []
    for n in range(1, len(parts)):
        leading.append("".join(p + s for p, s in zip(parts[:n - 1], seps)) + parts[n - 1])
    return list(dict.fromkeys([topic, *reversed(leading)]))


def deal_named_in_topic(store: Store, workspace_id: str, meeting: Meeting) -> Deal | None:
    for name in topic_candidates(meeting.topic):
        try:
            deal = store.deals.get(workspace_id, name)
        except InvalidValue:  # empty, or longer than a deal's name can be
            continue
        if deal is not None:
            return deal
    return None


def deal_of_participants(store: Store, workspace_id: str, host_email: str | None,
                         participant_emails: tuple[str, ...]) -> Deal | None:
    host_domain = company_domain(host_email)
    outside = [d for d in company_domains(participant_emails) if d != host_domain]
    found = store.crm.open_deals_with_contact_domains(workspace_id, outside)
    if len(found) != 1:
        return None
    return store.deals.get_by_id(workspace_id, found.pop())


def find_deal(store: Store, workspace_id: str, meeting: Meeting,
              participants: Callable[[], tuple[str, ...]]) -> Deal | None:
    """The meeting's deal: by its topic, else by its participants' companies (`participants()` is called
    only then: it asks Zoom); None when neither finds exactly one."""
    return (deal_named_in_topic(store, workspace_id, meeting)
            or deal_of_participants(store, workspace_id, meeting.host_email, participants()))
