"""Agent latency on this machine: a live turn, a 100-turn transcript end to end, and cold start.

    .venv/bin/python benchmarks/bench_agent.py [--model DIR]   (default: the shipped models/policy)

Targets (issue 2): live turn <= 3 ms median, 100-turn transcript <= 200 ms, load + first score <= 1.5 s.
Cold start runs in a fresh process so nothing is cached in memory. Beside the live turn and the transcript, the
embedder's floor for the same texts (each embedded alone on one core, measured in the same run: issue 31) and
the ratio, so that the figures can be read on a busy machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINES = [
    ("Ana", "Thanks for making the time today. What prompted you to look at this now?"),
    ("Ben", "Our team spends hours every week reconciling invoices by hand and it's getting worse."),
    ("Ana", "How many people touch that process, and what does a bad month cost you?"),
    ("Ben", "About six people, and last quarter we paid two late fees that hurt."),
    ("Ana", "Customers like you usually cut that work by half in the first month."),
    ("Ben", "That would matter. What does pricing look like for a team our size?"),
]

COLD = """
import time; t = time.perf_counter()
from salesrl.agent.sales_agent import SalesAgent
a = SalesAgent.load({model!r}, threads=2); a.score(open({path!r}).read())
print(time.perf_counter() - t)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="model directory (default: the shipped models/policy)")
    args = ap.parse_args()
    from salesrl.agent.sales_agent import SalesAgent

    agent = SalesAgent.load(args.model, threads=2)  # as `salesrl score` runs it on this 2-core machine
    floor_embedder = SalesAgent.load(args.model, threads=1).embedder
    transcript = "\n".join(f"{s}: {t}" for s, t in (LINES * 17)[:100])
    agent.score(transcript)  # warm up
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    session = agent.session(reps=["Ana"])
    live = []
    for s, t in (LINES * 20)[:120]:
        t0 = time.perf_counter()
        session.add_turn(s, t)
        live.append((time.perf_counter() - t0) * 1000)

    full, floors = [], []  # the floor beside each run: the transcript's 100 texts each embedded alone, one core
    texts = [t for _, t in (LINES * 17)[:100]]
    for _ in range(15):
        t0 = time.perf_counter()
        agent.score(transcript)
        full.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        for text in texts:
            floor_embedder.embed([text])
        floors.append((time.perf_counter() - t0) * 1000)

    cold_script = COLD.format(model=args.model, path=str(ROOT / "examples" / "strong_call.txt"))
    cold = [float(subprocess.run([sys.executable, "-c", cold_script], cwd=ROOT, check=True,
                                 capture_output=True, text=True).stdout) for _ in range(3)]

    q = statistics.quantiles
    floor_turn = statistics.median(floors) / len(texts)
    print(f"floor: one text embedded alone on one core, median {floor_turn:.2f} ms a turn")
    print(f"live turn: median {statistics.median(live):.2f} ms, p95 {q(live, n=20)[18]:.2f} ms (n={len(live)}); "
          f"{statistics.median(live) / floor_turn:.2f}x the floor")
    print(f"100-turn transcript end to end: median {statistics.median(full):.1f} ms (n={len(full)}); "
          f"{statistics.median([f / g for f, g in zip(full, floors)]):.2f}x its floor ({statistics.median(floors):.0f} ms)")
    print(f"cold start (load + first score, fresh process): median {statistics.median(cold):.2f} s (n={len(cold)})")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
