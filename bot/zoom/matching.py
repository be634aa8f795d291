"""Which deal a Zoom meeting is about.

Each finder is asked in turn, the first deal found wins; when none finds one, the host is asked
(bot.zoom.recordings). A finder never makes a deal: a guess that files a call under the wrong deal is
worse than a question to the host.

- `deal_named_in_topic`: a deal of the workspace named in the meeting's topic, by the store's deal
  lookup by name: "Acme :: weekly", "Acme - pricing", "Acme | QBR", "Acme: kickoff" or just "Acme".

The CRM sync (issue 33, section 1) adds its finder here: the linked CRM deal whose contacts' e-mail
domains match the meeting's participants (`Meeting.participant_emails`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

from salesrl.bot.store import Deal, InvalidValue, Store

# what teams put between a deal's name and the rest of a meeting's topic
_SEPARATORS = re.compile(r"\s*(?:::|\||\s[-–—/]\s|:\s)\s*")


@dataclass(frozen=True)
class Meeting:
    """What a recording event says about its meeting."""

    topic: str
    host_email: str | None
    participant_emails: tuple[str, ...] = ()  # none in Zoom's recording events; for finders that look them up


DealFinder = Callable[[Store, str, Meeting], "Deal | None"]


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


DEAL_FINDERS: tuple[DealFinder, ...] = (deal_named_in_topic,)


def find_deal(store: Store, workspace_id: str, meeting: Meeting,
              finders: Sequence[DealFinder] = DEAL_FINDERS) -> Deal | None:
    for finder in finders:
        deal = finder(store, workspace_id, meeting)
        if deal is not None:
            return deal
    return None
