"""The turn reader's buyer side measured across authors: fitted on four authors' training turns, scored on the fifth's.

    .venv/bin/python benchmarks/reader_authors.py [--variant NAME ...] [--threshold P]

Each file of agent/training/turns was written by a different author, so leaving one file out at a time asks what
the coaching sets ask (words by someone the reader never saw), without touching them. Random 5-fold
cross-validation, which reader_fit uses to choose C, mixes every author's turns into both sides and so flatters a
reader that learns an author's style. Per held-out author and per item, at the tracker's rule (the likeliest state,
taken when it is not "none" and at least `--threshold` likely, the shipped 0.5): macro F1 over the item's settled
states (exact state), log-loss of the item's states, and over all items "false settled" (a state read where the
label has none, out of the labels' nones) and "missed" (no state read where the label has one, out of the labels'
settled items). Figures are the mean over the five held-out authors; `--per-author` prints each. Variants:

- shipped: the current recipe (agent.training.reader_fit): a logistic regression per item, C by 5-fold random CV.
- loao-c: the same, C chosen per item by leave-one-author-out log-loss within the four training authors.
- loao-cw: C and class weighting (none or balanced) chosen per item by leave-one-author-out macro F1 within the
  four training authors.
- prototypes: a logistic regression on the turn's cosine to each of the item's state centroids (linear in the
  embedding, so it ships in the same weights).
- features: the shipped recipe on the embedding plus four cheap standardised features (log length, a digit, an
  amount of money, a date: the tracker's own patterns).
- mlp: a one-hidden-layer network (64 units) per item, its L2 chosen from two values by inner leave-one-author-out.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import warnings
from pathlib import Path
from typing import Callable

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from threadpoolctl import threadpool_limits  # noqa: E402

from salesrl.agent.embedder import OnnxEmbedder  # noqa: E402
from salesrl.agent.tracker import _DATE, _MONEY, _rx  # noqa: E402
from salesrl.agent.training.reader_fit import TURNS_DIR, _fit_item, load_turns_by_author  # noqa: E402
from salesrl.agent.turn_reader import STATES  # noqa: E402

C_GRID = (1.0, 3.0, 10.0, 30.0, 100.0)
_MONEY_RX = _rx(_MONEY)
_DIGIT_RX = _rx(r"\d")

# fit(x, y, k, groups, texts) -> predict(x, texts) -> probabilities (n, k)
Predict = Callable[[np.ndarray, list[str]], np.ndarray]
Fit = Callable[[np.ndarray, np.ndarray, int, np.ndarray, list[str]], Predict]


def _softmax(z: np.ndarray) -> np.ndarray:
    p = np.exp(z - z.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True)


def _full(model: object, p: np.ndarray, k: int) -> np.ndarray:
    """The model's probabilities over all k states (a state no training turn showed: 0)."""
    out = np.zeros((len(p), k))
    out[:, np.asarray(model.classes_, dtype=int)] = p  # type: ignore[attr-defined]
    return out


def read_states(p: np.ndarray, threshold: float) -> np.ndarray:
    """The tracker's rule (agent.turn_reader.TurnReader.read): the likeliest state if not none and sure enough."""
    best = p.argmax(axis=1)
    return np.where(p[np.arange(len(p)), best] >= threshold, best, 0)


def macro_f1(y: np.ndarray, read: np.ndarray, k: int) -> float:
    """Mean F1 over the settled states the labels or the readings have."""
    scores = []
    for s in range(1, k):
        tp, fp, fn = np.sum((read == s) & (y == s)), np.sum((read == s) & (y != s)), np.sum((read != s) & (y == s))
        if tp + fp + fn:
            scores.append(2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores)) if scores else 1.0


def log_loss(y: np.ndarray, p: np.ndarray) -> float:
    return float(-np.mean(np.log(np.clip(p[np.arange(len(y)), y], 1e-12, 1))))


def _inner_loao(x: np.ndarray, y: np.ndarray, k: int, groups: np.ndarray,
                make: Callable[[], object], prepare: Callable[[np.ndarray], np.ndarray] = lambda a: a) -> np.ndarray:
    """Probabilities for every training turn from models fitted without its author."""
    p = np.zeros((len(y), k))
    for g in np.unique(groups):
        out = groups == g
        model = make().fit(prepare(x[~out]), y[~out])  # type: ignore[attr-defined]
        p[out] = _full(model, model.predict_proba(prepare(x[out])), k)  # type: ignore[attr-defined]
    return p


def fit_shipped(x: np.ndarray, y: np.ndarray, k: int, groups: np.ndarray, texts: list[str]) -> Predict:
    w, b, _ = _fit_item(x, y, k, seed=0)
    return lambda x_new, _texts: _softmax(x_new @ w.T + b)


def _fit_loao(criterion: str, weights: tuple[str | None, ...]) -> Fit:
    from sklearn.linear_model import LogisticRegression

    def fit(x: np.ndarray, y: np.ndarray, k: int, groups: np.ndarray, texts: list[str]) -> Predict:
        best: tuple[float, float, str | None] | None = None
        for c in C_GRID:
            for cw in weights:
                p = _inner_loao(x, y, k, groups, lambda c=c, cw=cw: LogisticRegression(C=c, class_weight=cw, max_iter=3000))
                score = log_loss(y, p) if criterion == "log-loss" else -macro_f1(y, read_states(p, 0.5), k)
                if best is None or score < best[0]:
                    best = (score, c, cw)
        assert best is not None
        model = LogisticRegression(C=best[1], class_weight=best[2], max_iter=3000).fit(x, y)
        return lambda x_new, _texts: _full(model, model.predict_proba(x_new), k)
    return fit


def fit_prototypes(x: np.ndarray, y: np.ndarray, k: int, groups: np.ndarray, texts: list[str]) -> Predict:
    from sklearn.linear_model import LogisticRegression

    seen = np.unique(y)
    centroids = np.vstack([x[y == s].mean(axis=0) for s in seen])
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    best: tuple[float, float] | None = None
    for c in C_GRID:
        p = _inner_loao(x, y, k, groups, lambda c=c: LogisticRegression(C=c, max_iter=3000),
                        lambda a: a @ centroids.T)
        if best is None or log_loss(y, p) < best[0]:
            best = (log_loss(y, p), c)
    assert best is not None
    model = LogisticRegression(C=best[1], max_iter=3000).fit(x @ centroids.T, y)
    return lambda x_new, _texts: _full(model, model.predict_proba(x_new @ centroids.T), k)


def cheap_features(texts: list[str]) -> np.ndarray:
    return np.array([[math.log1p(len(t)), bool(_DIGIT_RX.search(t)), bool(_MONEY_RX.search(t)),
                      bool(_DATE.search(t))] for t in texts], dtype=np.float32)


def fit_features(x: np.ndarray, y: np.ndarray, k: int, groups: np.ndarray, texts: list[str]) -> Predict:
    f = cheap_features(texts)
    mean, std = f.mean(axis=0), f.std(axis=0) + 1e-6
    # scaled to the embedding's per-dimension size (unit vectors of 384 dimensions), so one C suits both
    def joined(x_: np.ndarray, texts_: list[str]) -> np.ndarray:
        return np.hstack([x_, (cheap_features(texts_) - mean) / std / math.sqrt(x.shape[1])])
    w, b, _ = _fit_item(joined(x, texts), y, k, seed=0)
    return lambda x_new, texts_new: _softmax(joined(x_new, texts_new) @ w.T + b)


def fit_mlp(x: np.ndarray, y: np.ndarray, k: int, groups: np.ndarray, texts: list[str]) -> Predict:
    from sklearn.neural_network import MLPClassifier

    def make(alpha: float) -> Callable[[], object]:
        return lambda: MLPClassifier((64,), alpha=alpha, max_iter=300, random_state=0)
    best: tuple[float, float] | None = None
    for alpha in (1e-3, 1e-1):
        p = _inner_loao(x, y, k, groups, make(alpha))
        if best is None or log_loss(y, p) < best[0]:
            best = (log_loss(y, p), alpha)
    assert best is not None
    model = make(best[1])().fit(x, y)  # type: ignore[attr-defined]
    return lambda x_new, _texts: _full(model, model.predict_proba(x_new), k)  # type: ignore[attr-defined]


VARIANTS: dict[str, Fit] = {
    "shipped": fit_shipped,
    "loao-c": _fit_loao("log-loss", (None,)),
    "loao-cw": _fit_loao("f1", (None, "balanced")),
    "prototypes": fit_prototypes,
    "features": fit_features,
    "mlp": fit_mlp,
}


def measure(fit: Fit, by_author: dict[str, tuple[np.ndarray, list[dict]]], threshold: float) -> dict[str, dict[str, float]]:
    """held-out author -> figures."""
    authors = list(by_author)
    figures: dict[str, dict[str, float]] = {}
    for held in authors:
        train = [a for a in authors if a != held]
        x_tr = np.vstack([by_author[a][0] for a in train])
        rows_tr = [r for a in train for r in by_author[a][1]]
        groups = np.concatenate([np.full(len(by_author[a][1]), i) for i, a in enumerate(train)])
        x_te, rows_te = by_author[held]
        texts_tr, texts_te = [r["text"] for r in rows_tr], [r["text"] for r in rows_te]
        f1s, losses, counts = [], [], np.zeros(4)  # false settled, nones, missed, settled
        for item, states in STATES.items():
            y_tr = np.array([states.index(r["labels"].get(item, "none")) for r in rows_tr])
            y_te = np.array([states.index(r["labels"].get(item, "none")) for r in rows_te])
            p = fit(x_tr, y_tr, len(states), groups, texts_tr)(x_te, texts_te)
            read = read_states(p, threshold)
            f1s.append(macro_f1(y_te, read, len(states)))
            losses.append(log_loss(y_te, p))
            counts += [np.sum((y_te == 0) & (read > 0)), np.sum(y_te == 0), np.sum((y_te > 0) & (read == 0)),
                       np.sum(y_te > 0)]
        figures[held] = {"macro_f1": float(np.mean(f1s)), "log_loss": float(np.mean(losses)),
                         "false_settled": counts[0] / counts[1], "missed": counts[2] / counts[3]}
    return figures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variant", action="append", choices=list(VARIANTS), help="default: every variant")
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--per-author", action="store_true")
    args = ap.parse_args()
    warnings.simplefilter("ignore")  # the networks' and some regressions' convergence warnings, one per fit
    rows = load_turns_by_author(TURNS_DIR)
    embedder = OnnxEmbedder.load()
    by_author = {name.removesuffix(".jsonl"): (np.asarray(embedder.embed([r["text"] for r in author_rows]),
                                                          dtype=np.float32), author_rows)
                 for name, author_rows in rows.items()}
    print(f"{sum(len(r) for _, r in by_author.values())} buyer turns by {len(by_author)} authors "
          f"({', '.join(f'{a} {len(r)}' for a, (_, r) in by_author.items())}); threshold {args.threshold}")
    print(f"{'variant':<11} {'macro F1':>8} {'log-loss':>8} {'false settled':>13} {'missed':>7}  fit time")
    for name in args.variant or VARIANTS:
        start = time.perf_counter()
        with threadpool_limits(1):  # many small fits: threads only contend on the shared cores
            figures = measure(VARIANTS[name], by_author, args.threshold)
        mean = {key: float(np.mean([f[key] for f in figures.values()])) for key in next(iter(figures.values()))}
        print(f"{name:<11} {mean['macro_f1']:8.3f} {mean['log_loss']:8.4f} {mean['false_settled']:13.2%} "
              f"{mean['missed']:7.1%}  {time.perf_counter() - start:.0f} s")
        if args.per_author:
            for author, f in figures.items():
                print(f"  without {author:<8} {f['macro_f1']:8.3f} {f['log_loss']:8.4f} {f['false_settled']:13.2%} "
                      f"{f['missed']:7.1%}")


if __name__ == "__main__":
    main()
