"""Posting what is already saved, through Slack outages: try again later, then tell the asker.

Whatever the bot posts as an answer (a scored call, an answer to a question) is saved in the
database first. Then each Slack call of the post runs through `deliver`: the client's own retry
handlers (bot.slack.web_client) cover a 429 or a blip of a second or two; when the call still fails
for a reason that can pass (no connection, a 5xx, Slack's ``internal_error``...), `deliver` waits
`RETRY_DELAYS_S` and tries again. Errors that will not pass (``invalid_blocks``, ``not_in_channel``)
are raised at once. A failed post may have got through all the same (its answer was lost): a post
retried here carries a tag, and each retry first looks for it (`done_already`, bot.slack.message_tags);
so does the end of the retries, when the last attempt's outcome is unknown, before anyone is told
the post failed.

When a post cannot be delivered at all, `tell_undelivered` says so privately to the asker (the
response URL, an ephemeral message or a DM: whichever still works), naming where the saved result
can be found, and logs the details with a reference. The retries run in the worker thread (the pool
finishes them before a graceful stop), so a long outage delays later jobs rather than losing them.
"""

from __future__ import annotations

import logging
import time
from http.client import HTTPException
from typing import Callable, TypeVar
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from salesrl.bot.slack.context import Asker
from salesrl.bot.slack.replies import new_reference, reply_privately
from salesrl.bot.slack.templates import SlackMessage, Templates

log = logging.getLogger(__name__)

T = TypeVar("T")

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
    bot.slack.message_tags), and returns what it found instead of trying again; it asks once more
    when the last attempt's outcome is unknown, before giving up."""
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
