"""Links to deals in Slack: a deal is shown where its latest call was answered (that call's thread)."""

from __future__ import annotations

import logging
from typing import Iterable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from salesrl.bot.store import Deal, Store

log = logging.getLogger(__name__)


def deal_links(store: Store, client: WebClient, team: str, deals: Iterable[Deal]) -> dict[int, str]:
    """deal id -> a permalink to its latest call's thread; deals without one are left out."""
    links: dict[int, str] = {}
    for deal in deals:
        if deal.id in links or not deal.call_count:
            continue
        calls = [c for c in store.calls.of_deal(team, deal.id) if c.channel_id and c.thread_ts]
        if not calls:
            continue
        try:
            found = client.chat_getPermalink(channel=calls[-1].channel_id, message_ts=calls[-1].thread_ts)
            links[deal.id] = str(found["permalink"])
        except SlackApiError as e:
            log.info("no permalink for deal %s: %s", deal.id, e.response.get("error"))
    return links
