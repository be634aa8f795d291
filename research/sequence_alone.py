"""The sequence score alone, without a policy: how close to the oracle, and does it read a buyer's decision right?

    .venv/bin/python research/sequence_alone.py --fit data/synth_seq60k.jsonl [--set dropout=0.5 ...] \
        [--test data/synth_test5k.jsonl] [--save DIR]
    .venv/bin/python research/sequence_alone.py --model models/policy

The policy adds a learned multiple of the sequence score (agent.sequence) to its output, and at 75-100% of a
synthetic call the score alone is about as close to the oracle as the whole model, so recipes for it can be
compared here in a fraction of a training run. `--fit FILE ...` fits it with the code `salesrl train` runs
(agent.training.sequence_fit.fit_sequence, as `--sequence-data` does: the reader and GRUs learn from these calls
and stop early on the held-out tenth of `--policy-data`, split as `salesrl train --seed 0` splits it);
"train20k-train" stands for that file's training part, the calls the shipped score learns from. `--set NAME=VALUE`
changes one of the fit's settings
(agent.training.config.SequenceSettings: reader_l2, dropout, members, ...). `--model DIR` reads a trained
model's sequence.npz instead. Prints the fit's time, the expected Brier gap of the score's probability on `--test`
at the four stages (agent.training.evaluate.expected_brier_gap), and, at the points of
benchmarks/buyer_decisions.py, the share of hand-written (yes, no) pairs its logit puts the right way round.
Needs the [train] extra to fit.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from salesrl.agent.dataset import read_dataset  # noqa: E402
from salesrl.agent.sequence import SequenceModel  # noqa: E402
from salesrl.agent.training.config import SequenceSettings  # noqa: E402
from salesrl.agent.training.evaluate import STAGES, expected_brier_gap, stage_name, stage_turn  # noqa: E402
from benchmarks.buyer_decisions import decision_points  # noqa: E402

OWN_TRAINING_PART = "train20k-train"


def with_setting(settings: SequenceSettings, assignment: str) -> SequenceSettings:
    """`settings` with one numeric setting changed by a NAME=VALUE assignment."""
    name, _, value = assignment.partition("=")
    old = getattr(settings, name, None) if name in {f.name for f in dataclasses.fields(settings)} else None
    if not isinstance(old, (int, float)) or not value:
        raise SystemExit(f"--set {assignment}: expected NAME=VALUE, NAME one of SequenceSettings' numeric fields")
    return dataclasses.replace(settings, **{name: type(old)(float(value))})


def fit(files: list[str], policy_data: str, settings: SequenceSettings) -> SequenceModel:
    from salesrl.agent.training.pipeline import split
    from salesrl.agent.training.sequence_fit import fit_sequence

    convs = read_dataset(policy_data)
    train_idx, val_idx = split(len(convs), 0.1, 0)
    calls = []
    for f in files:
        calls += [convs[i] for i in train_idx] if f == OWN_TRAINING_PART else read_dataset(f)
    start = time.perf_counter()
    fitted = fit_sequence(convs, train_idx, val_idx, 0, "expected", settings, calls)
    print(f"fitted on {len(calls):,} calls in {time.perf_counter() - start:.0f} s:",
          json.dumps({k: v for k, v in fitted.info.items() if k not in ("log", "seconds")}))
    return fitted.model


def turn_logits(model: SequenceModel, turns) -> list[float]:
    tracker = model.tracker()
    return [tracker.add(t) for t in turns]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = ap.add_mutually_exclusive_group(required=True)
    source.add_argument("--fit", nargs="+", metavar="FILE", help=f"calls to fit on ({OWN_TRAINING_PART}: see above)")
    source.add_argument("--model", type=Path, help="a trained model directory")
    ap.add_argument("--policy-data", default="data/synth_train20k.jsonl",
                    help="the policy's training file: its held-out tenth stops the GRUs early")
    ap.add_argument("--test", default="data/synth_test5k.jsonl")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--save", type=Path, help="write the fitted score's sequence.npz into this directory")
    args = ap.parse_args()
    settings = SequenceSettings()
    for assignment in args.set:
        settings = with_setting(settings, assignment)
    model = SequenceModel.load(args.model) if args.model else fit(args.fit, args.policy_data, settings)
    if model.is_constant:
        raise SystemExit("the sequence score is a constant (no labelled calls): nothing to measure")
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
        model.save(args.save)

    test = [c for c in read_dataset(args.test) if c.p_true]
    logits = [turn_logits(model, c.turns) for c in test]
    gaps = []
    for stage in STAGES:
        at = [stage_turn(len(c.turns), stage) - 1 for c in test]
        p = np.array([1 / (1 + math.exp(-lg[k])) for lg, k in zip(logits, at)])
        gap, ci = expected_brier_gap(p, np.array([c.p_true[k] for c, k in zip(test, at)]),
                                     np.array([c.p_true[-1] for c in test]))
        gaps.append(f"{stage_name(stage)} {gap:.4f} ± {ci:.4f}")
    print(f"expected Brier gap on {args.test} ({len(test):,} calls):", " / ".join(gaps))

    rows = decision_points(lambda turns: turn_logits(model, turns)[-1])
    print("buyer decisions, pairs the right way round:", " / ".join(f"{r['ordered']:.2f}" for r in rows))


if __name__ == "__main__":
    main()
