"""Why a finished call flags its deal: it ended below the workspace's threshold, or it dropped
sharply (bot.flags.drops) and stayed down for the next turns or to the end. Each reason is one sentence a
reviewer can check, and says which of these it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from salesrl.agent.types import ScorePoint
from salesrl.bot.flags.drops import largest_lasting_drop
from salesrl.bot.flags.thresholds import Thresholds

QUOTE_CHARS = 120


@dataclass(frozen=True)
class CallFlag:
    reasons: tuple[str, ...]
    turn_index: int | None  # the turn it rests on most: the drop's cause, else the largest fall


def _pct(p: float) -> str:
    return f"{round(100 * p)}%"


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1].rstrip() + "…"


def call_flag(points: Sequence[ScorePoint], thresholds: Thresholds) -> CallFlag | None:
    """The flag a scored call raises on its deal, or None when it raises none."""
    if not points:
        return None
    reasons: list[str] = []
    probabilities = [p.probability for p in points]
    final = points[-1]
    found = largest_lasting_drop(probabilities, thresholds)
    drop = found[0] if found is not None else None
    if found is not None:
        drop, how = found
        cause = points[drop.cause]
        reasons.append(
            f"The probability dropped {round(100 * drop.size)} pts within {thresholds.window} turns "
            f"({_pct(drop.before)} → {_pct(drop.after)}) and stayed down {how}, mostly at turn {drop.cause + 1}, "
            f"{cause.speaker}: “{_quote(cause.text)}”."
        )
    if final.probability < thresholds.below:
        reasons.append(f"The call ended at {_pct(final.probability)}, below the {_pct(thresholds.below)} threshold.")
    if not reasons:
        return None
    if drop is not None:
        turn = drop.cause
    else:
        falls = [(probabilities[i - 1] - probabilities[i], i) for i in range(1, len(probabilities))]
        turn = max(falls)[1] if falls and max(falls)[0] > 0 else None
    return CallFlag(tuple(reasons), turn)
