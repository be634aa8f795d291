"""The lexical score: a logistic regression on TF-IDF word 1-2 grams of the conversation so far.

A turn embedding is a mean over the turn's words; a specific phrase ("send over the paperwork",
"I need the books") can say more about the outcome than that mean keeps. The lexical score puts
the words back: it is one number per state (a logit), which the policy network weighs against
everything else it sees (agent.features, the `lexical` block). It is fitted when the policy is
trained (agent.training.lexical_fit) and ships in the model directory as `lexical.npz`.

The text of a prefix is its turns in order, each as its role followed by its words ("rep hi there
prospect we need ..."), lower-cased and split into words of two or more letters or digits; the
terms are those words and each pair of neighbouring words. A term's weight is
(1 + log count) x idf, and the prefix's vector is scaled to unit length. `LexicalTracker` keeps the
counts and updates the score in O(words of the new turn), so a live session pays nothing for the
length of the call so far.
"""

from __future__ import annotations

import math
import re
from array import array
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from salesrl.agent.errors import ModelError
from salesrl.agent.types import Turn

WORD = re.compile(r"(?u)\b\w\w+\b")
FILE_NAME = "lexical.npz"


def turn_words(turn: Turn) -> list[str]:
    return [turn.role, *WORD.findall(turn.text.lower())]


def terms(words: list[str], previous: str | None) -> list[str]:
    """The unigrams of `words` and their bigrams, the first one joined to the word before the turn."""
    chain = words if previous is None else [previous, *words]
    return [*words, *(f"{a} {b}" for a, b in zip(chain, chain[1:]))]


@dataclass(frozen=True, eq=False)
class LexicalModel:
    terms: tuple[str, ...]
    idf: np.ndarray  # (terms,)
    coef: np.ndarray  # (terms,)
    intercept: float
    index: dict[str, int] = field(init=False, repr=False)
    # coef x idf and idf^2 per term in arrays of doubles: a live turn reads a few dozen of them, one at a time,
    # which costs less from an array.array than from a numpy array, and less than from a list of Python floats
    # (one memory read instead of two, out of a table the policy's weights have just pushed out of the cache)
    coef_idf: array[float] = field(init=False, repr=False)
    idf_squared: array[float] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", {t: i for i, t in enumerate(self.terms)})
        idf = np.asarray(self.idf, dtype=np.float64)
        object.__setattr__(self, "coef_idf", array("d", np.asarray(self.coef, dtype=np.float64) * idf))
        object.__setattr__(self, "idf_squared", array("d", idf * idf))

    @classmethod
    def constant(cls, logit: float = 0.0) -> "LexicalModel":
        """No terms: the same score for every prefix (what a fit on too little text comes to)."""
        return cls((), np.zeros(0), np.zeros(0), float(logit))

    def tracker(self) -> "LexicalTracker":
        return LexicalTracker(self)

    def save(self, directory: Path) -> None:
        np.savez_compressed(directory / FILE_NAME, terms=np.array(self.terms, dtype=str),
                            idf=self.idf.astype(np.float32), coef=self.coef.astype(np.float32),
                            intercept=np.float64(self.intercept))

    @classmethod
    def load(cls, directory: Path) -> "LexicalModel":
        path = directory / FILE_NAME
        try:
            with np.load(path, allow_pickle=False) as z:
                model = cls(tuple(z["terms"].tolist()), z["idf"].astype(np.float64),
                            z["coef"].astype(np.float64), float(z["intercept"]))
        except (OSError, KeyError, ValueError) as e:
            raise ModelError(f"{path}: cannot load the lexical model ({e})") from None
        if not len(model.terms) == len(model.idf) == len(model.coef):
            raise ModelError(f"{path}: terms, idf and coefficients differ in length")
        return model


class LexicalTracker:
    """Follows one conversation: `add(turn)` returns the lexical logit of the prefix ending at that turn."""

    def __init__(self, model: LexicalModel):
        self.model = model
        self._counts: dict[int, int] = {}
        self._previous: str | None = None
        self._dot = 0.0  # sum of coef x weight over the prefix's terms
        self._square = 0.0  # sum of weight^2: the vector's squared length before scaling

    def add(self, turn: Turn) -> float:
        words = turn_words(turn)
        index, coef_idf, idf_squared, counts = self.model.index, self.model.coef_idf, self.model.idf_squared, self._counts
        for term in terms(words, self._previous):
            i = index.get(term)
            if i is None:
                continue
            count = counts.get(i, 0)
            old = 1.0 + math.log(count) if count else 0.0
            new = 1.0 + math.log(count + 1)
            counts[i] = count + 1
            self._dot += coef_idf[i] * (new - old)
            self._square += idf_squared[i] * (new * new - old * old)
        self._previous = words[-1]
        return self.score()

    def score(self) -> float:
        if self._square <= 0.0:
            return self.model.intercept
        return self.model.intercept + self._dot / math.sqrt(self._square)
