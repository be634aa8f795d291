"""Would a recurrent reader of the turns beat the policy's state, which sums and recency-weights them?

    .venv/bin/python benchmarks/sequence_probe.py data/v2_synth_train20k.jsonl data/v2_synth_test5k.jsonl \
        [--cache data/cache] [--hidden 128] [--members 4]

A probe, not a policy: a GRU reads, turn by turn, each turn's own part of the state (the latest turn's
embedding, the interaction metrics, the signals, the lexical score of the prefix and the position), with the
lexical score also added to its output as the policy's skip adds it. It is trained as `--algo supervised` is
(the expected target at every turn, each call weighing the same, weight decay 0.05, dropout 0.3, early
stopping on the same held-out tenth), on the training calls `salesrl train` would use, with the same
out-of-fold lexical scores; the test calls get the lexical model fitted on all of them. Prints, as members
are added to the average, the expected Brier gap to the oracle on the test file at the four stages
(agent.training.evaluate.expected_brier_gap; the test file must record `p_true`). Needs the [train] extra.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.dataset import read_dataset  # noqa: E402
from agent.embedder import load_embedder  # noqa: E402
from agent.features import feature_schema  # noqa: E402
from agent.training.evaluate import STAGES, expected_brier_gap, stage_name, stage_turn  # noqa: E402
from agent.training.pipeline import TrainOptions, prepare  # noqa: E402
from agent.training.states import StateTable, build_state_table, embed_unique  # noqa: E402


def turn_columns(dim: int) -> np.ndarray:
    """The state columns that describe the latest turn alone, or the prefix in a few numbers."""
    schema = feature_schema(dim)
    return np.r_[np.arange(*schema["latest"]), np.arange(schema["metrics"][0], schema["position"][1])]


def sequences(table: StateTable, convs, cols: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per conversation: its turns' inputs, and its p_true per turn."""
    out = []
    for c in convs:
        rows = slice(table.starts[c], table.starts[c] + table.lengths[c])
        out.append((table.states[rows][:, cols].copy(), table.p_true[rows].copy()))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("train")
    ap.add_argument("test")
    ap.add_argument("--cache", type=Path)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--members", type=int, default=4)
    args = ap.parse_args()
    import torch
    import torch.nn.functional as F
    from torch import nn

    torch.set_num_threads(2)
    embedder = load_embedder(None, threads=2)
    cols = turn_columns(embedder.dim)
    lexical_in = list(cols).index(feature_schema(embedder.dim)["lexical"][0])
    prepared = prepare(read_dataset(args.train, labelled=True), embedder, TrainOptions(), args.cache)
    train = sequences(prepared.table, prepared.train_idx, cols)
    val = sequences(prepared.table, prepared.val_idx, cols)
    test_convs = read_dataset(args.test)
    embeddings = embed_unique([t.text for c in test_convs for t in c.turns], embedder.embed, args.cache,
                              key=embedder.id + embedder.checksum)
    test_table = build_state_table(test_convs, embeddings, embedder.dim, [prepared.lexical.model] * len(test_convs))
    test = sequences(test_table, range(len(test_convs)), cols)
    del prepared
    stacked = np.concatenate([x for x, _ in train])
    mean, std = stacked.mean(axis=0), np.maximum(stacked.std(axis=0), 1e-3)
    del stacked

    class Reader(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inp = nn.Linear(len(cols), args.hidden)
            self.gru = nn.GRU(args.hidden, args.hidden, batch_first=True)
            self.out = nn.Linear(args.hidden, 1)
            nn.init.zeros_(self.out.weight)  # starts as the lexical score alone, as the policy does
            self.lexical_weight = nn.Parameter(torch.ones(1))
            self.drop = nn.Dropout(0.3)

        def forward(self, x: torch.Tensor, lexical: torch.Tensor) -> torch.Tensor:
            h, _ = self.gru(self.drop(torch.relu(self.inp(x))))
            return self.out(self.drop(h)).squeeze(-1) + self.lexical_weight * lexical

    def batch(items):
        """Padded inputs, lexical scores, per-turn weights (1/length: each call weighs the same), targets."""
        n, b = max(len(x) for x, _ in items), len(items)
        x = np.zeros((b, n, len(cols)), np.float32)
        lexical, weight, target = np.zeros((b, n), np.float32), np.zeros((b, n), np.float32), np.zeros(b, np.float32)
        for i, (turns, p_true) in enumerate(items):
            x[i, :len(turns)] = (turns - mean) / std
            lexical[i, :len(turns)] = turns[:, lexical_in]
            weight[i, :len(turns)] = 1.0 / len(turns)
            target[i] = p_true[-1]
        return tuple(torch.from_numpy(a) for a in (x, lexical, weight, target))

    def predict(net: Reader, items) -> list[np.ndarray]:
        net.eval()
        out = []
        with torch.no_grad():
            for i in range(0, len(items), 512):
                x, lexical, _, _ = batch(items[i:i + 512])
                p = torch.sigmoid(net(x, lexical)).numpy()
                out += [p[j, :len(items[i + j][0])] for j in range(len(x))]
        net.train()
        return out

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
                x, lexical, weight, target = batch([train[i] for i in chunk])
                logits = net(x, lexical)
                loss = (F.binary_cross_entropy_with_logits(logits, target[:, None].expand_as(logits),
                                                           reduction="none") * weight).sum() / len(chunk)
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
    print(f"GRU ({args.hidden} units) trained on {args.train}, expected Brier gap to the oracle on {args.test}\n")
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
