"""Live sessions of one bot process: the agent's incremental state per conversation, kept in step
with the database so that any process can carry a conversation on.

Each new message costs one embedding per turn and one policy step per turn: the history is never
rescored. The session this process holds in memory is trusted only as far as the database agrees:
appends say how many turns they built on, and when another process appended first ("behind"), the
session is rebuilt once from the stored turns (their embeddings replayed through the policy, so
nothing is embedded again) and the new turns are scored on top.

Nothing here knows Slack; bot.live.slack_thread posts what these methods return.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from salesrl.agent.types import ScorePoint, ScoreResult, Transcript, Turn
from salesrl.bot.calls import save_scored
from salesrl.bot.flags.thresholds import Thresholds
from salesrl.bot.live.alerts import Alert, check_alert
from salesrl.bot.live.lanes import Lanes
from salesrl.bot.store import Store
from salesrl.bot.store.live import LiveTurn, StoredLiveSession

if TYPE_CHECKING:
    from salesrl.agent.sales_agent import LiveSession, SalesAgent

log = logging.getLogger(__name__)

MAX_HELD = 256  # sessions kept in memory per process; others are rebuilt from the database when needed
MAX_ATTEMPTS = 4  # appends retried after another process appended first


@dataclass(frozen=True)
class LiveUpdate:
    """What one message did to a session."""

    session: StoredLiveSession  # as stored before the message
    points: tuple[ScorePoint, ...]  # every turn so far, the new ones last
    turns: tuple[Turn, ...]
    new_from: int  # index of the first new turn
    alert: Alert | None

    @property
    def latest(self) -> ScorePoint:
        return self.points[-1]


@dataclass(frozen=True)
class EndedSession:
    session: StoredLiveSession
    result: ScoreResult | None  # None when the session had no turns
    call_id: int | None


class _Held:
    """A session in memory: the agent's incremental state and how many stored turns it reflects."""

    def __init__(self, live: "LiveSession", count: int, last_alert_at: int | None) -> None:
        self.live = live
        self.count = count
        self.last_alert_at = last_alert_at


def roles_decided_by(reps: Sequence[str]) -> str:
    if reps:
        return f"live session: {', '.join(reps)} as the rep, named when the session started"
    return "live session: every speaker as the prospect (no rep was named)"


class LiveSessions:
    def __init__(self, store: Store, agent: "SalesAgent", *, max_held: int = MAX_HELD) -> None:
        self.store = store
        self.agent = agent
        self._held: OrderedDict[int, _Held] = OrderedDict()
        self._mutex = threading.Lock()
        self._max_held = max_held
        self.rebuilds = 0  # how often a session was rebuilt from the database (for tests and logs)
        self.lanes = Lanes()  # one message of a thread at a time, oldest first

    # ------------------------------------------------------------------------------- memory

    def _take(self, session_id: int) -> _Held | None:
        with self._mutex:
            return self._held.pop(session_id, None)

    def _keep(self, session_id: int, held: _Held) -> None:
        with self._mutex:
            self._held[session_id] = held
            self._held.move_to_end(session_id)
            while len(self._held) > self._max_held:
                self._held.popitem(last=False)

    def forget(self, session_id: int) -> None:
        self._take(session_id)

    def _rebuild(self, session: StoredLiveSession) -> _Held:
        """The session as the database has it: stored turns replayed through the policy."""
        stored = self.store.live.turns(session.workspace_id, session.id)
        live = self.agent.session(reps=session.reps)
        for t in stored:
            live.add_embedded(Turn(speaker=t.speaker, role=t.role, text=t.text, is_note=t.is_note),  # type: ignore[arg-type]
                              t.embedding)
        self.rebuilds += 1
        current = self.store.live.get(session.workspace_id, session.id)
        last_alert = current.last_alert_turn if current else session.last_alert_turn
        log.info("live session %s rebuilt from %d stored turns", session.id, len(stored))
        return _Held(live, len(stored), last_alert)

    def begin(self, session: StoredLiveSession) -> None:
        """Hold a session just started in this process (no turns yet: nothing to rebuild)."""
        self._keep(session.id, _Held(self.agent.session(reps=session.reps), 0, None))

    # ------------------------------------------------------------------------------- turns

    def add_turns(self, session: StoredLiveSession, turns: Sequence[Turn], *, event_ts: str,
                  posted_by: str | None, thresholds: Thresholds) -> LiveUpdate | None:
        """Score `turns` (one message's) on top of the session and store them. None when the session
        was ended meanwhile. Callers run the messages of one session one at a time (bot.live.lanes)."""
        if not turns:
            return None
        embeddings = self.agent.embedder.embed([t.text for t in turns])  # before any lock: text only
        for _ in range(MAX_ATTEMPTS):
            # Taken out of memory while it changes: if anything below fails, the half-changed state is
            # dropped and the next message rebuilds the session from the database.
            held = self._take(session.id) or self._rebuild(session)
            start = held.count
            new_points = held.live.add_embedded_turns(turns, embeddings)
            points = held.live.points
            alert = check_alert(held.live.turns, points, start, thresholds, held.last_alert_at,
                                self.agent.policy.moves, held.live.tracker)
            rows = [
                LiveTurn(index=p.index, event_ts=event_ts, posted_by=posted_by, speaker=t.speaker, role=t.role,
                         text=t.text, is_note=t.is_note, probability=p.probability, uncertainty=p.uncertainty,
                         in_distribution=p.in_distribution, action_values=p.action_values, embedding=e)
                for t, p, e in zip(turns, new_points, embeddings)
            ]
            outcome = self.store.live.append(session.workspace_id, session.id, rows, expected_count=start,
                                                   alert_turn=alert.at if alert else None)
            if outcome == "appended":
                held.count = start + len(turns)
                if alert:
                    held.last_alert_at = alert.at
                self._keep(session.id, held)
                return LiveUpdate(session, tuple(points), tuple(held.live.turns), start, alert)
            if outcome == "closed":
                return None
            log.info("live session %s: another process appended first; catching up", session.id)
        raise RuntimeError(f"live session {session.id}: could not append after {MAX_ATTEMPTS} attempts")

    def so_far(self, session: StoredLiveSession) -> ScoreResult | None:
        """The session's call as it stands (its coaching included), without changing it; None before
        its first turn. Run it in the session's lane (bot.live.lanes), like its messages."""
        held = self._take(session.id) or self._rebuild(session)
        try:
            if not held.live.points:
                return None
            return held.live.result(Transcript(tuple(held.live.turns), "live", roles_decided_by(session.reps)))
        finally:
            self._keep(session.id, held)

    # ------------------------------------------------------------------------------- end

    def end(self, session: StoredLiveSession, *, source_user: str | None = None) -> EndedSession | None:
        """Save the session as a call of its deal, exactly once across processes; None when someone
        else ended it (or is ending it) first."""
        ws = session.workspace_id
        if not self.store.live.claim_end(ws, session.id):
            return None
        try:
            # Claimed: no process can append any more, so the database has the final turns.
            held = self._take(session.id)
            stored = self.store.live.get(ws, session.id)
            count = stored.turn_count if stored else 0
            if held is None or held.count != count:
                held = self._rebuild(session)
            if not held.live.points:
                self.store.live.finish(ws, session.id, None)
                return EndedSession(session, None, None)
            turns = tuple(held.live.turns)
            result = held.live.result(Transcript(turns, "live", roles_decided_by(session.reps)), ended=True)
            # the last step of the one path to a saved call (bot.calls): the turns were redacted as
            # each message came in (bot.live.thread_text), and scored one by one
            call_id = save_scored(self.store, ws, result, origin="live_session", deal_id=session.deal_id,
                                  user_id=source_user or session.started_by, channel_id=session.channel_id,
                                  thread_ts=session.thread_ts)
            self.store.live.finish(ws, session.id, call_id)
        except BaseException:
            self.store.live.release_end(ws, session.id)
            raise
        log.info("live session %s saved as call %s (%d turns)", session.id, call_id, len(turns))
        return EndedSession(session, result, call_id)
