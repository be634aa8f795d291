"""Model selection inside `salesrl train`: which head (agent.head) to put on the policy, chosen by
cross-validation on the team's own calls.

Calls are split into FOLDS folds (never a prefix of one call on both sides). In each fold a td policy is
trained on the other folds (a smaller ensemble than the final one, to save time) and run on the held-out
calls, feeding back its own probabilities as a live session does: that gives every call an out-of-fold td
probability after every turn. The candidates are heads over those numbers (CANDIDATES); each is fitted on
four folds' out-of-fold values and scored on the fifth, at the four stages of every call (25/50/75/100% of its
turns). A head is fitted on those same four rows of each call, as the lexical score and the baseline are: the
turns a call is judged at (`salesrl eval`'s stages). Fitted on every turn instead, each call weighing the same,
it learnt "a call that has reached turn t", which on Deal or No Deal at 25% of a call ranked calls worse than
the baseline (BENCHMARKS.md, "Team models"). The TF-IDF baseline (agent.training.baseline) is fitted per fold
beside them, and a prior model (the shipped one) is scored as it is: it never saw these calls.

The chosen candidate is also cross-validated fitted on the calls' last turns alone (the head's `ended` fit, for a
call known to be over: agent.head); it ships only where that beats the head's own Brier at 100% of the calls.

Each candidate comes in three forms: the first two turns with terms of their own, the first turn only, or neither
(EARLY_TERMS). Of the candidates level with the TF-IDF baseline at every stage in the cross-validation (an AUC no
lower, a Brier at most BRIER_SLACK higher: a team's model must not do worse than a bag of words anywhere in a
call), the one with the lowest mean Brier over the four stages is chosen; when none is level, the lowest of all, and
the report says so. It is then fitted again (`chosen_head`), on the final
policy's out-of-bag probabilities (td.TrainLog.out_of_bag: each call's value from the ensemble members that did
not train on it), and its bootstrap refits give the range. Fitted on the fold policies' values instead, it was
fitted to other networks than the one it ships with: on Deal or No Deal the final policy's logits were spread
differently, and the head's probabilities at the end of a call were badly calibrated (BENCHMARKS.md, "Team
models"). Neither the fold policies nor the final one calibrate themselves (td.TDConfig.calibrate): the head
does, on every call, where the policy's own calibration had only its early-stopping tenth of the calls.
The lexical and sequence scores in the states are out of fold already (agent.training.lexical_fit,
sequence_fit); their models saw the held-out fold's calls when they scored the other folds' calls, a
second-order leak the report accepts.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from salesrl.agent.dataset import Conversation
from salesrl.agent.head import Head, column, head_inputs
from salesrl.agent.training.evaluate import STAGES, auc, brier, ece, stage_name, stage_turn
from salesrl.agent.training.states import StateTable, soft_label_copies
from salesrl.agent.training.workers import can_fork, one_torch_thread_each, start_forked

if TYPE_CHECKING:
    from salesrl.agent.training.config import TrainingConfig
    from salesrl.agent.training.network import EnsembleNet

log = logging.getLogger(__name__)

FOLDS = 5
CV_MEMBERS = 3  # td ensemble members per fold (the final policy has config.members)
BOOTSTRAP = 40  # refits of the chosen head on resampled calls: the range
HEAD_C = 1.0  # the heads' logistic regressions: inverse L2 strength on logits of order 1
MIN_EACH = 20  # fewer won (or lost) calls than this and nothing can be chosen honestly
INTERVAL_RESAMPLES = 1000


# The terms with which a candidate follows the call, beside a slope in the log turn index: the first two turns' own
# terms (the plain name), the first turn's only, or none. The first turns' terms help where little has been said,
# but on data whose stage turns say how long a call is they fit one stage's mix of call lengths at the cost of
# another's (BENCHMARKS.md, "Team models"); the cross-validation decides, per team.
EARLY_TERMS: dict[str, tuple[str, ...]] = {"": ("turn1", "turn2"), "_turn1": ("turn1",), "_smooth": ()}
BRIER_SLACK = 0.002  # a stage's Brier this far above the baseline's still counts as level with it


def by_position(*logits: str, early: tuple[str, ...] = EARLY_TERMS[""]) -> tuple[str, ...]:
    """`logits` with their slopes along the call: the log turn index, and the `early` turns apart
    (agent.head.WHERE)."""
    where = ("position", *early)
    return (*logits, *where, *(f"{z}_x_{w}" for z in logits for w in where))


# name -> (the logits that follow the call, other inputs, what it is). The policy as trained is not among them: it
# no longer calibrates itself (td.TDConfig.calibrate), and td_by_position holds it calibrated on every call.
_RECIPES: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "td_by_position": (("td",), (), "the td policy recalibrated by turn position"),
    "lexical_by_position": (("lexical",), (), "the lexical score alone, calibrated by turn position"),
    "stack": (("td", "lexical"), ("sequence",),
              "a logistic regression on the td, lexical and sequence logits and the turn position"),
    "stack_prior": (("td", "lexical", "prior"), ("sequence",), "the stack with the prior (shipped) model's logit as a feature"),
    "prior_by_position": (("prior",), (), "the prior (shipped) model recalibrated to these calls by turn position"),
}
_EARLY_WHAT = {"": "", "_turn1": ", the first turn apart but not the second", "_smooth": ", no turn apart"}
# name -> the head's inputs (agent.head.INPUTS); every recipe with the first two turns apart first, so that of
# candidates level in Brier the one with the most terms for the start of a call is chosen, as before the variants.
CANDIDATES: dict[str, tuple[str, ...]] = {
    name + suffix: (*by_position(*logits, early=early), *rest)
    for suffix, early in EARLY_TERMS.items() for name, (logits, rest, _) in _RECIPES.items()
}
NEEDS_PRIOR = tuple(name for name in CANDIDATES if "prior" in name)
WHAT = {name + suffix: what + _EARLY_WHAT[suffix]
        for suffix in EARLY_TERMS for name, (_, _, what) in _RECIPES.items()}


def level_with(stats: dict[str, dict[str, float]], baseline: dict[str, dict[str, float]]) -> bool:
    """At every stage an AUC no lower than the baseline's and a Brier at most BRIER_SLACK above it."""
    return all(stats[st]["auc"] >= baseline[st]["auc"] and stats[st]["brier"] <= baseline[st]["brier"] + BRIER_SLACK
               for st in baseline)


def choose(names: Sequence[str], stats: dict[str, dict[str, dict[str, float]]], scores: dict[str, float]) -> tuple[str, bool]:
    """The candidate with the lowest mean Brier of those level with the TF-IDF baseline at every stage (a team's
    model must not rank or score its calls worse than a bag of words does anywhere in a call), or of all of them
    when none is; and whether one was."""
    level = [n for n in names if level_with(stats[n], stats["tfidf_baseline"])]
    return min(level or names, key=scores.__getitem__), bool(level)


@dataclass
class Selection:
    """What the cross-validation found; `report()` is the table printed and written into the model directory."""

    calls: int
    won: int
    stats: dict[str, dict[str, dict[str, float]]]  # model -> stage name -> auc/brier/ece
    scores: dict[str, float]  # model -> mean Brier over the stages
    chosen: str
    gains: dict[str, tuple[float, float, float]]  # "over shipped"/"over baseline" -> (Brier gain, low, high)
    prior: str | None
    better_than_shipped: bool | None  # None without a prior to compare
    prior_compared: str | None = None  # the prior model's name (a feature of the head or not)
    notes: list[str] = field(default_factory=list)
    head: Head | None = None  # fitted on the final policy once it is trained (chosen_head)
    ended: dict[str, float] | None = None  # the chosen head fitted at the calls' last turns: its figures at 100%
    level: bool = True  # the chosen one is level with the baseline at every stage (choose)

    @property
    def uses_ended(self) -> bool:
        """Whether the head ships an `ended` fit: its cross-validated Brier at 100% beat the head's own."""
        return self.ended is not None and self.ended["brier"] < self.stats[self.chosen][stage_name(1.0)]["brier"]

    def to_dict(self) -> dict[str, Any]:
        return {"calls": self.calls, "won": self.won, "folds": FOLDS, "cv_members": CV_MEMBERS,
                "chosen": self.chosen, "why": self.why(), "prior": self.prior, "mean_brier": self.scores,
                "stages": self.stats, "gains": {k: list(v) for k, v in self.gains.items()},
                "better_than_shipped": self.better_than_shipped, "ended": self.ended, "uses_ended": self.uses_ended,
                "level_with_baseline": self.level,
                "notes": self.notes}

    def why(self) -> str:
        baseline = self.stats["tfidf_baseline"]
        pool = [n for n in self.scores if n in CANDIDATES and (not self.level or level_with(self.stats[n], baseline))]
        rivals = [n for n in pool if n != self.chosen]
        second = min(rivals, key=self.scores.__getitem__) if rivals else None
        among = (f"of the candidates level with the TF-IDF baseline at every stage (AUC no lower, Brier at most "
                 f"{BRIER_SLACK} higher)" if self.level else
                 "of all candidates: none was level with the TF-IDF baseline at every stage (AUC no lower, Brier at most "
                 f"{BRIER_SLACK} higher)")
        out = f"lowest mean cross-validated Brier over the four stages {among}: {self.scores[self.chosen]:.4f}"
        return out + (f", next {second} {self.scores[second]:.4f}" if second else "")

    def report(self) -> str:
        lines = [f"Calls: {self.calls} ({self.won} won, {self.calls - self.won} lost); {FOLDS}-fold cross-validation "
                 f"split by call, td ensembles of {CV_MEMBERS} per fold.", "",
                 "| model | " + " | ".join(f"{stage_name(s)} AUC / Brier / ECE" for s in STAGES)
                 + " | mean Brier | level with the baseline |",
                 "|---|" + "---|" * (len(STAGES) + 2)]
        baseline = self.stats["tfidf_baseline"]
        for name, per_stage in self.stats.items():
            mark = " (chosen)" if name == self.chosen else ""
            cells = [f"{per_stage[stage_name(s)]['auc']:.3f} / {per_stage[stage_name(s)]['brier']:.4f} / "
                     f"{per_stage[stage_name(s)]['ece']:.3f}" for s in STAGES]
            level = ("" if name == "tfidf_baseline" else "yes" if level_with(per_stage, baseline) else "no")
            lines.append(f"| {name}{mark} | " + " | ".join(cells) + f" | {self.scores[name]:.4f} | {level} |")
        lines += ["", f"Chosen: {self.chosen}, {WHAT[self.chosen]}: {self.why()}."]
        if self.ended is not None:
            at_end = self.stats[self.chosen][stage_name(1.0)]
            lines.append(
                f"A call known to be over (a whole transcript, a live call at its end) has its last turn scored by "
                f"{self.chosen} fitted on the calls' last turns alone: at 100% AUC / Brier / ECE {self.ended['auc']:.3f} / "
                f"{self.ended['brier']:.4f} / {self.ended['ece']:.3f}, against {at_end['auc']:.3f} / {at_end['brier']:.4f} / "
                f"{at_end['ece']:.3f} fitted on every stage: " + (
                    "used." if self.uses_ended else "not used (no lower Brier); the last turn is scored as any other."))
        for what, (g, lo, hi) in self.gains.items():
            lines.append(f"Brier gain {what}: {g:+.4f} (95% interval {lo:+.4f} to {hi:+.4f}, bootstrap over calls; "
                         "positive = the team model is better).")
        if self.better_than_shipped is False:
            lines.append(f"The team model is NOT better than the {self.prior_compared} model on these calls "
                         "(cross-validated mean Brier).")
        lines += self.notes
        return "\n".join(lines) + "\n"


def check_outcomes(convs: Sequence[Conversation], source: str) -> None:
    from salesrl.agent.errors import DatasetError

    won = sum(1 for c in convs if c.outcome == 1)
    lost = len(convs) - won
    if min(won, lost) < MIN_EACH:
        raise DatasetError(f"{source}: {won} won and {lost} lost calls; training needs at least {MIN_EACH} of each")


def fold_of_calls(n: int, seed: int, folds: int = FOLDS) -> np.ndarray:
    """Each call's fold: all of a call's turns (every prefix) are in the same fold."""
    return np.random.default_rng(seed + 1).permutation(n) % folds


def baseline_out_of_fold(convs: Sequence[Conversation], folds: np.ndarray, seed: int) -> dict[float, np.ndarray]:
    """Per stage, each call's TF-IDF baseline probability from the baseline fitted on the other folds. Its C is
    chosen once, by the baseline's own cross-validation on all the calls, rather than again inside every fold:
    a third of the work, and what it gives away (a C that saw the held-out calls) favours the baseline, not us."""
    from salesrl.agent.training.baseline import TfidfBaseline

    strength = TfidfBaseline(seed=seed).choose_c(convs)
    out = {s: np.zeros(len(convs)) for s in STAGES}
    for k in range(int(folds.max()) + 1):
        baseline = TfidfBaseline(cs=(strength,)).fit([convs[int(i)] for i in np.nonzero(folds != k)[0]])
        held = np.nonzero(folds == k)[0]
        for s, p in baseline.predict_stages([convs[int(i)] for i in held]).items():
            out[s][held] = p
    return out


def stage_rows(table: StateTable) -> dict[float, np.ndarray]:
    """Per stage, the row of each call's state at that stage (the prefix `salesrl eval` reads)."""
    return {s: table.starts + np.array([stage_turn(int(n), s) for n in table.lengths]) - 1 for s in STAGES}


def out_of_fold_td(table: StateTable, folds: np.ndarray, config: "TrainingConfig",
                   progress: Callable[[str], None] | None = None) -> np.ndarray:
    """Per row, the probability of a td policy trained without that row's call, its own past fed back."""
    from salesrl.agent.training.pipeline import split
    from salesrl.agent.training.td import TDConfig, train_td

    cfg = TDConfig(lam=config.lam, members=min(config.members, CV_MEMBERS), epochs=config.epochs, seed=config.seed,
                   target=config.target, **{**config.td_overrides, "calibrate": False})
    conv_of_row = table.conv_of_row
    out = np.zeros(len(table.states), dtype=np.float64)
    for k in range(int(folds.max()) + 1):
        rest = np.nonzero(folds != k)[0]
        # As many held-out calls for early stopping as the final policy has, so the fold policies stop as it does.
        inner_train, inner_val = split(len(rest), config.val_fraction * len(folds) / len(rest), config.seed + k)
        net, _ = train_td(table, rest[inner_train], rest[inner_val], replace(cfg, seed=config.seed + k))
        probs = table.refresh_past(functools.partial(mean_probability, net))
        held = folds[conv_of_row] == k
        out[held] = probs[held]
        if progress:
            progress(f"cross-validation: td fold {k + 1} of {folds.max() + 1}")
    return out


def mean_probability(net: "EnsembleNet", states: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The ensemble's mean probability of `states` (StateTable.refresh_past's `predict`)."""
    return net.probabilities(states)[:, :, 0].mean(axis=0)


def inputs_of_table(table: StateTable, td: np.ndarray, prior: np.ndarray | None) -> dict[str, np.ndarray]:
    s = table.states
    return head_inputs(td, s[:, table.skip_col], s[:, table.skip_col + 1], s[:, table.position_col], prior)


def fit_head(values: dict[str, np.ndarray], rows: np.ndarray, target: np.ndarray, weight: np.ndarray,
             inputs: tuple[str, ...]) -> np.ndarray:
    """A logistic regression on `inputs` at `rows` against soft targets (one per row); intercept last."""
    from sklearn.linear_model import LogisticRegression

    x = np.column_stack([column(values, name)[rows] for name in inputs])
    labels, w = soft_label_copies(target)
    model = LogisticRegression(C=HEAD_C, max_iter=1000)
    model.fit(np.vstack([x, x]), labels, sample_weight=np.r_[weight, weight] * w)
    return np.r_[model.coef_[0], model.intercept_[0]]


def stage_metrics(y: np.ndarray, p_by_stage: dict[float, np.ndarray]) -> dict[str, dict[str, float]]:
    return {stage_name(s): {"auc": round(auc(y, p), 4), "brier": round(brier(y, p), 4), "ece": round(ece(y, p), 4)}
            for s, p in p_by_stage.items()}


def brier_gain_interval(y: np.ndarray, ours: dict[float, np.ndarray], theirs: dict[float, np.ndarray],
                        seed: int) -> tuple[float, float, float]:
    """Mean-over-stages Brier of `theirs` minus ours, with a 95% interval from resampling calls."""
    d = np.mean([(theirs[s] - y) ** 2 - (ours[s] - y) ** 2 for s in STAGES], axis=0)  # per call
    rng = np.random.default_rng(seed)
    boots = [d[rng.integers(0, len(d), len(d))].mean() for _ in range(INTERVAL_RESAMPLES)]
    return round(float(d.mean()), 4), round(float(np.percentile(boots, 2.5)), 4), round(float(np.percentile(boots, 97.5)), 4)


def select(convs: Sequence[Conversation], table: StateTable, config: "TrainingConfig",
           prior_probs: np.ndarray | None, prior_name: str | None,
           progress: Callable[[str], None] | None = None) -> Selection:
    """Cross-validates every candidate (and the baseline, and the prior as it is), then refits the best head."""
    say = progress or log.info
    n = len(table.starts)
    y = table.outcomes.astype(np.float64)
    folds = fold_of_calls(n, config.seed)
    # The baseline is fitted in a process of its own, beside the td folds (torch then on one thread): the two took
    # about as long as each other one after the other (BENCHMARKS.md, "Training: embedding the turns").
    say("cross-validation: the TF-IDF baseline, in a process of its own")
    baseline = start_forked(lambda: baseline_out_of_fold(convs, folds, config.seed))
    with one_torch_thread_each() if can_fork() else contextlib.nullcontext():
        td = out_of_fold_td(table, folds, config, say)
    values = inputs_of_table(table, td, prior_probs)
    conv_of_row = table.conv_of_row
    target = table.targets(config.target).astype(np.float64)[conv_of_row]
    rows_at = stage_rows(table)
    names = [c for c in CANDIDATES if prior_probs is not None or c not in NEEDS_PRIOR]

    cv = cross_validate_heads(values, target, folds, rows_at, names)
    cv["tfidf_baseline"] = baseline()
    if prior_probs is not None:
        cv[f"prior as it is: {prior_name}"] = {s: prior_probs[rows_at[s]] for s in STAGES}

    stats = {name: stage_metrics(y, by_stage) for name, by_stage in cv.items()}
    scores = {name: round(float(np.mean([stats[name][stage_name(s)]["brier"] for s in STAGES])), 4) for name in cv}
    chosen, level = choose(names, stats, scores)
    ended = stage_metrics(y, {1.0: cross_validate_ended(values, target, folds, rows_at, chosen)})[stage_name(1.0)]
    gains = {"over the TF-IDF baseline": brier_gain_interval(y, cv[chosen], cv["tfidf_baseline"], config.seed)}
    better = None
    if prior_probs is not None:
        shipped = f"prior as it is: {prior_name}"
        gains[f"over the {prior_name} model as it is"] = brier_gain_interval(y, cv[chosen], cv[shipped], config.seed)
        better = scores[chosen] < scores[shipped]
    return Selection(n, int(y.sum()), stats, scores, chosen, gains, prior_name if chosen in NEEDS_PRIOR else None,
                     better, prior_name, ended=ended, level=level)


def chosen_head(name: str, table: StateTable, policy_out_of_bag: np.ndarray, prior_probs: np.ndarray | None,
                config: "TrainingConfig", ended: bool = False) -> Head:
    """The chosen candidate fitted on the final policy's out-of-bag probabilities (see the module docstring); with
    `ended`, also at the calls' last turns alone (Head.ended)."""
    values = inputs_of_table(table, policy_out_of_bag, prior_probs)
    target = table.targets(config.target).astype(np.float64)[table.conv_of_row]
    rows_at = stage_rows(table)
    head = final_head(name, values, target, rows_at, config.seed)
    if ended:
        head = replace(head, ended=final_head(name, values, target, {1.0: rows_at[1.0]}, config.seed))
    return head


def cross_validate_heads(values: dict[str, np.ndarray], target: np.ndarray, folds: np.ndarray,
                         rows_at: dict[float, np.ndarray], names: Sequence[str]) -> dict[str, dict[float, np.ndarray]]:
    """Per candidate and stage, each call's probability from the head fitted on the other folds' calls (at
    their stage rows)."""
    n = len(folds)
    cv = {name: {s: np.zeros(n) for s in STAGES} for name in names}
    for k in range(int(folds.max()) + 1):
        held = np.nonzero(folds == k)[0]
        train_rows = np.concatenate([rows_at[s][folds != k] for s in STAGES])
        for name in names:
            inputs = CANDIDATES[name]
            coef = fit_head(values, train_rows, target[train_rows], np.ones(len(train_rows)), inputs)
            p = Head(name, inputs, coef, coef[None, :]).probability(values)
            for s in STAGES:
                cv[name][s][held] = p[rows_at[s][held]]
    return cv


def cross_validate_ended(values: dict[str, np.ndarray], target: np.ndarray, folds: np.ndarray,
                         rows_at: dict[float, np.ndarray], name: str) -> np.ndarray:
    """Each call's probability at its last turn from candidate `name` fitted on the other folds' last turns alone."""
    last = rows_at[1.0]
    out = np.zeros(len(folds))
    for k in range(int(folds.max()) + 1):
        train_rows, held = last[folds != k], folds == k
        coef = fit_head(values, train_rows, target[train_rows], np.ones(len(train_rows)), CANDIDATES[name])
        out[held] = Head(name, CANDIDATES[name], coef, coef[None, :]).probability(values)[last[held]]
    return out


def final_head(name: str, values: dict[str, np.ndarray], target: np.ndarray, rows_at: dict[float, np.ndarray],
               seed: int) -> Head:
    """Candidate `name` fitted on `values` at every call's rows in `rows_at` (a row per call and stage), and
    BOOTSTRAP refits on resampled calls (the range)."""
    inputs = CANDIDATES[name]
    stages = sorted(rows_at)
    rows = np.concatenate([rows_at[s] for s in stages])
    n = len(rows_at[stages[0]])
    call_of = np.tile(np.arange(n), len(stages))
    coef = fit_head(values, rows, target[rows], np.ones(len(rows)), inputs)
    rng = np.random.default_rng(seed + 7)
    members = []
    for _ in range(BOOTSTRAP):
        counts = np.bincount(rng.integers(0, n, n), minlength=n)[call_of]  # calls drawn, each as often as drawn
        drawn = counts > 0
        members.append(fit_head(values, rows[drawn], target[rows[drawn]], counts[drawn].astype(np.float64), inputs))
    return Head(name, inputs, coef, np.array(members))
