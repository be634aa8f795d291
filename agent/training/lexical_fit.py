"""Fits the lexical score (agent.lexical) when a policy is trained. Needs scikit-learn ([train] extra).

- Terms: those in at least `min_df` training conversations, the `max_terms` most common at most;
  idf = ln((1 + N) / (1 + df)) + 1 over the N training conversations.
- Rows: each training conversation's prefixes at the four evaluation stages (25/50/75/100% of its
  turns), as the reference baseline (agent.training.baseline) does; label: the conversation's
  outcome, or its expectation where the data records one (agent.training.states.call_targets; a soft
  label is fitted as a won and a lost copy of the row, weighted p and 1 - p). The call's length only
  picks which prefixes to learn from; a row holds its prefix alone.
  (Stage prefixes did better than random or every prefix, on Deal or No Deal and on synthetic calls:
  research/lexical_prefixes.py; the figures are in BENCHMARKS.md, "Figures behind the training code".)
- Logistic regression (log-loss, L2). C is chosen among `c_grid` by the log-loss of the first
  held-out fold.

The settings named here are agent.training.config.LexicalSettings.

A training state must not carry a score fitted on its own conversation's outcome: the network would
learn to trust a number that is memorised on training calls and much weaker on new ones (the past
block has the same trap, see agent.training.td). So each training conversation is scored by the
model fitted without its fold (`folds` folds), and every other conversation (validation, and every
call after shipping) by the model fitted on all training conversations: the one that ships.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from salesrl.agent.dataset import Conversation
from salesrl.agent.lexical import LexicalModel, terms, turn_words
from salesrl.agent.training.config import LexicalSettings
from salesrl.agent.training.evaluate import STAGES, stage_turn
from salesrl.agent.training.states import conversation_targets, soft_label_copies

log = logging.getLogger(__name__)

@dataclass
class LexicalFit:
    model: LexicalModel  # fitted on every training conversation: the one that ships
    per_conversation: list[LexicalModel]  # the model that scores each conversation's training states
    info: dict = field(default_factory=dict)


def conversation_terms(conv: Conversation) -> list[list[str]]:
    """The terms each turn adds to the prefix, in the order agent.lexical.LexicalTracker sees them."""
    out, previous = [], None
    for turn in conv.turns:
        words = turn_words(turn)
        out.append(terms(words, previous))
        previous = words[-1]
    return out


def vocabulary(per_conv: Sequence[list[list[str]]], min_df: int, max_terms: int) -> tuple[tuple[str, ...], np.ndarray]:
    """The terms in at least `min_df` of the documents, the `max_terms` most common at most, and their idf."""
    df = Counter(t for turns in per_conv for t in {t for turn in turns for t in turn})
    kept = sorted((t for t, n in df.items() if n >= min_df), key=lambda t: (-df[t], t))[:max_terms]
    idf = np.array([math.log((1 + len(per_conv)) / (1 + df[t])) + 1.0 for t in kept])
    return tuple(kept), idf


def prefix_matrix(per_conv: Sequence[list[list[str]]], cuts: Sequence[Sequence[int]],
                  index: dict[str, int], idf: np.ndarray):
    """One row per (conversation, cut): the unit-length TF-IDF vector of its first `cut` turns."""
    from scipy.sparse import csr_matrix

    data, cols, indptr = [], [], [0]
    for turns, conv_cuts in zip(per_conv, cuts):
        counts: Counter[int] = Counter()
        done = 0
        for cut in sorted(conv_cuts):
            for turn in turns[done:cut]:
                counts.update(i for i in map(index.get, turn) if i is not None)
            done = cut
            if counts:
                ids = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
                w = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))) * idf[ids]
                data.append(w / np.linalg.norm(w))
                cols.append(ids)
            indptr.append(indptr[-1] + len(counts))
    data_arr = np.concatenate(data) if data else np.zeros(0)
    col_arr = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    return csr_matrix((data_arr, col_arr, np.array(indptr)), shape=(len(indptr) - 1, len(idf)))


def fit_model(per_conv: Sequence[list[list[str]]], cuts: Sequence[Sequence[int]], y: np.ndarray,
              c: float, settings: LexicalSettings = LexicalSettings()) -> LexicalModel:
    from sklearn.linear_model import LogisticRegression

    rate = float(np.clip(y.mean(), 1e-3, 1 - 1e-3))
    if len(set(y.tolist())) < 2:
        return LexicalModel.constant(math.log(rate / (1 - rate)))
    vocab, idf = vocabulary(per_conv, settings.min_df, settings.max_terms)
    if not vocab:
        return LexicalModel.constant(math.log(rate / (1 - rate)))
    x = prefix_matrix(per_conv, cuts, {t: i for i, t in enumerate(vocab)}, idf)
    rows_y = np.repeat(y, [len(c_) for c_ in cuts])
    if np.isin(rows_y, (0.0, 1.0)).all():
        reg = LogisticRegression(C=c, max_iter=settings.max_iter).fit(x, rows_y)
    else:
        from scipy.sparse import vstack

        labels, weights = soft_label_copies(rows_y)
        reg = LogisticRegression(C=c, max_iter=settings.max_iter).fit(vstack([x, x]), labels, sample_weight=weights)
    return LexicalModel(vocab, idf, reg.coef_[0].astype(np.float64), float(reg.intercept_[0]))


def _log_loss(model: LexicalModel, per_conv: Sequence[list[list[str]]], cuts: Sequence[Sequence[int]],
              y: np.ndarray) -> float:
    x = prefix_matrix(per_conv, cuts, model.index, model.idf)
    z = x @ model.coef + model.intercept
    rows_y = np.repeat(y, [len(c_) for c_ in cuts])
    return float(np.mean(np.logaddexp(0.0, z) - rows_y * z))


def fit_lexical(convs: Sequence[Conversation], train_idx: np.ndarray, seed: int, target: str,
                settings: LexicalSettings = LexicalSettings()) -> LexicalFit:
    """`target`: what each conversation's prefixes are labelled with (agent.training.states.call_targets)."""
    rng = np.random.default_rng(seed)
    per_conv = [conversation_terms(c) for c in convs]
    cuts = [[stage_turn(len(c.turns), s) for s in STAGES] for c in convs]
    y = conversation_targets(convs, target)

    def fit(idx: np.ndarray, c: float) -> LexicalModel:
        return fit_model([per_conv[i] for i in idx], [cuts[i] for i in idx], y[idx], c, settings)

    folds = min(settings.folds, len(train_idx))
    fold_of = rng.permutation(len(train_idx)) % folds
    first_out, first_in = train_idx[fold_of == 0], train_idx[fold_of != 0]
    losses, first_fold = {}, {}
    for c in settings.c_grid:
        first_fold[c] = fit(first_in, c)
        losses[c] = _log_loss(first_fold[c], [per_conv[i] for i in first_out], [cuts[i] for i in first_out],
                              y[first_out])
    best_c = min(losses, key=losses.__getitem__)
    log.info("lexical C %s (held-out log-loss %s)", best_c, {c: round(v, 4) for c, v in losses.items()})

    shipped = fit(train_idx, best_c)
    per_conversation = [shipped] * len(convs)
    for k in range(folds):
        model = first_fold[best_c] if k == 0 else fit(train_idx[fold_of != k], best_c)  # fold 0: fitted above
        for i in train_idx[fold_of == k]:
            per_conversation[i] = model
    info = {"C": best_c, "fold0_log_loss": {str(c): round(v, 4) for c, v in losses.items()},
            "terms": len(shipped.terms), "folds": folds, "prefixes": "stages", "target": target}
    return LexicalFit(shipped, per_conversation, info)
