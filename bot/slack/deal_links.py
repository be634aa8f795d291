"""Links to deals in Slack: a deal is shown where its latest call was answered (that call's thread)."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Iterable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from salesrl.bot.store import Deal, Store

log = logging.getLogger(__name__)


# A message's permalink never changes: kept, so that opening App Home again asks Slack (chat.getPermalink is
# rate limited) only for calls it has not linked yet.
_PERMALINKS: OrderedDict[tuple[str, str, str], str] = OrderedDict()
_PERMALINKS_KEPT = 10_000
_lock = threading.Lock()


def deal_links(store: Store, client: WebClient, team: str, deals: Iterable[Deal]) -> dict[int, str]:
    """deal id -> a permalink to its latest call's thread; deals without one are left out."""
    links: dict[int, str] = {}
    for deal in deals:
        if deal.id in links or not deal.call_count:
            continue
        calls = [c for c in store.calls.of_deal(team, deal.id) if c.channel_id and c.thread_ts]
        if calls:
            link = _permalink(client, team, str(calls[-1].channel_id), str(calls[-1].thread_ts))
            if link is not None:
                links[deal.id] = link
    return links


def _permalink(client: WebClient, team: str, channel: str, ts: str) -> str | None:
    key = (team, channel, ts)
    with _lock:
        if key in _PERMALINKS:
            return _PERMALINKS[key]
    try:
        link = str(client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"])
    except SlackApiError as e:
        log.info("no permalink for %s/%s: %s", channel, ts, e.response.get("error"))
        return None
    with _lock:
        _PERMALINKS[key] = link
        while len(_PERMALINKS) > _PERMALINKS_KEPT:
            _PERMALINKS.popitem(last=False)
    return link
