"""Submissions of the "Score a call" modal."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from salesrl.agent.errors import SalesRLError
from salesrl.bot.slack.asker import Asker
from salesrl.bot.slack.context import BotContext
from salesrl.bot.slack.listeners.workspace import workspace_id
from salesrl.bot.slack.outbox import failure_message
from salesrl.bot.slack.score_form import CALLBACK_ID, read_submission
from salesrl.bot.slack.scoring import CallToScore, submit_scoring


def register(app: App, ctx: BotContext) -> None:
    def acknowledge(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext,
                    client: WebClient) -> None:
        """The calls are recorded before the modal closes (bot.slack.pending): once it has closed, a
        crash cannot lose them. If they cannot be, the modal stays open and says why."""
        submitted = read_submission(view)
        errors = submitted.errors()
        if errors:
            ack(response_action="errors", errors=errors)
            return
        asker = Asker(team_id=workspace_id(context, body), user_id=str(body["user"]["id"]),
                      channel_id=submitted.channel_id, response_url=submitted.response_url)
        common = dict(deal_id=submitted.deal_id, deal_name=submitted.deal_name,
                      reps=(submitted.rep_name,) if submitted.rep_name else ())
        if submitted.files:
            calls = [CallToScore(source="file", label=f.name, file=f, **common) for f in submitted.files]
        else:
            calls = [CallToScore(source="slash_command", label="the form", text=submitted.text, **common)]
        try:
            submit_scoring(ctx, client, asker, calls)
        except Exception as e:  # the database is down: the form stays open and says so
            line = str(e) if isinstance(e, SalesRLError) else failure_message(ctx.templates, e).text
            ack(response_action="errors", errors={"transcript_file" if submitted.files else "transcript_text": line})
            return
        ack()  # closes the modal; the result is posted where /salesrl was typed

    app.view(CALLBACK_ID)(acknowledge)
