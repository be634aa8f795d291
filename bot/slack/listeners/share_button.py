"""The "Share with…" menu under a private deal's result (bot.sharing)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from salesrl.bot.sharing import SHARE_ACTION, share_deal
from salesrl.bot.slack.asker import Asker
from salesrl.bot.slack.context import BotContext
from salesrl.bot.slack.listeners.workspace import workspace_id
from salesrl.bot.slack.outbox import reply_privately, report_failure
from salesrl.bot.store import NotFound


def register(app: App, ctx: BotContext) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()

    def share(body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        team = workspace_id(context, body)
        asker = Asker(team_id=team, user_id=str((body.get("user") or {}).get("id") or ""),
                      channel_id=str((body.get("channel") or {}).get("id") or "") or None,
                      response_url=body.get("response_url"))
        try:
            deal_id = int(str(action.get("block_id", "")).removeprefix("share_deal:"))
            deal = ctx.store.deals.get_by_id(team, deal_id)
            if deal is None:
                raise NotFound("that deal is gone (forgotten since)")
            shared = share_deal(ctx, client, asker, deal, str(action.get("selected_conversation") or ""))
            reply_privately(client, asker, ctx.templates.message("slack/share_done.json.j2", deal=shared,
                                                                 channel=shared.channel_id))
        except ValueError:
            return  # not a block of ours
        except Exception as e:
            report_failure(client, ctx.templates, asker, e)

    app.action(SHARE_ACTION)(ack=acknowledge, lazy=[share])
