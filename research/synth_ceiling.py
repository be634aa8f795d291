"""How close can any model that reads a synthetic call get to the oracle `p_true`?

`p_true` is the simulated buyer's latent probability. Part of it never reaches the words of the call: the
scenario's hidden fit (log-odds ~ N(0, 0.7)), the noise on every move's effect and the prospect's drift.
This benchmark builds a "perfect reader" from the generator's own plan, fits gradient boosting on its
features of the training calls, and scores the test calls at the stages `salesrl eval` uses. Its Brier gap
to the oracle is what hidden information costs.

Four readers (`--reader`):
  words  (default) what the words of the call carry: the deterministic part of the latent log-odds given
         the moves made and the scenario's visible facts, every rep move and prospect intent so far, how
         long each prospect turn was, how engaged the prospect sounded and how much a pain hurt where the
         writer puts these into words (acknowledgements, tone remarks, long questions, openers; the
         severity of a pain).
  plan   the engagement level behind every prospect turn and the severity behind every pain, worded or not,
         but not the turns' lengths: a reader that knows more than the words.
  all    the words reader also handed what never reaches the words: the scenario's hidden fit and the
         noise of the moves and the drift so far. The latent log-odds is the sum of three of its features,
         so at 100% (where `p_true` decides the outcome) its gap is the fitter's own error, to subtract
         from the words reader's. At earlier stages it can beat the oracle: `p_true` there is the buyer's
         state now, not the best forecast of the outcome, which a reader who knows the fit and sees the
         rep's style can improve on.
  effects the words reader without the scenario's visible prior (persona, company size, deal size), which
         it is otherwise told from the first turn though a call says these late or never: its first column
         holds only the sum of the moves' effects. Between it and the words reader lies the true ceiling
         of the early stages.

Each reader is fitted, as `salesrl train` fits by default, to every training call's final latent
probability (the outcome's expectation) rather than to its outcome. The words reader's gap is an upper bound
on what the words leave out. Trained on 20,000 calls, tested on 5,000 (the model card's history,
git show 09cad6c:models/policy/MODEL_CARD.md; simulation
buyer-v1, whose buyers' decisions moved nothing): with the template-v2 writer the words reader is 0.001 /
0.002 / 0.007 / 0.009 above the oracle at 25 / 50 / 75 / 100%; with template-v1, which kept the prospect's
feelings and the pains' severity mostly to itself, 0.002 / 0.005 / 0.010 / 0.011. The all reader is -0.008 /
-0.006 / -0.000 / +0.002 with either writer. The "expected gap" column is the same gap in expectation over
the coin flips that drew the outcomes (agent.training.evaluate.expected_brier_gap), free of their noise: on
template-v2, 0.0023 / 0.0024 / 0.0074 / 0.0080 for the words reader and -0.0073 / -0.0056 / -0.0000 / +0.0013
for the all reader.

    python research/synth_ceiling.py --train-n 20000 --train-seed 1 --test-n 5000 --test-seed 2
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
from contextlib import contextmanager
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import salesrl.agent.synth.plan as plan_module
from salesrl.agent.moves import MOVES
from salesrl.agent.synth.buyer import BASE_LOG_ODDS, SEVERITIES, decision_effect
from salesrl.agent.synth.generator import iter_plans
from salesrl.agent.synth.template_writer import TemplateWriter
from salesrl.agent.training.evaluate import (
    STAGES, classification_metrics, expected_brier_gap, stage_name, stage_turn)
from salesrl.agent.training.states import soft_label_copies

INTENTS = ("hello", "greeting", "small_talk", "pain", "deflect", "objection", "resolved", "unconvinced", "signal",
           "question", "backchannel", "ack", "accept_close", "defer_close", "reject_close", "agree_next_step",
           "tentative", "goodbye", "end_call")
LEVELS = ("low", "medium", "high")


@contextmanager
def recorded_move_effects():
    """While open, every move effect the simulation applies (before noise) is appended to the list it gives.
    One at a time: two open at once (say, two plans_with_visible_log_odds iterated in step) record into each
    other's lists."""
    effects: list[float] = []
    real_effect = plan_module.move_effect

    def recording_effect(*args, **kwargs):
        d = real_effect(*args, **kwargs)
        effects.append(d)
        return d

    plan_module.move_effect = recording_effect
    try:
        yield effects
    finally:
        plan_module.move_effect = real_effect


def visible_prior(sc) -> float:
    """The scenario's starting log-odds without its hidden fit: persona, company size and deal size."""
    return BASE_LOG_ODDS + sc.prior - sc.fit


def visible_log_odds(plan, effects: list[float], with_prior: bool = True) -> list[float]:
    """The deterministic part of the latent log-odds after every turn of `plan`: the scenario's visible prior
    (unless `with_prior` is false) plus the effects of the rep's moves so far, `effects` being those recorded
    while the plan was made, and of the buyer's answers to a close (buyer.decision_effect), which commit them."""
    z = visible_prior(plan.scenario) if with_prior else 0.0
    it = iter(effects)
    visible = []
    for t in plan.turns:
        z += next(it) if t.role == "rep" else decision_effect(t.intent)
        visible.append(z)
    return visible


def plans_with_visible_log_odds(n: int, seed: int, with_prior: bool = True):
    """Call plans, each with visible_log_odds after every turn."""
    with recorded_move_effects() as effects:
        for plan in iter_plans(n, seed):
            visible = visible_log_odds(plan, effects, with_prior)
            effects.clear()
            yield plan, visible


LENGTHS = ("short", "medium", "long")
TRAITS = {"engagement": LEVELS, "severity": SEVERITIES}  # what a prospect turn's words may or may not show


def worded_traits(plan, writer: TemplateWriter) -> dict[str, list[bool]]:
    """Per trait, per turn: whether the turn's words depend on the prospect's engagement level (an
    acknowledgement, a tone remark, a long question, an opener) or on how much the pain they describe hurts,
    found by rewriting the call with each other value."""
    texts = writer.write(plan)
    out: dict[str, list[bool]] = {trait: [] for trait in TRAITS}
    for trait, values in TRAITS.items():
        for i, t in enumerate(plan.turns):
            worded = False
            if t.role != "rep" and getattr(t, trait):
                for value in values:
                    if value != getattr(t, trait):
                        turns = plan.turns[:i] + (dataclasses.replace(t, **{trait: value}),) + plan.turns[i + 1:]
                        worded = worded or writer.write(dataclasses.replace(plan, turns=turns))[i] != texts[i]
            out[trait].append(worded)
    return out


def features(plan, visible: list[float], reader: str, worded: dict[str, list[bool]]) -> np.ndarray:
    """One row per turn: what a perfect reader of turns 1..t knows. For the `all` reader the last two
    columns are the scenario's hidden fit and the noise so far; with the first (the visible log-odds)
    they sum to the latent log-odds."""
    moves, intents, levels, severities = len(MOVES), len(INTENTS), len(LEVELS), len(SEVERITIES)
    counts = np.zeros(moves + intents + levels + severities + len(LENGTHS))
    fit = plan.scenario.fit
    rows = []
    for i, (t, z) in enumerate(zip(plan.turns, visible)):
        if t.role == "rep":
            counts[MOVES.index(t.action)] += 1
        else:
            counts[moves + INTENTS.index(t.intent)] += 1
            if reader == "plan" or worded["engagement"][i]:
                counts[moves + intents + LEVELS.index(t.engagement)] += 1
            if t.severity and (reader == "plan" or worded["severity"][i]):
                counts[moves + intents + levels + SEVERITIES.index(t.severity)] += 1
            if reader != "plan":
                counts[moves + intents + levels + severities + LENGTHS.index(t.length)] += 1
        hidden = [fit, math.log(t.p_true / (1.0 - t.p_true)) - z - fit] if reader == "all" else []
        rows.append(np.concatenate([[z, i + 1], counts, hidden]))
    return np.array(rows)


def table(n: int, seed: int, reader: str):
    xs, ys, pt, lengths = [], [], [], []
    writer = TemplateWriter()
    for plan, visible in plans_with_visible_log_odds(n, seed, with_prior=reader != "effects"):
        worded = worded_traits(plan, writer) if reader != "plan" else {}
        xs.append(features(plan, visible, reader, worded))
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
    ap.add_argument("--reader", choices=("words", "plan", "all", "effects"), default="words",
                    help="what the perfect reader knows (see the module's docstring)")
    args = ap.parse_args()
    from sklearn.ensemble import HistGradientBoostingClassifier

    xs, _, train_pt, lengths = table(args.train_n, args.train_seed, args.reader)
    # Fitted as salesrl train fits by default: to each call's final latent probability, the outcome's
    # expectation (agent.training.states.call_targets), as a won and a lost copy of every row weighted p, 1 - p.
    x = np.concatenate(xs)
    p_final = np.repeat([p[-1] for p in train_pt], lengths)
    model = HistGradientBoostingClassifier(max_iter=300, learning_rate=0.05, random_state=0)
    labels, weights = soft_label_copies(p_final)
    model.fit(np.concatenate([x, x]), labels, sample_weight=weights)
    txs, ty, tpt, tlengths = table(args.test_n, args.test_seed, args.reader)
    print(f"perfect reader ({args.reader}) vs oracle on {args.test_n} calls (seed {args.test_seed}), trained on {args.train_n} "
          f"(seed {args.train_seed})\n")
    print("| stage | reader AUC | oracle AUC | reader Brier | oracle Brier | gap | expected gap | reader ECE |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    final = np.array([p[-1] for p in tpt])
    for stage in STAGES:
        idx = [stage_turn(n, stage) - 1 for n in tlengths]
        read = model.predict_proba(np.array([x[i] for x, i in zip(txs, idx)]))[:, 1]
        oracle = np.array([p[i] for p, i in zip(tpt, idx)])
        r, o = classification_metrics(ty, read), classification_metrics(ty, oracle)
        expected, _ = expected_brier_gap(read, oracle, final)
        print(f"| {stage_name(stage)} | {r['auc']:.3f} | {o['auc']:.3f} | {r['brier']:.3f} | {o['brier']:.3f} "
              f"| {r['brier'] - o['brier']:+.4f} | {expected:+.4f} | {r['ece']:.3f} |")


if __name__ == "__main__":
    main()
