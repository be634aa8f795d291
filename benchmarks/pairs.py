"""Hand-written pairs (benchmarks/data/pairs): does the model put the yes above the no, and the won deal's
notes above the lost one's? And does it find the notes familiar?

    .venv/bin/python benchmarks/pairs.py [--model DIR] [--set hand|blind|test] [--curves]

`hand` is the first set (pNN calls, nNN notes); `blind` is a second author's set (qNN, in every format the
product reads), written without reading the simulator. `test` is a third author's set (rNN, written the same
way, blind): a test set to measure a change to the training data with, never to tune on. `--curves` prints
both sides' turn-by-turn probabilities from the first turn where they differ.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from salesrl.agent.sales_agent import SalesAgent

PAIRS = Path(__file__).resolve().parent / "data" / "pairs"
SETS = {"hand": ("p*_yes.txt", "n*_won.md"), "blind": ("q*_yes.*", "q*_won.*"),
        "test": ("r*_yes.*", "r*_won.*")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="a model directory (default: the shipped model)")
    parser.add_argument("--set", choices=SETS, default="hand", help="which pairs (default: hand)")
    parser.add_argument("--curves", action="store_true", help="print the turn-by-turn curves after the split")
    args = parser.parse_args()
    agent = SalesAgent.load(args.model)
    ordered = unfamiliar = sides = 0
    for good in [path for pattern in SETS[args.set] for path in sorted(PAIRS.glob(pattern))]:
        bad = good.with_name(good.name.replace("_yes", "_no").replace("_won", "_lost"))
        results = [agent.score(path.read_text(), filename=path.name) for path in (good, bad)]
        up, down = (r.final.probability for r in results)
        ordered += up > down
        unfamiliar += sum(r.status == "unfamiliar" for r in results)
        sides += 2
        print(f"{good.name.split('_')[0]}: {round(100 * up)}% vs {round(100 * down)}% "
              f"{'ordered' if up > down else 'WRONG'} · {results[0].status} / {results[1].status}")
        if args.curves:
            turns = [r.points for r in results]
            split = next(i for i, (a, b) in enumerate(zip(*turns)) if a.text != b.text)
            for label, side in zip(("  yes", "  no "), turns):
                print(f"{label} from turn {split + 1}: " + " ".join(f"{round(100 * t.probability)}" for t in side[split:]))
    print(f"pairs ordered right: {ordered}/{sides // 2}; sides called unfamiliar: {unfamiliar}/{sides}")


if __name__ == "__main__":
    main()
