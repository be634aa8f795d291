"""The outbox: everything the bot says in Slack goes out through here, and is never lost or made twice.

Whatever the bot posts as an answer (a scored call, a flag, an answer to a question, a digest) is
saved in the database first. Then:

Private answers. `reply_privately` shows a message to the person who asked (the response URL, an
ephemeral message, or a DM: whichever still works); `report_failure` turns an error into one line:
an error the user can act on (a SalesRLError) as its one-line message, anything else logged with a
short reference and shown as "Something went wrong (ref X)", never a stack trace.

Retries. Each Slack call of a post runs through `deliver`: the client's own retry handlers
(bot.slack.web_client) cover a 429 or a blip of a second or two; when the call still fails for a
reason that can pass (no connection, a 5xx, Slack's ``internal_error``...), `deliver` waits
`RETRY_DELAYS_S` and tries again. Errors that will not pass (``invalid_blocks``, ``not_in_channel``)
are raised at once. When a post cannot be delivered at all, `tell_undelivered` says so privately,
naming where the saved result can be found. The retries run in the worker thread (the pool finishes
them before a graceful stop), so a long outage delays later jobs rather than losing them.

Tags. A post whose outcome is unknown may be in the channel already: the connection dropped after
the request went out, Slack answered after the client's timeout, or answered a 5xx or
``internal_error`` ("some aspect of the operation may have succeeded"). Sent again blindly, it is
posted twice. So a post that is retried carries message metadata naming it (`Tag`: an event type,
and a payload such as the call's id and which part of the answer it is), is sent with
`without_blind_retries(client)` so slack-sdk never repeats it on its own, and is retried only after
looking for a message carrying its tag in the channel or its thread (`find_tagged`, `deliver`'s
``done_already``); so is the end of the retries, when the last attempt's outcome is unknown, before
anyone is told the post failed. A thread's replies are read page by page (`REPLY_PAGES`): Slack
lists them oldest first. `post_tagged` does all of this; `post_where_asked` (the asker's channel, or
a DM when the bot cannot post there) is looked for by `find_where_asked`. A chart cannot carry
metadata: `upload_chart` is given a file name unique in its thread, and looks there for a file of
that name before uploading it again. The digest runner looks the same way for a digest that a
process which died may have posted.

(The tags live here rather than in a module of their own: they exist for the retries, which need
them, and they need the retries' idea of a transient error.)
"""

from __future__ import annotations

import itertools
import logging
import secrets
import time
from dataclasses import dataclass, field
from http.client import HTTPException
from typing import Any, Callable, TypeVar
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from salesrl.agent.errors import SalesRLError
from salesrl.bot.slack.asker import Asker
from salesrl.bot.slack.templates import SlackMessage, Templates, escape
from salesrl.bot.slack.web_client import webhook_client, without_blind_retries

log = logging.getLogger(__name__)

T = TypeVar("T")


# --- private answers -------------------------------------------------------------------------------

def new_reference() -> str:
    """A short id that ties what a user saw to the log line with the details."""
    return secrets.token_hex(4)


def error_line(error: SalesRLError) -> str:
    """The one line a user sees of an error they can act on."""
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def failure_message(templates: Templates, error: BaseException, pasted: str | None = None) -> SlackMessage:
    """What the asker is told of a failure; with `pasted`, the text they pasted, when the failure is one they can
    act on: given back whole, so that a refused call is never lost (a slash command's text is gone once sent)."""
    if isinstance(error, SalesRLError):
        if pasted is not None:
            return templates.message("slack/score_refused.json.j2", message=error_line(error), text=pasted)
        return templates.message("slack/user_error.json.j2", message=error_line(error))
    ref = new_reference()
    log.error("internal error (ref %s)", ref, exc_info=error)
    try:
        return templates.message("slack/internal_error.json.j2", ref=ref)
    except Exception:
        log.exception("the internal error template failed (ref %s)", ref)
        return SlackMessage(text=f"Something went wrong (ref {ref}).")


def reply_privately(client: WebClient, asker: Asker, message: SlackMessage, *, replace_original: bool = False) -> None:
    """Show `message` to the asker only: through the response URL when there is one, else as an
    ephemeral message in the channel, else as a DM from the bot. `replace_original`: in place of the
    ephemeral the request was answered with (a slash command's "Scoring…"), through the response URL.

    These go with the client's own retries, untagged: an ephemeral message or a response URL's
    cannot be looked for afterwards (no API lists them), so one whose answer was lost may be shown
    twice, to the asker alone; the DM is a last resort, for which a repeat beats a loss."""
    if asker.response_url:
        try:
            sent = webhook_client(asker.response_url).send(
                response_type="ephemeral", replace_original=replace_original, **message.as_kwargs()
            )
            if sent.status_code == 200:
                return
            log.warning("response URL answered %s; trying chat.postEphemeral", sent.status_code)
        except Exception as e:  # an expired or unreachable response URL: fall back
            log.warning("response URL failed (%s); trying chat.postEphemeral", type(e).__name__)
    if asker.channel_id:
        try:
            client.chat_postEphemeral(channel=asker.channel_id, user=asker.user_id,
                                      thread_ts=asker.thread_ts, **message.as_kwargs())
            return
        except SlackApiError as e:
            log.info("chat.postEphemeral failed (%s); sending a DM", e.response.get("error"))
    client.chat_postMessage(channel=asker.user_id, **message.as_kwargs())


def report_failure(client: WebClient, templates: Templates, asker: Asker, error: BaseException, *,
                   replace_original: bool = False, pasted: str | None = None) -> None:
    """Tell the asker a request failed (see reply_privately; `pasted`: failure_message). Never raises: a failure to
    report is logged."""
    try:
        reply_privately(client, asker, failure_message(templates, error, pasted), replace_original=replace_original)
    except Exception:
        log.exception("could not tell user %s about a failure", asker.user_id)


# --- retries --------------------------------------------------------------------------------------

RETRY_DELAYS_S: tuple[float, ...] = (2.0, 8.0, 20.0)  # after the client's own retries gave up
# Slack's answers that mean "not now" rather than "never"
TRANSIENT_SLACK_ERRORS = frozenset({
    "ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable", "request_timeout",
})


class Undelivered(Exception):
    """A post failed after every retry; `reference` ties it to its log line."""

    def __init__(self, what: str, reference: str, cause: BaseException) -> None:
        super().__init__(f"{what} could not be posted (ref {reference})")
        self.what = what
        self.reference = reference
        self.cause = cause


def is_transient(error: BaseException) -> bool:
    """A failure that may pass if the same call is made again later."""
    if isinstance(error, SlackApiError):
        status = getattr(error.response, "status_code", 200)
        return status >= 500 or status == 429 or error.response.get("error") in TRANSIENT_SLACK_ERRORS
    return isinstance(error, (URLError, HTTPException, ConnectionError, TimeoutError))


def may_have_posted(error: BaseException) -> bool:
    """A failed post that Slack may have made all the same: the answer was lost (dropped connection,
    timeout) or was a server error. Not a rate limit: Slack answers that before doing anything."""
    if isinstance(error, SlackApiError) and (getattr(error.response, "status_code", 200) == 429
                                             or error.response.get("error") in ("ratelimited", "rate_limited")):
        return False
    return is_transient(error)


def deliver(what: str, step: Callable[[], T], delays: tuple[float, ...] | None = None, *,
            done_already: Callable[[], T | None] | None = None) -> T:
    """`step()`, tried again after each of `delays` while it fails transiently; raises Undelivered
    when it never succeeds, and any non-transient error as it is. With `done_already`, each retry
    first asks it whether a failed attempt got through after all (a post whose answer was lost:
    a tagged post), and returns what it found instead of trying again; it asks once more
    when the last attempt's outcome is unknown, before giving up."""
    # A loop rather than tenacity: tried (issue 28), tenacity's version passed the same tests but was
    # 24 lines longer and split this flow over four callbacks. It has no hook that runs before a retry
    # and may return its result (the look for an earlier post: a flag in the attempt function instead),
    # asks for a wait after the last attempt too (a guard), and hands over the error only inside its
    # call state. Read top to bottom, the loop says what happens in which order.
    waits = RETRY_DELAYS_S if delays is None else delays
    for attempt in range(len(waits) + 1):
        try:
            if attempt and done_already is not None:
                earlier = done_already()
                if earlier is not None:
                    log.warning("%s got through at an earlier attempt whose answer was lost; not posting it again",
                                what)
                    return earlier
            return step()
        except Exception as e:
            if not is_transient(e):
                raise
            if attempt == len(waits):
                if done_already is not None and may_have_posted(e):
                    # the last attempt may have got through too: the asker must not be told it failed
                    earlier = _look_once_more(what, done_already)
                    if earlier is not None:
                        return earlier
                ref = new_reference()
                log.error("%s not delivered after %d attempts (ref %s): %s", what, attempt + 1, ref, _one_line(e))
                raise Undelivered(what, ref, e) from e
            log.warning("%s: Slack failed (%s); trying again in %.0f s", what, _one_line(e), waits[attempt])
            time.sleep(waits[attempt])
    raise AssertionError("unreachable")


def _look_once_more(what: str, done_already: Callable[[], T | None]) -> T | None:
    """What `done_already` finds after the last attempt, or None; a failure to look is logged (it
    then counts as not posted: the asker is told, which at worst is one notice too many)."""
    try:
        earlier = done_already()
    except Exception as e:
        log.warning("%s: could not look for it after the last attempt (%s)", what, _one_line(e))
        return None
    if earlier is not None:
        log.warning("%s got through at the last attempt, whose answer was lost", what)
    return earlier


def tell_undelivered(client: WebClient, templates: Templates, asker: Asker, undelivered: Undelivered,
                     where_saved: str) -> None:
    """Say privately that a saved result could not be posted. Never raises."""
    line = (f"I couldn't post {undelivered.what}: Slack did not answer. It is saved: {where_saved} "
            f"(ref {undelivered.reference}).")
    try:
        message = templates.message("slack/user_error.json.j2", message=line)
    except Exception:
        message = SlackMessage(text=line)
    try:
        reply_privately(client, asker, message)
    except Exception as e:
        log.error("could not tell user %s that %s was not delivered (ref %s): %s", asker.user_id,
                  undelivered.what, undelivered.reference, _one_line(e))


def _one_line(error: BaseException) -> str:
    if isinstance(error, SlackApiError):
        return f"Slack answered {error.response.get('error')} (HTTP {getattr(error.response, 'status_code', '?')})"
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0][:200]}" if text else type(error).__name__


# --- tags -----------------------------------------------------------------------------------------

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


# --- posts ----------------------------------------------------------------------------------------

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
