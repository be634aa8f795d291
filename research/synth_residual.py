"""Where does a trained model fall short of the perfect reader of the words, on synthetic calls?

    .venv/bin/python research/synth_residual.py --model models/policy --fit data/v2_synth_sel5k.jsonl \
        --test data/v2_synth_test5k.jsonl [--cache data/cache]

Scores both files with the model, then fits a small model on the `--fit` file's turns that starts from the
model's logit and adds one group of what research/synth_ceiling.py's words reader knows, and prints its
expected Brier gap to the oracle (agent.training.evaluate.expected_brier_gap) at the four stages of the
`--test` file. A group that closes much of the gap is what the model reads poorly. Groups, added to the
model's logit in a logistic regression (log-odds add up in the simulated buyer):
  effects        the sum of the effects of the rep's moves so far, by the generator's own rules in context
  prior          the scenario's visible prior (persona, company size, deal size)
  prior+effects  both
and, by gradient boosting, every feature of the words reader. All of these are the generator's own
quantities: they say where the model falls short, not what a model of real calls should be given. Both
files must come from `salesrl synth` (the calls' plans are made again from their seeds).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from salesrl.agent.dataset import read_dataset
from salesrl.agent.sales_agent import SalesAgent
from salesrl.agent.synth.template_writer import TemplateWriter
from salesrl.agent.training.evaluate import STAGES, expected_brier_gap, score_dataset, stage_name, stage_turn
from salesrl.agent.training.states import soft_label_copies
from research.synth_ceiling import (
    features, recorded_move_effects, visible_log_odds, visible_prior, worded_traits,
)
from research.synth_move_labels import plan_of

GROUPS = {"model": [0], "effects": [0, 1], "prior": [0, 2], "prior+effects": [0, 1, 2]}


def turn_rows(agent: SalesAgent, path: str, cache: Path | None):
    """Per call: (rows of [model logit, effects so far, visible prior, words reader's features...], p_true)."""
    convs = read_dataset(path)
    writer = TemplateWriter()
    out = []
    for c, scored in zip(convs, score_dataset(agent, convs, cache=cache)):
        with recorded_move_effects() as effects:
            plan = plan_of(c)
            visible = visible_log_odds(plan, effects)
        prior = visible_prior(plan.scenario)
        words = features(plan, visible, "words", worded_traits(plan, writer))
        p = np.clip(scored.probability, 1e-4, 1 - 1e-4)
        rows = np.column_stack([np.log(p / (1 - p)), words[:, 0] - prior, np.full(len(p), prior), words])
        out.append((rows, scored.p_true))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="models/policy")
    ap.add_argument("--fit", required=True, help="synthetic calls to fit the stacked models on")
    ap.add_argument("--test", required=True, help="synthetic calls to measure on")
    ap.add_argument("--cache", type=Path, help="turn embedding cache, as salesrl eval --cache")
    args = ap.parse_args()
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    agent = SalesAgent.load(args.model)
    fit, test = turn_rows(agent, args.fit, args.cache), turn_rows(agent, args.test, args.cache)
    # Fitted to each call's final latent probability, as a won and a lost copy of every row weighted p, 1 - p.
    x = np.concatenate([rows for rows, _ in fit])
    p_final = np.concatenate([np.full(len(rows), pt[-1]) for rows, pt in fit])
    labels, weights = soft_label_copies(p_final)
    final = np.array([pt[-1] for _, pt in test])
    readers = {name: (LogisticRegression(C=100.0, max_iter=2000), cols) for name, cols in GROUPS.items()}
    readers["every words feature (gradient boosting)"] = (
        HistGradientBoostingClassifier(max_iter=300, learning_rate=0.05, random_state=0),
        [0, *range(3, x.shape[1])])

    print(f"expected Brier gap to the oracle on {args.test} ({len(test)} calls); stacked models fitted on "
          f"{args.fit} ({len(fit)} calls)\n")
    print("| model logit + | " + " | ".join(stage_name(s) for s in STAGES) + " |")
    print("| --- |" + " ---: |" * len(STAGES))
    for name, (reader, cols) in readers.items():
        reader.fit(np.concatenate([x[:, cols], x[:, cols]]), labels, sample_weight=weights)
        gaps = []
        for stage in STAGES:
            idx = [stage_turn(len(pt), stage) - 1 for _, pt in test]
            read = reader.predict_proba(np.array([rows[i, cols] for (rows, _), i in zip(test, idx)]))[:, 1]
            oracle = np.array([pt[i] for (_, pt), i in zip(test, idx)])
            gaps.append(expected_brier_gap(read, oracle, final)[0])
        label = "nothing (recalibrated)" if name == "model" else name
        print(f"| {label} | " + " | ".join(f"{g:.4f}" for g in gaps) + " |", flush=True)


if __name__ == "__main__":
    main()
