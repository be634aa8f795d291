"""What Slack's profiles say about a person that the bot needs: their time zone, and who has an e-mail address
(the rep of a call sent by another tool: bot.ingest, bot.zoom)."""

from __future__ import annotations

import logging
from typing import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)


def users_timezone(client: WebClient, user_id: str) -> str:
    """The person's time zone from their Slack profile; UTC when Slack does not say."""
    try:
        tz = client.users_info(user=user_id)["user"].get("tz")
    except (SlackApiError, KeyError, TypeError) as e:
        log.info("no time zone for %s (%s); using UTC", user_id, type(e).__name__)
        return "UTC"
    try:
        ZoneInfo(str(tz))
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return str(tz)


def user_with_email(client: WebClient | None, email: str | None) -> str | None:
    """The Slack user with that e-mail address (users.lookupByEmail, the users:read.email scope); None when
    there is none, or no Slack to ask, or Slack could not say. Neither the address nor the user is logged."""
    try:
        return lookup_user(client, email)
    except SlackApiError as e:
        log.warning("Slack could not look a user up by e-mail (%s)", e.response.get("error"))
        return None


def lookup_user(client: WebClient | None, email: str | None) -> str | None:
    """`user_with_email`, None only when Slack says there is no such user (or there is no Slack or address to ask);
    SlackApiError when it could not say (a scope missing, rate limited beyond the client's retries), so that a
    caller remembering the misses (bot.crm.sync) does not take a broken look-up for one."""
    if client is None or not email:
        return None
    try:
        return str(client.users_lookupByEmail(email=email)["user"]["id"])
    except SlackApiError as e:
        if e.response.get("error") == "users_not_found":
            return None
        raise


def slack_users(clients: Callable[[str], WebClient | None]) -> Callable[[str, str], str | None]:
    """(workspace id, e-mail) -> the Slack user with that address in that workspace (user_with_email), for the
    CRM sync's deal owners (bot.crm.sync): `lookup_user`, which raises when Slack could not say."""
    return lambda team, email: lookup_user(clients(team), email)
