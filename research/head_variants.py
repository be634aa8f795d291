"""Which head (agent.head) would do better on Deal or No Deal, in the selection's own cross-validation and on the
learning curve's held-out calls? A probe of the two targets of issue 29 still missed (BENCHMARKS.md, "Team models").

    nice -n 10 .venv/bin/python research/head_variants.py PATH/dealornodeal.jsonl --cache DIR --size 300 --repeat 1
        [--save FILE.pkl | --load FILE.pkl]

Draws the learning curve's subsample (benchmarks/learning_curve.py: the same fixed held-out 20%, the same
`--size` and repeat number), trains on it with `salesrl train`'s own function (the shipped model as the prior),
and keeps what the selection and the chosen head were fitted on: the fold policies' out-of-fold td values, the
final policy's out-of-bag ones, and the head's inputs on every turn of the held-out calls (recorded as the model
scores them). Then refits head variants on those numbers, without training again: the candidates, the head's C,
the mean of its bootstrap refits, the position terms with and without the first two turns' own terms, and (not a
model a live call can have) a head fitted on the last turns alone. Prints, per stage, AUC / Brier / ECE in the
cross-validation (the training calls) and on the held-out calls, with the held-out gap to the TF-IDF baseline;
then the calibration at 100% by call length. `--save` keeps the captured numbers, `--load` reads them back
(the training is the slow part). The data is read, never copied.
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from salesrl.agent import head as head_module  # noqa: E402
from salesrl.agent.dataset import read_dataset, write_dataset  # noqa: E402
from salesrl.agent.head import Head, head_inputs  # noqa: E402
from salesrl.agent.training import selection  # noqa: E402
from salesrl.agent.training.evaluate import STAGES, auc, brier, ece, stage_turn  # noqa: E402

VARIANTS: dict[str, tuple[str, ...]] = {
    **selection.CANDIDATES,
    "td, position (no first-turn terms)": ("td", "position", "td_x_position"),
    "td, position, turn1 (no turn2 terms)": ("td", "position", "turn1", "td_x_position", "td_x_turn1"),
    "td, lexical, position (no first-turn terms)": ("td", "lexical", "position", "td_x_position",
                                                    "lexical_x_position"),
}


def capture(data: Path, cache: Path, size: int, repeat: int) -> dict:
    from eval_dealornodeal import stratified_folds
    from learning_curve import at_stages, stratified_sample

    from salesrl.agent.embedder import load_embedder
    from salesrl.agent.sales_agent import SalesAgent
    from salesrl.agent.training.baseline import TfidfBaseline
    from salesrl.agent.training.config import TrainingConfig
    from salesrl.agent.training.evaluate import score_dataset
    from salesrl.agent.training.pipeline import run

    convs = read_dataset(str(data), labelled=True)
    pool, test = stratified_folds(convs, 5, seed=0)[0]
    train = pool if size >= len(pool) else stratified_sample(pool, size, 1000 * repeat + size)
    embedder = load_embedder(None, threads=os.cpu_count() or 1)
    prior = SalesAgent.load(embedder=embedder)
    kept: dict = {}
    team_head: list[Head] = []
    turns: list[dict[str, np.ndarray]] = []
    # Wrapped, not changed: each wrapper keeps what it is given or returns and calls the original.
    out_of_fold, fit_chosen, score_turn = (selection.out_of_fold_td, selection.chosen_head,
                                           head_module.Head.probability_and_half_width)

    def keep_out_of_fold(table, folds, config, progress=None):
        kept.update(td_oof=out_of_fold(table, folds, config, progress), folds=folds, table=table)
        return kept["td_oof"]

    def keep_chosen(name, table, oob, prior_probs, config):
        kept.update(oob=oob, prior_probs=prior_probs, chosen=name)
        return fit_chosen(name, table, oob, prior_probs, config)

    def keep_turn(self, values, spread, in_distribution):
        if team_head and self is team_head[0]:  # not the prior's own head
            turns.append({k: np.array(v, dtype=np.float64) for k, v in values.items()})
        return score_turn(self, values, spread, in_distribution)

    selection.out_of_fold_td, selection.chosen_head = keep_out_of_fold, keep_chosen
    head_module.Head.probability_and_half_width = keep_turn
    try:
        with tempfile.TemporaryDirectory() as tmp:
            write_dataset(train, Path(tmp) / "train.jsonl")
            run(str(Path(tmp) / "train.jsonl"), str(Path(tmp) / "model"), TrainingConfig(), embedder, "head variants",
                cache=cache, prior=prior, force=True)
            agent = SalesAgent.load(Path(tmp) / "model", embedder=embedder)
            assert agent.head is not None  # selection runs on any subsample with 20 won and 20 lost calls
            team_head.append(agent.head)
            team = at_stages(score_dataset(agent, test, cache=cache), "probability")
    finally:
        selection.out_of_fold_td, selection.chosen_head = out_of_fold, fit_chosen
        head_module.Head.probability_and_half_width = score_turn
    table = kept.pop("table")
    skip = table.states[:, table.skip_col:table.skip_col + 2].astype(np.float64)
    return {**kept, "skip": skip, "position": table.states[:, table.position_col].astype(np.float64),
            "starts": table.starts, "lengths": table.lengths, "outcomes": table.outcomes.astype(np.float64),
            "targets": table.targets("expected").astype(np.float64),
            "test_values": {k: np.concatenate([np.atleast_1d(t[k]) for t in turns]) for k in turns[0]},
            "test_lengths": np.array([len(c.turns) for c in test]), "y": np.array([c.outcome for c in test], float),
            "team": team, "baseline": TfidfBaseline(seed=0).fit(train).predict_stages(test)}


def stage_rows(starts: np.ndarray, lengths: np.ndarray) -> dict[float, np.ndarray]:
    return {s: starts + np.array([stage_turn(int(n), s) for n in lengths]) - 1 for s in STAGES}


def line(tag: str, y: np.ndarray, p: dict[float, np.ndarray], baseline: dict[float, np.ndarray] | None = None) -> str:
    cells = []
    for s in STAGES:
        cell = f"{auc(y, p[s]):.3f} / {brier(y, p[s]):.4f} / {ece(y, p[s]):.3f}"
        if baseline is not None:
            cell += f" ({auc(y, p[s]) - auc(y, baseline[s]):+.3f}, {brier(y, p[s]) - brier(y, baseline[s]):+.4f})"
        cells.append(cell)
    return f"{tag:46s} " + " | ".join(cells)


def paired_auc_se(y: np.ndarray, ours: np.ndarray, theirs: np.ndarray, resamples: int = 300) -> float:
    """The standard deviation of AUC(ours) - AUC(theirs) over bootstrap resamples of the calls: both models'
    AUCs move with the same resampled calls, so the gap is less noisy than either AUC."""
    rng = np.random.default_rng(0)
    gaps = []
    for _ in range(resamples):
        i = rng.integers(0, len(y), len(y))
        gaps.append(auc(y[i], ours[i]) - auc(y[i], theirs[i]))
    return float(np.std(gaps))


def report(cap: dict) -> None:
    y, ytr, baseline = cap["y"], cap["outcomes"], cap["baseline"]
    rows_tr = stage_rows(cap["starts"], cap["lengths"])
    starts_te = np.r_[0, np.cumsum(cap["test_lengths"])[:-1]]
    rows_te = stage_rows(starts_te, cap["test_lengths"])
    conv_of_row = np.repeat(np.arange(len(cap["lengths"])), cap["lengths"])
    target = cap["targets"][conv_of_row]
    skip, position, prior = cap["skip"], cap["position"], cap["prior_probs"]
    oof = head_inputs(cap["td_oof"], skip[:, 0], skip[:, 1], position, prior)
    oob = head_inputs(cap["oob"], skip[:, 0], skip[:, 1], position, prior)
    test_values = cap["test_values"]
    every = np.concatenate([rows_tr[s] for s in STAGES])
    # The prior's logit on the held-out calls is recorded only when the chosen head reads it.
    names = [n for n, inputs in VARIANTS.items() if "prior" in test_values or not any("prior" in i for i in inputs)]

    def held_out(inputs: tuple[str, ...], rows: np.ndarray, c: float = selection.HEAD_C) -> dict[float, np.ndarray]:
        old, selection.HEAD_C = selection.HEAD_C, c
        try:
            coef = selection.fit_head(oob, rows, target[rows], np.ones(len(rows)), inputs)
        finally:
            selection.HEAD_C = old
        p = Head("variant", inputs, coef, coef[None, :]).probability(test_values)
        return {s: p[rows_te[s]] for s in STAGES}

    print(f"Chosen: {cap['chosen']}. Per stage (25/50/75/100%): AUC / Brier / ECE; on the held-out calls, in brackets, "
          "AUC and Brier minus the baseline's.")
    print(line("held-out: the model as trained", y, cap["team"], baseline))
    print(line("held-out: TF-IDF baseline", y, baseline))
    print("held-out: AUC of the model as trained minus the baseline's, and its standard error over resampled "
          "held-out calls: " + ", ".join(f"{auc(y, cap['team'][s]) - auc(y, baseline[s]):+.4f} "
                                         f"({paired_auc_se(y, cap['team'][s], baseline[s]):.4f})" for s in STAGES))
    selection.CANDIDATES.update(VARIANTS)  # cross_validate_heads reads the inputs from there
    try:
        cv = selection.cross_validate_heads(oof, target, cap["folds"], rows_tr, names)
    finally:
        for extra in set(VARIANTS) - set(selection.WHAT):
            selection.CANDIDATES.pop(extra, None)
    for name in names:
        print(line(f"CV: {name}", ytr, cv[name]))
        print(line(f"held-out: {name}", y, held_out(VARIANTS[name], every), baseline))
    inputs = VARIANTS[cap["chosen"]]
    for c in (0.1, 0.3, 3.0, 10.0):
        print(line(f"held-out: chosen, C {c}", y, held_out(inputs, every, c), baseline))
    head = selection.final_head(cap["chosen"], oob, target, rows_tr, seed=0)
    bagged = (1.0 / (1.0 + np.exp(-(head.design(test_values) @ head.members.T)))).mean(axis=1)
    print(line("held-out: chosen, mean of its bootstrap refits", y, {s: bagged[rows_te[s]] for s in STAGES}, baseline))
    last = held_out(inputs, rows_tr[1.0])
    print(line("held-out: chosen, fitted on last turns only", y, last, baseline))
    lengths = cap["test_lengths"]
    groups = ((1, 4), (5, 6), (7, 8), (9, 99))
    print("At 100%, by call length (turns): mean probability / deal rate of the held-out calls")
    for tag, p in (("model as trained", cap["team"][1.0]), ("baseline", baseline[1.0]), ("last turns only", last[1.0])):
        cells = [f"{lo}-{hi}: {p[m].mean():.2f} / {y[m].mean():.2f} ({m.sum()})"
                 for lo, hi in groups for m in [(lengths >= lo) & (lengths <= hi)]]
        print(f"  {tag:18s} " + ", ".join(cells))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", type=Path)
    ap.add_argument("--cache", type=Path, help="turn embeddings, shared between runs")
    ap.add_argument("--size", type=int, default=300, help="training calls (more than the pool: all of it)")
    ap.add_argument("--repeat", type=int, default=0, help="which of the learning curve's subsamples (0, 1, 2)")
    ap.add_argument("--save", type=Path)
    ap.add_argument("--load", type=Path)
    args = ap.parse_args()
    if args.load:
        with args.load.open("rb") as f:
            cap = pickle.load(f)
    else:
        cap = capture(args.data, args.cache, args.size, args.repeat)
        if args.save:
            with args.save.open("wb") as f:
                pickle.dump(cap, f)
    report(cap)


if __name__ == "__main__":
    main()
