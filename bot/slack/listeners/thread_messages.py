"""Messages posted in threads: a live session's new conversation, or a question in a flag's thread.

Slash commands do not work in threads, so threads take plain words: notes and `Name: text` lines in
a live thread, `end` to finish it, questions in a flag's thread. Mentions of the bot are left to
bot.slack.listeners.mentions (Slack sends those twice: as a message and as an app_mention).
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from salesrl.bot.answers.slack_reply import answer_question, looks_like_question
from salesrl.bot.live.slack_thread import on_thread_message
from salesrl.bot.slack.asker import Asker
from salesrl.bot.slack.context import BotContext
from salesrl.bot.slack.listeners.workspace import once_per_event, workspace_id
from salesrl.bot.slack.membership import asker_team

# message subtypes that are someone writing in the thread (edits, joins, deletions and bot posts are not)
WRITTEN = (None, "thread_broadcast")


def is_thread_reply(event: dict[str, Any]) -> bool:
    thread_ts = event.get("thread_ts")
    return (bool(thread_ts) and thread_ts != event.get("ts") and event.get("subtype") in WRITTEN
            and not event.get("bot_id") and bool(event.get("user")))


def register(app: App, ctx: BotContext) -> None:
    def ignore(ack: Any) -> None:
        ack()

    def handle(event: dict[str, Any], body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        team = workspace_id(context, body)
        text = str(event.get("text") or "")
        if context.bot_user_id and f"<@{context.bot_user_id}" in text:
            return  # the app_mention event handles it
        if asker_team(event, team) != team:
            return  # someone from another organisation in a shared channel: nothing about our deals
        if on_thread_message(ctx, client, team, event):
            return
        channel, thread_ts = str(event.get("channel") or ""), str(event["thread_ts"])
        flag = ctx.store.flags.find_by_thread(team, channel, thread_ts)
        if flag is None or flag.deal_id is None or not looks_like_question(text, context.bot_user_id):
            return
        asker = Asker(team_id=team, user_id=str(event["user"]), channel_id=channel, thread_ts=thread_ts)
        ctx.workers.submit(lambda: answer_question(ctx, client, asker, text, user_team=asker_team(event, team)))

    app.event("message", matchers=[is_thread_reply], middleware=[once_per_event(ctx)])(ack=ignore, lazy=[handle])
