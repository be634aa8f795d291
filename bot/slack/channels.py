"""The channel a person named in a command.

The manifest declares `/salesrl` with `should_escape: true`, so Slack sends a channel picked from its
list as `<#C123|sales>` (or `<#C123|>`). A workspace that installed the app from an older manifest
(`should_escape: false`) sends the plain `#sales`; that name is looked up with conversations.list
among the channels the bot can see.
"""

from __future__ import annotations

import logging
import re

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

_ESCAPED = re.compile(r"^<#([CGD][A-Z0-9]+)(?:\|[^>]*)?>$")
_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")


def channel_id_of(client: WebClient, word: str) -> str | None:
    """The id of the channel `word` names (`<#C123|sales>`, `C123…`, `#sales`); None when none is found."""
    if m := _ESCAPED.match(word):
        return m.group(1)
    if _ID.match(word):
        return word
    if word.startswith("#") and len(word) > 1:
        return _by_name(client, word[1:].lower())
    return None


def _by_name(client: WebClient, name: str) -> str | None:
    try:
        # iterating a SlackResponse follows its cursors page by page
        for page in client.conversations_list(types="public_channel,private_channel", exclude_archived=True,
                                              limit=200):
            for channel in page.get("channels", []):
                if channel.get("name") == name:
                    return str(channel["id"])
    except SlackApiError as e:
        log.warning("conversations.list failed: %s", e.response.get("error"))
    return None
