"""The `/salesrl` slash command: the subcommand's `ack` step inside the ack, its `run` step lazily."""

from __future__ import annotations

import difflib
import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from salesrl.bot.slack.context import BotContext
from salesrl.bot.slack.dispatch import COMMAND, CommandRequest, Subcommands
from salesrl.bot.slack.listeners.workspace import workspace_id
from salesrl.bot.slack.outbox import failure_message, reply_privately, report_failure

log = logging.getLogger(__name__)


def register(app: App, ctx: BotContext, subcommands: Subcommands) -> None:
    def request_of(body: dict[str, Any], context: BoltContext) -> CommandRequest:
        req = CommandRequest.from_body(body, workspace_id(context, body))
        return req if req.name else CommandRequest(req.command, "help", req.args, req.asker, req.trigger_id)

    def acknowledge(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        req = request_of(body, context)
        sub = subcommands.get(req.name)
        if sub is None:
            meant = difflib.get_close_matches(req.name.lower(), [s.name for s in subcommands], n=1, cutoff=0.75)
            hint = f"did you mean `{req.command} {meant[0]}`?" if meant else f"{req.command} help lists what I can do."
            message = ctx.templates.message("slack/user_error.json.j2", message=f"I don't know “{req.name[:40]}”: {hint}")
            ack(response_type="ephemeral", **message.as_kwargs())
            return
        if sub.ack is None:
            ack()
            return
        try:
            message = sub.ack(req, ctx, client)
        except Exception as e:
            message = failure_message(ctx.templates, e)
        if message is None:
            ack()
        else:
            ack(response_type="ephemeral", **message.as_kwargs())

    def run(body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        req = request_of(body, context)
        sub = subcommands.get(req.name)
        if sub is None or sub.run is None:
            return
        try:
            message = sub.run(req, ctx, client)
            if message is not None:
                reply_privately(client, req.asker, message)
        except Exception as e:
            report_failure(client, ctx.templates, req.asker, e)

    app.command(COMMAND)(ack=acknowledge, lazy=[run])
