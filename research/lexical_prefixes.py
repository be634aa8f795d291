"""Which prefixes should the lexical score (agent.lexical) be fitted on? Stage prefixes, random ones, or all.

    .venv/bin/python research/lexical_prefixes.py [PATH/dealornodeal.jsonl] [--c 0.3 --c 1.0]

On the fixed stratified 80/20 split of benchmarks/eval_dealornodeal.py, fits the lexical regression alone
(agent.training.lexical_fit) on the training calls' prefixes cut three ways: at the four evaluation stages
(what ships), at four random turns per call, and at every turn. Prints AUC / Brier of the lexical score at
each stage of the test calls, beside the TF-IDF baseline's. The data is read, never copied.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from salesrl.agent.dataset import read_dataset  # noqa: E402
from salesrl.agent.training import lexical_fit  # noqa: E402
from salesrl.agent.training.evaluate import STAGES, auc, brier, stage_name, stage_turn  # noqa: E402
from benchmarks.eval_dealornodeal import DEFAULT_DATA, stratified_split  # noqa: E402


def stage_scores(model, test) -> list[str]:
    y = np.array([c.outcome for c in test])
    out = []
    for stage in STAGES:
        z = []
        for c in test:
            tracker = model.tracker()
            for turn in c.turns[:stage_turn(len(c.turns), stage)]:
                score = tracker.add(turn)
            z.append(score)
        p = 1 / (1 + np.exp(-np.array(z)))
        out.append(f"{auc(y, p):.3f} / {brier(y, p):.4f}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data", nargs="?", default=str(DEFAULT_DATA), help="path of dealornodeal.jsonl")
    ap.add_argument("--c", type=float, action="append", help="regularisation C (repeatable; default 0.3 and 1.0)")
    args = ap.parse_args()
    if not Path(args.data).is_file():
        sys.exit(f"{args.data}: no such file (give the path of dealornodeal.jsonl)")
    train, test = stratified_split(read_dataset(args.data, labelled=True))
    per_conv = [lexical_fit.conversation_terms(c) for c in train]
    y = np.array([c.outcome for c in train], dtype=np.float64)
    rng = np.random.default_rng(0)
    cuts = {
        "stages (shipped)": [[stage_turn(len(c.turns), s) for s in STAGES] for c in train],
        "4 random turns": [rng.integers(1, len(c.turns) + 1, size=4).tolist() for c in train],
        "every turn": [list(range(1, len(c.turns) + 1)) for c in train],
    }
    print("| prefixes | C | " + " | ".join(f"{stage_name(s)} AUC / Brier" for s in STAGES) + " |")
    print("| --- | ---: | " + " | ".join("---:" for _ in STAGES) + " |")
    for name, rows in cuts.items():
        for c in args.c or [0.3, 1.0]:
            model = lexical_fit.fit_model(per_conv, rows, y, c)
            print(f"| {name} | {c} | " + " | ".join(stage_scores(model, test)) + " |", flush=True)


if __name__ == "__main__":
    main()
