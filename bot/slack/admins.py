"""Who may change a workspace's settings (`/salesrl config`): its Slack admins and owners, and the
people its settings name as SalesRL admins.

Slack says who is an admin or owner (users.info: is_admin, is_owner, is_primary_owner), read afresh
for each change: someone demoted a second ago no longer changes anything. When Slack cannot say
(users.info fails, or answers for a person of another workspace), the answer is no.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from salesrl.agent.errors import SalesRLError
from salesrl.bot.store import Store

log = logging.getLogger(__name__)

REFUSED = ("Only a workspace admin or owner, or a SalesRL admin, can change SalesRL's settings: "
           "ask one of them (`/salesrl config` shows who)")
UNKNOWN = "I couldn't check that with Slack: try again in a minute"
# a person as Slack escapes a mention (<@U123>, <@U123|ana>), or a bare member id
_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


class NotAllowed(SalesRLError):
    """The person may not change the workspace's settings."""


def user_id_of(word: str) -> str | None:
    """The member id in `<@U123|name>`, `<@U123>` or `U123`; None for anything else."""
    if m := _MENTION.match(word):
        return m.group(1)
    return word if _USER_ID.match(word) else None


def _user_of_workspace(client: WebClient, workspace_id: str, user_id: str) -> dict[str, Any] | None:
    """users.info of `user_id` when they are an active person of `workspace_id`, else None (someone of
    another organisation in a Slack Connect channel is nobody here). Raises NotAllowed(UNKNOWN) when
    Slack can't say."""
    try:
        user = client.users_info(user=user_id)["user"]
    except SlackApiError as e:
        error = e.response.get("error")
        if error in ("user_not_found", "user_not_visible"):
            return None
        log.info("users.info %s failed (%s)", user_id, error)
        raise NotAllowed(UNKNOWN) from None
    except Exception as e:  # Slack unreachable, or an answer without a user: fail closed
        log.info("users.info %s failed (%s)", user_id, type(e).__name__)
        raise NotAllowed(UNKNOWN) from None
    teams = {user.get("team_id")} | set((user.get("enterprise_user") or {}).get("teams") or ())
    if workspace_id not in teams or user.get("deleted") or user.get("is_stranger"):
        return None
    return user


def is_workspace_member(client: WebClient, workspace_id: str, user_id: str) -> bool:
    return _user_of_workspace(client, workspace_id, user_id) is not None


def is_slack_admin(client: WebClient, workspace_id: str, user_id: str) -> bool:
    """Is `user_id` an admin or owner of `workspace_id`? Raises NotAllowed(UNKNOWN) when Slack can't say."""
    user = _user_of_workspace(client, workspace_id, user_id) or {}
    return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))


def check_may_configure(store: Store, client: WebClient, workspace_id: str, user_id: str) -> None:
    """Raise NotAllowed unless `user_id` may change `workspace_id`'s settings."""
    if user_id and user_id in store.config.get(workspace_id).admin_user_ids:
        return
    if not user_id or not is_slack_admin(client, workspace_id, user_id):
        log.info("settings change by %s refused: not an admin of %s", user_id, workspace_id)
        raise NotAllowed(REFUSED)
