"""`SalesAgent`: the Python API. Load once, then score transcripts or follow a live conversation.

    agent = SalesAgent.load()
    result = agent.score(open("call.vtt").read())
    live = agent.session(reps=["Ana"])
    point = live.add_turn("Ben", "What would this cost us?")
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from salesrl.agent.coach import coach, status_of
from salesrl.agent.embedder import Embedder, load_embedder
from salesrl.agent.features import StateBuilder
from salesrl.agent.head import PRIOR_DIR, Head, head_inputs
from salesrl.agent.policy import Policy
from salesrl.agent.transcript import parse_transcript
from salesrl.agent.types import Role, ScorePoint, ScoreResult, Transcript, Turn


class SalesAgent:
    def __init__(self, policy: Policy, embedder: Embedder, head: Head | None = None,
                 prior: "SalesAgent | None" = None):
        """`head` and `prior`: what `salesrl train` chose to put on the policy (agent.head); None = the policy alone."""
        policy.check_embedder(embedder.id, embedder.dim, embedder.checksum)
        self.policy = policy
        self.embedder = embedder
        self.head = head
        self.prior = prior

    @classmethod
    def load(cls, model_dir: str | Path | None = None, embedder: Embedder | None = None,
             threads: int = 1) -> "SalesAgent":
        """`threads`: for the embedder; 1 suits a server scoring several calls at once, the number of
        cores suits one call at a time (BENCHMARKS.md, "Agent", has both)."""
        policy = Policy.load(model_dir)
        embedder = embedder or load_embedder(policy.embedder["id"], threads=threads)
        head = Head.load(policy.model_dir)
        prior = cls.load(policy.model_dir / PRIOR_DIR, embedder) if head and head.needs_prior else None
        return cls(policy, embedder, head, prior)

    def score(self, source: str | bytes | Transcript | Sequence[Turn], *, reps: Sequence[str] = (),
              known_reps: Sequence[str] = (), filename: str | None = None,
              max_chars: int = 200_000, max_turns: int = 2_000) -> ScoreResult:
        """Scores a whole conversation: raw text or bytes (any supported format), a Transcript, or turns."""
        if isinstance(source, Transcript):
            transcript = source
        elif isinstance(source, (str, bytes)):
            transcript = parse_transcript(source, reps=reps, known_reps=known_reps, filename=filename,
                                          max_chars=max_chars, max_turns=max_turns)
        else:
            transcript = Transcript(tuple(source), "turns", "given by the caller")
        session = self.session()
        embeddings = self.embedder.embed([t.text for t in transcript.turns])
        for turn, emb in zip(transcript.turns, embeddings):
            session.add_embedded(turn, emb)
        return session.result(transcript)

    def session(self, reps: Sequence[str] = ()) -> "LiveSession":
        return LiveSession(self, reps)


class LiveSession:
    """A conversation scored as it happens: each turn costs one embedding and one policy step."""

    def __init__(self, agent: SalesAgent, reps: Sequence[str] = ()):
        self.agent = agent
        self.reps = {r.casefold() for r in reps}
        self.builder = StateBuilder(agent.embedder.dim, agent.policy.lexical, agent.policy.sequence)
        self.prior = agent.prior.session(reps) if agent.prior else None
        self.turns: list[Turn] = []
        self.points: list[ScorePoint] = []

    def add_turn(self, speaker: str | Turn, text: str = "", role: Role | None = None,
                 is_note: bool = False) -> ScorePoint:
        """Adds one turn and returns the agent's view after it. Without a role, a speaker named in
        `reps` is the rep, a note is `other`, anyone else the prospect."""
        if isinstance(speaker, Turn):
            turn = speaker
        else:
            if role is None:
                role = "other" if is_note else ("rep" if speaker.casefold() in self.reps else "prospect")
            turn = Turn(speaker=speaker, role=role, text=text, is_note=is_note)
        return self.add_embedded(turn, self.agent.embedder.embed([turn.text])[0])

    def add_embedded(self, turn: Turn, embedding: np.ndarray) -> ScorePoint:
        """Adds a turn whose embedding the caller already has (batch scoring embeds all turns at once)."""
        state = self.builder.push(turn, embedding)
        out = self.agent.policy.predict(state)
        p = float(out.probability[0])
        self.builder.record(p)  # the policy's own output, never the head's: its past block was trained on it
        uncertainty = float(out.uncertainty[0])
        head = self.agent.head
        if head is not None:
            prior = self.prior.add_embedded(turn, embedding).probability if self.prior else None
            schema = self.builder.schema
            values = head_inputs(np.array([p]), state[schema["lexical"][0]], state[schema["sequence"][0]],
                                 state[schema["position"][0]], None if prior is None else np.array([prior]))
            uncertainty = float(head.half_width(values, out.uncertainty, out.in_distribution)[0])
            p = float(head.probability(values)[0])
        point = ScorePoint(
            index=len(self.turns), speaker=turn.speaker, role=turn.role, text=turn.text,
            probability=p, uncertainty=uncertainty,
            in_distribution=float(out.in_distribution[0]),
            action_values=tuple(float(v) for v in out.action_values[0]),
        )
        self.turns.append(turn)
        self.points.append(point)
        return point

    def result(self, transcript: Transcript | None = None) -> ScoreResult:
        if not self.points:
            from salesrl.agent.errors import TranscriptError
            raise TranscriptError("no turns yet")
        transcript = transcript or Transcript(tuple(self.turns), "live", "live session")
        tips = coach(self.turns, self.points, self.agent.policy.moves)
        return ScoreResult(transcript, tuple(self.points), tuple(tips), self.agent.policy.summary(),
                           status_of(self.points[-1]))
