"""How many closed calls a team needs before its own model helps: `salesrl train` (model selection included)
on growing subsamples of a labelled corpus, against the TF-IDF baseline and the shipped model.

    nice -n 10 .venv/bin/python benchmarks/learning_curve.py PATH/dealornodeal.jsonl --cache DIR --json OUT
        [--sizes 100,300,1000,all] [--repeats 3] [--members 10] [--epochs 20]

One fixed held-out 20% (seed 0, stratified) scores every run. For each training size, `--repeats` random
subsamples of the other 80% are each trained on by the same function `salesrl train` calls (the shipped model as
the prior), and the TF-IDF baseline is fitted on the same subsample. Per stage: AUC, Brier and ECE of the team
model, the baseline and the shipped model (mean over the subsamples, with their min and max); the mean width
of the team model's 80% range; and the range's checks: the Brier of the held-out calls without the 20% with the
widest range, against all of them. A second table pairs each subsample's team model with the baseline fitted on
that subsample: the mean difference and in how many subsamples the team model is level with it. The data (Deal or
No Deal is CC BY-NC 4.0) is read where it lies and written only to a temporary directory.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from salesrl.agent.dataset import Conversation, read_dataset, write_dataset  # noqa: E402
from salesrl.agent.embedder import load_embedder  # noqa: E402
from salesrl.agent.sales_agent import SalesAgent  # noqa: E402
from salesrl.agent.training.baseline import TfidfBaseline  # noqa: E402
from salesrl.agent.training.config import TrainingConfig  # noqa: E402
from salesrl.agent.training.evaluate import STAGES, at_stage, auc, brier, ece, score_dataset, stage_name  # noqa: E402
from salesrl.agent.training.pipeline import run  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
from eval_dealornodeal import stratified_folds  # noqa: E402


def at_stages(scored, field: str) -> dict[float, np.ndarray]:
    return {s: at_stage(scored, s, field) for s in STAGES}


def metrics(y: np.ndarray, by_stage: dict[float, np.ndarray]) -> dict[str, dict[str, float]]:
    return {stage_name(s): {"auc": auc(y, p), "brier": brier(y, p), "ece": ece(y, p)} for s, p in by_stage.items()}


def drop_most_uncertain(y: np.ndarray, p: dict[float, np.ndarray], half: dict[float, np.ndarray]) -> dict[str, list[float]]:
    """Per stage, [Brier of all held-out calls, Brier without the 20% with the widest range]."""
    out = {}
    for s in STAGES:
        keep = half[s] <= np.quantile(half[s], 0.8)
        out[stage_name(s)] = [brier(y, p[s]), brier(y[keep], p[s][keep])]
    return out


def one_run(train: list[Conversation], test: list[Conversation], y: np.ndarray, work: Path, config: TrainingConfig,
            embedder, prior: SalesAgent, cache: Path) -> dict:
    write_dataset(train, work / "train.jsonl")
    start = time.perf_counter()
    meta = run(str(work / "train.jsonl"), str(work / "model"), config, embedder, "learning curve", cache=cache,
               prior=prior, force=True)
    seconds = time.perf_counter() - start
    agent = SalesAgent.load(work / "model", embedder=embedder)
    scored = score_dataset(agent, test, cache=cache)
    p, half = at_stages(scored, "probability"), at_stages(scored, "uncertainty")
    baseline = TfidfBaseline(seed=config.seed).fit(train).predict_stages(test)
    chosen = (meta["selection"] or {}).get("chosen", "none: too few won or lost calls")
    if (meta["selection"] or {}).get("uses_ended"):
        chosen += " (+ ended)"  # the call's last turn scored by the head's `ended` fit (agent.head)
    return {"calls": len(train), "seconds": round(seconds, 1), "chosen": chosen,
            "team": metrics(y, p), "baseline": metrics(y, baseline),
            "range_width": {stage_name(s): float(np.mean(2 * half[s])) for s in STAGES},
            "drop_20pct_most_uncertain": drop_most_uncertain(y, p, half)}


def stratified_sample(pool: list[Conversation], size: int, seed: int) -> list[Conversation]:
    """`size` calls with the pool's deal rate (at 100 calls a plain sample can have too few lost calls)."""
    rng = np.random.default_rng(seed)
    won = [i for i, c in enumerate(pool) if c.outcome == 1]
    lost = [i for i, c in enumerate(pool) if c.outcome == 0]
    n_lost = int(round(size * len(lost) / len(pool)))
    picked = list(rng.choice(lost, n_lost, replace=False)) + list(rng.choice(won, size - n_lost, replace=False))
    return [pool[i] for i in sorted(picked)]


def summarise(runs: list[dict]) -> dict:
    """Mean, min and max over the subsamples of every figure."""
    out: dict = {"runs": len(runs), "calls": runs[0]["calls"], "chosen": [r["chosen"] for r in runs], "each": runs,
                 "seconds": float(np.mean([r["seconds"] for r in runs]))}
    for who in ("team", "baseline"):
        out[who] = {st: {m: [float(np.mean(v)), float(np.min(v)), float(np.max(v))]
                         for m in ("auc", "brier", "ece") for v in [[r[who][st][m] for r in runs]]}
                    for st in runs[0][who]}
    out["range_width"] = {st: float(np.mean([r["range_width"][st] for r in runs])) for st in runs[0]["range_width"]}
    out["drop_20pct_most_uncertain"] = {
        st: [float(np.mean([r["drop_20pct_most_uncertain"][st][i] for r in runs])) for i in (0, 1)]
        for st in runs[0]["drop_20pct_most_uncertain"]}
    return out


def markdown(result: dict) -> str:
    lines = ["| calls | stage | team AUC | baseline AUC | shipped AUC | team Brier | baseline Brier | shipped Brier "
             "| team ECE | range width | Brier without the 20% most uncertain |", "|---" * 11 + "|"]
    shipped = result["shipped"]
    for row in result["sizes"]:
        for st in row["team"]:
            t, b = row["team"][st], row["baseline"][st]
            drop = row["drop_20pct_most_uncertain"][st]
            lines.append(
                f"| {row['calls']:,} | {st} | {t['auc'][0]:.3f} ({t['auc'][1]:.3f}-{t['auc'][2]:.3f}) "
                f"| {b['auc'][0]:.3f} ({b['auc'][1]:.3f}-{b['auc'][2]:.3f}) | {shipped[st]['auc']:.3f} "
                f"| {t['brier'][0]:.4f} ({t['brier'][1]:.4f}-{t['brier'][2]:.4f}) "
                f"| {b['brier'][0]:.4f} ({b['brier'][1]:.4f}-{b['brier'][2]:.4f}) | {shipped[st]['brier']:.4f} "
                f"| {t['ece'][0]:.3f} | {row['range_width'][st]:.3f} | {drop[1]:.4f} (all: {drop[0]:.4f}) |")
    return "\n".join(lines) + "\n"


def paired(result: dict) -> str:
    """Per size and stage, the team model against the baseline fitted on the same subsample: the mean difference
    and in how many subsamples it is level (AUC no lower; Brier at most 0.002 higher)."""
    lines = ["| calls | stage | AUC team - baseline: mean (min to max) | subsamples with AUC no lower "
             "| Brier team - baseline: mean (min to max) | subsamples with Brier at most +0.002 |", "|---" * 6 + "|"]
    for row in result["sizes"]:
        for st in row["team"]:
            d_auc, d_brier = (np.array([r["team"][st][m] - r["baseline"][st][m] for r in row["each"]])
                              for m in ("auc", "brier"))
            lines.append(f"| {row['calls']:,} | {st} | {d_auc.mean():+.3f} ({d_auc.min():+.3f} to {d_auc.max():+.3f}) "
                         f"| {(d_auc >= 0).sum()}/{len(d_auc)} | {d_brier.mean():+.4f} ({d_brier.min():+.4f} to "
                         f"{d_brier.max():+.4f}) | {(d_brier <= 0.002).sum()}/{len(d_brier)} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", type=Path)
    ap.add_argument("--cache", type=Path, required=True, help="turn embeddings, shared between runs")
    ap.add_argument("--json", type=Path, required=True)
    ap.add_argument("--sizes", default="100,300,1000,3000,all")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--repeats-large", type=int, default=None,
                    help="repeats for sizes of 1,000 calls or more (default --repeats): they cost the most")
    ap.add_argument("--members", type=int, default=TrainingConfig().members)
    ap.add_argument("--epochs", type=int, default=TrainingConfig().epochs)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    convs = read_dataset(str(args.data), labelled=True)
    pool, test = stratified_folds(convs, 5, seed=0)[0]
    y = np.array([c.outcome for c in test], dtype=float)
    embedder = load_embedder(None, threads=os.cpu_count() or 1)
    prior = SalesAgent.load(embedder=embedder)
    shipped = metrics(y, at_stages(score_dataset(prior, test, cache=args.cache), "probability"))
    config = TrainingConfig(members=args.members, epochs=args.epochs, seed=args.seed)
    result: dict = {"data": args.data.name, "test_calls": len(test), "pool_calls": len(pool),
                    "config": {"members": args.members, "epochs": args.epochs, "repeats": args.repeats,
                               "repeats_large": args.repeats_large},
                    "load_average_start": os.getloadavg()[0], "shipped": shipped, "sizes": []}
    for size_text in args.sizes.split(","):
        size = len(pool) if size_text == "all" else min(int(size_text), len(pool))
        repeats = 1 if size == len(pool) else (args.repeats_large or args.repeats) if size >= 1000 else args.repeats
        runs = []
        for r in range(repeats):
            train = stratified_sample(pool, size, args.seed + 1000 * r + size)
            with tempfile.TemporaryDirectory() as tmp:
                runs.append(one_run(train, test, y, Path(tmp), config, embedder, prior, args.cache))
            print(f"{size} calls, run {r + 1}/{repeats}: chosen {runs[-1]['chosen']}, {runs[-1]['seconds']} s, "
                  f"team Brier {[round(v['brier'], 4) for v in runs[-1]['team'].values()]}, baseline "
                  f"{[round(v['brier'], 4) for v in runs[-1]['baseline'].values()]}", flush=True)
        result["sizes"].append(summarise(runs))
        result["load_average_end"] = os.getloadavg()[0]
        args.json.write_text(json.dumps(result, indent=1) + "\n")  # after each size: a partial run still says something
    print(markdown(result))
    print(paired(result))


if __name__ == "__main__":
    main()
