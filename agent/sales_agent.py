"""`SalesAgent`: the Python API. Load once, then score transcripts or follow a live conversation.

    agent = SalesAgent.load()
    result = agent.score(open("call.vtt").read())
    live = agent.session(reps=["Ana"])
    point = live.add_turn("Ben", "What would this cost us?")
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Sequence

import numpy as np

from salesrl.agent.coach import coach, status_of
from salesrl.agent.embedder import Embedder, load_embedder
from salesrl.agent.features import StateBuilder
from salesrl.agent.head import PRIOR_DIR, Head, head_inputs
from salesrl.agent.policy import Policy, PolicyOutput
from salesrl.agent.tracker import PhraseBank, Tracker
from salesrl.agent.transcript import parse_transcript, require_conversation
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
        self._phrases: PhraseBank | None = None

    @property
    def phrases(self) -> PhraseBank:
        """The tracker's example phrasings in this embedder's space, embedded on first use."""
        if self._phrases is None:
            self._phrases = PhraseBank.build(self.embedder)
        return self._phrases

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
        """Scores a whole conversation: raw text or bytes (any supported format; text where one person alone
        speaks raises TranscriptError: agent.transcript.require_conversation), a Transcript, or turns."""
        if isinstance(source, Transcript):
            transcript = source
        elif isinstance(source, (str, bytes)):
            transcript = require_conversation(parse_transcript(
                source, reps=reps, known_reps=known_reps, filename=filename, max_chars=max_chars, max_turns=max_turns))
        else:
            transcript = Transcript(tuple(source), "turns", "given by the caller")
        session = self.session()
        session.add_embedded_turns(transcript.turns, self.embedder.embed([t.text for t in transcript.turns]))
        return session.result(transcript, ended=True)

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
        self.tracker = Tracker(agent.phrases)
        self._head_inputs: tuple[dict[str, np.ndarray], np.ndarray, np.ndarray] | None = None  # the last turn's

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
        """Adds a turn whose embedding the caller already has."""
        state = self.builder.push(turn, embedding)
        return self._append([turn], [embedding], state[None, :], self.agent.policy.predict(state))[0]

    def add_embedded_turns(self, turns: Sequence[Turn], embeddings: np.ndarray) -> list[ScorePoint]:
        """Adds consecutive turns whose embeddings the caller already has (a whole transcript, or a message of
        several turns) with one policy call for them all: each turn's state gets the probabilities of the
        turns before it inside that call (Policy.predict_chain)."""
        if not len(turns):
            return []
        states = np.stack([self.builder.push(turn, emb) for turn, emb in zip(turns, embeddings)])
        return self._append(turns, embeddings, states, self.agent.policy.predict_chain(states))

    def _append(self, turns: Sequence[Turn], embeddings: Sequence[np.ndarray] | np.ndarray, states: np.ndarray,
                out: PolicyOutput) -> list[ScorePoint]:
        """Records the policy's outputs for turns just pushed to the state builder (through the model's head,
        when it has one: agent.head), and what each turn settled in the tracker."""
        probability, uncertainty = out.probability, out.uncertainty
        head = self.agent.head
        if head is not None:
            prior = None
            if self.prior is not None:
                prior = np.array([p.probability for p in self.prior.add_embedded_turns(turns, np.asarray(embeddings))])
            schema = self.builder.schema
            values = head_inputs(out.probability, states[:, schema["lexical"][0]], states[:, schema["sequence"][0]],
                                 states[:, schema["position"][0]], prior)
            probability, uncertainty = head.probability_and_half_width(values, out.uncertainty, out.in_distribution)
            self._head_inputs = (values, out.uncertainty, out.in_distribution)
        points = []
        for i, turn in enumerate(turns):
            # the policy's own output, never the head's: its past block was trained on it
            self.builder.record(float(out.probability[i]))
            self.tracker.add(turn, embeddings[i])
            points.append(ScorePoint(
                index=len(self.turns), speaker=turn.speaker, role=turn.role, text=turn.text,
                probability=float(probability[i]), uncertainty=float(uncertainty[i]),
                in_distribution=float(out.in_distribution[i]),
                action_values=tuple(out.action_values[i].tolist()),
            ))
            self.turns.append(turn)
            self.points.append(points[-1])
        return points

    def result(self, transcript: Transcript | None = None, ended: bool = False) -> ScoreResult:
        """The call so far; `ended`: the call is over, so its last turn is also scored as a call's last (the
        result's `ended`, when the model has a head for it)."""
        if not self.points:
            from salesrl.agent.errors import TranscriptError
            raise TranscriptError("no turns yet")
        transcript = transcript or Transcript(tuple(self.turns), "live", "live session")
        tips = coach(self.turns, self.points, self.agent.policy.moves, self.tracker)
        last = self.ended_point() if ended else None
        return ScoreResult(transcript, tuple(self.points), tuple(tips), self.agent.policy.summary(),
                           status_of(last or self.points[-1]), self.tracker.to_dict(), last)

    def ended_point(self) -> ScorePoint | None:
        """The last turn scored as the last of a call that is over (the head's `ended` fit); None for a model without one."""
        head = self.agent.head
        if head is None or head.ended is None or self._head_inputs is None:
            return None
        values, spread, in_distribution = self._head_inputs
        last = {name: v[-1:] for name, v in values.items()}
        probability, half_width = head.ended.probability_and_half_width(last, spread[-1:], in_distribution[-1:])
        return replace(self.points[-1], probability=float(probability[0]), uncertainty=float(half_width[0]))
