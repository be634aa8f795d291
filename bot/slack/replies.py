"""Answers to the person who asked: ephemeral messages, and errors turned into one short line.

An error the user can act on (a SalesRLError) is shown as its one-line message. Anything else is
logged with a short reference and shown as "Something went wrong (ref X)" — never a stack trace.
"""

from __future__ import annotations

import logging
import secrets

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from salesrl.agent.errors import SalesRLError
from salesrl.bot.slack.context import Asker
from salesrl.bot.slack.templates import SlackMessage, Templates
from salesrl.bot.slack.web_client import webhook_client

log = logging.getLogger(__name__)


def new_reference() -> str:
    """A short id that ties what a user saw to the log line with the details."""
    return secrets.token_hex(4)


def failure_message(templates: Templates, error: BaseException) -> SlackMessage:
    if isinstance(error, SalesRLError):
        line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        return templates.message("slack/user_error.json.j2", message=line)
    ref = new_reference()
    log.error("internal error (ref %s)", ref, exc_info=error)
    try:
        return templates.message("slack/internal_error.json.j2", ref=ref)
    except Exception:
        log.exception("the internal error template failed (ref %s)", ref)
        return SlackMessage(text=f"Something went wrong (ref {ref}).")


def reply_privately(client: WebClient, asker: Asker, message: SlackMessage) -> None:
    """Show `message` to the asker only: through the response URL when there is one, else as an
    ephemeral message in the channel, else as a DM from the bot.

    These go with the client's own retries, untagged: an ephemeral message or a response URL's
    cannot be looked for afterwards (no API lists them), so one whose answer was lost may be shown
    twice, to the asker alone; the DM is a last resort, for which a repeat beats a loss."""
    if asker.response_url:
        try:
            sent = webhook_client(asker.response_url).send(
                response_type="ephemeral", replace_original=False, **message.as_kwargs()
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


def report_failure(client: WebClient, templates: Templates, asker: Asker, error: BaseException) -> None:
    """Tell the asker a request failed. Never raises: a failure to report is logged."""
    try:
        reply_privately(client, asker, failure_message(templates, error))
    except Exception:
        log.exception("could not tell user %s about a failure", asker.user_id)
