"""Plain, immutable values passed between the stages of the agent."""

from __future__ import annotations

from dataclasses import dataclass, field, asdict
from typing import Any, Literal

Role = Literal["rep", "prospect", "other"]
ROLES: tuple[str, ...] = ("rep", "prospect", "other")


@dataclass(frozen=True)
class Turn:
    """One speaker's contribution (consecutive lines of one speaker are merged into one turn)."""

    speaker: str
    role: Role
    text: str
    start: float | None = None  # seconds from the start of the call, when the source gives it
    is_note: bool = False  # a huddle note about the conversation rather than a spoken turn


@dataclass(frozen=True)
class Transcript:
    turns: tuple[Turn, ...]
    format: str  # "plain", "timestamped", "vtt", "srt", "gong", "json", "dataset", "notes", "email"
    roles_decided_by: str  # how roles were assigned, in words a user understands


@dataclass(frozen=True)
class ScorePoint:
    """The agent's view after one turn."""

    index: int
    speaker: str
    role: Role
    text: str
    probability: float  # P(deal converts | conversation so far)
    uncertainty: float  # half the 80% range (agent.head); the ensemble's spread for a model without a head
    in_distribution: float  # 1.0 = typical of the training data, 0.0 = unlike anything seen
    action_values: tuple[float, ...] = ()  # P(convert) after each rep move class, see agent.moves


@dataclass(frozen=True)
class Tip:
    kind: str  # "swing", "gap", "next_best_action", "objection", "warning"
    turn: int | None  # index of the turn it rests on, if any
    text: str  # what to do and why, one or two sentences


@dataclass(frozen=True)
class ScoreResult:
    transcript: Transcript
    points: tuple[ScorePoint, ...]
    tips: tuple[Tip, ...]
    model: dict[str, Any] = field(default_factory=dict)
    status: str = ""  # "likely", "toss-up", "at risk", or "unfamiliar" when out of distribution
    tracker: dict[str, Any] = field(default_factory=dict)  # agent.tracker's record of the call (Tracker.to_dict)
    # The last turn scored knowing the call is over (agent.head, `ended`): a whole transcript, or a live call at its
    # end, with a model that has such a head. `points` stay as the call was scored turn by turn.
    ended: ScorePoint | None = None

    @property
    def final(self) -> ScorePoint:
        """The call's final view: `ended` where there is one, else the last turn's."""
        return self.ended or self.points[-1]

    @property
    def probabilities(self) -> list[float]:
        return [p.probability for p in self.points]

    def to_dict(self) -> dict[str, Any]:
        """The JSON schema of `salesrl score --format json`."""
        final = self.final
        return {
            "turns": [
                {
                    "index": p.index,
                    "speaker": p.speaker,
                    "role": p.role,
                    "text": p.text,
                    "probability": round(p.probability, 4),
                    "uncertainty": round(p.uncertainty, 4),
                    "in_distribution": round(p.in_distribution, 4),
                }
                for p in self.points
            ],
            "final": {
                "probability": round(final.probability, 4),
                "uncertainty": round(final.uncertainty, 4),
                "range": [round(max(0.0, final.probability - final.uncertainty), 4),
                          round(min(1.0, final.probability + final.uncertainty), 4)],
                "in_distribution": round(final.in_distribution, 4),
                "status": self.status,
                "call_ended": self.ended is not None,
            },
            "tips": [asdict(t) for t in self.tips],
            "format": self.transcript.format,
            "roles_decided_by": self.transcript.roles_decided_by,
            "model": self.model,
            "tracker": self.tracker,
        }
