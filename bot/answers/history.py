"""A deal's stored history, shaped for answering questions: its calls numbered from the first, each
turn with the probability it left and how far it moved it, the agent's tips, and the open flags.

Answers cite what they rest on as "call 2 (Nov 24), turn 7": calls count from the deal's first
call, turns from the start of their call, both from 1, as the coaching tips count them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, lru_cache

from salesrl.agent.tracker import ItemState, Tracker, merge, track
from salesrl.agent.types import Turn
from salesrl.bot.store import Deal, Flag, Store, StoredTip

MAX_TRACKED_CALLS = 2048


@dataclass(frozen=True)
class Citation:
    call_id: int
    call_number: int  # 1 = the deal's first call
    call_date: datetime
    turn: int | None  # 1-based; None for the call as a whole

    @property
    def label(self) -> str:
        when = f"call {self.call_number} ({self.call_date:%b} {self.call_date.day})"
        return when if self.turn is None else f"{when}, turn {self.turn}"


@dataclass(frozen=True)
class HistoryTurn:
    call_id: int
    call_number: int
    call_date: datetime
    index: int  # 0-based within the call
    speaker: str
    role: str
    text: str
    is_note: bool
    probability: float
    change: float  # from the turn before (0 for a call's first turn)

    @property
    def citation(self) -> Citation:
        return Citation(self.call_id, self.call_number, self.call_date, self.index + 1)


@dataclass(frozen=True)
class HistoryCall:
    call_id: int
    number: int
    created_at: datetime
    source: str
    first_probability: float
    final_probability: float
    turns: tuple[HistoryTurn, ...]  # those whose text is still kept (purged calls have none)
    tips: tuple[StoredTip, ...]

    @property
    def citation(self) -> Citation:
        return Citation(self.call_id, self.number, self.created_at, None)

    def turn(self, index: int | None) -> HistoryTurn | None:
        if index is None:
            return None
        return next((t for t in self.turns if t.index == index), None)


@dataclass(frozen=True)
class DealHistory:
    deal: Deal
    calls: tuple[HistoryCall, ...]  # oldest first
    open_flags: tuple[Flag, ...]  # oldest first
    names: dict[str, str]  # Slack user id -> display name, for the people who flagged it

    @property
    def turns(self) -> list[HistoryTurn]:
        return [t for c in self.calls for t in c.turns]

    @property
    def latest(self) -> HistoryCall | None:
        return self.calls[-1] if self.calls else None

    def call(self, call_id: int | None) -> HistoryCall | None:
        return next((c for c in self.calls if c.call_id == call_id), None)

    @cached_property
    def trackers(self) -> tuple[Tracker, ...]:
        """The tracker (agent.tracker) of each call (read only: they are shared, see `_tracker`)."""
        return tuple(_tracker(tuple(Turn(t.speaker, t.role, t.text, is_note=t.is_note) for t in call.turns))
                     for call in self.calls)

    @cached_property
    def _events(self) -> dict[tuple[int, int], list[tuple[str, str]]]:
        """(call id, turn index) -> the tracker's (item, state) events at that turn."""
        out: dict[tuple[int, int], list[tuple[str, str]]] = {}
        for call, tracker in zip(self.calls, self.trackers):
            for e in tracker.events:
                if e.turn < len(call.turns):
                    out.setdefault((call.call_id, call.turns[e.turn].index), []).append((e.item, e.state))
        return out

    def asked_at(self, turn: HistoryTurn) -> set[str]:
        """The tracker items the rep's turn asks about ("who would sign off?": decision)."""
        return {item for item, state in self._events.get((turn.call_id, turn.index), ()) if state == "asked"}

    def settled_at(self, turn: HistoryTurn) -> set[str]:
        """The tracker items the buyer's turn settles ("we lose two shifts a week": pain), or raises, for an
        objection ("my worry is the signal out there")."""
        return {item for item, state in self._events.get((turn.call_id, turn.index), ())
                if state in ("answered", "agreed", "negative", "open")}

    def qualification(self) -> dict[str, tuple[ItemState, HistoryTurn | None]]:
        """The deal's tracker (agent.tracker) over its calls, each item with the stored turn that settled it:
        what thread answers say about who decides or what is missing, the same reading the tips came from."""
        out = {}
        for name, state in merge([t.items for t in self.trackers]).items():
            turns = self.calls[state.call].turns if self.calls else ()
            turn = turns[state.turn] if state.turn is not None and state.turn < len(turns) else None
            out[name] = (state, turn)
        return out


@lru_cache(maxsize=MAX_TRACKED_CALLS)
def _tracker(turns: tuple[Turn, ...]) -> Tracker:
    """A stored call's tracker, kept for the next question: the same turns always read the same."""
    return track(turns)


def load_history(store: Store, workspace_id: str, deal: Deal, *, max_calls: int = 50) -> DealHistory:
    """The deal's latest `max_calls` calls (numbered from the deal's first) and open flags."""
    calls = store.calls.of_deal(workspace_id, deal.id)
    out = []
    for number, call in enumerate(calls, start=1):
        if number <= len(calls) - max_calls:
            continue
        detail = store.calls.get(workspace_id, call.id)
        if detail is None:  # deleted meanwhile
            continue
        turns = []
        previous: float | None = None
        for t in detail.turns:
            change = 0.0 if previous is None else t.probability - previous
            previous = t.probability
            if t.text:
                turns.append(HistoryTurn(call.id, number, call.created_at, t.index, t.speaker, t.role, t.text,
                                         t.is_note, t.probability, change))
        out.append(HistoryCall(call.id, number, call.created_at, call.source, call.first_probability,
                               call.final_probability, tuple(turns), detail.tips))
    flags = store.flags.list_open(workspace_id, deal.id)
    names = store.workspaces.user_names(workspace_id, [f.flagged_by for f in flags if f.flagged_by])
    return DealHistory(deal, tuple(out), tuple(flags), names)
