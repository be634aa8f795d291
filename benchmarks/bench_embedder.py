"""How fast the shipped sentence embedder is: ms per short turn at batch 1 and batch 32, and cold load.

    .venv/bin/python benchmarks/bench_embedder.py [--threads 1 2] [--turns 320]

Short turns are about 15 words, like most turns of a sales call. "cold load" is a fresh Python process
that imports agent.embedder, loads the model and embeds one turn; "unpack" is the same with an empty
model cache (the first run after installing). With 2 threads a batch of 32 runs as two of 16 side by side; a
single turn runs on one thread whatever --threads says.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from salesrl.agent.embedder import OnnxEmbedder

WORDS = (
    "we need to think about the budget for next quarter and whether the team can adopt it "
    "before the renewal so could you send pricing for the enterprise plan with onboarding "
    "support our CFO wants to see the ROI numbers and a security review by legal first "
    "honestly the current tool is too slow and reps keep missing follow ups after demos"
).split()

COLD_LOAD = """
import time
t0 = time.perf_counter()
from pathlib import Path
from salesrl.agent.embedder import OnnxEmbedder
e = OnnxEmbedder.load(cache=Path({cache!r}), threads={threads})
e.embed(["Thanks for the demo, can you send the pricing for fifty seats?"])
print(time.perf_counter() - t0)
"""


def short_turns(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 18))).capitalize() + "." for _ in range(n)]


def ms_per_turn(embedder: OnnxEmbedder, turns: list[str], batch: int, repeats: int) -> tuple[float, float]:
    """Best wall-clock and CPU milliseconds per turn (CPU time counts every thread of the process)."""
    batches = [turns[i : i + batch] for i in range(0, len(turns), batch)]
    embedder.embed(batches[0])  # warm-up
    wall = cpu = float("inf")
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        for b in batches:
            embedder.embed(b)
        wall = min(wall, (time.perf_counter() - t0) * 1000 / len(turns))
        cpu = min(cpu, (time.process_time() - c0) * 1000 / len(turns))
    return wall, cpu


def cold_load_s(threads: int, cache: Path, runs: int) -> float:
    repo = Path(__file__).resolve().parent.parent
    times = []
    for _ in range(runs):
        code = COLD_LOAD.format(cache=str(cache), threads=threads)
        out = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, check=True)
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2],
                        help="batches run at once, one thread each (agent.embedder.DEFAULT_THREADS)")
    parser.add_argument("--turns", type=int, default=320, help="short turns per measurement")
    parser.add_argument("--repeats", type=int, default=3, help="best of this many passes")
    parser.add_argument("--cold-runs", type=int, default=3, help="fresh processes per cold-load figure")
    args = parser.parse_args(argv)

    turns = short_turns(args.turns)
    print(f"{len(turns)} short turns of {statistics.mean(len(t.split()) for t in turns):.1f} words; best of {args.repeats}; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    floor = ms_per_turn(OnnxEmbedder.load(threads=1), turns, 1, args.repeats)[0]
    print(f"floor (issue 31): batch 1 on one thread, {floor:.2f} ms/turn; each figure's multiple of it in brackets")
    print("ms/turn: wall clock [x floor] (CPU time of the process)")
    print(f"{'threads':>7} {'batch 1 ms/turn':>23} {'batch 32 ms/turn':>23} {'cold load s':>12} {'unpack s':>9}")
    with tempfile.TemporaryDirectory(prefix="salesrl-bench-") as tmp:
        for threads in args.threads:
            empty = Path(tmp) / f"empty-{threads}"
            unpack = cold_load_s(threads, empty, 1)  # the first run unpacks into the empty cache
            cold = cold_load_s(threads, empty, args.cold_runs)  # then the cache is warm
            embedder = OnnxEmbedder.load(threads=threads, cache=empty)
            b1, b32 = (ms_per_turn(embedder, turns, batch, args.repeats) for batch in (1, 32))
            b1s, b32s = (f"{wall:.2f} [{wall / floor:.2f}x] ({cpu:.2f})" for wall, cpu in (b1, b32))
            print(f"{threads:>7} {b1s:>23} {b32s:>23} {cold:>12.2f} {unpack:>9.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
