"""The head: what `salesrl train` chose to put on top of the policy, and the 80% range it gives.

A model directory may hold `head.json` (written by agent.training.selection). The head is a logistic
regression on a few numbers known after each turn: the policy's own probability (as a logit), the lexical and
sequence scores of the state, the log turn index, whether this is the first or second turn, and optionally the
logit of a prior model (a copy of the shipped model in the directory's `prior/`). Which of them it reads is the
recipe the cross-validation chose. The first two turns get terms of their own because so little has been said
there that the logits mean something else than later on, which one slope in the log turn index cannot follow.
The policy's past-probability block is always fed with the policy's own output, never the head's, so the
ONNX graph stays the one that was trained.

The range: the head was refitted on bootstrap resamples of the training calls; the 10th and 90th percentile
of those refits' probabilities give the sampling part (wider when there were fewer calls), the policy
ensemble's spread adds the network's part (1.28 standard deviations, the 80% normal quantile), and the sum
is widened up to twice for a state beyond all the training states (the in-distribution score).

A head may carry a second one, `ended`: the same inputs fitted on the last turn of every training call alone, for
a call known to be over (a whole transcript, a live call at its end). A head fitted on every stage of a call cannot
tell the last turn of a short call from the middle of a long one; at the last turn the turn index is the call's
length, which on some data says much about the outcome (BENCHMARKS.md, "Team models"). The selection ships it
only where its cross-validated Brier at the end of the calls beats the head's own.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from salesrl.agent.errors import ModelError
from salesrl.agent.features import turn_of_position

HEAD_FILE = "head.json"
PRIOR_DIR = "prior"
Z80 = 1.2816  # the standard normal's 90th percentile: an 80% range is +- this many standard deviations
LOGIT_CLIP = 12.0

LOGITS = ("td", "lexical", "prior")  # the inputs that may interact with where the call is
WHERE = ("position", "turn1", "turn2")  # the log turn index; 1 on the first (second) turn of a call, else 0
# Every number a head can read, by name (agent.training.selection.CANDIDATES picks among them); "a_x_b" is a x b
INPUTS: tuple[str, ...] = ("sequence", *WHERE, *LOGITS, *(f"{z}_x_{w}" for z in LOGITS for w in WHERE))


def clip(x: np.ndarray | float, low: float, high: float) -> np.ndarray:
    """np.clip(x, low, high) as float64, NaN kept: the same numbers at half np.clip's cost, which a live turn
    paid eight times over on one-element arrays."""
    return np.minimum(np.maximum(np.asarray(x, dtype=np.float64), low), high)


def logit(p: np.ndarray | float) -> np.ndarray:
    p = clip(p, 1e-6, 1 - 1e-6)
    return np.log(p) - np.log1p(-p)


def sigmoid(z: np.ndarray | float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-clip(z, -LOGIT_CLIP * 3, LOGIT_CLIP * 3)))


def head_inputs(td: np.ndarray, lexical: np.ndarray, sequence: np.ndarray, position: np.ndarray,
                prior: np.ndarray | None) -> dict[str, np.ndarray]:
    """Per row, the numbers a head's inputs are made of (`column` makes the products); `td` and `prior` are
    probabilities, the others state columns."""
    u = np.asarray(position, dtype=np.float64)
    turn = turn_of_position(u)
    out = {"td": clip(logit(td), -LOGIT_CLIP, LOGIT_CLIP), "lexical": clip(lexical, -LOGIT_CLIP, LOGIT_CLIP),
           "sequence": clip(sequence, -LOGIT_CLIP, LOGIT_CLIP), "position": u,
           "turn1": (turn == 1).astype(np.float64), "turn2": (turn == 2).astype(np.float64)}
    if prior is not None:
        out["prior"] = clip(logit(prior), -LOGIT_CLIP, LOGIT_CLIP)
    return out


def column(values: dict[str, np.ndarray], name: str) -> np.ndarray:
    """The input `name` from head_inputs' values: one of them, or the product "a_x_b" of two."""
    if "_x_" in name:
        a, b = name.split("_x_")
        return values[a] * values[b]
    return values[name]


@dataclass(frozen=True)
class Head:
    recipe: str  # the candidate's name, agent.training.selection.CANDIDATES
    inputs: tuple[str, ...]
    coef: np.ndarray  # (len(inputs) + 1,): the fit on all calls, intercept last
    members: np.ndarray  # (bootstrap refits, len(inputs) + 1)
    ended: "Head | None" = None  # the same inputs fitted at the calls' last turns: for a call that is over

    @property
    def needs_prior(self) -> bool:
        return "prior" in self.inputs

    def design(self, values: dict[str, np.ndarray]) -> np.ndarray:
        x = np.empty((len(np.atleast_1d(values["td"])), len(self.inputs) + 1))
        for j, name in enumerate(self.inputs):
            x[:, j] = column(values, name)
        x[:, -1] = 1.0
        return x

    def probability(self, values: dict[str, np.ndarray]) -> np.ndarray:
        return sigmoid(self.design(values) @ self.coef)

    def half_width(self, values: dict[str, np.ndarray], spread: np.ndarray, in_distribution: np.ndarray) -> np.ndarray:
        """Half the 80% range around `probability(values)` (see the module docstring)."""
        return self._half_width(self.design(values), spread, in_distribution)

    def probability_and_half_width(self, values: dict[str, np.ndarray], spread: np.ndarray,
                                   in_distribution: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """`probability` and `half_width` from one design matrix: what a scored turn needs."""
        x = self.design(values)
        return sigmoid(x @ self.coef), self._half_width(x, spread, in_distribution)

    def _half_width(self, x: np.ndarray, spread: np.ndarray, in_distribution: np.ndarray) -> np.ndarray:
        refits = np.sort(sigmoid(x @ self.members.T), axis=1)  # (rows, members)
        sampling = (percentile_of_sorted(refits, 90) - percentile_of_sorted(refits, 10)) / 2.0
        network = Z80 * np.asarray(spread, dtype=np.float64)
        unfamiliar = 1.0 + (1.0 - clip(in_distribution, 0.0, 1.0))
        return np.sqrt(sampling ** 2 + network ** 2) * unfamiliar

    def to_dict(self) -> dict:
        out = {"recipe": self.recipe, "inputs": list(self.inputs), "coef": self.coef.tolist(),
               "members": self.members.tolist()}
        if self.ended is not None:
            out["ended"] = {"coef": self.ended.coef.tolist(), "members": self.ended.members.tolist()}
        return out

    def save(self, directory: Path) -> None:
        (directory / HEAD_FILE).write_text(json.dumps(self.to_dict(), indent=1) + "\n")

    @classmethod
    def load(cls, directory: Path) -> "Head | None":
        path = directory / HEAD_FILE
        if not path.is_file():
            return None
        try:
            d = json.loads(path.read_text())
            inputs = tuple(d["inputs"])

            def fit(part: dict, recipe: str) -> Head:
                return cls(recipe, inputs, np.asarray(part["coef"], dtype=np.float64),
                           np.asarray(part["members"], dtype=np.float64).reshape(-1, len(inputs) + 1))

            head = fit(d, d["recipe"])
            if "ended" in d:
                head = replace(head, ended=fit(d["ended"], d["recipe"] + " (ended)"))
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ModelError(f"{path}: unreadable head ({e})") from None
        unknown = set(head.inputs) - set(INPUTS)
        parts = [head] + ([head.ended] if head.ended is not None else [])
        if unknown or any(len(h.coef) != len(inputs) + 1 or not len(h.members) for h in parts):
            raise ModelError(f"{path}: a head this SalesRL cannot run (inputs {sorted(head.inputs)})")
        if head.needs_prior and not (directory / PRIOR_DIR).is_dir():
            raise ModelError(f"{directory}: the head reads a prior model, and {directory / PRIOR_DIR} is missing")
        return head


def percentile_of_sorted(rows: np.ndarray, q: float) -> np.ndarray:
    """np.percentile(rows, q, axis=1) of rows sorted in ascending order: its default (linear) interpolation
    between the two closest ranks. Sorting once and reading two percentiles costs a tenth of calling
    np.percentile twice, which a live turn paid on every turn."""
    position = q / 100.0 * (rows.shape[1] - 1)
    below = min(math.floor(position), rows.shape[1] - 1)
    above = min(below + 1, rows.shape[1] - 1)
    t = position - below
    return rows[:, below] + (rows[:, above] - rows[:, below]) * t


def percent_range(probability: float, half_width: float) -> tuple[int, int]:
    """The 80% range in whole percent, rounded outwards so it never closes to a single number."""
    low = max(0, math.floor(100 * (probability - half_width)))
    high = min(100, math.ceil(100 * (probability + half_width)))
    if low == high:
        low, high = max(0, low - 1), min(100, high + 1)
    return low, high


def range_text(probability: float, half_width: float) -> str:
    """The 80% range as people read it: "35-49%"."""
    low, high = percent_range(probability, half_width)
    return f"{low}-{high}%"
