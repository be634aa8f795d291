"""The reference baseline `salesrl eval --train FILE` reports beside the model: TF-IDF word 1-2 grams and a
logistic regression, trained on conversation prefixes at the four stages.

A prefix is the first ceil(stage x turns) turns joined with role tags ("rep: ... prospect: ..."), the
same turn the model's stage prediction is read at (agent.training.evaluate.stage_turn). Each training
conversation contributes one prefix per stage. The regularisation C is chosen lightly among a few values
by 3-fold cross-validation grouped by conversation (log-loss), then the model is refit on all prefixes.
Needs scikit-learn (the [train] extra).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from salesrl.agent.dataset import Conversation
from salesrl.agent.training.evaluate import STAGES, log_loss, stage_turn

C_GRID: tuple[float, ...] = (0.3, 1.0, 3.0)


def prefix_text(conv: Conversation, n_turns: int) -> str:
    return " ".join(f"{t.role}: {t.text}" for t in conv.turns[:n_turns])


def stage_prefixes(convs: Sequence[Conversation], stage: float) -> list[str]:
    return [prefix_text(c, stage_turn(len(c.turns), stage)) for c in convs]


def stage_texts(convs: Sequence[Conversation]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Every conversation's four stage prefixes, their outcomes, and the conversation each came from."""
    texts = [prefix_text(c, stage_turn(len(c.turns), stage)) for c in convs for stage in STAGES]
    y = np.array([int(c.outcome) for c in convs for _ in STAGES])  # type: ignore[arg-type]  # all have one
    return texts, y, np.repeat(np.arange(len(convs)), len(STAGES))


def _vectorizer() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)


def _regression(c: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=2000)


class TfidfBaseline:
    """fit(conversations) then predict_stages(conversations); `cs` with one value skips the search."""

    def __init__(self, cs: Sequence[float] = C_GRID, folds: int = 3, seed: int = 0):
        self.cs = tuple(cs)
        self.folds = folds
        self.seed = seed

    def fit(self, convs: Sequence[Conversation]) -> "TfidfBaseline":
        texts, y, groups = stage_texts(convs)
        self.cv_log_loss_ = self._cv_log_loss(texts, y, groups)
        self.c_ = min(self.cv_log_loss_, key=self.cv_log_loss_.__getitem__) if self.cv_log_loss_ else self.cs[0]
        self.vectorizer_ = _vectorizer()
        self.model_ = _regression(self.c_).fit(self.vectorizer_.fit_transform(texts), y)
        self.trained_on_ = len(convs)
        return self

    def choose_c(self, convs: Sequence[Conversation]) -> float:
        """The C that `fit` would choose on `convs`, without the final fit."""
        losses = self._cv_log_loss(*stage_texts(convs))
        return min(losses, key=losses.__getitem__) if losses else self.cs[0]

    def _cv_log_loss(self, texts: list[str], y: np.ndarray, groups: np.ndarray) -> dict[float, float]:
        """Cross-validated log-loss of each C (folds by conversation); empty with one C or too few calls."""
        if len(self.cs) < 2 or groups.max(initial=-1) + 1 < 2 * self.folds:
            return {}
        fold_of = np.random.default_rng(self.seed).permutation(groups.max() + 1) % self.folds
        losses: dict[float, list[float]] = {c: [] for c in self.cs}
        for k in range(self.folds):
            test = fold_of[groups] == k
            if len(set(y[~test])) < 2:
                continue
            # One vocabulary a fold, shared by every C: fitting the vectorizer costs as much as a regression and does
            # not depend on C.
            vectorizer = _vectorizer()
            x_train = vectorizer.fit_transform([t for t, m in zip(texts, test) if not m])
            x_test = vectorizer.transform([t for t, m in zip(texts, test) if m])
            for strength in self.cs:
                p = _regression(strength).fit(x_train, y[~test]).predict_proba(x_test)[:, 1]
                losses[strength].append(log_loss(y[test], p))
        return {c: float(np.mean(v)) for c, v in losses.items() if v}

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return self.model_.predict_proba(self.vectorizer_.transform(list(texts)))[:, 1].astype(np.float64)

    def predict_stages(self, convs: Sequence[Conversation]) -> dict[float, np.ndarray]:
        """P(convert) from each conversation's prefix at every stage."""
        return {stage: self.predict_proba(stage_prefixes(convs, stage)) for stage in STAGES}

    def predict_turns(self, convs: Sequence[Conversation], max_turn: int) -> dict[int, np.ndarray]:
        """P(convert) after turn t = 1..max_turn, for the conversations that have a turn t (in order)."""
        return {t: self.predict_proba([prefix_text(c, t) for c in convs if len(c.turns) >= t])
                for t in range(1, max_turn + 1) if any(len(c.turns) >= t for c in convs)}

    def describe(self) -> dict[str, Any]:
        return {
            "kind": "tfidf word 1-2 grams (sublinear tf, min_df 2) + logistic regression on stage prefixes",
            "C": self.c_,
            "cv_log_loss": {str(c): round(v, 4) for c, v in self.cv_log_loss_.items()},
            "vocabulary": len(self.vectorizer_.vocabulary_),
        }
