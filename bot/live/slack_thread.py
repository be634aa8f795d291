"""Live sessions in Slack: the card, the messages of its thread, the alerts, and the end.

- `/salesrl live DEAL` (or `@SalesRL live DEAL`) posts the card; mentioned inside a thread, such as a
  huddle's, the card is posted in that thread and the thread becomes the conversation.
- Every later message in the thread is new conversation (bot.live.thread_text); the agent adds it
  incrementally and the card is edited (`chat.update`) with the probability, its uncertainty and a
  sparkline. An alert is posted in the thread when one is raised (bot.live.alerts).
- `end` written in the thread, or the card's button, saves the session as a call of the deal; the
  curve and the tips follow in the thread, and a call that ended badly flags the deal.

Messages are handled in the listener thread that received them, not in the worker pool: a live
turn costs a few milliseconds, and must not queue behind a long call being scored.

Every post (the card, an alert, the coaching) is tagged (`live_tag`) and the chart named with the
session's id, so a retry after a lost answer finds the earlier attempt instead of posting it twice
(bot.slack.outbox). The card's edits (chat.update of one message) can be repeated as they are.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from typing import Any, Sequence

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from salesrl.agent.coach import status_of
from salesrl.agent.errors import SalesRLError
from salesrl.agent.types import ScorePoint
from salesrl.bot.chart import render_curve_png
from salesrl.bot.flags.flagging import flag_scored_call
from salesrl.bot.flags.thresholds import thresholds_for
from salesrl.bot.live.sessions import EndedSession
from salesrl.bot.live.thread_text import turns_from_message
from salesrl.bot.answers.slack_reply import looks_like_question
from salesrl.bot.live.whisper import whisper_lines
from salesrl.bot.sharing import is_private, share_deal
from salesrl.bot.slack.asker import Asker, asker_names
from salesrl.bot.slack.context import BotContext
from salesrl.bot.slack.outbox import (
    CANNOT_POST_HERE, Posted, Tag, Undelivered, post_tagged, reply_privately, report_failure, tell_undelivered,
    upload_chart,
)
from salesrl.bot.slack.membership import check_visible
from salesrl.bot.slack.incoming_text import unescape
from salesrl.bot.slack.templates import SlackMessage
from salesrl.bot.sparkline import sparkline
from salesrl.bot.store import Deal
from salesrl.bot.store.live import LiveSessionExists, StoredLiveSession

log = logging.getLogger(__name__)

EARLY_TURNS = 8  # see live_status

END_WORDS = frozenset({"end", "end session", "end call", "end live", "stop", "stop live", "done", "finish"})
_PUNCTUATION = re.compile(r"[\s.!]+$")


LIVE_EVENT = "salesrl_live"  # message metadata event type of a live session's posts
# An alert is retried briefly: the thread's next messages wait behind it (bot.live.lanes).
ALERT_RETRY_DELAYS_S: tuple[float, ...] = (1.0, 2.0)


class CannotPostHere(SalesRLError):
    """The live card could not be posted where the session was asked for."""


def live_tag(part: str, **ids: str | int) -> Tag:
    """A live post: the "card" of a start (no session yet: named by a random id of the start),
    the "alert" of a session at a turn, or the session's "coaching"."""
    return Tag(LIVE_EVENT, {"part": part, **ids})


def is_end_command(text: str) -> bool:
    return _PUNCTUATION.sub("", " ".join(text.casefold().split())) in END_WORDS


def live_status(points: Sequence[ScorePoint]) -> str:
    """The card's status word. A call's first turns look unlike any whole training call (the agent's
    in-distribution score starts near 0 on real calls), so "unfamiliar" is not said before
    EARLY_TURNS: the card says "too early to tell" instead of flipping from unfamiliar to a verdict."""
    if not points:
        return ""
    status = status_of(points[-1])
    return "too early to tell" if status == "unfamiliar" and len(points) < EARLY_TURNS else status


def card(ctx: BotContext, deal_name: str, started_by: str | None, points: Sequence[ScorePoint], *,
         state: str = "live", change: float | None = None, saved_call: int | None = None) -> SlackMessage:
    latest = points[-1] if points else None
    return ctx.templates.message(
        "slack/live_card.json.j2", deal_name=deal_name, state=state, points=list(points),
        status=live_status(points), spark=sparkline([p.probability for p in points]),
        change=change, last=latest, started_by=started_by or "",
        saved={"call_number": saved_call} if saved_call else None)


# ----------------------------------------------------------------------------------- start

def start_live(ctx: BotContext, client: WebClient, asker: Asker, deal_name: str, *,
               thread_ts: str | None = None) -> StoredLiveSession:
    """Post the card where the asker is (inside `thread_ts` when given) and open the session."""
    store, team = ctx.store, asker.team_id
    if not asker.channel_id:
        raise CannotPostHere("start a live session in a channel or a DM with me")
    if thread_ts and store.live.find(team, asker.channel_id, thread_ts):
        raise LiveSessionExists("this thread already has a live session: write `end` in it to finish it first")
    existing = store.deals.get(team, deal_name)
    if existing is not None:
        check_visible(client, asker, existing)  # a deal of a channel the asker is not in stays there
        if is_private(existing) and asker.channel_id[:1] in ("C", "G"):
            share_deal(ctx, client, asker, existing, asker.channel_id)  # live in a channel: the rep shares it
    deal = store.deals.get_or_create(team, deal_name, owner_id=asker.user_id, channel_id=asker.channel_id)
    reps = asker_names(ctx.store, client, asker)
    try:
        sent = post_tagged("the live card", client, asker.channel_id, card(ctx, deal.name, asker.user_id, []),
                           live_tag("card", deal_id=deal.id, start=secrets.token_hex(8)), thread_ts=thread_ts)
    except SlackApiError as e:
        if e.response.get("error") in CANNOT_POST_HERE:
            raise CannotPostHere("I can't post in this channel: invite me with /invite @SalesRL, then start again") from None
        raise
    except Undelivered as e:
        raise CannotPostHere(f"Slack did not answer: start the live session again in a minute (ref {e.reference})") \
            from None
    card_ts = sent.ts
    session = store.live.start(team, deal.id, channel_id=sent.channel_id, thread_ts=thread_ts or card_ts,
                                       card_ts=card_ts, started_by=asker.user_id, reps=reps)
    ctx.live.begin(session)
    log.info("live session %s started on deal %s", session.id, deal.id)
    return session


# ----------------------------------------------------------------------------------- messages

def on_thread_message(ctx: BotContext, client: WebClient, team: str, event: dict[str, Any]) -> bool:
    """Handle a message posted in a thread if the thread is live; False when it is not."""
    channel, thread_ts = str(event.get("channel") or ""), str(event.get("thread_ts") or "")
    session = ctx.store.live.find(team, channel, thread_ts)
    if session is None:
        return False
    if session.state != "open":
        return True  # being saved: later notes no longer count
    received = time.perf_counter()
    text = unescape(str(event.get("text") or ""))
    user = str(event.get("user") or "")
    asker = Asker(team_id=team, user_id=user, channel_id=channel, thread_ts=thread_ts)
    if is_end_command(text):
        end_live(ctx, client, session, asker)
        return True
    ts = str(event.get("ts") or "")
    ctx.live.lanes.run(("live", team, channel, thread_ts), ts,
                         lambda: _add_message(ctx, client, session, text, ts, asker, received))
    return True


def _add_message(ctx: BotContext, client: WebClient, session: StoredLiveSession, text: str, ts: str,
                 asker: Asker, received: float) -> None:
    try:
        turns = turns_from_message(text, session.reps, redact_text=ctx.settings.redact)
        if asker.user_id != session.started_by:
            # a teammate's free words ("nice! ask him who else signs off") are comments on the call, not
            # part of it: only what they write in `Name: text` form is conversation; a question among
            # them ("what should she ask next?") gets the whisper coach
            turns = [t for t in turns if not t.is_note]
            if not turns and looks_like_question(text):
                whisper(ctx, client, session, asker, text)
        if not turns:
            return
        thresholds = thresholds_for(ctx.store, ctx.settings, session.workspace_id)
        update = ctx.live.add_turns(session, turns, event_ts=ts, posted_by=asker.user_id, thresholds=thresholds)
        if update is None:
            return  # ended meanwhile
        before = update.points[update.new_from - 1].probability if update.new_from else None
        change = None if before is None else update.latest.probability - before
        client.chat_update(channel=session.channel_id, ts=session.card_ts,
                           **card(ctx, session.deal_name, session.started_by, update.points,
                                  change=change).as_kwargs())
        log.info("live session %s: turn %d at %.2f, card updated %.1f ms after the event reached the listener",
                 session.id, len(update.points), update.latest.probability, 1000 * (time.perf_counter() - received))
        if update.alert is not None:
            try:
                post_tagged("a live alert", client, session.channel_id,
                            ctx.templates.message("slack/live_alert.json.j2", alert=update.alert),
                            live_tag("alert", session_id=session.id, turn=update.alert.at),
                            thread_ts=session.thread_ts, delays=ALERT_RETRY_DELAYS_S)
            except Undelivered:
                return  # logged with a reference by deliver; the card shows the fall all the same
            log.info("live session %s: alert at turn %d (caused by turn %d)", session.id, update.alert.at + 1,
                     update.alert.cause + 1)
    except Exception as e:
        report_failure(client, ctx.templates, asker, e)


def whisper(ctx: BotContext, client: WebClient, session: StoredLiveSession, asker: Asker, question: str) -> None:
    """Answer `question` from the call so far, to the asker only (bot.live.whisper). Run in the
    session's lane, so it sees every message before it."""
    try:
        result = ctx.live.so_far(session)
        lines = whisper_lines(result, question) if result is not None else [
            "No turns yet: once the call starts in this thread, ask again."]
        reply_privately(client, asker, ctx.templates.message("slack/live_whisper.json.j2", lines=lines))
    except Exception as e:
        report_failure(client, ctx.templates, asker, e)


# ----------------------------------------------------------------------------------- end

def end_live(ctx: BotContext, client: WebClient, session: StoredLiveSession, asker: Asker) -> None:
    """Save the session as a call (once, whoever asks first), show it on the card, and hand the chart,
    the tips and the flag check to the worker pool."""
    try:
        ended = ctx.live.end(session)
        if ended is None:
            return  # ended by someone else (the button and `end` at once, or another process)
        number = None
        if ended.call_id is not None:
            calls = ctx.store.calls.of_deal(session.workspace_id, session.deal_id)
            number = next((i for i, c in enumerate(calls, start=1) if c.id == ended.call_id), len(calls))
        points = ended.result.points if ended.result else ()
        client.chat_update(channel=session.channel_id, ts=session.card_ts,
                           **card(ctx, session.deal_name, session.started_by, points, state="ended",
                                  saved_call=number).as_kwargs())
        if ended.result is not None:
            ctx.workers.submit(lambda: _after_end(ctx, client, ended, asker))
    except Exception as e:
        report_failure(client, ctx.templates, asker, e)


def _after_end(ctx: BotContext, client: WebClient, ended: EndedSession, asker: Asker) -> None:
    """The chart and the tips in the thread, each post retried through a Slack outage
    (bot.slack.outbox: the call is saved already), then the flag check."""
    session, result = ended.session, ended.result
    assert result is not None and ended.call_id is not None
    try:
        posted = Posted(session.channel_id, session.card_ts, session.thread_ts, False)
        png = render_curve_png(result)
        swings = [{"text": t.text, "up": _lifted(result.points, t.turn)} for t in result.tips if t.kind == "swing"]
        tips = [t for t in result.tips if t.kind not in ("swing", "warning")]
        coaching = ctx.templates.message("slack/score_coaching.json.j2", swings=swings, tips=tips)
        try:
            upload_chart("the probability curve of your live session", client, posted, png,
                         f"probability-curve-live-{session.id}.png", f"Live session — {session.deal_name}",
                         f"Probability the deal converts after each of {len(result.points)} turns, "
                         f"ending at {result.final.probability:.0%}")
            post_tagged("the coaching for your live session", client, session.channel_id, coaching,
                        live_tag("coaching", session_id=session.id), thread_ts=session.thread_ts)
        except Undelivered as e:
            tell_undelivered(client, ctx.templates, asker, e, f"`/salesrl deal {session.deal_name}` shows it")
        deal: Deal | None = ctx.store.deals.get_by_id(session.workspace_id, session.deal_id)
        flag_scored_call(ctx, client, asker, deal, ended.call_id, result,
                         origin_channel=session.channel_id)
    except Exception as e:
        report_failure(client, ctx.templates, asker, e)


def _lifted(points: Sequence[ScorePoint], turn: int | None) -> bool:
    if not turn:
        return True
    return points[turn].probability >= points[turn - 1].probability
