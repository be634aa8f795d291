"""Coaching from the deal-qualification tracker (agent.tracker) and the probability curve: swing moments with
what the turn did, open objections, gaps, and the next move that fits the moment. Every tip says why and
cites the turn it rests on; none reads the words itself, so none can disagree with the tracker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from salesrl.agent.moves import MOVES
from salesrl.agent.tracker import Tracker, track
from salesrl.agent.types import ScorePoint, Tip, Turn

SWING_MIN = 0.03  # a move smaller than this is noise, not a moment
SWINGS = 3
UNFAMILIAR = 0.1  # in-distribution score below which the model says it is out of its depth
NBA_MARGIN = 0.01  # a move valued less than this above the others is not one the model prefers

_GAP_ADVICE = {
    "budget": ("budget", "ask what is set aside for this and who holds it: without it you cannot tell whether the deal is real"),
    "decision": ("decision maker", "ask who signs off and how they decide: deals stall when the buyer is not in the room"),
    "timeline": ("timeline", "ask when they need this live and why then: a date gives the deal urgency"),
}
# What to ask next, most important first, when the call has left qualifying items open.
_ASK = {
    "decision": "ask who else decides and how: bring the person who signs into the next conversation",
    "budget": "ask what budget is set aside for this, and whether it is approved",
    "timeline": "ask when they need it working, and what happens if it slips",
}


_DISCOVERY = "Find the problem first: no pain has been named yet."


@dataclass(frozen=True)
class NextMove:
    key: str  # the moment it answers: "close", "objection", "declined", "prepare", "discovery", "qualify_*", ...
    move: str  # the move class of agent.moves it corresponds to
    turn: int | None  # the turn it reacts to
    text: str


def status_of(point: ScorePoint) -> str:
    if point.in_distribution < UNFAMILIAR:
        return "unfamiliar"
    if point.probability >= 0.65:
        return "likely"
    if point.probability < 0.35:
        return "at risk"
    return "toss-up"


def _nth(turn: int | None) -> int:
    """A turn as people count it, from 1 (a settled item always has its turn)."""
    return (turn or 0) + 1


def _quote(text: str, limit: int = 140) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def swing_moments(points: Sequence[ScorePoint], k: int = SWINGS) -> list[tuple[ScorePoint, float]]:
    """The k turns that moved the probability most, in conversation order, with their change."""
    moves = [(points[i], points[i].probability - points[i - 1].probability) for i in range(1, len(points))]
    moves = [m for m in moves if abs(m[1]) >= SWING_MIN]
    top = sorted(moves, key=lambda m: abs(m[1]), reverse=True)[:k]
    return sorted(top, key=lambda m: m[0].index)


def gap_topic(text: str) -> str | None:
    """The item a gap tip is about, from its first clause: tips are stored and shown as text."""
    head = text.split(":")[0].casefold()
    for words, item in (("next step", "next_step"), ("decision maker", "decision"), ("timeline", "timeline"),
                        ("budget", "budget")):
        if words in head:
            return item
    return None


def move_topic(text: str) -> str | None:
    """The item a next-move tip asks to settle (pain for finding the problem, decision, budget, timeline), read
    off its text as `gap_topic` reads a gap's: a later call of the deal may have settled it."""
    if _DISCOVERY in text:
        return "pain"
    folded = text.casefold()
    return next((item for item, ask in _ASK.items() if ask in folded), None)


def swing_reason(tracker: Tracker, turn: int) -> str:
    """What a turn did, from the tracker's events ("the buyer accepted the price"), or "" when it did nothing
    the tracker follows: a reason is never guessed from a word."""
    seen: list[str] = []
    for e in tracker.events_at(turn):
        if e.what not in seen:
            seen.append(e.what)
    return "; ".join(seen)


def next_move(tracker: Tracker, turns: Sequence[Turn]) -> NextMove:
    """The move that fits where the call is now, from the tracker alone."""
    items = tracker.items
    step, objections = items["next_step"], tracker.open_objections()
    last_buyer = next((i for i in range(len(turns) - 1, -1, -1) if turns[i].role != "rep"), None)
    approved = items["budget"].state == "agreed" or items["decision"].state == "agreed"
    # with the spend or the decision approved, an agreed step is the close, unless it is another meeting first
    closing = approved and not (step.state == "agreed" and tracker.step_is_meeting)
    if step.state == "agreed" and closing:
        who = ("" if items["decision"].state in ("answered", "agreed")
               else " Ask who signs: the decision maker has not been named.")
        return NextMove("close", "ask_for_close", step.turn,
                        f"Do what was agreed at turn {_nth(step.turn)} (“{_quote(step.evidence, 90)}”) today: send the "
                        f"paperwork, confirm who signs and by when, and set the start date.{who}")
    if step.state == "negative" and (objections or items["pain"].state == "negative"):
        return NextMove("declined", "handle_objection", step.turn,
                        f"The buyer declined at turn {_nth(step.turn)} (“{_quote(step.evidence, 90)}”): do not push for a "
                        "meeting again; ask what would have to change, leave something short to read, and ask "
                        "when it makes sense to check back.")
    if objections:
        o = objections[-1]
        return NextMove("objection", "handle_objection", o.turn,
                        f"Answer the objection at turn {o.turn + 1} (“{_quote(o.text, 90)}”) before anything else: "
                        "acknowledge it, ask what is behind it, then answer it in their own numbers.")
    if step.state == "agreed":
        missing = [i for i in ("decision", "budget", "timeline") if items[i].state in ("not_raised", "asked")]
        extra = (f" There, {_ASK[missing[0]]}." if missing
                 else " Everything else is settled: use it to move toward a signature.")
        return NextMove("prepare", "propose_next_step", step.turn,
                        f"Prepare the next step agreed at turn {_nth(step.turn)} (“{_quote(step.evidence, 90)}”): "
                        f"send an agenda and confirm who attends.{extra}")
    if items["pain"].state in ("not_raised", "asked") and not approved:  # no discovery once they have said yes
        return NextMove("discovery", "discovery_question", last_buyer,
                        f"{_DISCOVERY} Ask what this costs them today "
                        "(hours, money, missed targets) before pitching or pricing.")
    for item in ("decision", "budget", "timeline"):
        if items[item].state in ("not_raised", "asked"):
            return NextMove(f"qualify_{item}", "discovery_question", last_buyer,
                            f"{_ASK[item][0].upper()}{_ASK[item][1:]} — the call has not settled it yet.")
    if step.state == "answered":
        return NextMove("firm_up", "propose_next_step", step.turn,
                        f"The next step at turn {_nth(step.turn)} is loose (“{_quote(step.evidence, 90)}”): turn it "
                        "into a meeting with a date and the people who decide.")
    if step.state == "asked":
        return NextMove("ask_date", "propose_next_step", step.turn,
                        f"The step proposed at turn {_nth(step.turn)} got no answer: ask for a date directly.")
    if step.state == "negative":
        return NextMove("repropose", "propose_next_step", step.turn,
                        f"The next step proposed by turn {_nth(step.turn)} was refused: offer a smaller one "
                        "(a short call with the person who decides) with a date.")
    return NextMove("propose", "propose_next_step", last_buyer,
                    "Propose a concrete next step with a date: budget, decision maker and timeline are settled.")


def _gap_tip(tracker: Tracker, item: str) -> Tip:
    s = tracker.items[item]
    if item == "next_step":
        text = {
            "not_raised": "I heard no next step agreed in this call: agree on a concrete next step with a date before "
                          "the call ends.",
            "asked": f"The next step proposed at turn {_nth(s.turn)} was not accepted yet: ask for a date.",
            "answered": f"The next step at turn {_nth(s.turn)} is loose (“{_quote(s.evidence, 90)}”): "
                        "agree on a meeting with a date.",
            "negative": f"The buyer refused the next step at turn {_nth(s.turn)} (“{_quote(s.evidence, 90)}”): "
                        "no next step is agreed.",
        }[s.state]
        return Tip("gap", s.turn, text)
    name, advice = _GAP_ADVICE[item]
    if s.state == "asked":
        return Tip("gap", s.turn, f"The {name} was raised at turn {_nth(s.turn)} but the buyer has not "
                                  f"settled it: {advice}.")
    # said as what the tracker heard, not as a fact about the call: it misses ways of saying things (BENCHMARKS.md)
    return Tip("gap", None, f"I heard no {name} in this call: {advice}.")


def coach(turns: Sequence[Turn], points: Sequence[ScorePoint], moves: Sequence[str] = MOVES,
          tracker: Tracker | None = None) -> list[Tip]:
    tracker = tracker or track(turns)
    tips: list[Tip] = []
    final = points[-1]
    if final.in_distribution < UNFAMILIAR:
        tips.append(Tip("warning", None,
                        "This conversation is unlike the calls the model was trained on: treat the probability "
                        "as a rough guess."))

    for point, delta in swing_moments(points):
        why = swing_reason(tracker, point.index)
        before = point.probability - delta
        tips.append(Tip(
            "swing", point.index,
            f"{'Lift' if delta > 0 else 'Drop'} of {round(100 * abs(delta))} pts ({round(100 * before)}% → "
            f"{round(100 * point.probability)}%) at turn "
            f"{point.index + 1}, {point.speaker}: “{_quote(point.text)}”" + (f" — {why}." if why else "."),
        ))

    for o in tracker.open_objections():
        tips.append(Tip("objection", o.turn, f"Objection at turn {o.turn + 1} is still unanswered: “{_quote(o.text, 100)}”. "
                                             "Acknowledge it and answer it before anything else."))
    for item in tracker.gaps():
        tips.append(_gap_tip(tracker, item))

    move = next_move(tracker, turns)
    text = f"Next: {move.text}"
    if final.action_values and move.move in moves:
        values = list(final.action_values)
        value = values[list(moves).index(move.move)]
        others = sorted(v for i, v in enumerate(values) if moves[i] != move.move)
        if others and value - others[len(others) // 2] >= NBA_MARGIN:
            change = round(100 * (value - final.probability))
            text += f" The model expects {round(100 * value)}% after it ({change:+d} pts from now)."
    tips.append(Tip("next_best_action", move.turn if move.turn is not None else final.index, text))
    return tips
