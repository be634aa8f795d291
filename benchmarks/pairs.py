"""Hand-written pairs (benchmarks/data/pairs): does the model put the yes above the no, and the won deal's
notes above the lost one's? And does it find the notes familiar?

    .venv/bin/python benchmarks/pairs.py [--model DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from salesrl.agent.sales_agent import SalesAgent

PAIRS = Path(__file__).resolve().parent / "data" / "pairs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="a model directory (default: the shipped model)")
    args = parser.parse_args()
    agent = SalesAgent.load(args.model)
    ordered = unfamiliar = sides = 0
    for good in sorted(PAIRS.glob("*_yes.txt")) + sorted(PAIRS.glob("*_won.md")):
        bad = good.with_name(good.name.replace("_yes", "_no").replace("_won", "_lost"))
        results = [agent.score(path.read_text(), filename=path.name) for path in (good, bad)]
        up, down = (r.final.probability for r in results)
        ordered += up > down
        unfamiliar += sum(r.status == "unfamiliar" for r in results)
        sides += 2
        print(f"{good.name.split('_')[0]}: {round(100 * up)}% vs {round(100 * down)}% "
              f"{'ordered' if up > down else 'WRONG'} · {results[0].status} / {results[1].status}")
    print(f"pairs ordered right: {ordered}/{sides // 2}; sides called unfamiliar: {unfamiliar}/{sides}")


if __name__ == "__main__":
    main()
