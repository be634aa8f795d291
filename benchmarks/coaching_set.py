"""The hand-labelled coaching set (benchmarks/data/coaching, README there): its items, read and checked.

Each label names an item's state and a quote from the turn that established it; the quote is found in the
parsed turns, so a label survives a change in how a file is split into turns as long as the words stay.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from salesrl.agent.transcript import parse_transcript
from salesrl.agent.types import Transcript

DATA = Path(__file__).resolve().parent / "data" / "coaching"
ITEMS = ("budget", "decision", "timeline", "next_step", "pain", "competitor", "champion", "objection")
STATES = {"objection": ("not_raised", "open", "resolved")}
DEFAULT_STATES = ("not_raised", "asked", "answered", "agreed", "negative")
# The first half of the calls and of the note sets tunes thresholds and phrasings; the rest is held out.
TUNE = {f"c{i:02d}" for i in range(1, 16)} | {f"n{i:02d}" for i in range(1, 11)}
# Written later by a second author who had not read the tracker; only measured.
BLIND = {f"c{i:02d}" for i in range(31, 47)} | {f"n{i:02d}" for i in range(21, 31)}
# Written by a third author after the tracker was tuned on the other three splits; only measured.
FRESH = {f"c{i:02d}" for i in range(47, 61)} | {f"n{i:02d}" for i in range(31, 41)}
# Written by a fourth author after the tracker and its turn reader were built; only measured.
FINAL = {f"c{i:02d}" for i in range(61, 73)} | {f"n{i:02d}" for i in range(41, 49)}
# Written by a sixth author who read neither the tracker nor any earlier call or note; a test split, only measured.
SIXTH = {f"c{i:02d}" for i in range(73, 87)} | {f"n{i:02d}" for i in range(49, 59)}


@dataclass(frozen=True)
class Labelled:
    id: str
    kind: str
    transcript: Transcript
    states: dict[str, str]  # every item in ITEMS, "not_raised" when the label leaves it out
    turns: dict[str, int]  # the turn that established an item's state (items that were raised)

    @property
    def split(self) -> str:
        if self.id in TUNE:
            return "tune"
        if self.id in FINAL:
            return "final"
        if self.id in SIXTH:
            return "sixth"
        return "blind" if self.id in BLIND else "fresh" if self.id in FRESH else "held-out"


def _turn_of(transcript: Transcript, quote: str, where: str) -> int:
    wanted = quote.casefold()
    for i, turn in enumerate(transcript.turns):
        if wanted in turn.text.casefold():
            return i
    raise ValueError(f"{where}: no turn contains {quote!r}")


def load(split: str | None = None) -> list[Labelled]:
    """The labelled items, all of them or one split ("tune", "held-out", "blind", "fresh", "final", "sixth")."""
    out = []
    for line in (DATA / "labels.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        transcript = parse_transcript((DATA / row["file"]).read_text(encoding="utf-8"), reps=row["reps"])
        states = {item: "not_raised" for item in ITEMS}
        turns = {}
        for item, (state, quote) in row["items"].items():
            if state not in STATES.get(item, DEFAULT_STATES):
                raise ValueError(f"{row['id']}: {item} cannot be {state!r}")
            states[item] = state
            turns[item] = _turn_of(transcript, quote, f"{row['id']} {item}")
        item = Labelled(row["id"], row["kind"], transcript, states, turns)
        if split is None or item.split == split:
            out.append(item)
    return out
