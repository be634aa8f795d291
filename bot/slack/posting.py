"""Posting a result where the asker is, or as a DM when the bot can't post there, and charts in its thread."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.context import Asker
from bot.slack.templates import SlackMessage, escape

log = logging.getLogger(__name__)

# chat.postMessage errors that mean "not here", so the answer goes to the asker's DM instead
CANNOT_POST_HERE = frozenset({
    "not_in_channel", "channel_not_found", "is_archived", "restricted_action",
    "restricted_action_read_only_channel", "restricted_action_thread_only_channel",
    "restricted_action_non_threadable_channel", "ekm_access_denied", "team_access_not_granted",
    "cannot_reply_to_message", "thread_not_found",
})


@dataclass(frozen=True)
class Posted:
    channel_id: str  # where the message landed (a DM's D... id when it went to the asker privately)
    ts: str  # the message
    thread_ts: str  # the thread its follow-ups go into
    in_dm_instead: bool  # the asker's channel refused it


def post_where_asked(client: WebClient, asker: Asker,
                     render: Callable[[str | None], SlackMessage]) -> Posted:
    """Post `render(None)` in the asker's channel (in their thread, if any); if the bot can't post
    there, post `render(that channel)` to the asker as a DM instead."""
    if asker.channel_id:
        try:
            sent = client.chat_postMessage(channel=asker.channel_id, thread_ts=asker.thread_ts,
                                           unfurl_links=False, unfurl_media=False, **render(None).as_kwargs())
            return Posted(sent["channel"], sent["ts"], asker.thread_ts or sent["ts"], False)
        except SlackApiError as e:
            error = e.response.get("error")
            if error not in CANNOT_POST_HERE:
                raise
            log.info("cannot post in %s (%s); answering by DM", asker.channel_id, error)
    sent = client.chat_postMessage(channel=asker.user_id, unfurl_links=False, unfurl_media=False,
                                   **render(asker.channel_id).as_kwargs())
    return Posted(sent["channel"], sent["ts"], sent["ts"], True)


def post_in_thread(client: WebClient, posted: Posted, message: SlackMessage) -> str:
    sent = client.chat_postMessage(channel=posted.channel_id, thread_ts=posted.thread_ts,
                                   unfurl_links=False, unfurl_media=False, **message.as_kwargs())
    return str(sent["ts"])


def upload_png(client: WebClient, posted: Posted, png: bytes, filename: str, title: str, alt_text: str) -> str:
    """Upload a chart into the posted message's thread (files.getUploadURLExternal, the upload,
    files.completeUploadExternal); returns the file id. The title, which often carries a deal's name,
    is escaped as message text is (bot.slack.templates): a deal named "<!everyone> deal" pings nobody."""
    done = client.files_upload_v2(channel=posted.channel_id, thread_ts=posted.thread_ts, file=png,
                                  filename=filename, title=escape(title), alt_txt=alt_text[:1000])
    return str(done["file"]["id"])
