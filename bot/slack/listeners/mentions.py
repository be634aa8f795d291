"""@SalesRL mentions, anywhere the bot is:

- `@SalesRL live DEAL` starts a live session: in a thread (a huddle's, say) the card goes into that
  thread and the thread becomes the conversation; elsewhere the card is a new message.
- `@SalesRL end` in a live thread ends it.
- Anything else is a question about a deal, answered in the thread (bot.answers.slack_reply).
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from salesrl.bot.answers.slack_reply import answer_question
from salesrl.bot.live.slack_thread import whisper, end_live, is_end_command, start_live
from salesrl.bot.slack.asker import Asker
from salesrl.bot.slack.context import BotContext
from salesrl.bot.slack.incoming_text import unescape
from salesrl.bot.slack.listeners.workspace import once_per_event, workspace_id
from salesrl.bot.slack.membership import asker_team
from salesrl.bot.slack.outbox import report_failure

_LIVE = re.compile(r"^\s*live\s+(?P<deal>\S.*)$", re.I | re.S)


def without_mentions_of(text: str, bot_user_id: str | None) -> str:
    if not bot_user_id:
        return text.strip()
    return re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text).strip()


def register(app: App, ctx: BotContext) -> None:
    def ignore(ack: Any) -> None:
        ack()

    def handle(event: dict[str, Any], body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        team = workspace_id(context, body)
        if event.get("bot_id") or not event.get("user"):
            return
        channel = str(event.get("channel") or "")
        thread_ts = event.get("thread_ts")
        asker = Asker(team_id=team, user_id=str(event["user"]), channel_id=channel,
                      thread_ts=str(thread_ts or event.get("ts") or ""))
        user_team = asker_team(event, team)
        if user_team != team:
            return  # another organisation's member in a shared channel: nothing about our deals
        words = without_mentions_of(str(event.get("text") or ""), context.bot_user_id)
        try:
            live = _LIVE.match(unescape(words))
            if live:
                start_live(ctx, client, Asker(team, asker.user_id, channel, thread_ts=thread_ts),
                           " ".join(live.group("deal").split())[:200], thread_ts=thread_ts)
                return
            session = ctx.store.live.find(team, channel, str(thread_ts)) if thread_ts else None
            if session is not None and is_end_command(unescape(words)):
                end_live(ctx, client, session, asker)
                return
            if session is not None and session.state == "open":  # a question about the live call so far
                question = unescape(words)
                ctx.live.lanes.run(("live", team, channel, str(thread_ts)), str(event.get("ts") or ""),
                                   lambda: whisper(ctx, client, session, asker, question))
                return
        except Exception as e:
            report_failure(client, ctx.templates, asker, e)
            return
        ctx.workers.submit(lambda: answer_question(ctx, client, asker, unescape(words), user_team=user_team))

    app.event("app_mention", middleware=[once_per_event(ctx)])(ack=ignore, lazy=[handle])
