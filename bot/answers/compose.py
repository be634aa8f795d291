"""Extractive answers: composed from the deal's stored turns and the agent's own outputs (flags,
swing moments, open objections, gaps, the next best action, the curve over calls), each sentence
resting on something the answer cites. Deterministic: the same history and question give the same
answer, with no language model involved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable, Sequence

from salesrl.agent.coach import gap_topic, move_topic
from salesrl.bot.answers.history import Citation, DealHistory, HistoryCall, HistoryTurn
from salesrl.bot.answers.intent import Intent, Question
from salesrl.bot.answers.retrieval import SENTENCES, Hit, sentence_relevance

QUOTE_CHARS = 160
FOCUS_CHARS = 240  # one sentence about the question, quoted whole up to this


@dataclass(frozen=True)
class Answer:
    text: str  # plain text (escaped when rendered)
    citations: tuple[Citation, ...]
    intent: Intent
    deal_name: str
    model_id: str = "extractive"  # or "openai:<chat model>" when a chat model phrased it
    facts: tuple[str, ...] = ()  # the agent's facts the answer rests on (given to a chat model)


def quote(text: str, limit: int = QUOTE_CHARS, about: Callable[[str], float] | None = None) -> str:
    """The turn's text in quotes, cut to `limit`; a longer turn is cut to the sentences `about` scores highest
    (those about the question: the start date in the third sentence of an e-mail), in their order."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return "“" + text + "”"
    sentences = [s.strip() for s in SENTENCES.findall(text)]
    if about is None or len(sentences) < 2 or not any(about(s) > 0 for s in sentences):
        return "“" + text[: limit - 1].rstrip() + "…" + "”"
    best = sorted(range(len(sentences)), key=lambda i: (-about(sentences[i]), i))
    kept = [best[0]]
    for i in best[1:]:
        if about(sentences[i]) <= 0 or sum(len(sentences[k]) + 1 for k in kept) + len(sentences[i]) > limit:
            break
        kept.append(i)
    kept.sort()
    first = sentences[kept[0]]
    if len(first) > FOCUS_CHARS:
        first = first[: FOCUS_CHARS - 1].rstrip() + "…"
    parts = [first] + [sentences[k] for k in kept[1:]]
    return ("“" + ("…" if kept[0] > 0 else "") + " ".join(parts)
            + ("…" if kept[-1] < len(sentences) - 1 else "") + "”")


def pct(p: float) -> str:
    return f"{round(100 * p)}%"


def pts(delta: float) -> str:
    n = round(100 * delta)
    return "±0 pts" if n == 0 else (f"+{n} pts" if n > 0 else f"−{-n} pts")


def said(turn: HistoryTurn, about: Callable[[str], float] | None = None) -> str:
    who = "a note" if turn.is_note else turn.speaker
    return f"{turn.citation.label}, {who}: {quote(turn.text, about=about)}"


def _unique(citations: Sequence[Citation]) -> tuple[Citation, ...]:
    seen, out = set(), []
    for c in citations:
        key = (c.call_id, c.turn)
        if key not in seen:
            seen.add(key)
            out.append(c)
    return tuple(out)


def _biggest_fall(calls: Sequence[HistoryCall]) -> HistoryTurn | None:
    turns = [t for c in calls for t in c.turns if t.change < 0]
    return min(turns, key=lambda t: t.change, default=None)


def _biggest_move(calls: Sequence[HistoryCall]) -> HistoryTurn | None:
    turns = [t for c in calls for t in c.turns]
    return max(turns, key=lambda t: abs(t.change), default=None)


def _tip(call: HistoryCall, kind: str):
    return next((t for t in call.tips if t.kind == kind), None)


def why_flagged(history: DealHistory, question: Question, hits: Sequence[Hit]) -> Answer:
    deal = history.deal
    lines: list[str] = []
    cites: list[Citation] = []
    for flag in history.open_flags[-3:]:
        who = f"by {history.names.get(flag.flagged_by, 'a teammate')}" if flag.flagged_by else "automatically"
        when = f"{flag.created_at:%b} {flag.created_at.day}"
        reason = flag.reason.strip()
        line = f"Flagged {who} on {when}: {reason}" + ("" if reason.endswith((".", "!", "?")) else ".")
        call = history.call(flag.call_id)
        turn = call.turn(flag.turn_index) if call else None
        if turn is not None:
            if " ".join(turn.text.split())[:40] not in " ".join(reason.split()):  # an automatic reason quotes it
                line += f" It rests on {said(turn)}"
            cites.append(turn.citation)
        elif call is not None:
            cites.append(call.citation)
        lines.append(line)
    if not lines:
        latest = f" Its latest probability is {pct(deal.latest_probability)}." if deal.latest_probability is not None else ""
        lines.append(f"{deal.name} is not flagged.{latest}")
    fall = _biggest_fall(history.calls[-3:])
    if fall is not None and all(c.turn != fall.index + 1 or c.call_id != fall.call_id for c in cites):
        lines.append(f"The biggest drop in its recent calls: {pts(fall.change)} at {said(fall)}")
        cites.append(fall.citation)
    latest_call = history.latest
    if latest_call is not None:
        objection = _tip(latest_call, "objection")
        quoted = objection is not None and any(
            c.call_id == latest_call.call_id and objection.turn is not None and c.turn == objection.turn + 1
            for c in cites)
        if quoted:  # the turn is quoted above already
            lines.append("That objection is still unanswered: acknowledge it and answer it before anything else.")
        elif objection is not None:
            lines.append(objection.text)
    return Answer(" ".join(lines), _unique(cites), "why_flagged", deal.name, facts=tuple(lines))


def movement(history: DealHistory, question: Question, hits: Sequence[Hit],
             now: datetime | None = None) -> Answer:
    deal, calls = history.deal, history.calls
    if not calls:
        return Answer(f"{deal.name} has no scored calls yet.", (), "movement", deal.name)
    now = now or datetime.now(timezone.utc)
    since_last_call = "last call" in question.text.casefold()
    if since_last_call or question.since is None and len(calls) >= 2:
        window = list(calls[-1:]) if since_last_call else list(calls)
    else:
        cutoff = now - (question.since or timedelta(days=7))
        window = [c for c in calls if c.created_at >= cutoff]
    if not window:
        last = calls[-1]
        text = (f"No calls since then: the latest is {last.citation.label}, which ended at "
                f"{pct(last.final_probability)}.")
        return Answer(text, (last.citation,), "movement", deal.name, facts=(text,))
    first_in = calls.index(window[0])
    if first_in > 0:
        start, start_label = calls[first_in - 1].final_probability, f"{calls[first_in - 1].citation.label}"
    else:
        start, start_label = window[0].first_probability, f"the start of {window[0].citation.label}"
    end = window[-1].final_probability
    n = len(window)
    lines = [f"{deal.name} moved from {pct(start)} ({start_label}) to {pct(end)} after "
             f"{window[-1].citation.label}: {pts(end - start)} over {n} call{'s' if n != 1 else ''}."]
    if len(calls) > 1:
        curve = " → ".join(f"{pct(c.final_probability)}" for c in calls[-8:])
        lines.append(f"Call by call: {curve}.")
    cites = [c.citation for c in window[-3:]]
    move = _biggest_move(window)
    if move is not None and abs(move.change) >= 0.03:
        lines.append(f"The biggest move: {pts(move.change)} at {said(move)}")
        cites.append(move.citation)
    return Answer(" ".join(lines), _unique(cites), "movement", deal.name, facts=tuple(lines))


def likelihood(history: DealHistory, question: Question, hits: Sequence[Hit]) -> Answer:
    """The agent's probability after the latest call, where it came from, and what moved it most in that call."""
    deal, latest = history.deal, history.latest
    if latest is None:
        return Answer(f"{deal.name} has no scored calls yet, so I can't tell how likely it is.", (), "likelihood",
                      deal.name)
    lines = [f"The model puts {deal.name} at {pct(latest.final_probability)} after {latest.citation.label}."]
    cites = [latest.citation]
    if len(history.calls) > 1:
        curve = " → ".join(pct(c.final_probability) for c in history.calls[-8:])
        lines.append(f"Call by call: {curve}.")
    move = _biggest_move([latest])
    if move is not None and abs(move.change) >= 0.03:
        lines.append(f"What moved it most in that call: {pts(move.change)} at {said(move)}")
        cites.append(move.citation)
    if history.open_flags:
        n = len(history.open_flags)
        lines.append(f"It has {n} open flag{'s' if n != 1 else ''}.")
    return Answer(" ".join(lines), _unique(cites), "likelihood", deal.name, facts=tuple(lines))


def who_decides(history: DealHistory, question: Question, hits: Sequence[Hit]) -> Answer:
    """From the deal's tracker, so it says what the tips say; the retrieved turns add what else was said."""
    deal = history.deal
    about = sentence_relevance(question)
    state, turn = history.qualification()["decision"]
    lines: list[str] = []
    cites: list[Citation] = []
    closest = [h for h in hits if h.turn.role != "rep"][:2]
    if state.state in ("answered", "agreed", "negative") and turn is not None:
        lines.append(f"From the calls: {said(turn, about)}")
        cites.append(turn.citation)
    elif closest:
        # the tracker misses ways of saying it ("the owners have the last word", "the board awards it"), also
        # after the rep asked: quote what the buyer said, do not claim silence
        lines.append("The calls do not settle who decides; closest: " + " ".join(said(h.turn, about) for h in closest)
                     + " Confirm who signs off and how they decide.")
        cites.extend(h.turn.citation for h in closest)
    elif state.state == "asked" and turn is not None:
        lines.append(f"It was asked at {turn.citation.label} but nobody has said who decides yet. Ask again: "
                     "who signs off, and how do they decide?")
        cites.append(turn.citation)
    else:
        lines.append("No one has said who decides in the stored calls. Ask who signs off and how they decide: "
                     "deals stall when the buyer is not in the room.")
    if lines[0].startswith("From the calls"):
        more = [h for h in hits if h.turn.citation not in cites and h.turn.role != "rep"][:1]
        lines.extend(f"Also: {said(h.turn, about)}" for h in more)
        cites.extend(h.turn.citation for h in more)
    if not cites and history.latest:
        cites.append(history.latest.citation)
    return Answer(" ".join(lines), _unique(cites), "who_decides", deal.name, facts=tuple(lines))


def next_step(history: DealHistory, question: Question, hits: Sequence[Hit]) -> Answer:
    """From the deal: the agent's next move after the latest call and its reason (unless an earlier call
    settled what it asks for), what the open flags say, the next step the latest call agreed, and the gaps."""
    deal, latest = history.deal, history.latest
    if latest is None:
        return Answer(f"{deal.name} has no scored calls yet: score one and I can say what to do next.", (),
                      "next_step", deal.name)
    qualification = history.qualification()
    settled = {name for name, (s, _) in qualification.items()
               if s.state in ("answered", "agreed", "negative") and name != "next_step"}
    lines, cites = [], []
    for kind in ("objection", "next_best_action"):
        tip = _tip(latest, kind)
        if tip is None or (kind == "next_best_action" and move_topic(tip.text) in settled):
            continue
        lines.append(tip.text)
        turn = latest.turn(tip.turn)
        cites.append(turn.citation if turn else latest.citation)
        if kind == "objection" and turn is not None:
            lines.append(f"({said(turn)})")
    for flag in history.open_flags[-2:]:  # what the team flagged is what the next move has to deal with
        reason = flag.reason.strip()
        lines.append(f"It is flagged: {reason}" + ("" if reason.endswith((".", "!", "?")) else "."))
    step = history.trackers[-1].items["next_step"]  # the latest call's: an older agreed step is done or stale
    turn = latest.turns[step.turn] if step.turn is not None and step.turn < len(latest.turns) else None
    if step.state == "agreed" and turn is not None:
        lines.append(f"The next step agreed: {said(turn)}")
        cites.append(turn.citation)
    # the latest call's gaps, less what an earlier call of the deal settled (the deal's tracker)
    gaps = [t.text for t in latest.tips if t.kind == "gap" and gap_topic(t.text) not in settled][:2]
    lines.extend(gaps)
    if not lines:
        lines.append(f"Nothing stands out in {latest.citation.label}: agree on a concrete next step with a date.")
    if not cites:
        cites.append(latest.citation)
    lines.append(f"(After {latest.citation.label} the deal stands at {pct(latest.final_probability)}.)")
    return Answer(" ".join(lines), _unique(cites), "next_step", deal.name, facts=tuple(lines))


def said_about(history: DealHistory, question: Question, hits: Sequence[Hit]) -> Answer:
    deal = history.deal
    topic = question.topic or "that"
    if not hits:
        text = f"Nothing in {deal.name}'s stored calls is about {topic}."
        return Answer(text, (), question.intent, deal.name, facts=(text,))
    about = sentence_relevance(question)
    lines = [said(h.turn, about) for h in hits]
    return Answer("\n".join(lines), _unique([h.turn.citation for h in hits]), question.intent, deal.name,
                  facts=tuple(lines))


_COMPOSERS = {
    "why_flagged": why_flagged,
    "movement": movement,
    "who_decides": who_decides,
    "likelihood": likelihood,
    "next_step": next_step,
    "said_about": said_about,
    "general": said_about,
}


def compose(history: DealHistory, question: Question, hits: Sequence[Hit]) -> Answer:
    return _COMPOSERS[question.intent](history, question, hits)
