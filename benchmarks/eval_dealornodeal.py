"""The agent against the TF-IDF baseline on real negotiations: Deal or No Deal (Lewis et al. 2017).

    .venv/bin/python benchmarks/eval_dealornodeal.py [PATH/dealornodeal.jsonl] [--algo td --algo supervised]
        [--folds 5]

The data (CC BY-NC 4.0) is read at run time from PATH (default ../shared/datasets/dealornodeal.jsonl beside
the repository) and never copied into it: the fixed stratified 80/20 split (seed 0) is written to a
temporary directory. For each --algo it trains a model on the 80% (`salesrl train`), evaluates it on the
20% with the baseline fitted on the same 80% (`salesrl eval --train`), and prints one Markdown comparison
beside the published 5-fold reference baseline. With --folds K it does this on each of K stratified folds
(seed 0; the first fold's test part is not the 80/20 split's) and prints the mean over the folds, with the
standard deviation: one 20% test part has about 1,200 calls, so a single split's AUC moves by about 0.02.
Then the OOD check (on the 80/20 split's test part): the shipped synthetic-trained model (models/policy, or
--shipped DIR) should find these negotiations unfamiliar; its in-domain side is --in-domain FILE or 300
freshly generated synthetic calls.
"""

from __future__ import annotations

import argparse
import os
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from salesrl.agent.dataset import Conversation, read_dataset, write_dataset  # noqa: E402
from salesrl.agent.training.config import TrainingConfig  # noqa: E402
from salesrl.agent.training.evaluate import STAGES, stage_name  # noqa: E402
from salesrl.agent.training.pipeline import run  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "datasets" / "dealornodeal.jsonl"
# The published reference: TF-IDF 1-2 grams + logistic regression on stage prefixes, 5-fold.
REFERENCE = {"auc": (0.693, 0.755, 0.803, 0.828), "brier": (0.151, 0.134, 0.118, 0.105)}


def stratified_folds(convs: list[Conversation], k: int, seed: int = 0
                     ) -> list[tuple[list[Conversation], list[Conversation]]]:
    """K (train, test) pairs; every conversation is in exactly one test part, each part keeps the deal rate."""
    rng = np.random.default_rng(seed)
    fold_of = np.zeros(len(convs), dtype=int)
    for outcome in (0, 1):
        members = [i for i, c in enumerate(convs) if c.outcome == outcome]
        fold_of[np.array(members)[rng.permutation(len(members))]] = np.arange(len(members)) % k
    return [([c for c, f in zip(convs, fold_of) if f != i], [c for c, f in zip(convs, fold_of) if f == i])
            for i in range(k)]


def mean_over_folds(reports: list[dict]) -> dict:
    """The stage metrics of several folds' reports, averaged, with "<metric>_sd" beside each."""
    stages: dict[str, dict] = {}
    for name in reports[0]["stages"]:
        stages[name] = {}
        for who in ("model", "baseline"):
            metrics = reports[0]["stages"][name][who]
            entry = {}
            for m in metrics:
                values = [r["stages"][name][who][m] for r in reports]
                entry[m], entry[f"{m}_sd"] = float(np.mean(values)), float(np.std(values, ddof=1))
            stages[name][who] = entry
    return {"folds": len(reports), "stages": stages}


def stratified_split(convs: list[Conversation], test_share: float = 0.2, seed: int = 0
                     ) -> tuple[list[Conversation], list[Conversation]]:
    rng = np.random.default_rng(seed)
    train, test = [], []
    for outcome in (0, 1):
        group = [c for c in convs if c.outcome == outcome]
        order = rng.permutation(len(group))
        n_test = int(round(len(group) * test_share))
        test += [group[i] for i in sorted(order[:n_test])]
        train += [group[i] for i in sorted(order[n_test:])]
    return train, test


def comparison(reports: dict[str, dict]) -> str:
    """One row per stage: AUC and Brier of each model, of the baseline on this split, and the reference."""
    algos = list(reports)
    header = ["stage"] + [f"{a} AUC" for a in algos] + ["baseline AUC", "reference AUC"] \
        + [f"{a} Brier" for a in algos] + ["baseline Brier", "reference Brier"]
    lines = ["| " + " | ".join(header) + " |", "| --- |" + " ---: |" * (len(header) - 1)]
    first = reports[algos[0]]
    for i, stage in enumerate(STAGES):
        name = stage_name(stage)
        aucs = [reports[a]["stages"][name]["model"]["auc"] for a in algos] + [first["stages"][name]["baseline"]["auc"]]
        briers = [reports[a]["stages"][name]["model"]["brier"] for a in algos]
        briers += [first["stages"][name]["baseline"]["brier"]]
        row = [name] + [f"{v:.3f}" for v in aucs] + [f"{REFERENCE['auc'][i]:.3f}"]  # published to 3 decimals
        row += [f"{v:.4f}" for v in briers] + [f"{REFERENCE['brier'][i]:.3f}"]
        lines.append("| " + " | ".join(row) + " |")
    if "folds" in first:
        def spread(report: dict, who: str) -> str:
            entries = [report["stages"][stage_name(st)][who] for st in STAGES]
            return ", ".join(f"{e['auc_sd']:.3f} / {e['brier_sd']:.4f}" for e in entries)

        lines.append(f"\nMean over {first['folds']} folds; standard deviation across folds, AUC / Brier:")
        lines += [f"- {a}: {spread(reports[a], 'model')}" for a in algos]
        lines.append(f"- baseline: {spread(first, 'baseline')}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data", nargs="?", default=str(DEFAULT_DATA), help="path of dealornodeal.jsonl")
    ap.add_argument("--algo", action="append", choices=("td", "supervised", "ppo"),
                    help="algorithms to train (repeatable; default td and supervised)")
    ap.add_argument("--folds", type=int, default=1,
                    help="1: the fixed stratified 80/20 split (default); K > 1: K-fold cross-validation")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--members", type=int, default=TrainingConfig.members)
    ap.add_argument("--embedder", default=None, help="embedder id (default: the shipped MiniLM)")
    ap.add_argument("--shipped", default=str(ROOT / "models" / "policy"),
                    help="the synthetic-trained model for the OOD check (default: models/policy)")
    ap.add_argument("--in-domain", default=None,
                    help="synthetic calls for the in-domain side of the OOD check (default: 300 fresh ones)")
    ap.add_argument("--full", action="store_true", help="also print each model's whole `salesrl eval` report")
    ap.add_argument("--json", default=None, help="write every report to this JSON file")
    ap.add_argument("--cache", default=None,
                    help="directory to keep turn embeddings between runs (outside the repository; default: none)")
    args = ap.parse_args()
    algos = args.algo or ["td", "supervised"]

    from salesrl.agent.embedder import load_embedder
    from salesrl.agent.sales_agent import SalesAgent
    from salesrl.agent.training.evaluate import evaluate, ood_section, score_dataset
    from salesrl.bot.cli_eval import render_markdown

    path = Path(args.data)
    if not path.is_file():
        sys.exit(f"{path}: no such file (give the path of dealornodeal.jsonl)")
    if args.folds < 1:
        sys.exit("--folds must be 1 (the 80/20 split) or more")
    if args.folds > 1 and args.full:
        sys.exit("--full prints one split's whole report: use it without --folds")
    convs = read_dataset(path, labelled=True)
    train, test = stratified_split(convs)
    embedder = load_embedder(args.embedder, threads=os.cpu_count() or 1)
    reports: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="salesrl-dnd-") as tmp_dir:
        tmp = Path(tmp_dir)
        cache = Path(args.cache) if args.cache else tmp / "cache"
        splits = [(train, test)] if args.folds == 1 else stratified_folds(convs, args.folds)
        protocol = "split 80/20 stratified" if args.folds == 1 else f"{args.folds} stratified folds"
        print(f"Deal or No Deal: {len(convs)} conversations ({np.mean([c.outcome for c in convs]):.1%} deals); "
              f"{protocol}, seed 0: " + ", ".join(f"{len(a)} train / {len(b)} test" for a, b in splits),
              file=sys.stderr)

        def train_and_evaluate(algo: str, part: Path) -> dict:
            t0 = time.perf_counter()
            opts = TrainingConfig(algo=algo, epochs=args.epochs, members=args.members)
            run(str(part / "train.jsonl"), str(part / algo), opts, embedder,
                f"salesrl train --data train.jsonl --out {algo} --algo {algo}", cache=cache)
            t1 = time.perf_counter()
            agent = SalesAgent.load(part / algo, embedder=embedder)
            report = evaluate(agent, str(part / "test.jsonl"), train=str(part / "train.jsonl"), cache=cache)
            print(f"{part.name} {algo}: trained in {t1 - t0:.0f} s, evaluated in {time.perf_counter() - t1:.0f} s",
                  file=sys.stderr)
            return report

        per_split: dict[str, list[dict]] = {algo: [] for algo in algos}
        for i, (fold_train, fold_test) in enumerate(splits):
            part = tmp / f"split{i}"
            part.mkdir()
            write_dataset(fold_train, part / "train.jsonl")
            write_dataset(fold_test, part / "test.jsonl")
            for algo in algos:
                per_split[algo].append(train_and_evaluate(algo, part))
        for algo in algos:
            reports[algo] = per_split[algo][0] if args.folds == 1 else mean_over_folds(per_split[algo])

        protocol = "same 80/20 split" if args.folds == 1 else f"same {args.folds} folds"
        print(f"## Deal or No Deal: model vs TF-IDF baseline ({protocol}) vs published reference (5-fold)\n")
        print(comparison(reports))
        if args.full:
            for algo, report in reports.items():
                print(f"\n<!-- {algo} -->\n")
                print(render_markdown(report))

        shipped = Path(args.shipped)
        print(f"\n## OOD check: the synthetic-trained model `{shipped.name}` on Deal or No Deal\n")
        if not (shipped / "policy.onnx").is_file():
            print(f"({shipped} is not there yet: skipped)")
        else:
            agent = SalesAgent.load(shipped)
            if args.in_domain:
                in_convs, in_name = read_dataset(args.in_domain), Path(args.in_domain).name
            else:
                from salesrl.agent.synth import generate

                in_convs, in_name = generate(300, seed=987_654), "300 fresh synthetic calls (seed 987654)"
            in_dom = score_dataset(agent, in_convs)
            ood = score_dataset(agent, test, cache=cache)
            o = ood_section(in_dom, ood, "dealornodeal_test.jsonl")
            reports["ood_check"] = o
            print(f"AUROC of the final turn's OOD distance, Deal or No Deal test ({len(test)}) against {in_name}: "
                  f"{o['auroc']:.3f}. Flagged unfamiliar (in-distribution < 0.1): "
                  f"{o['flagged_unfamiliar']['ood']:.1%} of negotiations, {o['flagged_unfamiliar']['data']:.1%} "
                  "of synthetic calls.")
    if args.json:
        Path(args.json).write_text(json.dumps(reports, indent=1))


if __name__ == "__main__":
    main()
