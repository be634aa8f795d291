"""Who asked for something in Slack, where the answer goes, and what the asker is called."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from salesrl.bot.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Asker:
    """Who asked for something, and where the answer goes."""

    team_id: str
    user_id: str
    channel_id: str | None  # where the request came from (a channel, a DM, or none for App Home)
    response_url: str | None = None  # for ephemeral replies to commands, shortcuts and modals
    thread_ts: str | None = None  # reply inside this thread (file shares, message shortcuts)


def asker_names(store: Store, client: WebClient, asker: Asker) -> tuple[str, ...]:
    """The asker's name(s): a likely rep in a transcript they send. From the store, else users.info
    (then kept there). Slack failing only loses the hint."""
    known = store.workspaces.user_names(asker.team_id, [asker.user_id]).get(asker.user_id)
    if known:
        return (known,)
    try:
        user = client.users_info(user=asker.user_id)["user"]
    except SlackApiError as e:
        log.info("users.info failed (%s); going on without the asker's name", e.response.get("error"))
        return ()
    except Exception as e:  # Slack unreachable: the name is only a hint
        log.warning("users.info failed (%s); going on without the asker's name", type(e).__name__)
        return ()
    profile = user.get("profile") or {}
    names = [n for n in (user.get("real_name"), profile.get("real_name"), profile.get("display_name")) if n]
    if names:
        store.workspaces.ensure_user(asker.team_id, asker.user_id, names[0])
    return tuple(dict.fromkeys(names))
