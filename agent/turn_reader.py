"""The turn reader: which qualification items a buyer's turn settles, and which a rep's turn asks about, read
from the turn's embedding.

The tracker's patterns are precise on the words they spell out and blind to every other way of saying the same
thing: on a set written by an author who had not seen them, most of its wrong items were items it never saw
(BENCHMARKS.md, "Coaching"). The reader puts a logistic regression per item (its states against "none") on the
turn embedding the agent computes anyway, fitted on hand-written turns (agent/training/turns; never on the
coaching sets it is measured on) by agent.training.reader_fit. The tracker asks it only about items its patterns
left unsettled in a buyer's turn, and takes a state only when the reader is at least `threshold` sure of it.
On the rep's side (`asks`, fitted on hand-written rep turns, agent/training/rep_turns), a logistic regression per
item says whether the turn asks about it (or, for the next step, proposes one), so that the buyer's reply to a
question in words no pattern has is read as the answer to it.

Shipped in models/turn_reader: reader.npz (the weights), metadata.json (the embedder it was fitted on, the
states, the threshold, how it was made).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from salesrl.agent.embedder import MODELS_DIR
from salesrl.agent.errors import ModelError

DEFAULT_DIR = MODELS_DIR / "turn_reader"
WEIGHTS = "reader.npz"
METADATA = "metadata.json"

# item -> the states the reader tells apart, "none" first
STATES: dict[str, tuple[str, ...]] = {
    "budget": ("none", "answered", "agreed", "negative"),
    "decision": ("none", "answered", "agreed"),
    "timeline": ("none", "answered", "negative"),
    "next_step": ("none", "answered", "agreed", "negative"),
    "pain": ("none", "answered", "negative"),
    "competitor": ("none", "answered"),
    "champion": ("none", "answered"),
}
# the items a rep's turn can ask about (next_step: propose one)
ASKS: tuple[str, ...] = ("budget", "decision", "timeline", "pain", "competitor", "next_step")
# Objections are not among them: fitted, it read a pain ("on-call is killing us") as an objection to answer on the
# held-out split, and its cross-validated recall was 0.23; the tracker's objection phrasings stay.


_ITEMS = tuple(STATES)
_WIDEST = max(len(states) for states in STATES.values())
# where each stacked row goes in an (items, widest) table of logits: the states of one item side by side
_ROWS = (np.array([i for i, states in enumerate(STATES.values()) for _ in states]),
         np.array([k for states in STATES.values() for k in range(len(states))]))


@dataclass(frozen=True)
class TurnReader:
    embedder_id: str
    weights: np.ndarray  # (sum of the items' state counts, dim): every item's rows, in STATES' order
    bias: np.ndarray
    threshold: float
    asks_weights: np.ndarray  # (len(ASKS), dim)
    asks_bias: np.ndarray
    asks_threshold: float

    def read(self, embedding: np.ndarray) -> dict[str, tuple[str, float]]:
        """item -> (state, probability) for the items whose likeliest state is not "none" and is at least
        `threshold` likely."""
        table = np.full((len(_ITEMS), _WIDEST), -np.inf, dtype=np.float32)
        table[_ROWS] = self.weights @ np.asarray(embedding, dtype=np.float32) + self.bias
        p = np.exp(table - table.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        best = p.argmax(axis=1)
        sure = np.flatnonzero((best > 0) & (p[np.arange(len(_ITEMS)), best] >= self.threshold))
        return {_ITEMS[i]: (STATES[_ITEMS[i]][best[i]], float(p[i, best[i]])) for i in sure}

    def asks(self, embedding: np.ndarray) -> tuple[str, ...]:
        """The items a rep's turn asks about (in ASKS' order), each at least `asks_threshold` likely."""
        z = self.asks_weights @ np.asarray(embedding, dtype=np.float32) + self.asks_bias
        sure = z >= np.log(self.asks_threshold / (1 - self.asks_threshold))  # the logistic's p >= threshold
        return tuple(item for item, yes in zip(ASKS, sure) if yes)

    def save(self, directory: Path, metadata: dict[str, object]) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        np.savez(directory / WEIGHTS, weights=self.weights, bias=self.bias, asks_weights=self.asks_weights,
                 asks_bias=self.asks_bias)
        meta = {**metadata, "embedder_id": self.embedder_id, "threshold": self.threshold,
                "asks_threshold": self.asks_threshold,
                "states": {item: list(states) for item, states in STATES.items()}, "asks": list(ASKS)}
        (directory / METADATA).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, directory: Path = DEFAULT_DIR) -> TurnReader:
        try:
            meta = json.loads((directory / METADATA).read_text(encoding="utf-8"))
            with np.load(directory / WEIGHTS) as data:
                arrays = {k: data[k].astype(np.float32) for k in ("weights", "bias", "asks_weights", "asks_bias")}
            embedder_id, threshold, asks_threshold = meta["embedder_id"], meta["threshold"], meta["asks_threshold"]
        except (OSError, ValueError, KeyError) as e:
            raise ModelError(f"{directory}: not a turn reader ({e})") from e
        if (meta.get("states") != {item: list(states) for item, states in STATES.items()}
                or meta.get("asks") != list(ASKS)):
            raise ModelError(f"{directory}: a turn reader for other states than this version reads")
        return cls(str(embedder_id), arrays["weights"], arrays["bias"], float(threshold),
                   arrays["asks_weights"], arrays["asks_bias"], float(asks_threshold))
