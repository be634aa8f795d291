"""Posting flags where the team reviews deals: the workspace's review channel (`/salesrl config
review-channel`), else the channel the flag was raised from, else the deal's own channel.

A flag post shows the deal's numbers, every open reason, the swing moments of its latest call and
its curve (a sparkline in the message; the chart of the latest call in the thread). Its thread is
where the team discusses the deal and asks the bot about it (bot.answers).

That full post goes only into a channel whose members all may see the deal (bot.slack.membership:
the members of the deal's channel; a DM deal's owner alone). A channel read by anyone else gets the
short form: the deal's name, numbers and who flagged it, no reasons (they quote the call), no swing
moments, no curve and no chart; "see the deal's channel" instead. Notes later posted in the flag's
thread follow the same rule.

The flag is saved before it is posted, and the posts go through the delivery retries
(bot.slack.outbox): a Slack outage delays them. Each post is tagged with its flag's id (a chart
is named with it), so a retry finds an earlier attempt that got through instead of posting twice.
When the flag post itself cannot be delivered, `post_flag` raises Undelivered and the caller tells
the person who raised or caused the flag where the saved flag can be seen (`where_flag_saved`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from salesrl.agent.coach import swing_moments
from salesrl.agent.types import ScorePoint, ScoreResult, Transcript, Turn
from salesrl.bot.answers.history import Citation
from salesrl.bot.chart import render_curve_png
from salesrl.bot.slack.context import BotContext
from salesrl.bot.slack.outbox import CANNOT_POST_HERE, Posted, Tag, Undelivered, post_tagged, upload_chart
from salesrl.bot.slack.membership import Membership, everyone_may_see
from salesrl.bot.sparkline import sparkline
from salesrl.bot.store import CallDetail, Deal, Flag

log = logging.getLogger(__name__)


FLAG_EVENT = "salesrl_flag"  # message metadata event type of a flag's post
FLAG_NOTE_EVENT = "salesrl_flag_note"  # and of a note in a flag's thread


def flag_tag(flag_id: int) -> Tag:
    return Tag(FLAG_EVENT, {"flag_id": flag_id})


def flag_note_tag(flag_id: int, kind: str) -> Tag:
    """The note saying flag `flag_id` was raised again ("again") in an open flag's thread, or cleared."""
    return Tag(FLAG_NOTE_EVENT, {"flag_id": flag_id, "kind": kind})


@dataclass(frozen=True)
class FlagPost:
    channel_id: str
    ts: str
    full: bool  # with the call's content; False: the short form, for a channel some of whose readers may not see it


def result_of(detail: CallDetail) -> ScoreResult:
    """A stored call as a ScoreResult, for the chart and the swing moments."""
    points = tuple(
        ScorePoint(index=t.index, speaker=t.speaker, role=t.role, text=t.text or "",  # type: ignore[arg-type]
                   probability=t.probability, uncertainty=t.uncertainty, in_distribution=t.in_distribution,
                   action_values=t.action_values)
        for t in detail.turns
    )
    turns = tuple(Turn(speaker=t.speaker, role=t.role, text=t.text or "", is_note=t.is_note)  # type: ignore[arg-type]
                  for t in detail.turns)
    call, last = detail.call, points[-1]
    # a call scored as finished (ScoreResult.ended) has a final view of its own, kept beside its turns
    ended = (replace(last, probability=call.final_probability, uncertainty=call.final_uncertainty)
             if (call.final_probability, call.final_uncertainty) != (last.probability, last.uncertainty) else None)
    return ScoreResult(Transcript(turns, call.format, detail.roles_decided_by), points, (),
                       dict(detail.model_info), call.status, ended=ended)


def _post_context(ctx: BotContext, team: str, deal: Deal) -> tuple[dict[str, Any], CallDetail | None]:
    calls = ctx.store.calls.of_deal(team, deal.id)
    latest = ctx.store.calls.get(team, calls[-1].id) if calls else None
    swings, curve = [], ""
    if latest is not None and latest.turns:
        points = result_of(latest).points
        curve = sparkline([p.probability for p in points])
        number = len(calls)
        for point, change in swing_moments(points):
            label = Citation(latest.call.id, number, latest.call.created_at, point.index + 1).label
            swings.append({"label": label, "speaker": point.speaker, "text": point.text, "change": change})
    deal_curve = [{"label": f"{c.created_at:%b} {c.created_at.day}", "probability": c.final_probability}
                  for c in calls]
    return {"swings": swings, "curve": curve, "deal_curve": deal_curve}, latest


def post_flag(ctx: BotContext, client: WebClient, team: str, deal: Deal, flags: list[Flag], *,
              flagged_by: str | None, channels: list[str]) -> FlagPost | None:
    """Post the flag in the first of `channels` the bot can post in, in full when everyone there may
    see the deal (else the short form); the chart of the full form goes in its thread. None when it
    could post in none of them."""
    raised = flags[-1]  # the flag being posted; the others were open before it
    context, latest = _post_context(ctx, team, deal)
    membership = Membership()  # read afresh, once for all the channels tried
    tried: list[str] = []
    for channel in dict.fromkeys(c for c in channels if c):
        note = (f"I could not post in <#{tried[0]}>, the review channel: invite me there with /invite @SalesRL."
                if tried else None)
        full = everyone_may_see(client, team, channel, deal, membership=membership)
        message = ctx.templates.message(
            "slack/flag_post.json.j2", deal=deal, reasons=[f.reason for f in flags], flagged_by=flagged_by,
            command="/salesrl", fallback_note=note, full=full, **context)
        try:
            sent = post_tagged(f"the flag of {deal.name}", client, channel, message, flag_tag(raised.id))
        except SlackApiError as e:
            if e.response.get("error") not in CANNOT_POST_HERE:
                raise
            log.info("cannot post a flag in %s (%s)", channel, e.response.get("error"))
            tried.append(channel)
            continue
        post = FlagPost(sent.channel_id, sent.ts, full)
        if not full:
            log.info("flag of deal %s posted in %s without the call's content: not everyone there may see it",
                     deal.id, channel)
        elif latest is not None and latest.turns:
            ctx.workers.submit(partial(_upload_curve, client, post, deal, raised, latest))
        return post
    return None


def _upload_curve(client: WebClient, post: FlagPost, deal: Deal, flag: Flag, latest: CallDetail) -> None:
    try:
        result = result_of(latest)
        png = render_curve_png(result)
        upload_chart(f"the chart of the flag of {deal.name}", client,
                     Posted(post.channel_id, post.ts, post.ts, False), png,
                     f"probability-curve-flag-{flag.id}.png", f"Latest call — {deal.name}",
                     f"Probability the deal converts after each of the latest call's {len(result.points)} turns, "
                     f"ending at {result.final.probability:.0%}")
    except Exception:
        log.exception("the flag chart for deal %s could not be posted", deal.id)


def where_flag_saved(deal_name: str) -> str:
    """Where someone finds a saved flag whose post did not reach Slack."""
    return f"`/salesrl deal {deal_name}` lists the deal's open flags"


def post_in_flag_thread(ctx: BotContext, client: WebClient, flag: Flag, *, about: Flag, kind: str, deal: Deal,
                        **context: Any) -> bool | None:
    """A reply in `flag`'s thread (flag_note.json.j2): `about` is the flag raised again (kind "again"),
    or the flag cleared ("cleared"); a new reason only when everyone in the thread's channel may see
    the deal. Retried through a Slack outage; a note that never gets through is logged (the flag's
    state is saved either way). Returns whether the note was in full (None: the flag has no thread)."""
    if not flag.channel_id or not flag.thread_ts:
        return None
    full = everyone_may_see(client, deal.workspace_id, flag.channel_id, deal)
    message = ctx.templates.message("slack/flag_note.json.j2", deal=deal, full=full, kind=kind, **context)
    try:
        post_tagged(f"a note in the flag thread {flag.thread_ts}", client, flag.channel_id, message,
                    flag_note_tag(about.id, kind), thread_ts=flag.thread_ts)
    except Undelivered:
        pass  # deliver logged it with a reference
    except SlackApiError as e:
        log.info("cannot reply in flag thread %s (%s)", flag.thread_ts, e.response.get("error"))
    return full
