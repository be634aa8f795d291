"""How close can any model that reads a synthetic call get to the oracle `p_true`?

`p_true` is the simulated buyer's latent probability. Part of it never reaches the words of the call: the
scenario's hidden fit (log-odds ~ N(0, 0.7)), the noise on every move's effect and the prospect's drift.
This benchmark builds a "perfect reader": from the generator's own plan it takes everything a reader of
the transcript could know exactly (the deterministic part of the latent log-odds given the moves made and
the scenario's visible facts, every prospect intent and how engaged the prospect sounded), fits gradient
boosting on those features of the training calls, and scores the test calls at the stages `salesrl eval`
uses. Its Brier gap to the oracle is what hidden information costs, and no text model can close it.

    python benchmarks/synth_ceiling.py --train-n 20000 --train-seed 1 --test-n 1000 --test-seed 2
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import agent.synth.plan as plan_module  # noqa: E402
from agent.moves import MOVES  # noqa: E402
from agent.synth.buyer import BASE_LOG_ODDS  # noqa: E402
from agent.synth.generator import iter_plans  # noqa: E402
from agent.training.evaluate import STAGES, classification_metrics, stage_name, stage_turn  # noqa: E402

INTENTS = ("hello", "greeting", "small_talk", "pain", "deflect", "objection", "resolved", "unconvinced", "signal",
           "question", "backchannel", "ack", "accept_close", "defer_close", "reject_close", "agree_next_step",
           "tentative", "goodbye", "end_call")
LEVELS = ("low", "medium", "high")


def plans_with_visible_log_odds(n: int, seed: int):
    """Call plans, each with the deterministic part of the latent log-odds after every turn."""
    effects: list[float] = []
    real_effect = plan_module.move_effect

    def recording_effect(*args, **kwargs):
        d = real_effect(*args, **kwargs)
        effects.append(d)
        return d

    plan_module.move_effect = recording_effect
    try:
        for plan in iter_plans(n, seed):
            sc = plan.scenario
            z = BASE_LOG_ODDS + sc.prior - sc.fit
            it = iter(effects)
            visible = []
            for t in plan.turns:
                if t.role == "rep":
                    z += next(it)
                visible.append(z)
            effects.clear()
            yield plan, visible
    finally:
        plan_module.move_effect = real_effect


def features(plan, visible: list[float]) -> np.ndarray:
    """One row per turn: what a perfect reader of turns 1..t knows."""
    counts = np.zeros(len(MOVES) + len(INTENTS) + len(LEVELS))
    rows = []
    for i, (t, z) in enumerate(zip(plan.turns, visible)):
        if t.role == "rep":
            counts[MOVES.index(t.action)] += 1
        else:
            counts[len(MOVES) + INTENTS.index(t.intent)] += 1
            counts[len(MOVES) + len(INTENTS) + LEVELS.index(t.engagement)] += 1
        rows.append(np.concatenate([[z, i + 1], counts]))
    return np.array(rows)


def table(n: int, seed: int):
    xs, ys, pt, lengths = [], [], [], []
    for plan, visible in plans_with_visible_log_odds(n, seed):
        xs.append(features(plan, visible))
        ys.append(plan.outcome)
        pt.append([t.p_true for t in plan.turns])
        lengths.append(len(plan.turns))
    return xs, np.array(ys), pt, np.array(lengths)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train-n", type=int, default=20000)
    ap.add_argument("--train-seed", type=int, default=1)
    ap.add_argument("--test-n", type=int, default=1000)
    ap.add_argument("--test-seed", type=int, default=2)
    args = ap.parse_args()
    from sklearn.ensemble import HistGradientBoostingClassifier

    xs, y, _, lengths = table(args.train_n, args.train_seed)
    model = HistGradientBoostingClassifier(max_iter=300, learning_rate=0.05, random_state=0)
    model.fit(np.concatenate(xs), np.repeat(y, lengths))
    txs, ty, tpt, tlengths = table(args.test_n, args.test_seed)
    print(f"perfect reader vs oracle on {args.test_n} calls (seed {args.test_seed}), trained on {args.train_n} "
          f"(seed {args.train_seed})\n")
    print("| stage | reader AUC | oracle AUC | reader Brier | oracle Brier | gap | reader ECE |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for stage in STAGES:
        idx = [stage_turn(n, stage) - 1 for n in tlengths]
        reader = model.predict_proba(np.array([x[i] for x, i in zip(txs, idx)]))[:, 1]
        oracle = np.array([p[i] for p, i in zip(tpt, idx)])
        r, o = classification_metrics(ty, reader), classification_metrics(ty, oracle)
        print(f"| {stage_name(stage)} | {r['auc']:.3f} | {o['auc']:.3f} | {r['brier']:.3f} | {o['brier']:.3f} "
              f"| {r['brier'] - o['brier']:+.3f} | {r['ece']:.3f} |")


if __name__ == "__main__":
    main()
