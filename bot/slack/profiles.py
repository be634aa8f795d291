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
    there is none, or no Slack to ask. Neither the address nor the user is logged."""
    if client is None or not email:
        return None
    try:
        return str(client.users_lookupByEmail(email=email)["user"]["id"])
    except SlackApiError as e:
        log.info("no Slack user for an e-mail address (%s)", e.response.get("error"))
        return None


def slack_users(clients: Callable[[str], WebClient | None]) -> Callable[[str, str], str | None]:
    """(workspace id, e-mail) -> the Slack user with that address in that workspace (user_with_email), for the
    CRM sync's deal owners (bot.crm.sync)."""
    return lambda team, email: user_with_email(clients(team), email)
