"""The turn reader: which qualification items a buyer's turn settles, read from its embedding.

The tracker's patterns are precise on the words they spell out and blind to every other way of saying the same
thing: on a set written by an author who had not seen them, most of its wrong items were items it never saw
(BENCHMARKS.md, "Coaching"). The reader puts a logistic regression per item (its states against "none") on the
turn embedding the agent computes anyway, fitted on hand-written turns (agent/training/turns; never on the
coaching sets it is measured on) by agent.training.reader_fit. The tracker asks it only about items its patterns
left unsettled in a buyer's turn, and takes a state only when the reader is at least `threshold` sure of it.

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
# Objections are not among them: fitted, it read a pain ("on-call is killing us") as an objection to answer on the
# held-out split, and its cross-validated recall was 0.23; the tracker's objection phrasings stay.


_ITEMS = tuple(STATES)
_WIDEST = max(len(states) for states in STATES.values())
# where each stacked row goes in an (items, widest) table of logits: the states of one item side by side
_PLACES = tuple((i, k) for i, states in enumerate(STATES.values()) for k in range(len(states)))
_ROWS = np.array([i for i, _ in _PLACES]), np.array([k for _, k in _PLACES])


@dataclass(frozen=True)
class TurnReader:
    embedder_id: str
    weights: np.ndarray  # (sum of the items' state counts, dim): every item's rows, in STATES' order
    bias: np.ndarray
    threshold: float

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

    def save(self, directory: Path, metadata: dict[str, object]) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        np.savez(directory / WEIGHTS, weights=self.weights, bias=self.bias)
        meta = {**metadata, "embedder_id": self.embedder_id, "threshold": self.threshold,
                "states": {item: list(states) for item, states in STATES.items()}}
        (directory / METADATA).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, directory: Path = DEFAULT_DIR) -> TurnReader:
        try:
            meta = json.loads((directory / METADATA).read_text(encoding="utf-8"))
            with np.load(directory / WEIGHTS) as data:
                weights, bias = data["weights"].astype(np.float32), data["bias"].astype(np.float32)
        except (OSError, ValueError, KeyError) as e:
            raise ModelError(f"{directory}: not a turn reader ({e})") from e
        if meta.get("states") != {item: list(states) for item, states in STATES.items()}:
            raise ModelError(f"{directory}: a turn reader for other states than this version reads")
        return cls(str(meta["embedder_id"]), weights, bias, float(meta["threshold"]))
