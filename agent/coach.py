"""Coaching from the probability curve: swing moments, gaps, the open objection, and the next best
move. Every tip says why."""

from __future__ import annotations

from typing import Sequence

from salesrl.agent.moves import MOVE_ADVICE, MOVES
from salesrl.agent.signals import detect
from salesrl.agent.types import ScorePoint, Tip, Turn

SWING_MIN = 0.03  # a move smaller than this is noise, not a moment
SWINGS = 3
UNFAMILIAR = 0.1  # in-distribution score below which the model says it is out of its depth
NBA_MARGIN = 0.01  # a best move ahead of the second by less than this is not a clear recommendation

_SIGNAL_WORDS = {
    "price": "a price objection", "timing": "a timing objection", "authority": "an authority objection",
    "need": "doubt about the need", "competitor": "a competitor", "next_step": "a next step",
    "timeline": "a timeline", "budget": "budget", "decision_maker": "the decision maker",
}
_GAPS = {
    "budget": ("budget", "ask what budget is set aside for this: without it you cannot tell whether the deal is real"),
    "decision_maker": ("decision maker", "ask who signs off and how they decide: deals stall when the buyer is not in the room"),
    "timeline": ("timeline", "ask when they need this live and why then: a date gives the deal urgency"),
    "next_step": ("next step", "agree on a concrete next step with a date before the call ends"),
}


def status_of(point: ScorePoint) -> str:
    if point.in_distribution < UNFAMILIAR:
        return "unfamiliar"
    if point.probability >= 0.65:
        return "likely"
    if point.probability < 0.35:
        return "at risk"
    return "toss-up"


def _quote(text: str, limit: int = 140) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def swing_moments(points: Sequence[ScorePoint], k: int = SWINGS) -> list[tuple[ScorePoint, float]]:
    """The k turns that moved the probability most, in conversation order, with their change."""
    moves = [(points[i], points[i].probability - points[i - 1].probability) for i in range(1, len(points))]
    moves = [m for m in moves if abs(m[1]) >= SWING_MIN]
    top = sorted(moves, key=lambda m: abs(m[1]), reverse=True)[:k]
    return sorted(top, key=lambda m: m[0].index)


def coach(turns: Sequence[Turn], points: Sequence[ScorePoint], moves: Sequence[str] = MOVES) -> list[Tip]:
    tips: list[Tip] = []
    final = points[-1]
    if final.in_distribution < UNFAMILIAR:
        tips.append(Tip("warning", None,
                        "This conversation is unlike the calls the model was trained on "
                        f"(in-distribution {final.in_distribution:.2f}): treat the probability as a rough guess."))

    for point, delta in swing_moments(points):
        found = detect(turns[point.index].text)
        why = ", ".join(_SIGNAL_WORDS[s] for s in sorted(found)) if found else ""
        before = point.probability - delta
        tips.append(Tip(
            "swing", point.index,
            f"{'Lift' if delta > 0 else 'Drop'} of {delta:+.2f} ({before:.2f} → {point.probability:.2f}) at turn "
            f"{point.index + 1}, {point.speaker}: “{_quote(point.text)}”"
            + (f" — mentions {why}." if why else "."),
        ))

    seen: set[str] = set()
    last_objection: tuple[int, str] | None = None
    for i, t in enumerate(turns):
        found = detect(t.text)
        seen |= found
        if t.role == "rep":
            last_objection = None
        else:
            objections = [s for s in ("price", "timing", "authority", "need", "competitor") if s in found]
            if objections:
                last_objection = (i, objections[0])
    if last_objection is not None:
        i, kind = last_objection
        tips.append(Tip("objection", i,
                        f"{_SIGNAL_WORDS[kind].capitalize()} at turn {i + 1} is still unanswered: "
                        "acknowledge it and answer it before anything else."))
    for signal, (name, advice) in _GAPS.items():
        if signal not in seen:
            tips.append(Tip("gap", None, f"No {name} discussed yet: {advice}."))

    if final.action_values:
        values = list(final.action_values)
        best = max(range(len(values)), key=values.__getitem__)
        uplift = values[best] - final.probability
        ranked = sorted(values, reverse=True)
        margin = ranked[0] - ranked[1] if len(ranked) > 1 else 0.0
        if margin < NBA_MARGIN:
            text = (f"Next: {MOVE_ADVICE[moves[best]]}, though no move stands out now: the model rates all "
                    f"{len(values)} within {NBA_MARGIN:.2f} of each other (about {values[best]:.2f}).")
        else:
            text = (f"Next: {MOVE_ADVICE[moves[best]]}. The model expects {values[best]:.2f} after it "
                    f"({uplift:+.2f} from now), the best of {len(values)} moves by {margin:.2f}.")
        tips.append(Tip("next_best_action", final.index, text))
    return tips
