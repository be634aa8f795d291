"""Scoring one call asked for in Slack: check the deal, fetch the transcript, save it scored through
the one path (bot.calls.score_and_save), and reply.

`submit_scoring` runs in the ack: it records the call (bot.slack.pending) before Slack is told it
was accepted. The work runs in the worker pool (see bot.slack.workers), never in a thread that
acknowledges Slack. Each post of the answer is tagged with the call's id (`call_tag`), and its chart
named with it, so a retry or a process taking the call over finds what was posted already instead
of posting it again.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any, Sequence

from slack_sdk import WebClient

from salesrl.agent.redact import redact
from salesrl.agent.types import ScoreResult
from salesrl.bot.calls import SavedCall, parse_for_scoring, score_and_save
from salesrl.bot.chart import render_curve_png
from salesrl.bot.flags.flagging import flag_scored_call
from salesrl.bot.slack.asker import Asker, asker_names
from salesrl.bot.slack.context import BotContext
from salesrl.bot.slack.files import SlackFile, download_transcript
from salesrl.bot.slack.membership import check_visible
from salesrl.bot.slack.outbox import (
    Posted, Tag, Undelivered, deliver, find_where_asked, post_tagged, post_where_asked, report_failure,
    tell_undelivered, upload_chart,
)
from salesrl.bot.slack.pending import MAX_ATTEMPTS
from salesrl.bot.store import DatabaseUnavailable, Deal, NotFound, normalise_deal_name
from salesrl.bot.store.pending import PendingCall, PendingCallTaken

log = logging.getLogger(__name__)

CALL_EVENT = "salesrl_call"  # message metadata event type of the posts answering a scored call


def call_tag(call_id: int, part: str) -> Tag:
    """The tag of one post of a call's answer: "summary" (where asked) or "coaching" (in its thread)."""
    return Tag(CALL_EVENT, {"call_id": call_id, "part": part})


def find_summary(client: WebClient, asker: Asker, call_id: int) -> Posted | None:
    """The call's summary, if it was posted where the asker asked (by this process or one that died)."""
    return find_where_asked(client, asker, call_tag(call_id, "summary"))


@dataclass(frozen=True)
class CallToScore:
    source: str  # a store call source: "slash_command", "file" or "shortcut"
    label: str  # how the reply names it: "pasted text", "call.vtt"
    text: str | None = None  # the transcript, or
    file: SlackFile | None = None  # a Slack file to download first
    deal_name: str | None = None
    deal_id: int | None = None  # a deal picked in the modal
    reps: tuple[str, ...] = ()  # speakers named as the rep by the asker


def _picked_deal(ctx: BotContext, client: WebClient, asker: Asker, call: CallToScore) -> Deal | None:
    """The deal picked in the modal, or named, checked before any work is done: a call can only be
    added to a deal the asker may see (bot.slack.membership)."""
    if call.deal_id is None:
        if call.deal_name:
            normalise_deal_name(call.deal_name)  # a bad name fails now, not after scoring
            existing = ctx.store.deals.get(asker.team_id, call.deal_name)
            if existing is not None:
                check_visible(client, asker, existing)
        return None
    deal = ctx.store.deals.get_by_id(asker.team_id, call.deal_id)
    if deal is None:
        raise NotFound("That deal no longer exists: pick another one or type a new name")
    return check_visible(client, asker, deal)


def score_call(ctx: BotContext, client: WebClient, asker: Asker, call: CallToScore,
               pending_id: int | None = None) -> SavedCall:
    """Check the deal, fetch the transcript, then the one path to a saved call (bot.calls)."""
    deal = _picked_deal(ctx, client, asker, call)
    if call.file is not None:
        source: str | bytes = download_transcript(client, call.file, ctx.settings.max_chars)
        filename: str | None = call.file.name
    else:
        source, filename = call.text or "", None
    return score_and_save(ctx.store, ctx.agent, ctx.settings, asker.team_id, source, origin=call.source,
                          reps=call.reps, known_reps=asker_names(ctx.store, client, asker), filename=filename,
                          deal=deal, deal_name=call.deal_name, user_id=asker.user_id,
                          channel_id=asker.channel_id, pending_id=pending_id)


def reply_with_score(ctx: BotContext, client: WebClient, asker: Asker, call: CallToScore,
                     scored: SavedCall) -> None:
    """The summary where the asker is (or by DM), then the curve and the coaching in its thread.
    The call is saved already: each post is retried through a Slack outage (bot.slack.outbox),
    and raises Undelivered when it never gets through."""
    result, deal = scored.result, scored.deal
    if deal is not None and deal.call_count > 1 and deal.trend is not None:
        trend, basis = deal.trend, "since the last call"
    else:
        trend, basis = result.final.probability - result.points[0].probability, "over the call"
    templates = ctx.templates

    def summary(fallback_channel: str | None):
        return templates.message("slack/score_result.json.j2", result=result, deal=deal, trend=trend,
                                 trend_basis=basis, user_id=asker.user_id, source=call.label,
                                 fallback_channel=fallback_channel)

    summary_tag, coaching_tag = call_tag(scored.call_id, "summary"), call_tag(scored.call_id, "coaching")
    posted = deliver("the result of your call", lambda: post_where_asked(client, asker, summary, summary_tag),
                     done_already=lambda: find_where_asked(client, asker, summary_tag))
    try:
        ctx.store.calls.set_thread(asker.team_id, scored.call_id, posted.channel_id, posted.ts)
    except DatabaseUnavailable:  # the result is posted all the same; it is found by its tag if need be
        log.warning("call %s: where its result was posted is not recorded", scored.call_id)
    title = f"Probability curve — {deal.name if deal else call.label}"
    png = render_curve_png(result)
    upload_chart("the probability curve of your call", client, posted, png,
                 f"probability-curve-call-{scored.call_id}.png", title,
                 f"Probability the deal converts after each of {len(result.points)} turns, "
                 f"ending at {result.final.probability:.0%}")
    swings = [{"text": t.text, "up": _lifted(result, t.turn)} for t in result.tips if t.kind == "swing"]
    tips = [t for t in result.tips if t.kind not in ("swing", "warning")]
    coaching = templates.message("slack/score_coaching.json.j2", swings=swings, tips=tips)
    post_tagged("the coaching for your call", client, posted.channel_id, coaching, coaching_tag,
                thread_ts=posted.thread_ts)


def where_saved(scored: SavedCall) -> str:
    """Where the asker finds a saved call whose result was not posted."""
    if scored.deal is not None:
        return f"`/salesrl deal {scored.deal.name}` shows it"
    return f"call {scored.call_id}, ending at {scored.result.final.probability:.0%}"


def _lifted(result: ScoreResult, turn: int | None) -> bool:
    if not turn:
        return True
    return result.points[turn].probability >= result.points[turn - 1].probability


def score_and_reply(ctx: BotContext, client: WebClient, asker: Asker, call: CallToScore,
                    pending_id: int | None = None) -> None:
    """The worker job: every failure ends as one private message to the asker. The call is saved
    before anything is posted, so a Slack outage delays the answer but never loses the call; its
    pending row (bot.slack.pending) covers a crash, and is closed once the asker has their answer.
    A database outage before the save is not a failure: the row stays, and this process scores the
    call again once the database is back."""
    done = True
    try:
        done = _score_and_reply(ctx, client, asker, call, pending_id)
    finally:
        if done:
            ctx.pending.finish(asker.team_id, pending_id)


def _score_and_reply(ctx: BotContext, client: WebClient, asker: Asker, call: CallToScore,
                     pending_id: int | None) -> bool:
    """False when the call is left to be scored again (its pending row stays open)."""
    try:
        scored = score_call(ctx, client, asker, call, pending_id)
    except PendingCallTaken:  # another process took the call over while this one had lost the database
        log.warning("pending call %s was saved by another process; leaving it to that one", pending_id)
        return False
    except DatabaseUnavailable as e:
        if pending_id is not None:
            ctx.pending.retry_later(client, asker, pending_id, call.label)
            return False
        report_failure(client, ctx.templates, asker, e, replace_original=call.source == "slash_command",
                       pasted=_pasted(call))
        return True
    except Exception as e:
        # a slash command was answered "Scoring your call…": the error takes its place
        report_failure(client, ctx.templates, asker, e, replace_original=call.source == "slash_command",
                       pasted=_pasted(call))
        return True
    try:
        reply_with_score(ctx, client, asker, call, scored)
    except Undelivered as e:
        tell_undelivered(client, ctx.templates, asker, e, where_saved(scored))
    except Exception as e:
        report_failure(client, ctx.templates, asker, e)
    try:
        flag_scored_call(ctx, client, asker, scored.deal, scored.call_id, scored.result,
                         origin_channel=asker.channel_id)
    except DatabaseUnavailable:  # not the asker's to retry: they have their answer
        log.warning("call %s: the database failed before its flags were checked", scored.call_id)
    except Exception as e:
        report_failure(client, ctx.templates, asker, e)
    return True


def _pasted(call: CallToScore) -> str | None:
    """The text the asker typed or pasted into the command or the form, which Slack does not keep for them: given
    back with an error they can fix (bot.slack.outbox.failure_message)."""
    return call.text if call.source == "slash_command" else None


def submit_scoring(ctx: BotContext, client: WebClient, asker: Asker, calls: Sequence[CallToScore]) -> None:
    """Read each pasted transcript, record the calls as pending, then queue the work. Call it before
    acknowledging the request: once Slack has its 200, a crash cannot lose a call. Raises TranscriptError for
    a pasted text that cannot be scored (refused while the asker still has it: the form stays open, the command
    gives it back), or DatabaseUnavailable, saying the calls were not saved, when they cannot be recorded
    (nothing is queued then)."""
    for call in calls:
        if call.text is not None:
            parse_for_scoring(call.text, ctx.settings, reps=call.reps)
    redacting = ctx.settings.redact  # a pasted transcript waits in the database as it will be stored
    pending_ids = ctx.pending.accept(asker.team_id, [
        (request_of(asker, call), redact(call.text) if redacting and call.text is not None else call.text)
        for call in calls])
    for call, pending_id in zip(calls, pending_ids):
        ctx.workers.submit(lambda call=call, pending_id=pending_id: score_and_reply(ctx, client, asker, call,
                                                                                     pending_id))


# --- calls taken over from a process that died (bot.slack.pending) ----------------------------------

def request_of(asker: Asker, call: CallToScore) -> dict[str, Any]:
    """What a pending row keeps of a call, besides its pasted text: enough to score it again."""
    return {"asker": asdict(asker), "source": call.source, "label": call.label, "deal_name": call.deal_name,
            "deal_id": call.deal_id, "reps": list(call.reps), "file": asdict(call.file) if call.file else None}


def resume_call(ctx: BotContext, client: WebClient, pending: PendingCall) -> None:
    """A pending row taken over (bot.slack.pending's sweep): a saved call's asker is told where its
    result is unless it was posted; an unsaved call is queued to be scored again, up to MAX_ATTEMPTS."""
    request = pending.request
    asker = Asker(**request["asker"])
    if pending.call_id is not None:
        if _result_posted(ctx, client, asker, pending):
            log.info("pending call %s: its result is posted; nothing more to say", pending.id)
            ctx.pending.finish(pending.workspace_id, pending.id)
        else:
            ctx.pending.tell(client, asker, pending, _saved_line(ctx, pending))
        return
    if pending.attempts > MAX_ATTEMPTS:
        ctx.pending.tell(client, asker, pending, f"I could not score {request['label']} after {MAX_ATTEMPTS} tries. "
                                                 "Please send it again.")
        return
    file = request.get("file")
    call = CallToScore(source=request["source"], label=request["label"], text=pending.text,
                       file=SlackFile(**file) if file else None, deal_name=request.get("deal_name"),
                       deal_id=request.get("deal_id"), reps=tuple(request.get("reps") or ()))
    ctx.workers.submit(lambda: score_and_reply(ctx, client, asker, call, pending_id=pending.id))


def _result_posted(ctx: BotContext, client: WebClient, asker: Asker, pending: PendingCall) -> bool:
    """Whether the saved call's summary reached Slack: recorded on the call, or found where the
    asker asked by its tag (the process may have died before it heard back from Slack)."""
    assert pending.call_id is not None
    detail = ctx.store.calls.get(pending.workspace_id, pending.call_id)
    if detail is not None and detail.call.thread_ts:
        return True
    return find_summary(client, asker, pending.call_id) is not None


def _saved_line(ctx: BotContext, pending: PendingCall) -> str:
    detail = ctx.store.calls.get(pending.workspace_id, pending.call_id) if pending.call_id else None
    deal = ctx.store.deals.get_by_id(pending.workspace_id, detail.call.deal_id) \
        if detail and detail.call.deal_id else None
    where = f"`/salesrl deal {deal.name}` shows it" if deal else "it is saved"
    ending = f", ending at {detail.call.final_probability:.0%}" if detail else ""
    return (f"I scored {pending.request['label']}{ending}, but the bot restarted before the result was "
            f"posted: {where}.")
