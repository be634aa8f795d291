"""The sequence score: a recurrent network reads the call's sales labels turn by turn, in order.

The state's sums and recency means cannot order the turns: "a discovery question, then the pain, then
the price" and the same turns in another order look alike to them. The sequence score reads them in
order. Two parts, both fitted when the policy is trained (agent.training.sequence_fit) and shipped in
the model directory as `sequence.npz`:

- The label reader reads each turn's sales labels from its words: the rep's move, and whatever
  labels the training calls' turns carry (from `salesrl synth`: the prospect's intent, tone, how much
  a pain hurts, how long they talk; the buyer's persona and company size). One logistic regression
  per label on the turn's TF-IDF word 1-2 grams (its role, then its words, as agent.lexical splits
  them; weight (1 + log count) x idf, scaled to unit length); the probabilities of each label's
  values are the reader's output.
- A GRU reads, per turn, those probabilities, whether the rep spoke and log(1 + turn index), and
  gives the conversion logit after that turn. An ensemble of a few GRUs; the score is their mean
  logit.

The policy network sees the score as a state feature (agent.features, the `sequence` block) and adds
a learned multiple of it to its output, as it does the lexical score. A policy trained on calls that
carry no labels has a constant sequence score. `SequenceTracker` keeps the GRU's hidden state, so a
live session pays O(words of the new turn) per turn, whatever the length of the call so far.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from salesrl.agent.errors import ModelError
from salesrl.agent.lexical import terms, turn_words
from salesrl.agent.types import Turn

FILE_NAME = "sequence.npz"
UNFITTED = -50.0  # the intercept of a label value the reader never saw: it reads as probability 0


@dataclass(frozen=True, eq=False)
class LabelReader:
    names: tuple[str, ...]  # label names, "move" first when there is one
    values: tuple[tuple[str, ...], ...]  # each label's values
    terms: tuple[str, ...]
    idf: np.ndarray  # (terms,)
    coef: np.ndarray  # (terms, width): width = all labels' values, label by label
    intercept: np.ndarray  # (width,)
    index: dict[str, int] = field(init=False, repr=False)
    bounds: np.ndarray = field(init=False, repr=False)  # each label's [start, stop) column
    label_of: np.ndarray = field(init=False, repr=False)  # each column's label

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", {t: i for i, t in enumerate(self.terms)})
        object.__setattr__(self, "bounds", np.cumsum([0, *(len(v) for v in self.values)]))
        object.__setattr__(self, "label_of", np.repeat(np.arange(len(self.values)), [len(v) for v in self.values]))

    @property
    def width(self) -> int:
        return int(self.bounds[-1])

    def turn_vector(self, turn: Turn) -> tuple[np.ndarray, np.ndarray]:
        """The turn's term indices and their TF-IDF weights, scaled to unit length."""
        counts: dict[int, int] = {}
        for term in terms(turn_words(turn), None):
            i = self.index.get(term)
            if i is not None:
                counts[i] = counts.get(i, 0) + 1
        ids = np.fromiter(counts, dtype=np.int64, count=len(counts))
        w = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))) * self.idf[ids]
        norm = float(np.sqrt(w @ w))
        return ids, (w / norm if norm else w)

    def read(self, turn: Turn) -> np.ndarray:
        ids, w = self.turn_vector(turn)
        return self.probabilities((w @ self.coef[ids] + self.intercept)[None, :])[0]

    def probabilities(self, logits: np.ndarray) -> np.ndarray:
        """(n, width) logits -> each label's softmax over its own values."""
        starts, label_of = self.bounds[:-1], self.label_of
        e = np.exp(logits - np.maximum.reduceat(logits, starts, axis=1)[:, label_of])
        return (e / np.add.reduceat(e, starts, axis=1)[:, label_of]).astype(np.float32)


def gru_inputs(read: np.ndarray, role: str, index: int) -> np.ndarray:
    """What the GRU reads at a turn: the read labels, whether the rep spoke, log(1 + turn index)."""
    out = np.empty(len(read) + 2, dtype=np.float32)
    out[:-2] = read
    out[-2:] = (role == "rep", math.log1p(index))
    return out


@dataclass(frozen=True, eq=False)
class Recurrent:
    """An ensemble of GRUs, in torch's gate layout (reset, update, new), run one turn at a time."""

    mean: np.ndarray  # (inputs,) the inputs are standardised first
    std: np.ndarray
    w_in: np.ndarray  # (members, inputs, hidden): a ReLU layer before the GRU
    b_in: np.ndarray  # (members, hidden)
    w_ih: np.ndarray  # (members, hidden, 3 hidden)
    b_ih: np.ndarray  # (members, 3 hidden)
    w_hh: np.ndarray  # (members, hidden, 3 hidden)
    b_hh: np.ndarray  # (members, 3 hidden)
    w_out: np.ndarray  # (members, hidden)
    b_out: np.ndarray  # (members,)

    FIELDS = ("mean", "std", "w_in", "b_in", "w_ih", "b_ih", "w_hh", "b_hh", "w_out", "b_out")

    def start(self) -> np.ndarray:
        return np.zeros(self.b_in.shape, dtype=np.float32)

    def step(self, x: np.ndarray, h: np.ndarray) -> tuple[float, np.ndarray]:
        """One turn's inputs and the hidden state before it -> (mean logit over members, hidden state after)."""
        a = np.maximum(np.matmul((x - self.mean) / self.std, self.w_in) + self.b_in, 0.0)  # (members, hidden)
        gi = np.matmul(a[:, None, :], self.w_ih)[:, 0] + self.b_ih
        gh = np.matmul(h[:, None, :], self.w_hh)[:, 0] + self.b_hh
        n = h.shape[1]
        rz = _sigmoid(gi[:, :2 * n] + gh[:, :2 * n])  # the reset and update gates side by side
        r, z = rz[:, :n], rz[:, n:]
        new = np.tanh(gi[:, 2 * n:] + r * gh[:, 2 * n:])
        h = ((1.0 - z) * new + z * h).astype(np.float32)
        logits = (h * self.w_out).sum(axis=1) + self.b_out
        return float(logits.sum() / len(logits)), h  # their mean, as np.mean computes it


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@dataclass(frozen=True, eq=False)
class SequenceModel:
    reader: LabelReader | None
    recurrent: Recurrent | None
    constant_logit: float = 0.0  # the score when there is no reader (a policy trained without labels)

    @classmethod
    def constant(cls, logit: float = 0.0) -> "SequenceModel":
        return cls(None, None, float(logit))

    @property
    def is_constant(self) -> bool:
        return self.reader is None or self.recurrent is None

    def tracker(self) -> "SequenceTracker":
        return SequenceTracker(self)

    def save(self, directory: Path) -> None:
        arrays: dict[str, Any] = {"constant_logit": np.float64(self.constant_logit)}
        r, gru = self.reader, self.recurrent
        if r is not None and gru is not None:  # not constant
            arrays.update(names=np.array(r.names, dtype=str),
                          values=np.array(["\t".join(v) for v in r.values], dtype=str),
                          terms=np.array(r.terms, dtype=str), idf=r.idf.astype(np.float32),
                          coef=r.coef.astype(np.float16), intercept=r.intercept.astype(np.float32),
                          **{f"gru_{k}": getattr(gru, k).astype(np.float32) for k in Recurrent.FIELDS})
        np.savez_compressed(directory / FILE_NAME, **arrays)

    @classmethod
    def load(cls, directory: Path) -> "SequenceModel":
        path = directory / FILE_NAME
        try:
            with np.load(path, allow_pickle=False) as z:
                if "names" not in z:
                    return cls.constant(float(z["constant_logit"]))
                reader = LabelReader(tuple(z["names"].tolist()), tuple(tuple(v.split("\t")) for v in z["values"].tolist()),
                                     tuple(z["terms"].tolist()), z["idf"].astype(np.float64),
                                     z["coef"].astype(np.float32), z["intercept"].astype(np.float32))
                recurrent = Recurrent(*(z[f"gru_{k}"] for k in Recurrent.FIELDS))
                model = cls(reader, recurrent, float(z["constant_logit"]))
        except (OSError, KeyError, ValueError) as e:
            raise ModelError(f"{path}: cannot load the sequence model ({e})") from None
        if not (len(reader.terms) == len(reader.idf) == len(reader.coef)
                and reader.coef.shape[1] == reader.width == len(reader.intercept)
                and recurrent.mean.shape[0] == reader.width + 2):
            raise ModelError(f"{path}: the reader's terms, weights and labels do not fit together")
        return model


class SequenceTracker:
    """Follows one conversation: `add(turn)` returns the sequence logit after that turn."""

    def __init__(self, model: SequenceModel):
        self.model = model
        self._turns = 0
        self._hidden = model.recurrent.start() if model.recurrent is not None else None

    def add(self, turn: Turn) -> float:
        m = self.model
        self._turns += 1
        if m.reader is None or m.recurrent is None or self._hidden is None:  # constant
            return m.constant_logit
        logit, self._hidden = m.recurrent.step(gru_inputs(m.reader.read(turn), turn.role, self._turns - 1),
                                               self._hidden)
        return logit
