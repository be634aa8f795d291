"""Fits the turn reader (agent.turn_reader) on hand-written buyer turns. Needs scikit-learn ([train] extra).

    .venv/bin/python -m salesrl.agent.training.reader_fit [--turns agent/training/turns]
        [--rep-turns agent/training/rep_turns] [--out models/turn_reader] [--threshold P] [--asks-threshold P]

The turns (agent/training/turns/*.jsonl, one {"text", "kind": "call" | "note", "labels": {item: state}} a line)
and the rep turns (agent/training/rep_turns/*.jsonl, {"text", "asks": [items]}) were written by hand for this, by
people who had not read the coaching sets the reader is measured on (benchmarks/data/coaching), nor the tracker's
patterns. Each item is its own logistic regression (its states and
"none") on the shipped embedder's vectors; its C is chosen by 5-fold cross-validated log-loss. The threshold is
chosen on the coaching set's tune, held-out and blind splits (`benchmarks/coaching.py --reader DIR
--reader-threshold P`), never on its fresh split, and given here.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any, Callable

import numpy as np

from salesrl.agent.errors import SalesRLError
from salesrl.agent.turn_reader import ASKS, DEFAULT_DIR, STATES, TurnReader

TURNS_DIR = Path(__file__).resolve().parent / "turns"
REP_TURNS_DIR = Path(__file__).resolve().parent / "rep_turns"
C_GRID = (1.0, 3.0, 10.0, 30.0, 100.0)
FOLDS = 5


def _jsonl_rows(directory: Path, what: str, valid: Callable[[dict[str, Any]], bool], expected: str) -> list[dict[str, Any]]:
    """Every row of the directory's .jsonl files; SalesRLError naming the file and line of one that is not `valid`."""
    return [row for rows in _jsonl_files(directory, what, valid, expected).values() for row in rows]


def _jsonl_files(directory: Path, what: str, valid: Callable[[dict[str, Any]], bool],
                 expected: str) -> dict[str, list[dict[str, Any]]]:
    """The rows of each of the directory's .jsonl files, by file name (one author a file)."""
    files = sorted(directory.glob("*.jsonl"))
    if not files:
        raise SalesRLError(f"{directory}: no .jsonl files of {what}")
    by_file: dict[str, list[dict[str, Any]]] = {}
    for path in files:
        rows = by_file.setdefault(path.name, [])
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as e:
                raise SalesRLError(f"{path.name}, line {n}: not JSON ({e})") from None
            if not (isinstance(row, dict) and isinstance(row.get("text"), str) and row["text"].strip() and valid(row)):
                raise SalesRLError(f"{path.name}, line {n}: expected {expected}; got {row}")
            rows.append(row)
    return by_file


def _labelled_turn(row: dict[str, Any]) -> bool:
    labels = row.get("labels")
    return row.get("kind") in ("call", "note") and isinstance(labels, dict) and all(
        k == "objection" or (k in STATES and v in STATES[k][1:]) for k, v in labels.items())  # objections: not read


def _rep_turn(row: dict[str, Any]) -> bool:
    asks = row.get("asks")
    return isinstance(asks, list) and not set(asks) - set(ASKS)


def load_turns(directory: Path) -> list[dict[str, Any]]:
    """Every labelled buyer turn of the directory's .jsonl files."""
    return _jsonl_rows(directory, "labelled turns", _labelled_turn, "text, kind call|note and known labels")


def load_turns_by_author(directory: Path) -> dict[str, list[dict[str, Any]]]:
    """The labelled buyer turns of each of the directory's .jsonl files, by file name: each file is one author's."""
    return _jsonl_files(directory, "labelled turns", _labelled_turn, "text, kind call|note and known labels")


def load_rep_turns(directory: Path) -> list[dict[str, Any]]:
    """Every rep turn of the directory's .jsonl files, with the items it asks about."""
    return _jsonl_rows(directory, "rep turns", _rep_turn, f"text and asks among {', '.join(ASKS)}")


def _digest(*directories: Path) -> str:
    digest = hashlib.sha256()
    for directory in directories:
        for path in sorted(directory.glob("*.jsonl")):
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _fit_item(x: np.ndarray, y: np.ndarray, k: int, seed: int) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Rows (k, dim) and bias (k,) of one item's softmax over its k states, and its cross-validated figures."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=seed)
    best: tuple[float, float, np.ndarray] | None = None
    for c in C_GRID:
        p = cross_val_predict(LogisticRegression(C=c, max_iter=3000), x, y, cv=folds, method="predict_proba")
        loss = float(-np.mean(np.log(np.clip(p[np.arange(len(y)), np.searchsorted(np.unique(y), y)], 1e-12, 1))))
        if best is None or loss < best[0]:
            best = (loss, c, p)
    assert best is not None
    loss, c, p = best
    model = LogisticRegression(C=c, max_iter=3000).fit(x, y)
    seen = [int(s) for s in model.classes_]
    coef = model.coef_ if len(seen) > 2 else np.vstack([np.zeros_like(model.coef_), model.coef_])
    bias = model.intercept_ if len(seen) > 2 else np.array([0.0, model.intercept_[0]])
    weights = np.zeros((k, x.shape[1]), dtype=np.float32)
    biases = np.full(k, -30.0, dtype=np.float32)  # a state no turn showed is never read
    weights[seen], biases[seen] = coef, bias
    predicted = np.asarray(seen)[np.argmax(p, axis=1)]
    recall = {int(s): float(np.mean(predicted[y == s] == s)) for s in seen}
    return weights, biases, {"C": c, "cv_log_loss": round(loss, 4), "cv_recall": recall}


def fit(turns_dir: Path = TURNS_DIR, rep_turns_dir: Path = REP_TURNS_DIR, threshold: float = 0.5,
        asks_threshold: float = 0.5, seed: int = 0) -> tuple[TurnReader, dict[str, Any]]:
    from salesrl.agent.embedder import OnnxEmbedder

    rows, rep_rows = load_turns(turns_dir), load_rep_turns(rep_turns_dir)
    embedder = OnnxEmbedder.load()
    x = np.asarray(embedder.embed([r["text"] for r in rows]), dtype=np.float32)
    weights, biases, figures = [], [], {}
    for item, states in STATES.items():
        y = np.array([states.index(r["labels"].get(item, "none")) for r in rows])
        w, b, fig = _fit_item(x, y, len(states), seed)
        weights.append(w)
        biases.append(b)
        fig["cv_recall"] = {states[s]: round(v, 3) for s, v in fig["cv_recall"].items()}
        fig["turns"] = {s: int(np.sum(y == i)) for i, s in enumerate(states)}
        figures[item] = fig
    x_rep = np.asarray(embedder.embed([r["text"] for r in rep_rows]), dtype=np.float32)
    asks_weights, asks_bias, asks_figures = [], [], {}
    for item in ASKS:
        y = np.array([int(item in r["asks"]) for r in rep_rows])
        w, b, fig = _fit_item(x_rep, y, 2, seed)
        asks_weights.append(w[1] - w[0])  # the logistic's one logit from the two rows of its softmax
        asks_bias.append(b[1] - b[0])
        fig["cv_recall"] = {("asks" if s else "none"): round(v, 3) for s, v in fig["cv_recall"].items()}
        fig["turns"] = {"none": int(np.sum(y == 0)), "asks": int(np.sum(y == 1))}
        asks_figures[item] = fig
    meta = {"turns": len(rows), "rep_turns": len(rep_rows), "data_sha256": _digest(turns_dir, rep_turns_dir),
            "items": figures, "asks_items": asks_figures,
            "command": " ".join(["python -m salesrl.agent.training.reader_fit", *sys.argv[1:]])}
    reader = TurnReader(embedder.id, np.vstack(weights), np.concatenate(biases), threshold,
                        np.vstack(asks_weights), np.asarray(asks_bias, dtype=np.float32), asks_threshold)
    return reader, meta


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--turns", type=Path, default=TURNS_DIR)
    ap.add_argument("--out", type=Path, default=DEFAULT_DIR)
    ap.add_argument("--rep-turns", type=Path, default=REP_TURNS_DIR)
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--asks-threshold", type=float, default=0.5)
    args = ap.parse_args(argv)
    try:
        reader, meta = fit(args.turns, args.rep_turns, args.threshold, args.asks_threshold)
    except SalesRLError as e:
        print(f"reader_fit: {e}", file=sys.stderr)
        return 2
    reader.save(args.out, meta)
    for item, fig in [*meta["items"].items(), *(("asks " + k, v) for k, v in meta["asks_items"].items())]:
        print(f"{item:<11} C {fig['C']:<4} cv log-loss {fig['cv_log_loss']:.3f}  recall {fig['cv_recall']}  turns {fig['turns']}")
    print(f"wrote {args.out} ({meta['turns']} buyer turns, {meta['rep_turns']} rep turns)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
