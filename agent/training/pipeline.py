"""`salesrl train`: dataset in, model directory out (ONNX policy, metadata, model card)."""

from __future__ import annotations

import hashlib
import logging
import platform
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

from salesrl.agent.dataset import Conversation, read_dataset
from salesrl.agent.errors import DatasetError
from salesrl.agent.features import FEATURE_SCHEMA_VERSION, feature_schema
from salesrl.agent.moves import MOVES
from salesrl.agent.training.config import TrainingConfig
from salesrl.agent.training.lexical_fit import LexicalFit, fit_lexical
from salesrl.agent.training.replace import check_replaceable, replace_directory
from salesrl.agent.training.sequence_fit import SequenceFit, fit_sequence
from salesrl.agent.training.states import StateTable, build_state_table, embed_unique
from salesrl.agent.training.workers import start_forked

if TYPE_CHECKING:
    from salesrl.agent.embedder import Embedder
    from salesrl.agent.sales_agent import SalesAgent
    from salesrl.agent.training.selection import Selection

log = logging.getLogger(__name__)
ALGOS = ("td", "ppo", "supervised")
OOD_SETTLED_TURN = 3


@dataclass
class Prepared:
    convs: list[Conversation]
    table: StateTable
    embedder: Embedder
    train_idx: np.ndarray  # conversations the policy learns from
    val_idx: np.ndarray  # held out: early stopping and calibration
    lexical: LexicalFit
    sequence: SequenceFit


def prepare(convs: Sequence[Conversation], embedder: Embedder, config: TrainingConfig, cache: Path | None = None,
            progress: Callable[[int], None] | None = None, stage: Callable[[str], None] | None = None,
            sequence_calls: Sequence[Conversation] = ()) -> Prepared:
    """`progress` counts the turns embedded; `stage` is told what comes next as each step after embedding starts.
    `sequence_calls`: calls that train the sequence score alone (agent.training.sequence_fit.fit_sequence)."""
    stage = stage or log.info
    texts = [t.text for c in convs for t in c.turns]
    emb = embed_unique(texts, embedder.embed, cache, key=embedder.id + embedder.checksum, progress=progress)
    train_idx, val_idx = split(len(convs), config.val_fraction, config.seed)
    # The lexical score is fitted in a process of its own, beside the sequence score: much of the sequence score's
    # work (its label readers) is Python on one core, and the lexical score fills the other.
    lexical_fit = start_forked(lambda: fit_lexical(convs, train_idx, config.seed, config.target, config.lexical))
    if sequence_calls:
        stage(f"fitting the lexical score (out of fold) and the sequence score (label reader and GRUs) on "
              f"{len(sequence_calls):,} calls of its own")
    else:
        stage("fitting the lexical score and the sequence score (label readers and GRUs), out of fold")
    sequence = fit_sequence(convs, train_idx, val_idx, config.seed, config.target, config.sequence, sequence_calls)
    lexical = lexical_fit()
    stage("building the states")
    table = build_state_table(convs, emb, embedder.dim, lexical.per_conversation, sequence.per_conversation)
    return Prepared(list(convs), table, embedder, train_idx, val_idx, lexical, sequence)


def split(n: int, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.random.default_rng(seed).permutation(n)
    n_val = max(1, int(round(n * val_fraction))) if n >= 10 else 0
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def data_summary(convs: Sequence[Conversation], path: str) -> dict:
    outcomes = [c.outcome for c in convs if c.outcome is not None]  # training data all have one
    return {
        "file": Path(path).name,
        "sha256": hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16] if Path(path).is_file() else None,
        "conversations": len(convs),
        "turns": sum(len(c.turns) for c in convs),
        "positive_rate": round(float(np.mean(outcomes)), 4),
        "action_labels": any(c.actions for c in convs),
        "generator": generator_name(convs[0].meta or {}),
    }


def generator_name(meta: dict) -> str | None:
    """Who wrote the calls: the writer and, for `salesrl synth` calls, the simulation they were planned by."""
    name = meta.get("generator") or meta.get("source")
    return f"{name}, simulation {meta['simulation']}" if name and meta.get("simulation") else name


def train(prepared: Prepared, config: TrainingConfig, progress: Callable[[int, dict], None] | None = None,
          calibrate: bool = True) -> tuple[dict, dict, np.ndarray | None]:
    """Returns (weights, per-epoch log, out-of-bag probabilities per state: td.TrainLog.out_of_bag) for
    td/supervised, or (weights, log, None) for ppo. `calibrate`: whether the td policy fits its own calibration
    (not when a head goes on top: td.TDConfig.calibrate)."""
    table, train_idx, val_idx = prepared.table, prepared.train_idx, prepared.val_idx
    if config.algo in ("td", "supervised"):
        from salesrl.agent.training.td import TDConfig, train_td

        lam = 1.0 if config.algo == "supervised" else config.lam
        cfg = TDConfig(lam=lam, members=config.members, epochs=config.epochs, seed=config.seed, target=config.target,
                       **{"calibrate": calibrate, **config.td_overrides})
        net, history = train_td(table, train_idx, val_idx, cfg, progress)
        return net.weights(), {"epochs": history.epochs, "best_epoch": history.best_epoch,
                               "calibration": history.calibration,
                               "config": asdict(cfg)}, history.out_of_bag
    if config.algo == "ppo":
        from salesrl.agent.training.ppo import PPOConfig, train_ppo

        ppo = PPOConfig(members=min(config.members, 3), steps=config.ppo_steps, seed=config.seed, target=config.target)
        weights, info = train_ppo(table, train_idx, val_idx, ppo, progress)
        return weights, info, None
    raise DatasetError(f"unknown --algo {config.algo!r}; choose one of {', '.join(ALGOS)}")


def export(prepared: Prepared, weights: dict, info: dict, config: TrainingConfig, out: Path, data_path: str,
           command: str, seconds: float, sequence_path: str | None = None,
           sequence_calls: Sequence[Conversation] = (), selection: "Selection | None" = None,
           prior_dir: Path | None = None) -> dict:
    from salesrl.agent.head import HEAD_FILE, PRIOR_DIR
    from salesrl.agent.training.export import OodStats, tail_quantiles, write_model_dir

    table = prepared.table
    rows = np.nonzero(np.isin(table.conv_of_row, prepared.train_idx))[0]
    start, stop = feature_schema(prepared.embedder.dim)["conversation_mean"]
    ood = OodStats.fit(table.states[rows], (start, stop), seed=config.seed)
    # The tail is taken from states three turns in or later: a call's first turns say too little
    # about what it is about, and would stretch the tail so far that nothing looks unfamiliar.
    settled = rows[table.turn_of_row[rows] >= OOD_SETTLED_TURN]
    tail = tail_quantiles(ood.distance(table.states[settled if len(settled) else rows]))
    summary = data_summary(prepared.convs, data_path)
    emb = prepared.embedder
    metadata = {
        "id": f"salesrl-{config.algo}-{datetime.now(timezone.utc):%Y%m%d}-s{config.seed}",
        "algo": config.algo,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "embedder": {"id": emb.id, "dim": emb.dim, "checksum": emb.checksum},
        "feature_schema_version": FEATURE_SCHEMA_VERSION,
        "feature_schema": feature_schema(emb.dim),
        "state_dim": int(table.states.shape[1]),
        "moves": list(MOVES),
        "action_values": config.algo != "ppo" and summary["action_labels"],
        "ensemble": int(weights["w1"].shape[0]),
        "lexical": prepared.lexical.info,
        "sequence": prepared.sequence.info,
        "training_config": asdict(config),
        "training": {
            "command": command, "seed": config.seed, "seconds": round(seconds, 1),
            "data_summary": summary, "log": info,
            "sequence_data_summary": data_summary(sequence_calls, sequence_path) if sequence_path else None,
            "python": sys.version.split()[0], "machine": platform.machine(),
        },
        "selection": selection.to_dict() if selection else None,
    }
    card = model_card(metadata) + (selection_card(selection) if selection else "")

    def build(directory: Path) -> None:
        write_model_dir(directory, weights, ood, tail, prepared.lexical.model, prepared.sequence.model, metadata,
                        card)
        write_head(directory, selection, prior_dir)

    # Whole or not at all: a failure midway leaves the model `out` had. A head or prior an earlier model left
    # in `out` goes with it, since it belongs to that model's policy; other files in `out` stay.
    replace_directory(out, build, discard=(HEAD_FILE, "SELECTION.md", PRIOR_DIR))
    return metadata


def write_head(out: Path, selection: "Selection | None", prior_dir: Path | None) -> None:
    """head.json, SELECTION.md and prior/ (agent.head) for the chosen recipe, into a new model directory."""
    from salesrl.agent.head import PRIOR_DIR

    if selection is None:
        return
    assert selection.head is not None  # fitted once the policy is trained (pipeline.run)
    selection.head.save(out)
    (out / "SELECTION.md").write_text(selection.report())
    if selection.head.needs_prior:
        assert prior_dir is not None  # selection only offers stack_prior with a prior
        shutil.copytree(prior_dir, out / PRIOR_DIR, ignore=shutil.ignore_patterns("MODEL_CARD.md", "SELECTION.md"))


def selection_card(sel: "Selection") -> str:
    from salesrl.agent.training.selection import BOOTSTRAP

    prior = (f" The prior is a copy of `{sel.prior}` in prior/; its logit is a feature of the head."
             if sel.prior else "")
    ended = ("; its `ended` fit, for a call known to be over, at every call's last turn alone" if sel.uses_ended
             else "")
    return f"""
## Model selection (written by `salesrl train`)

{sel.report()}
The head (head.json, agent/head.py) is fitted again on the final policy's out-of-bag probabilities (each call's
value from the ensemble members that did not train on it), at the four stage turns of every call{ended}.{prior}

## The range shown to people

An 80% range, not a ±: the head refitted on {BOOTSTRAP} bootstrap resamples of the training calls (its 10th to
90th percentile: wider when there were fewer calls), combined with the policy ensemble's spread (1.28 standard
deviations), widened up to twice for states unlike any training state (the in-distribution score). Chosen over
conformal calibration because it depends on the call in front of it and on how many calls the team had; the
checks (dropping the most uncertain calls, smaller training sets) are in BENCHMARKS.md, "Team models".
"""


WEIGHTING = {"call": "each call weighing the same", "turn": "every turn weighing the same"}
TARGET_WORDS = {"outcome": "against the outcomes",
                "expected": "against each call's recorded final p_true where there is one, else its outcome"}


def model_card(meta: dict) -> str:
    tr = meta["training"]
    s = tr["data_summary"]
    epochs = tr["log"].get("epochs", [])
    best = tr["log"].get("best_epoch")
    val = next((e["val_brier"] for e in epochs if e.get("epoch") == best), None)
    return f"""# Model card: {meta['id']}

- Algorithm: `{meta['algo']}` (see agent/training/{'td' if meta['algo'] != 'ppo' else 'ppo'}.py), ensemble of {meta['ensemble']}.
- Embedder: `{meta['embedder']['id']}` ({meta['embedder']['dim']}-d), feature schema v{meta['feature_schema_version']}, state dimension {meta['state_dim']}.
- Training data: `{s['file']}` (sha256 {s['sha256']}): {s['conversations']} conversations, {s['turns']} turns, {s['positive_rate']:.1%} converted; generator: {s['generator']}.
{sequence_data_line(tr.get('sequence_data_summary'))}- Command: `{tr['command']}`
- Seed {tr['seed']}; trained in {tr['seconds']} s on {tr['machine']} (Python {tr['python']}).
- Validation Brier (held-out 10% of conversations, {WEIGHTING.get(tr['log'].get('config', {}).get('weighting'), 'every turn weighing the same')}, {TARGET_WORDS.get(meta['training_config']['target'])}) at the chosen epoch {best}: {val if val is None else round(val, 4)}.
- Calibration fitted on those held-out calls, logit x (a0 + a1 u + a2 u²) + (b0 + b1 u + b2 u²) with u the log turn index: {calibration_line(tr['log'])}.
- Lexical score (agent/lexical.py, a state feature): TF-IDF word 1-2 grams + logistic regression, {meta['lexical']['terms']} terms, C {meta['lexical']['C']}; training calls scored out of fold ({meta['lexical']['folds']} folds).
- Sequence score (agent/sequence.py, a state feature): {sequence_line(meta['sequence'])}.
- Output: the conversion probability after each turn (the state value), its spread across the ensemble, an
  in-distribution score from the training states, and the value of each rep move class{action_values_note(meta)}.

Evaluation: see `salesrl eval --model DIR --data TEST.jsonl`; figures for the shipped model are below when present.
"""


def action_values_note(meta: dict) -> str:
    """Why a model card's move values are missing, if they are: PPO learns the probability alone."""
    if meta["action_values"]:
        return ""
    if meta["algo"] == "ppo":
        return " (not trained: PPO learns the probability only)"
    return " (not trained: the data has no move labels)"


def sequence_data_line(s: dict | None) -> str:
    if not s:
        return ""
    return (f"- Sequence data (trains the sequence score only): `{s['file']}` (sha256 {s['sha256']}): {s['conversations']} "
            f"conversations, {s['turns']} turns; generator: {s['generator']}.\n")


def sequence_line(info: dict) -> str:
    if not info.get("labels"):
        return "a constant: the training calls carry no sales labels (`action` or `labels`) to read"
    labels = ", ".join(f"{name} ({n})" for name, n in info["labels"].items())
    return (f"a GRU ({info['hidden']} units, {info['members']} members) over the sales labels read from each turn's "
            f"words ({labels}; {info['terms']} terms); " + (
                f"fitted on {info['calls']} calls of its own (the sequence data above), which score every training call"
                if info.get("own_calls") else f"training calls scored out of fold ({info['folds']} folds)"))


def calibration_line(log: dict) -> str:
    c = log.get("calibration") or {}
    if not c:
        return "none (too few held-out calls, or too few of them won or lost, or not a td/supervised model)"
    named = ", ".join(f"{name} {v}" for name, v in zip(("a0", "a1", "a2", "b0", "b1", "b2"), c["params"]))
    return (f"{named}; validation Brier {c['val_brier_before']:.4f} before, "
            f"{c['val_brier_after']:.4f} after")


def prior_probabilities(prior: "SalesAgent", convs: Sequence[Conversation], cache: Path | None) -> np.ndarray:
    """The prior model's probability after every turn of every call, rows in the StateTable's order."""
    from salesrl.agent.training.evaluate import score_dataset

    return np.concatenate([s.probability for s in score_dataset(prior, convs, cache=cache)])


def prior_label(prior: "SalesAgent | None") -> str | None:
    from salesrl.agent.policy import DEFAULT_MODEL_DIR

    if prior is None:
        return None
    return "shipped" if prior.policy.model_dir.resolve() == DEFAULT_MODEL_DIR.resolve() else str(prior.policy.model_dir)


def run(data: str, out: str, config: TrainingConfig, embedder: Embedder, command: str,
        cache: Path | None = None, embed_progress: Callable[[int], None] | None = None,
        epoch_progress: Callable[[int, dict], None] | None = None, stage: Callable[[str], None] | None = None,
        sequence_data: str | None = None, prior: "SalesAgent | None" = None, force: bool = True,
        report: Callable[[str], None] | None = None) -> dict:
    """`sequence_data`: a second dataset whose calls train the sequence score alone (`--sequence-data`).
    A td model with at least MIN_EACH won and lost calls goes through model selection (agent.training.selection)
    against `prior` (a model to use as a prior and compare with); `report` gets its table. When the team model
    is not better than the prior and `out` already holds a model, it is written only with `force`; the returned
    metadata then has "written": False."""
    from salesrl.agent.training.selection import MIN_EACH, chosen_head, select

    start = time.perf_counter()
    stage = stage or log.info
    check_replaceable(Path(out))  # before the minutes of training, not after
    convs = read_dataset(data, labelled=True)
    if len({c.outcome for c in convs}) < 2:
        raise DatasetError(f"{data}: every conversation has the same outcome; training needs both won and lost deals")
    sequence_calls = read_dataset(sequence_data, labelled=True) if sequence_data else []
    if sequence_data and not any(c.actions or c.labels for c in sequence_calls):
        raise DatasetError(f"{sequence_data}: no turn records a move (`action`) or `labels`, so the sequence score "
                           "has nothing to learn from it")
    prepared = prepare(convs, embedder, config, cache, embed_progress, stage, sequence_calls)
    selection, prior_probs = None, None
    won = sum(1 for c in convs if c.outcome == 1)
    if config.algo == "td" and min(won, len(convs) - won) >= MIN_EACH:
        if prior is not None:
            stage(f"scoring the calls with the prior model {prior.policy.model_dir}")
            prior_probs = prior_probabilities(prior, convs, cache)
        selection = select(convs, prepared.table, config, prior_probs, prior_label(prior), stage)
        if report:
            report(selection.report())
        if selection.better_than_shipped is False and (Path(out) / "metadata.json").exists() and not force:
            return {"written": False, "selection": selection.to_dict()}
    weights, info, out_of_bag = train(prepared, config, epoch_progress, calibrate=selection is None)
    if selection is not None:
        assert out_of_bag is not None  # selection runs for td only
        selection.head = chosen_head(selection.chosen, prepared.table, out_of_bag, prior_probs, config,
                                     ended=selection.uses_ended)
    meta = export(prepared, weights, info, config, Path(out), data, command, time.perf_counter() - start,
                  sequence_data, sequence_calls, selection, prior.policy.model_dir if prior else None)
    return {**meta, "written": True}
