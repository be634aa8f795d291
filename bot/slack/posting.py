"""Posting a result where the asker is, or as a DM when the bot can't post there; posts and charts
that can be retried without being made twice.

A post whose answer was lost may be in Slack already (bot.slack.message_tags). So a post given a
`Tag` carries it as message metadata and is sent without slack-sdk's blind retries, and whoever
retries it looks for it first: `post_tagged` does both through the delivery retries
(bot.slack.delivery.deliver); `post_where_asked` is looked for by `find_where_asked`. A chart
cannot carry metadata: `upload_chart` is given a file name unique in its thread, and looks there for
a file of that name before uploading it again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from salesrl.bot.slack.context import Asker
from salesrl.bot.slack.delivery import deliver
from salesrl.bot.slack.message_tags import Tag, find_message, find_tagged
from salesrl.bot.slack.templates import SlackMessage, escape
from salesrl.bot.slack.web_client import without_blind_retries

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


def _tagged(client: WebClient, tag: Tag | None) -> tuple[WebClient, dict]:
    """The client to post with and the extra arguments of chat.postMessage for a post tagged `tag`."""
    if tag is None:
        return client, {}
    return without_blind_retries(client), {"metadata": tag.metadata()}


def post_where_asked(client: WebClient, asker: Asker,
                     render: Callable[[str | None], SlackMessage], tag: Tag | None = None) -> Posted:
    """Post `render(None)` in the asker's channel (in their thread, if any); if the bot can't post
    there, post `render(that channel)` to the asker as a DM instead."""
    client, extra = _tagged(client, tag)
    if asker.channel_id:
        try:
            sent = client.chat_postMessage(channel=asker.channel_id, thread_ts=asker.thread_ts, unfurl_links=False,
                                           unfurl_media=False, **extra, **render(None).as_kwargs())
            return Posted(sent["channel"], sent["ts"], asker.thread_ts or sent["ts"], False)
        except SlackApiError as e:
            error = e.response.get("error")
            if error not in CANNOT_POST_HERE:
                raise
            log.info("cannot post in %s (%s); answering by DM", asker.channel_id, error)
    sent = client.chat_postMessage(channel=asker.user_id, unfurl_links=False, unfurl_media=False,
                                   **extra, **render(asker.channel_id).as_kwargs())
    return Posted(sent["channel"], sent["ts"], sent["ts"], True)


def find_where_asked(client: WebClient, asker: Asker, tag: Tag) -> Posted | None:
    """The post tagged `tag` in the asker's channel or thread, if an earlier `post_where_asked` put it
    there. A DM it fell back to is not searched: the bot knows that DM only by the asker's user id,
    which conversations.history does not take (so such a post may be repeated)."""
    if not asker.channel_id:
        return None
    found = find_tagged(client, asker.channel_id, tag, thread_ts=asker.thread_ts)
    if found is None:
        return None
    return Posted(asker.channel_id, str(found["ts"]), asker.thread_ts or str(found["ts"]), False)


def post_tagged(what: str, client: WebClient, channel: str, message: SlackMessage, tag: Tag, *,
                thread_ts: str | None = None, delays: tuple[float, ...] | None = None) -> Posted:
    """Post `message` in `channel` (in the thread `thread_ts`), tagged `tag`, through the delivery
    retries: never repeated blindly, and looked for before each retry. Raises Undelivered when it
    never gets through, and Slack's refusals (such as CANNOT_POST_HERE) as they are."""
    careful, extra = _tagged(client, tag)

    def post() -> Posted:
        sent = careful.chat_postMessage(channel=channel, thread_ts=thread_ts, unfurl_links=False,
                                        unfurl_media=False, **extra, **message.as_kwargs())
        return Posted(str(sent["channel"]), str(sent["ts"]), thread_ts or str(sent["ts"]), False)

    def posted_already() -> Posted | None:
        found = find_tagged(client, channel, tag, thread_ts=thread_ts)
        return None if found is None else Posted(channel, str(found["ts"]), thread_ts or str(found["ts"]), False)

    return deliver(what, post, delays, done_already=posted_already)


def upload_chart(what: str, client: WebClient, posted: Posted, png: bytes, filename: str, title: str,
                 alt_text: str, delays: tuple[float, ...] | None = None) -> str:
    """Upload a chart into the posted message's thread (files.getUploadURLExternal, the upload,
    files.completeUploadExternal) through the delivery retries; returns the file id. The title, which
    often carries a deal's name, is escaped as message text is (bot.slack.templates): a deal named
    "<!everyone> deal" pings nobody.

    `filename` must be unique in the thread (name the call, flag or session it shows): a file has no
    message metadata, so a chart whose upload's outcome is unknown (the answer of
    files.completeUploadExternal lost) is looked for among the thread's replies by its name before
    it is uploaded again. (Slack shares an uploaded file a moment after that answer; a retry looks
    for it after its delay, seconds later.)"""
    careful = without_blind_retries(client)  # a blind repeat of files.completeUploadExternal shares it again

    def upload() -> str:
        done = careful.files_upload_v2(channel=posted.channel_id, thread_ts=posted.thread_ts, file=png,
                                       filename=filename, title=escape(title), alt_txt=alt_text[:1000])
        return str(done["file"]["id"])

    def uploaded_already() -> str | None:
        found = find_message(client, posted.channel_id, lambda m: _file_named(m, filename) is not None,
                             thread_ts=posted.thread_ts, looking_for=f"chart {filename}")
        return None if found is None else str(_file_named(found, filename)["id"])  # type: ignore[index]

    return deliver(what, upload, delays, done_already=uploaded_already)


def _file_named(message: dict, name: str) -> dict | None:
    """The file called `name` that `message` shares (Slack lists a message's files with their names)."""
    return next((f for f in message.get("files") or [] if f.get("name") == name), None)
