"""When a live conversation needs the rep's attention right now.

After each new turn: an alert when the probability fell by the workspace's drop threshold (0.15 by
default) or more within the last 5 turns, or fell below its flag threshold. The alert names the turn
that caused it (bot.flags.drops), what that turn did as the deal-qualification tracker read it (the
same reading as the call's tips and swing moments, never a keyword of its own), and what to do next:
answer the open objection if there is one, else the next move that fits where the call is.
After an alert, the next one waits until the window has moved on (5 turns), so one bad stretch raises
one alert, not five; later drops are measured from the alerted turn on, since the fall before it was
reported already.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from salesrl.agent.coach import coach, swing_reason
from salesrl.agent.moves import MOVES
from salesrl.agent.tracker import Tracker, track
from salesrl.agent.types import ScorePoint, Turn
from salesrl.bot.flags.drops import crossed_below, drop_at
from salesrl.bot.flags.thresholds import Thresholds

@dataclass(frozen=True)
class Alert:
    at: int  # index of the turn after which the alert was raised
    cause: int  # index of the turn that caused it
    before: float  # probability before the fall (the window's peak, or the turn before)
    after: float  # probability now
    dropped: bool  # fell by the drop threshold or more within the window
    fell_below: bool  # crossed under the flag threshold
    thresholds: Thresholds
    cause_speaker: str
    cause_text: str
    concern: str | None  # what the causing turn did ("the buyer raised an objection"), when the tracker follows it
    next_step: str  # what to do now, one sentence with its reason

    @property
    def change(self) -> float:
        return self.after - self.before


def _next_step(turns: Sequence[Turn], points: Sequence[ScorePoint], moves: Sequence[str], tracker: Tracker) -> str:
    tips = coach(turns, points, moves, tracker)
    for kind in ("objection", "next_best_action"):
        for tip in tips:
            if tip.kind == kind:
                return tip.text
    return "Ask an open question about what changed for them, and listen before pitching."


def check_alert(turns: Sequence[Turn], points: Sequence[ScorePoint], new_from: int, thresholds: Thresholds,
                last_alert_at: int | None, moves: Sequence[str] = MOVES, tracker: Tracker | None = None) -> Alert | None:
    """The alert raised by the turns from `new_from` on (the first that raises one), or None. `tracker` is the
    session's, when it has read exactly these turns (with their embeddings); else the turns are read again."""
    probabilities = [p.probability for p in points]
    for i in range(new_from, len(points)):
        if last_alert_at is not None and i - last_alert_at < thresholds.window:
            continue
        drop = drop_at(probabilities, i, thresholds, since=last_alert_at)
        below = crossed_below(probabilities, i, thresholds.below)
        if drop is None and not below:
            continue
        cause = drop.cause if drop else i
        before = drop.before if drop else probabilities[i - 1]
        read = tracker if tracker is not None and tracker.turns == i + 1 else track(turns[: i + 1])
        return Alert(
            at=i, cause=cause, before=before, after=probabilities[i], dropped=drop is not None, fell_below=below,
            thresholds=thresholds, cause_speaker=turns[cause].speaker, cause_text=turns[cause].text,
            concern=swing_reason(read, cause) or None, next_step=_next_step(turns[: i + 1], points[: i + 1], moves, read),
        )
    return None
