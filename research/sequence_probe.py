"""Would a recurrent reader of the turns beat the policy's state, which sums and recency-weights them?

    .venv/bin/python research/sequence_probe.py data/v2_synth_train20k.jsonl data/v2_synth_test5k.jsonl \
        [--cache data/cache] [--inputs state|read-labels|true-labels] [--reader embedding|words] [--no-tone] \
        [--latent-weight W] [--calls N] [--hidden 128] [--members 4]

A probe, not a policy: a GRU reads the calls turn by turn and is trained as `--algo supervised` is (the expected
target at every turn, each call weighing the same, weight decay 0.05, dropout 0.3, early stopping on the same
held-out tenth). What it reads at each turn (`--inputs`):
  state        the turn's own part of the state: the latest turn's embedding, the interaction metrics, the
               signals, the lexical score of the prefix and the position, with the lexical score also added to
               its output as the policy's skip adds it. The training calls get the out-of-fold lexical scores
               `salesrl train` uses; the test calls, the lexical model fitted on all of them.
  true-labels  the sales labels the generator wrote the turn from (the calls' plans are made again from their
               seeds): the rep's move; the prospect's intent, tone (the engagement level the buyer drew), how much
               a pain hurts and how long they talk; the buyer's persona and company size; and the turn's role and
               log position. One-hot. The tone is given even where the words do not show it, unless `--no-tone`.
  read-labels  the same labels as read by a reader fitted to the generator's labels of the training file's
               turns: from the turn's embedding by a small network (one hidden layer, a softmax per label;
               `--reader embedding`), or from its words by a logistic regression per label on TF-IDF word 1-2
               grams of the role and the text (`--reader words`). It reads the training calls out of fold (two
               folds by call) and, fitted on all of them, the test calls. Its accuracy per label on the test file
               is printed.
`--latent-weight W` adds a second output that learns the buyer's latent probability at every turn (`p_true`),
its log loss weighted W: a dense signal of what each turn did, where the call's final probability gives one per
call. `--calls N` trains on the first N calls of the training file. Prints, as members are added to the
average, the expected Brier gap to the oracle on the test file at the four stages
(agent.training.evaluate.expected_brier_gap). Both files must record `p_true`, and the label inputs need both to
come from `salesrl synth`. Needs the [train] extra.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from salesrl.agent.dataset import read_dataset
from salesrl.agent.embedder import load_embedder
from salesrl.agent.features import feature_schema
from salesrl.agent.moves import MOVES
from salesrl.agent.synth.buyer import SEVERITIES
from salesrl.agent.synth.catalog import COMPANY_SIZES, PERSONAS
from salesrl.agent.training.evaluate import STAGES, expected_brier_gap, stage_name, stage_turn
from salesrl.agent.training.config import TrainingConfig
from salesrl.agent.training.pipeline import prepare, split
from salesrl.agent.training.states import StateTable, build_state_table, embed_unique
from research.synth_ceiling import INTENTS, LENGTHS, LEVELS
from research.synth_move_labels import plan_of

# Each label and its values. A rep turn has a move; a prospect turn an intent, a tone and a length, and a pain's
# severity when it tells one; every turn has the call's persona and company size.
LABELS: dict[str, tuple[str, ...]] = {
    "move": MOVES,
    "intent": INTENTS,
    "tone": LEVELS,
    "pain": SEVERITIES,
    "length": LENGTHS,
    "persona": tuple(p.key for p in PERSONAS),
    "size": tuple(label for label, *_ in COMPANY_SIZES),
}
NO_LABEL = -1


def _columns() -> dict[str, slice]:
    out, start = {}, 0
    for name, values in LABELS.items():
        out[name] = slice(start, start + len(values))
        start += len(values)
    return out


COLUMNS = _columns()  # each label's columns in a row of all labels' values (one-hot or read probabilities)
WIDTH = sum(len(values) for values in LABELS.values())

Call = tuple[np.ndarray, np.ndarray]  # a call's inputs per turn, and its p_true per turn


def turn_columns(dim: int) -> np.ndarray:
    """The state columns that describe the latest turn alone, or the prefix in a few numbers (not the sequence
    score, which this probe came before)."""
    schema = feature_schema(dim)
    return np.r_[np.arange(*schema["latest"]), np.arange(schema["metrics"][0], schema["sequence"][0]),
                 np.arange(*schema["position"])]


def sequences(table: StateTable, convs, cols: np.ndarray) -> list[Call]:
    """Per conversation: its turns' state columns `cols`, and its p_true per turn."""
    out = []
    for c in convs:
        rows = slice(table.starts[c], table.starts[c] + table.lengths[c])
        out.append((table.states[rows][:, cols].copy(), table.p_true[rows].copy()))
    return out


def plan_labels(conv) -> np.ndarray:
    """(turns, labels): each turn's value index per label of LABELS, NO_LABEL where the turn has none."""
    plan = plan_of(conv)
    sc = plan.scenario
    rows = []
    for t in plan.turns:
        values = {"move": t.action, "persona": sc.persona.key, "size": sc.company_size}
        if t.role != "rep":
            values.update(intent=t.intent, tone=t.engagement, length=t.length, pain=t.severity or None)
        rows.append([LABELS[name].index(values[name]) if values.get(name) else NO_LABEL for name in LABELS])
    return np.array(rows)


def one_hot(labels: np.ndarray, skip: tuple[str, ...] = ()) -> np.ndarray:
    """(turns, labels) indices -> (turns, all values) one-hot, the labels in `skip` left at zero."""
    out = np.zeros((len(labels), WIDTH), np.float32)
    for j, name in enumerate(LABELS):
        has = np.nonzero((labels[:, j] != NO_LABEL) & (name not in skip))[0]
        out[has, COLUMNS[name].start + labels[has, j]] = 1.0
    return out


def with_role_and_position(values: np.ndarray, roles: np.ndarray) -> np.ndarray:
    n = len(values)
    return np.column_stack([values, roles == "rep", np.log1p(np.arange(n))]).astype(np.float32)


class WordsLabelReader:
    """Reads each turn's labels from its role and words: TF-IDF word 1-2 grams, a logistic regression per label."""

    def fit(self, texts: list[str], labels: np.ndarray) -> "WordsLabelReader":
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        self.vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
        x = self.vectorizer.fit_transform(texts)
        self.models = []
        for j in range(len(LABELS)):
            has = labels[:, j] != NO_LABEL
            self.models.append(LogisticRegression(C=10.0, max_iter=200).fit(x[has], labels[has, j]))
        return self

    def read(self, texts: list[str]) -> np.ndarray:
        """(turns, all values): each label's probabilities."""
        x = self.vectorizer.transform(texts)
        out = np.zeros((len(texts), WIDTH), np.float32)
        for model, columns in zip(self.models, COLUMNS.values()):
            out[:, columns.start + model.classes_] = model.predict_proba(x)
        return out


class LabelReader:
    """Reads each turn's labels from its embedding and role: one hidden layer, a softmax per label."""

    def __init__(self, dim: int, seed: int = 0):
        import torch
        from torch import nn

        torch.manual_seed(seed)
        self.net = nn.Sequential(nn.Linear(dim + 1, 256), nn.ReLU(), nn.Linear(256, WIDTH))

    def fit(self, x: np.ndarray, labels: np.ndarray, epochs: int = 4) -> "LabelReader":
        import torch
        import torch.nn.functional as F

        x, y = torch.from_numpy(x), torch.from_numpy(labels)
        opt = torch.optim.Adam(self.net.parameters(), lr=2e-3)
        for _ in range(epochs):
            order = torch.randperm(len(x))
            for i in range(0, len(x), 1024):
                b = order[i:i + 1024]
                out, loss = self.net(x[b]), 0.0
                for j, columns in enumerate(COLUMNS.values()):
                    has = y[b, j] != NO_LABEL
                    if has.any():
                        loss = loss + F.cross_entropy(out[has, columns], y[b, j][has])
                opt.zero_grad()
                loss.backward()
                opt.step()
        return self

    def read(self, x: np.ndarray) -> np.ndarray:
        """(turns, all values): each label's probabilities."""
        import torch

        with torch.no_grad():
            out = self.net(torch.from_numpy(x))
            return torch.cat([torch.softmax(out[:, columns], dim=1) for columns in COLUMNS.values()], dim=1).numpy()


def accuracy(read: np.ndarray, labels: np.ndarray) -> str:
    out = []
    for j, (name, columns) in enumerate(COLUMNS.items()):
        has = labels[:, j] != NO_LABEL
        hit = read[has, columns].argmax(axis=1) == labels[has, j]
        out.append(f"{name} {hit.mean():.3f}")
    return ", ".join(out)


def read_labels(train_convs, test_convs, train_labels: list[np.ndarray], test_labels: list[np.ndarray],
                reader: str, embedder, cache) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per call, its turns' labels as a reader fitted to the training calls' labels reads them: the training
    calls out of fold (two folds by call), the test calls by a reader fitted on all of them."""
    if reader == "words":
        def inputs(convs):
            return np.array([f"{t.role} {t.text}" for c in convs for t in c.turns], dtype=object)
    else:
        def inputs(convs):
            e = embed_unique([t.text for c in convs for t in c.turns], embedder.embed, cache,
                             key=embedder.id + embedder.checksum)
            return np.column_stack([e, [t.role == "rep" for c in convs for t in c.turns]]).astype(np.float32)

    def new_reader():
        return WordsLabelReader() if reader == "words" else LabelReader(embedder.dim)

    x_train, x_test = inputs(train_convs), inputs(test_convs)
    y_train, y_test = np.concatenate(train_labels), np.concatenate(test_labels)
    fold = np.repeat(np.arange(len(train_convs)) % 2, [len(lab) for lab in train_labels])
    read_train = np.zeros((len(x_train), WIDTH), np.float32)
    for f in (0, 1):
        read_train[fold == f] = new_reader().fit(x_train[fold != f], y_train[fold != f]).read(x_train[fold == f])
    read_test = new_reader().fit(x_train, y_train).read(x_test)
    print(f"labels read on {len(test_convs)} test calls, accuracy: {accuracy(read_test, y_test)}\n")
    return (np.split(read_train, np.cumsum([len(lab) for lab in train_labels])[:-1]),
            np.split(read_test, np.cumsum([len(lab) for lab in test_labels])[:-1]))


def label_calls(train_convs, test_convs, inputs: str, no_tone: bool, reader: str, embedder,
                cache) -> tuple[list[Call], list[Call]]:
    """The training and test calls' label inputs, true or read, with each turn's role and position."""
    train_labels, test_labels = [plan_labels(c) for c in train_convs], [plan_labels(c) for c in test_convs]
    if inputs == "true-labels":
        skip = ("tone",) if no_tone else ()
        train_values = [one_hot(lab, skip) for lab in train_labels]
        test_values = [one_hot(lab, skip) for lab in test_labels]
    else:
        train_values, test_values = read_labels(train_convs, test_convs, train_labels, test_labels, reader,
                                                embedder, cache)

    def calls(values, convs):
        return [(with_role_and_position(v, np.array([t.role for t in c.turns])), np.array(c.p_true, np.float32))
                for v, c in zip(values, convs)]

    return calls(train_values, train_convs), calls(test_values, test_convs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("train")
    ap.add_argument("test")
    ap.add_argument("--cache", type=Path)
    ap.add_argument("--inputs", choices=("state", "read-labels", "true-labels"), default="state")
    ap.add_argument("--no-tone", action="store_true", help="true-labels: leave the prospect's tone out")
    ap.add_argument("--reader", choices=("embedding", "words"),
                    help="read-labels: what the labels are read from (default: embedding)")
    ap.add_argument("--latent-weight", type=float, default=0.0)
    ap.add_argument("--calls", type=int, help="train on the first N calls of the training file")
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--members", type=int, default=4)
    args = ap.parse_args()
    if args.no_tone and args.inputs != "true-labels":
        ap.error("--no-tone goes with --inputs true-labels")
    if args.reader and args.inputs != "read-labels":
        ap.error("--reader goes with --inputs read-labels")
    args.reader = args.reader or "embedding"
    import torch
    import torch.nn.functional as F
    from torch import nn

    torch.set_num_threads(2)
    embedder = load_embedder(None, threads=2)
    train_convs = read_dataset(args.train, labelled=True)[:args.calls]
    test_convs = read_dataset(args.test)
    lexical_in = None
    if args.inputs == "state":
        cols = turn_columns(embedder.dim)
        lexical_in = list(cols).index(feature_schema(embedder.dim)["lexical"][0])
        prepared = prepare(train_convs, embedder, TrainingConfig(), args.cache)
        train = sequences(prepared.table, prepared.train_idx, cols)
        val = sequences(prepared.table, prepared.val_idx, cols)
        embeddings = embed_unique([t.text for c in test_convs for t in c.turns], embedder.embed, args.cache,
                                  key=embedder.id + embedder.checksum)
        test_table = build_state_table(test_convs, embeddings, embedder.dim,
                                       [prepared.lexical.model] * len(test_convs),
                                       [prepared.sequence.model] * len(test_convs))
        test = sequences(test_table, range(len(test_convs)), cols)
        del prepared
    else:
        every, test = label_calls(train_convs, test_convs, args.inputs, args.no_tone, args.reader, embedder,
                                  args.cache)
        train_idx, val_idx = split(len(every), TrainingConfig().val_fraction, TrainingConfig().seed)
        train, val = [every[i] for i in train_idx], [every[i] for i in val_idx]
    width = train[0][0].shape[1]
    stacked = np.concatenate([x for x, _ in train])
    mean, std = stacked.mean(axis=0), np.maximum(stacked.std(axis=0), 1e-3)
    del stacked

    class Reader(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inp = nn.Linear(width, args.hidden)
            self.gru = nn.GRU(args.hidden, args.hidden, batch_first=True)
            self.out = nn.Linear(args.hidden, 1)
            self.latent = nn.Linear(args.hidden, 1)
            nn.init.zeros_(self.out.weight)  # with the state, starts as the lexical score alone, as the policy does
            self.lexical_weight = nn.Parameter(torch.ones(1))
            self.drop = nn.Dropout(0.3)

        def forward(self, x: torch.Tensor, lexical: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            """Per turn: the conversion logit, and the latent probability's logit."""
            h, _ = self.gru(self.drop(torch.relu(self.inp(x))))
            h = self.drop(h)
            return self.out(h).squeeze(-1) + self.lexical_weight * lexical, self.latent(h).squeeze(-1)

    def batch(items: list[Call]):
        """Padded inputs, lexical scores, per-turn weights (1/length: each call weighs the same), the final
        p_true per call, and p_true per turn."""
        n, b = max(len(x) for x, _ in items), len(items)
        x = np.zeros((b, n, width), np.float32)
        lexical, weight, latent = (np.zeros((b, n), np.float32) for _ in range(3))
        target = np.zeros(b, np.float32)
        for i, (turns, p_true) in enumerate(items):
            x[i, :len(turns)] = (turns - mean) / std
            if lexical_in is not None:
                lexical[i, :len(turns)] = turns[:, lexical_in]
            weight[i, :len(turns)] = 1.0 / len(turns)
            target[i] = p_true[-1]
            latent[i, :len(turns)] = p_true
        return tuple(torch.from_numpy(a) for a in (x, lexical, weight, target, latent))

    def predict(net: Reader, items: list[Call]) -> list[np.ndarray]:
        net.eval()
        out = []
        with torch.no_grad():
            for i in range(0, len(items), 512):
                x, lexical, *_ = batch(items[i:i + 512])
                p = torch.sigmoid(net(x, lexical)[0]).numpy()
                out += [p[j, :len(items[i + j][0])] for j in range(len(x))]
        net.train()
        return out

    def weighted_log_loss(logits, targets, weight, calls):
        return (F.binary_cross_entropy_with_logits(logits, targets, reduction="none") * weight).sum() / calls

    def train_member(seed: int) -> list[np.ndarray]:
        torch.manual_seed(seed)
        rng = np.random.default_rng(seed)
        net = Reader()
        opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=0.05)
        by_length = np.argsort([len(x) for x, _ in train])  # batches of alike lengths pad little
        best, best_state, stale = float("inf"), None, 0
        for epoch in range(30):
            start = time.perf_counter()
            chunks = [by_length[i:i + 64] for i in range(0, len(train), 64)]
            rng.shuffle(chunks)
            for chunk in chunks:
                x, lexical, weight, target, latent = batch([train[i] for i in chunk])
                logits, latent_logits = net(x, lexical)
                loss = weighted_log_loss(logits, target[:, None].expand_as(logits), weight, len(chunk))
                if args.latent_weight:
                    loss = loss + args.latent_weight * weighted_log_loss(latent_logits, latent, weight, len(chunk))
                opt.zero_grad()
                loss.backward()
                opt.step()
            val_brier = float(np.mean([np.mean((p - pt[-1]) ** 2) for p, (_, pt) in zip(predict(net, val), val)]))
            print(f"member {seed + 1} epoch {epoch + 1}: validation Brier {val_brier:.5f} "
                  f"({time.perf_counter() - start:.1f} s)", file=sys.stderr)
            if val_brier < best - 1e-5:
                best, best_state, stale = val_brier, {k: v.clone() for k, v in net.state_dict().items()}, 0
            else:
                stale += 1
                if stale >= 4:
                    break
        net.load_state_dict(best_state)
        return predict(net, test)

    final = np.array([pt[-1] for _, pt in test])
    what = f"{args.inputs} (from the {args.reader})" if args.inputs == "read-labels" else args.inputs
    print(f"GRU ({args.hidden} units) reading {what}{' without the tone' if args.no_tone else ''}, "
          f"latent weight {args.latent_weight:g}, trained on {len(train) + len(val)} calls of {args.train}; "
          f"expected Brier gap to the oracle on {args.test}\n")
    print("| members | " + " | ".join(stage_name(s) for s in STAGES) + " |")
    print("| ---: |" + " ---: |" * len(STAGES))
    members: list[list[np.ndarray]] = []
    for seed in range(args.members):
        members.append(train_member(seed))
        mean_p = [np.mean([m[k] for m in members], axis=0) for k in range(len(test))]
        gaps = []
        for stage in STAGES:
            idx = [stage_turn(len(p), stage) - 1 for p in mean_p]
            read = np.array([p[i] for p, i in zip(mean_p, idx)])
            oracle = np.array([pt[i] for (_, pt), i in zip(test, idx)])
            gaps.append(expected_brier_gap(read, oracle, final)[0])
        print(f"| {seed + 1} | " + " | ".join(f"{g:.4f}" for g in gaps) + " |", flush=True)


if __name__ == "__main__":
    main()
