"""The App Home tab, published when someone opens it (bot.app_home builds it)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from salesrl.bot.app_home import home_view

from salesrl.bot.slack.asker import Asker
from salesrl.bot.slack.context import BotContext
from salesrl.bot.slack.listeners.workspace import once_per_event, workspace_id
from salesrl.bot.slack.outbox import new_reference

log = logging.getLogger(__name__)


def register(app: App, ctx: BotContext) -> None:
    def ignore(ack: Any) -> None:
        ack()

    def publish(event: dict[str, Any], body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        user_id = str(event["user"])
        try:
            view = home_view(ctx, client, Asker(workspace_id(context, body), user_id, None))
            client.views_publish(user_id=user_id, view=view)
        except Exception:
            # nobody to tell: the tab keeps its last view; the log has the details
            log.exception("App Home for %s failed (ref %s)", user_id, new_reference())

    app.event("app_home_opened", middleware=[once_per_event(ctx)])(ack=ignore, lazy=[publish])
