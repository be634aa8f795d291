"""Would reading the rep's moves, or the prospect, perfectly close the synthetic gap to the oracle?

    .venv/bin/python research/synth_move_labels.py data/synth_train20k.jsonl data/synth_sel5k.jsonl \
        [--cache data/cache] [--states usual moves prospect log-odds effects]

Trains the shipped recipe (td, agent.training.td with its defaults) on the training file, once per state
(`--states`, default all; about 10 minutes each): the usual states; plus the generator's true move labels
(each move class's count so far, log1p, and the latest turn's move); plus the prospect's true intents and
engagement levels (counted the same way, from the call plans regenerated from each call's seed); plus the
words reader's visible log-odds of research/synth_ceiling.py (what the simulated buyer made of each of
the rep's moves in context, with the scenario's visible prior); and plus the moves' effects alone. Prints
the Brier gap to the oracle `p_true` at the four stages of the test file for each. Labels that close much
of the gap show where the states read the call poorly. Note that the engagement labels carry more than the
words do (see research/synth_ceiling.py), and the effects are the generator's own rules. Needs the
[train] extra; both files must come from `salesrl synth` (the test file needs `p_true`, both need the
generator's seeds).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from salesrl.agent.dataset import Conversation, read_dataset
from salesrl.agent.embedder import load_embedder
from salesrl.agent.moves import MOVES
from salesrl.agent.sequence import SequenceModel
from salesrl.agent.synth.plan import make_plan
from salesrl.agent.training.evaluate import STAGES, stage_name, stage_turn
from salesrl.agent.training.lexical_fit import fit_lexical
from salesrl.agent.training.config import TrainingConfig
from salesrl.agent.training.pipeline import split
from salesrl.agent.training.states import TARGETS, StateTable, build_state_table, embed_unique
from salesrl.agent.training.td import TDConfig, train_td
from research.synth_ceiling import INTENTS, LEVELS, recorded_move_effects, visible_log_odds


def counts_and_latest(labels: list[int | None], k: int) -> np.ndarray:
    """One row per turn: log1p of each of `k` labels' count so far, then the one-hot label of this turn (if any)."""
    counts, rows = np.zeros(k), []
    for label in labels:
        latest = np.zeros(k)
        if label is not None:
            counts[label] += 1
            latest[label] = 1
        rows.append(np.concatenate([np.log1p(counts), latest]))
    return np.array(rows, dtype=np.float32)


def move_label_block(convs: list[Conversation]) -> np.ndarray:
    """One row per turn: log1p of each move's count so far, then the one-hot move of this turn (if any)."""
    blocks = []
    for c in convs:
        moves = [MOVES.index(a) if a else None for a in (c.actions or [None] * len(c.turns))]
        blocks.append(counts_and_latest(moves, len(MOVES)))
    return np.concatenate(blocks)


def plan_of(c: Conversation):
    """The plan `salesrl synth` wrote `c` from, made again from the call's seeds."""
    plan = make_plan(int(c.meta["seed"]), int(c.id.rsplit("-", 1)[1]), int(c.meta["conversation_seed"]))
    if len(plan.turns) != len(c.turns):
        sys.exit(f"{c.id}: its plan does not match the call; was it written by salesrl synth?")
    return plan


def prospect_label_block(convs: list[Conversation]) -> np.ndarray:
    """Per turn, counts_and_latest of the prospect's intent and engagement level, from the call's plan."""
    blocks = []
    for c in convs:
        plan = plan_of(c)
        intents = [None if t.role == "rep" else INTENTS.index(t.intent) for t in plan.turns]
        levels = [None if t.role == "rep" else LEVELS.index(t.engagement) for t in plan.turns]
        blocks.append(np.concatenate([counts_and_latest(intents, len(INTENTS)),
                                      counts_and_latest(levels, len(LEVELS))], axis=1))
    return np.concatenate(blocks)


def log_odds_block(convs: list[Conversation], with_prior: bool) -> np.ndarray:
    """Per turn, one column: the words reader's visible log-odds (research/synth_ceiling.py), that is the
    effects of the rep's moves so far as the simulated buyer weighed them in context, plus (`with_prior`)
    the scenario's visible prior."""
    column = []
    with recorded_move_effects() as effects:
        for c in convs:
            effects.clear()
            column.append(visible_log_odds(plan_of(c), effects, with_prior))
    return np.concatenate(column, dtype=np.float32)[:, None]


STATES = {
    "usual": ("usual", None),
    "moves": ("+ the rep's true moves", move_label_block),
    "prospect": ("+ the prospect's true intents and engagement levels", prospect_label_block),
    "log-odds": ("+ the visible log-odds (the moves' effects in context and the scenario's visible prior)",
                 lambda convs: log_odds_block(convs, with_prior=True)),
    "effects": ("+ the moves' effects in context", lambda convs: log_odds_block(convs, with_prior=False)),
}


def stage_gaps(table: StateTable, probabilities: np.ndarray, convs: np.ndarray) -> list[float]:
    y = table.outcomes[convs]
    gaps = []
    for stage in STAGES:
        rows = np.array([table.starts[i] + stage_turn(int(table.lengths[i]), stage) - 1 for i in convs])
        gaps.append(float(np.mean((probabilities[rows] - y) ** 2) - np.mean((table.p_true[rows] - y) ** 2)))
    return gaps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("train")
    ap.add_argument("test")
    ap.add_argument("--cache", default=None, help="turn-embedding cache directory (as salesrl train --cache)")
    ap.add_argument("--target", choices=TARGETS, default=TrainingConfig().target,
                    help="what a call's last turn is scored against (as salesrl train --target); the model card's history's "
                         "figures from before the expected target came in were measured with outcome")
    ap.add_argument("--states", nargs="+", choices=list(STATES), default=list(STATES),
                    help="which states to train on (each takes about 10 minutes); default all")
    args = ap.parse_args()
    train, test = read_dataset(args.train, labelled=True), read_dataset(args.test, labelled=True)
    if not all(c.p_true for c in test):
        sys.exit(f"{args.test}: needs p_true on every call (a file from salesrl synth)")
    convs = train + test
    opts = TrainingConfig(target=args.target)
    emb = load_embedder(None)
    vectors = embed_unique([t.text for c in convs for t in c.turns], emb.embed,
                           Path(args.cache) if args.cache else None, key=emb.id + emb.checksum)
    train_idx, val_idx = split(len(train), opts.val_fraction, opts.seed)
    # the test calls are scored by the shipped-style model
    lexical = fit_lexical(convs, train_idx, opts.seed, opts.target, opts.lexical)
    # without the sequence score (a constant), as the figures from this script in the model card's history were measured
    usual = build_state_table(convs, vectors, emb.dim, lexical.per_conversation, [SequenceModel.constant()] * len(convs))
    test_idx = np.arange(len(train), len(convs))
    print("| state | " + " | ".join(f"gap at {stage_name(s)}" for s in STAGES) + " |")
    print("| --- |" + " ---: |" * len(STAGES))
    for key in args.states:
        name, block = STATES[key]
        start = time.perf_counter()
        states = usual.states if block is None else np.concatenate([usual.states, block(convs)], axis=1)
        table = StateTable(states, usual.starts, usual.lengths, usual.outcomes, usual.next_action, usual.p_true,
                           usual.past_slice, usual.position_col, usual.skip_col)
        net, _ = train_td(table, train_idx, val_idx, TDConfig(lam=opts.lam, members=opts.members, target=opts.target,
                                                                   epochs=opts.epochs, seed=opts.seed))
        p = net.probabilities(table.states)[:, :, 0].mean(axis=0)  # past blocks as train_td left them
        gaps = stage_gaps(table, p, test_idx)
        print(f"| {name} | " + " | ".join(f"{g:.4f}" for g in gaps) + f" |  <!-- {time.perf_counter() - start:.0f} s -->",
              flush=True)


if __name__ == "__main__":
    main()
