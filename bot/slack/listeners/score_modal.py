"""Submissions of the "Score a call" modal."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.slack.context import Asker, BotContext
from bot.slack.listeners.workspace import workspace_id
from bot.slack.score_modal import CALLBACK_ID, read_submission
from bot.slack.scoring import CallToScore, submit_scoring


def register(app: App, bot: BotContext) -> None:
    def acknowledge(ack: Ack, view: dict[str, Any]) -> None:
        errors = read_submission(view).errors()
        if errors:
            ack(response_action="errors", errors=errors)
        else:
            ack()  # closes the modal; the result is posted where /salesrl was typed

    def run(body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        submitted = read_submission(view)
        if submitted.errors():
            return
        asker = Asker(team_id=workspace_id(context, body), user_id=str(body["user"]["id"]),
                      channel_id=submitted.channel_id, response_url=submitted.response_url)
        common = dict(deal_id=submitted.deal_id, deal_name=submitted.deal_name,
                      reps=(submitted.rep_name,) if submitted.rep_name else ())
        if submitted.files:
            for f in submitted.files:
                submit_scoring(bot, client, asker, CallToScore(source="file", label=f.name, file=f, **common))
        else:
            submit_scoring(bot, client, asker,
                           CallToScore(source="slash_command", label="the form", text=submitted.text, **common))

    app.view(CALLBACK_ID)(ack=acknowledge, lazy=[run])
