"""What Slack's profiles say about a person that the bot needs: their time zone."""

from __future__ import annotations

import logging
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
