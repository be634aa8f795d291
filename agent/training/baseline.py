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


def _pipeline(c: float) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2),
        LogisticRegression(C=c, max_iter=2000),
    )


class TfidfBaseline:
    """fit(conversations) then predict_stages(conversations); `cs` with one value skips the search."""

    def __init__(self, cs: Sequence[float] = C_GRID, folds: int = 3, seed: int = 0):
        self.cs = tuple(cs)
        self.folds = folds
        self.seed = seed

    def fit(self, convs: Sequence[Conversation]) -> "TfidfBaseline":
        texts, y, groups = [], [], []
        for i, c in enumerate(convs):
            for stage in STAGES:
                texts.append(prefix_text(c, stage_turn(len(c.turns), stage)))
                y.append(int(c.outcome))  # type: ignore[arg-type]  # calls to train on all have an outcome
                groups.append(i)
        y_arr, g_arr = np.array(y), np.array(groups)
        self.cv_log_loss_: dict[float, float] = {}
        if len(self.cs) > 1 and len(convs) >= 2 * self.folds:
            fold_of = np.random.default_rng(self.seed).permutation(len(convs)) % self.folds
            for strength in self.cs:
                losses = []
                for k in range(self.folds):
                    test = fold_of[g_arr] == k
                    if len(set(y_arr[~test])) < 2:
                        continue
                    model = _pipeline(strength).fit([t for t, m in zip(texts, test) if not m], y_arr[~test])
                    p = model.predict_proba([t for t, m in zip(texts, test) if m])[:, 1]
                    losses.append(log_loss(y_arr[test], p))
                if losses:
                    self.cv_log_loss_[strength] = float(np.mean(losses))
        self.c_ = min(self.cv_log_loss_, key=self.cv_log_loss_.__getitem__) if self.cv_log_loss_ else self.cs[0]
        self.model_ = _pipeline(self.c_).fit(texts, y_arr)
        self.trained_on_ = len(convs)
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return self.model_.predict_proba(list(texts))[:, 1].astype(np.float64)

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
            "vocabulary": len(self.model_[0].vocabulary_),
        }
