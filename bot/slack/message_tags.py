"""Message metadata that names what a post is, so the bot can find its own post in a channel.

A chat.postMessage whose outcome is unknown may be in the channel already: the connection dropped
after the request went out, Slack answered after the client's timeout (bot.slack.web_client), or
answered a 5xx or ``internal_error`` ("some aspect of the operation may have succeeded"). Sent again
blindly, it is posted twice. So a post that is retried

- carries message metadata naming it (`Tag`: an event type, and a payload such as the call's id and
  which part of the answer it is), which Slack keeps with the message;
- is sent with `without_blind_retries(client)`, so slack-sdk never repeats it on its own;
- is retried only after looking for a message carrying its tag in the channel, or in its thread
  (`find_tagged`; bot.slack.delivery.deliver's ``done_already``): if it is there, that is the post.

The digest runner looks the same way for a digest that a process which died may have posted. A
chart, a file without metadata, is looked for by its name (`find_message`; bot.slack.posting).
A thread's replies are read page by page (`REPLY_PAGES`): Slack lists them oldest first.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, field
from typing import Any, Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from salesrl.bot.slack.delivery import is_transient

log = logging.getLogger(__name__)

HISTORY_LIMIT = 200  # latest messages of a channel searched for a tagged post; replies of a thread per page
REPLY_PAGES = 10  # a thread's replies come oldest first: a long one (a live session's) is read page by page


@dataclass(frozen=True)
class Tag:
    """What a post is: Slack message metadata, an event type and a payload of plain values."""

    event_type: str  # letters, digits and underscores, e.g. "salesrl_call"
    payload: dict[str, str | int] = field(default_factory=dict)

    def metadata(self) -> dict[str, Any]:
        """The `metadata` argument of chat.postMessage."""
        return {"event_type": self.event_type, "event_payload": dict(self.payload)}

    def marks(self, message: dict[str, Any]) -> bool:
        metadata = message.get("metadata") or {}
        payload = metadata.get("event_payload") or {}
        return metadata.get("event_type") == self.event_type and all(
            payload.get(k) == v for k, v in self.payload.items())


def find_tagged(client: WebClient, channel: str, tag: Tag, *, thread_ts: str | None = None) -> dict[str, Any] | None:
    """The message carrying `tag` among the latest of `channel` (or among the replies of the thread
    `thread_ts`), or None."""
    return find_message(client, channel, tag.marks, thread_ts=thread_ts, looking_for=f"{tag.event_type} post")


def find_message(client: WebClient, channel: str, matches: Callable[[dict[str, Any]], bool], *,
                 thread_ts: str | None = None, looking_for: str = "post") -> dict[str, Any] | None:
    """The first message that `matches` among the latest of `channel` (or among the replies of the
    thread `thread_ts`, up to REPLY_PAGES pages of them), or None. Slack failing for now raises (try
    again later); a channel the bot may not read (a DM it only knows by the user's id, a missing
    scope) is logged and counts as not found: the post is then made again, which at worst repeats
    it, rather than lost."""
    try:
        if not thread_ts:
            page = client.conversations_history(channel=channel, include_all_metadata=True, limit=HISTORY_LIMIT)
            return next((m for m in page.get("messages") or [] if matches(m)), None)
        pages = client.conversations_replies(channel=channel, ts=thread_ts, include_all_metadata=True,
                                             limit=HISTORY_LIMIT)
        for page in itertools.islice(pages, REPLY_PAGES):  # slack-sdk follows next_cursor
            found = next((m for m in page.get("messages") or [] if matches(m)), None)
            if found is not None:
                return found
        return None
    except SlackApiError as e:
        if is_transient(e):
            raise
        log.warning("cannot look in %s for an earlier %s (%s); posting it", channel, looking_for,
                    e.response.get("error"))
        return None
