"""Fits the sequence score (agent.sequence) when a policy is trained. Needs torch and scikit-learn ([train] extra).

- Labels: the rep's move (`action`) and every label the training calls' turns carry (`labels`), each with
  the values seen in training. Without any, the score is a constant and the rest is skipped.
- Reader: per label, a multinomial logistic regression on the TF-IDF word 1-2 grams of the turns that
  carry the label (terms in at least `reader_min_df` turns; idf as agent.training.lexical_fit's, over turns),
  all labels fitted at once as one linear layer with Adam (`reader_epochs` passes, an L2 penalty `reader_l2`):
  scikit-learn's solver took minutes per label on 370,000 turns. The coefficients are kept at float16,
  as they ship.
- GRU: `hidden` units after a ReLU layer, `dropout`, `members` networks with their own seeds. Trained on
  every turn against the call's target (agent.training.states.call_targets, each call weighing the same),
  plus, where the data records it, the latent probability after each turn (`p_true`, log loss weighted
  `latent_weight`): a signal of what each turn did, where the call's target gives one per call. AdamW (lr
  1e-3, weight decay 0.05), early stopping on the Brier score of the held-out calls (`patience` epochs).
  (research/sequence_probe.py measured these choices: 128 units, a latent weight of 1 and a words reader
  did best.)

A training state must not carry a score fitted on its own conversation (see agent.training.lexical_fit):
the GRU would have learned its outcome, and the reader its labels, so the policy would learn to trust a
score that is weaker on new calls. The training calls are split into `folds` folds; a call's training states
are scored by a reader and a GRU fitted without its fold, and the GRU learns from labels read out of fold
too. Every other call (held-out ones, and every call after shipping) is scored by the reader and GRU
fitted on all training calls: the ones that ship.

Or the score learns from calls of its own (`salesrl train --sequence-data FILE`), which the policy never sees:
then no folds are needed, every one of the policy's calls is scored by the model that ships, and the policy
learns to trust exactly the score it will be given on new calls. Those calls need no embedding, the slow part
of training, so many more of them fit in the same time.

The settings named here are agent.training.config.SequenceSettings.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from salesrl.agent.dataset import Conversation
from salesrl.agent.lexical import terms, turn_words
from salesrl.agent.sequence import UNFITTED, LabelReader, Recurrent, SequenceModel, gru_inputs
from salesrl.agent.training.config import SequenceSettings
from salesrl.agent.training.lexical_fit import prefix_matrix, vocabulary
from salesrl.agent.training.states import conversation_targets
from salesrl.agent.training.workers import cores, one_torch_thread_each

log = logging.getLogger(__name__)

NO_LABEL = -1


@dataclass
class SequenceFit:
    model: SequenceModel  # fitted on every training conversation: the one that ships
    per_conversation: list[SequenceModel]  # the model that scores each conversation's training states
    info: dict = field(default_factory=dict)


def turn_labels(conv: Conversation) -> list[dict[str, str]]:
    """Each turn's labels, the rep's move as "move"."""
    out = []
    for i in range(len(conv.turns)):
        labels = dict(conv.labels[i]) if conv.labels else {}
        if conv.actions and (move := conv.actions[i]):
            labels["move"] = move
        out.append(labels)
    return out


def label_schema(labelled: Sequence[list[dict[str, str]]]) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """The labels with two values or more in `labelled` (per call, per turn), "move" first, and their values."""
    seen: dict[str, set[str]] = {}
    for call in labelled:
        for labels in call:
            for name, value in labels.items():
                seen.setdefault(name, set()).add(value)
    names = sorted((n for n, v in seen.items() if len(v) >= 2), key=lambda n: (n != "move", n))
    return tuple(names), tuple(tuple(sorted(seen[n])) for n in names)


def fit_reader(turn_terms: Sequence[list[str]], label_rows: np.ndarray, names: tuple[str, ...],
               values: tuple[tuple[str, ...], ...], settings: SequenceSettings, seed: int = 0) -> LabelReader:
    """A reader fitted to the turns `turn_terms` and their label indices `label_rows` (turns, labels)."""
    import torch
    import torch.nn.functional as F

    docs = [[t] for t in turn_terms]
    vocab, idf = vocabulary(docs, settings.reader_min_df, settings.reader_max_terms)
    x = prefix_matrix(docs, [[1]] * len(docs), {t: i for i, t in enumerate(vocab)}, idf).astype(np.float32)
    bounds = np.cumsum([0, *(len(v) for v in values)])
    rng = np.random.default_rng(seed)
    coef = torch.zeros((len(vocab), int(bounds[-1])), requires_grad=True)
    intercept = torch.zeros(int(bounds[-1]), requires_grad=True)
    opt = torch.optim.Adam([coef, intercept], lr=settings.reader_lr)
    y = torch.from_numpy(label_rows)
    for _ in range(settings.reader_epochs):
        order = rng.permutation(x.shape[0])
        for i in range(0, len(order), settings.reader_batch):
            rows = order[i:i + settings.reader_batch]
            part = x[rows].tocoo()
            xb = torch.sparse_coo_tensor(np.vstack([part.row, part.col]), part.data, part.shape,  # type: ignore[arg-type]
                                         check_invariants=False)  # arrays are taken as they are; the stubs say Tensor
            logits = torch.sparse.mm(xb, coef) + intercept
            loss = torch.zeros(())
            for j in range(len(values)):
                has = y[rows, j] != NO_LABEL
                if has.any():
                    loss = loss + F.cross_entropy(logits[has, bounds[j]:bounds[j + 1]], y[rows, j][has])
            opt.zero_grad()
            (loss + settings.reader_l2 * coef.square().sum()).backward()
            opt.step()
    fitted = coef.detach().numpy().astype(np.float16).astype(np.float32)
    bias = intercept.detach().numpy().astype(np.float32)
    for j in range(len(values)):  # a value no training turn has reads as probability 0
        seen = np.unique(label_rows[label_rows[:, j] != NO_LABEL, j])
        unseen = np.setdiff1d(np.arange(len(values[j])), seen)
        bias[bounds[j] + unseen] = UNFITTED
    return LabelReader(names, values, vocab, idf, fitted, bias)


def read_turns(reader: LabelReader, turn_terms: Sequence[list[str]]) -> np.ndarray:
    """(turns, width): what the reader reads from each turn, as LabelReader.read does one at a time."""
    docs = [[t] for t in turn_terms]
    x = prefix_matrix(docs, [[1]] * len(docs), reader.index, reader.idf)
    return reader.probabilities(np.asarray(x @ reader.coef) + reader.intercept)


def gru_call_inputs(read: np.ndarray, conv: Conversation) -> np.ndarray:
    """One call's GRU inputs: agent.sequence.gru_inputs of each turn."""
    return np.stack([gru_inputs(r, t.role, i) for i, (r, t) in enumerate(zip(read, conv.turns, strict=True))])


@dataclass
class Calls:
    """The GRU's training material: per call, its inputs per turn, its target, and its latent p per turn (nan
    where unknown)."""

    inputs: list[np.ndarray]
    targets: np.ndarray
    latent: list[np.ndarray]

    def take(self, idx: Sequence[int] | np.ndarray) -> "Calls":
        return Calls([self.inputs[i] for i in idx], self.targets[np.asarray(idx, dtype=np.int64)],
                     [self.latent[i] for i in idx])


def fit_grus(jobs: Sequence[tuple[Calls, Calls, int, int]], settings: SequenceSettings = SequenceSettings()
             ) -> list[tuple[Recurrent, dict]]:
    """Per job (train, held_out, seed, members): `members` GRUs trained on `train`, each stopped early on the
    Brier score of `held_out` (when it has calls). Every network trains on one torch thread of its own, as many
    at once as there are cores: a GRU this small gains little from a second thread, so networks trained side by
    side, one thread each, finish sooner than one after the other on every thread (BENCHMARKS.md, "Figures behind
    the training code")."""
    norms = [standardisation(train) for train, *_ in jobs]
    tasks = [(j, m) for j, job in enumerate(jobs) for m in range(job[3])]

    def run(task: tuple[int, int]):
        j, m = task
        train, held_out, seed, _ = jobs[j]
        return _train_member(train, held_out, *norms[j], seed * 1000 + m, settings)

    with one_torch_thread_each(), ThreadPoolExecutor(cores(), thread_name_prefix="salesrl-gru") as pool:
        trained = list(pool.map(run, tasks))
    out = []
    for j in range(len(jobs)):
        mine = [result for (k, _), result in zip(tasks, trained) if k == j]
        out.append((recurrent_of([net for net, _ in mine], *norms[j]), {"members": [h for _, h in mine]}))
    return out


def standardisation(calls: Calls) -> tuple[np.ndarray, np.ndarray]:
    """The mean and spread of the GRU's inputs over every turn of `calls`, which standardise them."""
    stacked = np.concatenate(calls.inputs)
    return stacked.mean(axis=0), np.maximum(stacked.std(axis=0), 1e-3)


def recurrent_of(nets: Sequence, mean: np.ndarray, std: np.ndarray) -> Recurrent:
    """The numpy ensemble (agent.sequence.Recurrent) that computes what the trained torch networks compute."""
    import torch

    with torch.no_grad():
        def stack(f):
            return np.stack([f(net).detach().numpy().astype(np.float32) for net in nets])

        return Recurrent(
            mean=mean.astype(np.float32), std=std.astype(np.float32),
            w_in=stack(lambda n: n.inp.weight.T), b_in=stack(lambda n: n.inp.bias),
            w_ih=stack(lambda n: n.gru.weight_ih_l0.T), b_ih=stack(lambda n: n.gru.bias_ih_l0),
            w_hh=stack(lambda n: n.gru.weight_hh_l0.T), b_hh=stack(lambda n: n.gru.bias_hh_l0),
            w_out=stack(lambda n: n.out.weight[0]), b_out=stack(lambda n: n.out.bias[0]))


_SEEDING = threading.Lock()  # torch's global generator initialises a network's weights


def network(inputs: int, seed: int, settings: SequenceSettings = SequenceSettings()):
    """A GRU reader whose weights and dropout come from `seed` alone, whatever other networks train at once."""
    import torch
    from torch import nn

    class GRUReader(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inp = nn.Linear(inputs, settings.hidden)
            self.gru = nn.GRU(settings.hidden, settings.hidden, batch_first=True)
            self.out = nn.Linear(settings.hidden, 1)
            self.latent = nn.Linear(settings.hidden, 1)  # learns p_true per turn; not shipped
            self.dropout = torch.Generator().manual_seed(seed)

        def drop(self, x: torch.Tensor) -> torch.Tensor:
            """Dropout from the network's own generator (and twice as fast as torch's on CPU)."""
            if not self.training:
                return x
            dropout = settings.dropout
            return x * (torch.rand(x.shape, generator=self.dropout) >= dropout) / (1.0 - dropout)

        def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            h, _ = self.gru(self.drop(torch.relu(self.inp(x))))
            h = self.drop(h)
            return self.out(h).squeeze(-1), self.latent(h).squeeze(-1)

    with _SEEDING:
        torch.manual_seed(seed)
        return GRUReader()


def _batch(calls: Calls, idx: Sequence[int] | np.ndarray, mean: np.ndarray, std: np.ndarray):
    """Padded standardised inputs, per-turn weights (1/length: each call weighs the same), targets per call,
    latent p per turn and its mask."""
    import torch

    n, b, width = max(len(calls.inputs[i]) for i in idx), len(idx), len(mean)
    x = np.zeros((b, n, width), np.float32)
    weight, latent, has_latent = (np.zeros((b, n), np.float32) for _ in range(3))
    for k, i in enumerate(idx):
        turns = len(calls.inputs[i])
        x[k, :turns] = (calls.inputs[i] - mean) / std
        weight[k, :turns] = 1.0 / turns
        known = ~np.isnan(calls.latent[i])
        latent[k, :turns] = np.where(known, calls.latent[i], 0.0)
        has_latent[k, :turns] = known
    return tuple(torch.from_numpy(a) for a in (x, weight, calls.targets[list(idx)].astype(np.float32), latent,
                                                has_latent))


def _predict_turns(net, calls: Calls, mean: np.ndarray, std: np.ndarray) -> list[np.ndarray]:
    """Per call, the network's probability after each of its turns."""
    import torch

    net.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(calls.inputs), 512):
            idx = list(range(i, min(i + 512, len(calls.inputs))))
            x, *_ = _batch(calls, idx, mean, std)
            p = torch.sigmoid(net(x)[0]).numpy()
            out += [p[k, :len(calls.inputs[j])] for k, j in enumerate(idx)]
    net.train()
    return out


def _train_member(train: Calls, held_out: Calls, mean: np.ndarray, std: np.ndarray, seed: int,
                  settings: SequenceSettings):
    import torch
    import torch.nn.functional as F

    rng = np.random.default_rng(seed)
    net = network(len(mean), seed, settings)
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=0.05)
    by_length = np.argsort([len(x) for x in train.inputs], kind="stable")  # alike lengths pad little
    has_held_out = len(held_out.inputs) > 0
    best, best_state, stale, history = math.inf, None, 0, []
    for _ in range(settings.max_epochs if has_held_out else settings.epochs_without_held_out):
        chunks = [by_length[i:i + settings.batch] for i in range(0, len(by_length), settings.batch)]
        rng.shuffle(chunks)
        for chunk in chunks:
            x, weight, target, latent, has_latent = _batch(train, chunk, mean, std)
            logits, latent_logits = net(x)
            loss = (F.binary_cross_entropy_with_logits(logits, target[:, None].expand_as(logits), reduction="none")
                    * weight).sum()
            loss = loss + settings.latent_weight * (F.binary_cross_entropy_with_logits(latent_logits, latent, reduction="none")
                                           * weight * has_latent).sum()
            opt.zero_grad()
            (loss / len(chunk)).backward()
            opt.step()
        if not has_held_out:
            continue
        brier = float(np.mean([np.mean((p - y) ** 2) for p, y in
                               zip(_predict_turns(net, held_out, mean, std), held_out.targets)]))
        history.append(round(brier, 5))
        if brier < best - 1e-5:
            best, best_state, stale = brier, {k: v.clone() for k, v in net.state_dict().items()}, 0
        else:
            stale += 1
            if stale >= settings.patience:
                break
    if best_state is not None:
        net.load_state_dict(best_state)
    net.eval()
    return net, {"held_out_brier": history}


class CallTurns:
    """A list of calls' turns as the reader takes them: each turn's terms, and where each call's turns are."""

    def __init__(self, convs: Sequence[Conversation]):
        self.convs = list(convs)
        self.terms = [terms(turn_words(t), None) for c in self.convs for t in c.turns]
        self.lengths = np.array([len(c.turns) for c in self.convs], dtype=np.int64)
        self.starts = np.r_[0, np.cumsum(self.lengths)[:-1]].astype(np.int64)

    def rows(self, idx: Sequence[int] | np.ndarray) -> np.ndarray:
        """The turn rows of the calls `idx`, in order."""
        if not len(idx):
            return np.zeros(0, dtype=np.int64)
        return np.concatenate([np.arange(self.starts[i], self.starts[i] + self.lengths[i]) for i in idx])

    def calls(self, reader: LabelReader, idx: Sequence[int] | np.ndarray, targets: np.ndarray) -> Calls:
        """The calls `idx` as the GRU learns from them, their labels read by `reader`; `targets` per call."""
        idx = np.asarray(idx, dtype=np.int64)
        read = read_turns(reader, [self.terms[r] for r in self.rows(idx)])
        parts = np.split(read, np.cumsum(self.lengths[idx])[:-1]) if len(idx) else []
        return Calls([gru_call_inputs(part, self.convs[i]) for i, part in zip(idx, parts)],
                     np.asarray(targets, dtype=np.float64)[idx], [latent_of(self.convs[i]) for i in idx])


def latent_of(conv: Conversation) -> np.ndarray:
    """The call's latent probability after each turn, nan where the data does not record it."""
    if not conv.p_true:
        return np.full(len(conv.turns), np.nan, dtype=np.float32)
    return np.array([np.nan if p is None else p for p in conv.p_true], dtype=np.float32)


def fit_sequence(convs: Sequence[Conversation], train_idx: np.ndarray, val_idx: np.ndarray, seed: int,
                 target: str, settings: SequenceSettings = SequenceSettings(),
                 sequence_calls: Sequence[Conversation] = ()) -> SequenceFit:
    """`target`: what each call's turns are trained against (agent.training.states.call_targets).

    `sequence_calls` (`salesrl train --sequence-data`): calls that train the score and nothing else. The reader
    and the GRUs learn from them alone, stopping early on `convs`' held-out calls, and score every one of
    `convs`: none of those trained them, so no folds are needed, and the policy learns to trust the very score
    it will see on new calls. They need no embedding, so many more of them fit in the training time. Without
    them, the score learns from `convs`' training calls, out of fold (the module's docstring)."""
    start = time.perf_counter()
    y = conversation_targets(convs, target)
    separate = len(sequence_calls) > 0
    source = list(sequence_calls) if separate else list(convs)
    fit_idx = np.arange(len(source)) if separate else np.asarray(train_idx)
    labelled = [turn_labels(c) for c in source]
    names, values = label_schema([labelled[i] for i in fit_idx])
    if not names:
        rate = float(np.clip(y[train_idx].mean(), 1e-3, 1 - 1e-3))
        model = SequenceModel.constant(math.log(rate / (1 - rate)))
        return SequenceFit(model, [model] * len(convs), {"labels": {}, "constant": True})

    turns = CallTurns(source)
    label_rows = np.array([[values[j].index(lab[n]) if lab.get(n) in values[j] else NO_LABEL
                            for j, n in enumerate(names)] for call in labelled for lab in call], dtype=np.int64)

    def reader_for(idx: np.ndarray) -> LabelReader:
        rows = turns.rows(idx)
        return fit_reader([turns.terms[r] for r in rows], label_rows[rows], names, values, settings)

    shipped_reader = reader_for(fit_idx)
    if separate:
        held_out = CallTurns([convs[i] for i in val_idx]).calls(shipped_reader, np.arange(len(val_idx)), y[val_idx])
        source_targets = conversation_targets(source, target)
        [(shipped_gru, shipped_log)] = fit_grus([(turns.calls(shipped_reader, fit_idx, source_targets), held_out,
                                                  seed, settings.members)], settings)
        shipped = SequenceModel(shipped_reader, shipped_gru)
        per_conversation, folds, fold_logs = [shipped] * len(convs), 0, []
    else:
        shipped, per_conversation, folds, shipped_log, fold_logs = _fit_out_of_fold(
            turns, y, train_idx, val_idx, seed, shipped_reader, reader_for, settings)
    info = {"labels": {n: len(v) for n, v in zip(names, values)}, "terms": len(shipped_reader.terms),
            "hidden": settings.hidden, "members": settings.members, "folds": folds,
            "latent_weight": settings.latent_weight, "target": target,
            "calls": len(fit_idx), "own_calls": separate,
            "seconds": round(time.perf_counter() - start, 1), "log": {"shipped": shipped_log, "folds": fold_logs}}
    log.info("sequence score: labels %s, %d terms, %d calls", info["labels"], info["terms"], info["calls"])
    return SequenceFit(shipped, per_conversation, info)


def _fit_out_of_fold(turns: CallTurns, y: np.ndarray, train_idx: np.ndarray, val_idx: np.ndarray, seed: int,
                     shipped_reader: LabelReader, reader_for, settings: SequenceSettings):
    """The shipped model, fitted on every training call, and the fold models that score the training calls."""
    convs = turns.convs
    folds = min(settings.folds, len(train_idx))
    fold_of = np.random.default_rng(seed).permutation(len(train_idx)) % folds
    readers = [reader_for(train_idx[fold_of != k]) for k in range(folds)]
    # Every call's GRU inputs: a training call's labels read out of fold, any other call's by the shipped reader.
    # every call is filled in below: the folds and the others cover them all
    inputs: list[np.ndarray] = [np.empty(0)] * len(convs)
    latent: list[np.ndarray] = [np.empty(0)] * len(convs)
    others = np.setdiff1d(np.arange(len(convs)), train_idx)
    for reader, idx in [*((readers[k], train_idx[fold_of == k]) for k in range(folds)), (shipped_reader, others)]:
        part = turns.calls(reader, idx, y)
        for i, x, lat in zip(idx, part.inputs, part.latent):
            inputs[i], latent[i] = x, lat
    calls = Calls(inputs, np.asarray(y, dtype=np.float64), latent)
    held_out = calls.take(val_idx)

    jobs = [(calls.take(train_idx), held_out, seed, settings.members),
            *((calls.take(train_idx[fold_of != k]), held_out, seed + 1 + k, settings.fold_members)
              for k in range(folds))]
    (shipped_gru, shipped_log), *fold_grus = fit_grus(jobs, settings)
    shipped = SequenceModel(shipped_reader, shipped_gru)
    per_conversation = [shipped] * len(convs)
    for k, (gru, _) in enumerate(fold_grus):
        fold_model = SequenceModel(readers[k], gru)
        for i in train_idx[fold_of == k]:
            per_conversation[i] = fold_model
    return shipped, per_conversation, folds, shipped_log, [fold_log for _, fold_log in fold_grus]
