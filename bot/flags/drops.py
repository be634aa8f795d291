"""Sharp drops in a probability curve: a fall of at least `drop` from the highest point of the
previous `window` turns. The same rule raises live alerts and flags finished calls; a finished call is
flagged only for a drop that lasted (`lasting`).

A drop names the turn that caused it: of the turns from the peak to where the fall was detected, the
one whose own step down was the largest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from salesrl.bot.flags.thresholds import Thresholds

_EPSILON = 1e-9  # a fall of exactly the threshold counts, whatever the float rounding
# A finished call is flagged for a drop only if it lasts this many turns (or to the end): one expected moment,
# the price said aloud and then discussed, dips and recovers on healthy calls (issue 30 section 5).
PERSIST_TURNS = 3


@dataclass(frozen=True)
class Drop:
    peak: int  # index of the highest turn in the window before `end`
    cause: int  # index of the turn with the largest step down between the peak and `end`
    end: int  # index of the turn at which the fall reached the threshold
    before: float  # probability at the peak
    after: float  # probability at `end`

    @property
    def size(self) -> float:
        return self.before - self.after


def drop_at(probabilities: Sequence[float], i: int, thresholds: Thresholds, *, since: int | None = None) -> Drop | None:
    """The drop that turn `i` completes, or None. With `since`, the peak is looked for from that
    turn on (a fall before it was already reported)."""
    lo = max(0, i - thresholds.window, since or 0)
    if i <= lo:
        return None
    peak = max(range(lo, i), key=lambda j: probabilities[j])
    if probabilities[peak] - probabilities[i] < thresholds.drop - _EPSILON:
        return None
    cause = max(range(peak + 1, i + 1), key=lambda j: probabilities[j - 1] - probabilities[j])
    return Drop(peak=peak, cause=cause, end=i, before=float(probabilities[peak]), after=float(probabilities[i]))


def largest_drop(probabilities: Sequence[float], thresholds: Thresholds) -> Drop | None:
    """The largest drop anywhere in a finished curve, or None."""
    drops = [d for i in range(1, len(probabilities)) if (d := drop_at(probabilities, i, thresholds))]
    return max(drops, key=lambda d: d.size, default=None)


def lasting(probabilities: Sequence[float], drop: Drop, thresholds: Thresholds,
            turns: int = PERSIST_TURNS) -> str | None:
    """How long a drop lasted: "for the next 3 turns", "to the end of the call", or None when the probability
    came back within `thresholds.drop` of the peak sooner (the price said aloud, then talked through)."""
    after = probabilities[drop.end + 1: drop.end + 1 + turns]
    if any(p > drop.before - thresholds.drop + _EPSILON for p in after):
        return None
    return f"for the next {turns} turns" if len(after) == turns else "to the end of the call"


def largest_lasting_drop(probabilities: Sequence[float], thresholds: Thresholds) -> tuple[Drop, str] | None:
    """The largest drop of a finished curve that did not recover, with how long it lasted."""
    found = [(d, how) for i in range(1, len(probabilities))
             if (d := drop_at(probabilities, i, thresholds)) and (how := lasting(probabilities, d, thresholds))]
    return max(found, key=lambda f: f[0].size, default=None)


def crossed_below(probabilities: Sequence[float], i: int, below: float) -> bool:
    """Turn `i` took the probability from at or above `below` to under it."""
    return i > 0 and probabilities[i - 1] >= below > probabilities[i]
