"""Bolt listeners, one module per area, each with `register(app, ctx)`.

Every listener acknowledges at once (Slack's 3-second limit) and does its work in a lazy listener,
which hands anything slow to the worker pool. A call to score is the exception: it is recorded
(bot.slack.pending) and queued in the ack itself, so that once Slack has the ack, a crash cannot
lose it; what the asker is told then goes out after the ack (`BotContext.after_ack`).
"""

from __future__ import annotations

from slack_bolt import App

from salesrl.bot.slack.context import BotContext
from salesrl.bot.slack.dispatch import Subcommands
from salesrl.bot.slack.listeners import (app_home, command, file_shares, live_buttons, mentions, message_shortcut,
                                         score_modal, share_button, thread_messages, zoom_deals)


def register_all(app: App, ctx: BotContext, subcommands: Subcommands) -> None:
    command.register(app, ctx, subcommands)
    score_modal.register(app, ctx)
    message_shortcut.register(app, ctx)
    live_buttons.register(app, ctx)
    share_button.register(app, ctx)
    zoom_deals.register(app, ctx)
    mentions.register(app, ctx)
    thread_messages.register(app, ctx)  # before file_shares, whose catch-all takes every other message
    file_shares.register(app, ctx)
    app_home.register(app, ctx)
