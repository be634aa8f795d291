"""Scoring and training beside the embedder's floor (issue 31): each figure next to the time the same texts
take embedded one at a time on one core, and the ratio, so the figures hold on a noisy shared machine.

    nice -n 10 .venv/bin/python benchmarks/bench_floor.py [--repeats 5] [--calls 20] [--train-calls 2000]

Transcripts are realistic: the shipped examples/ and the first --calls calls of the synthetic test set
(`salesrl synth --seed 2`). Training texts are the distinct turn texts of the first --train-calls calls of
the training set (`--seed 1`), embedded as `salesrl train` embeds them (agent.training.states.embed_unique,
every core). Each figure is the median over --repeats runs, and the floor is measured in the same run.
Issue 31's targets are printed beside the figures; BENCHMARKS.md ("The embedder's floor") records a run.
The live figures start each run with the signals' cache empty (agent.signals.detect keeps its answers per text),
as a live session meets every turn's text for the first time; `--breakdown` adds what the parts of a live turn, and of
a whole transcript after its embedding, cost.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from salesrl.agent.embedder import OnnxEmbedder  # noqa: E402
from salesrl.agent.sales_agent import SalesAgent  # noqa: E402
from salesrl.agent.signals import detect  # noqa: E402
from salesrl.agent.synth import generate  # noqa: E402
from salesrl.agent.training.states import embed_unique  # noqa: E402
from salesrl.agent.transcript import parse_transcript  # noqa: E402
from salesrl.agent.types import Turn  # noqa: E402


def transcripts(calls: int) -> list[tuple[Turn, ...]]:
    examples = [parse_transcript(p.read_bytes(), filename=p.name).turns
                for p in sorted((ROOT / "examples").iterdir()) if p.name != "README.md"]
    return examples + [c.turns for c in generate(calls, seed=2)]


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def cpu_timed(fn: Callable[[], object]) -> float:
    """This thread's CPU time: for work on the calling thread alone, unaffected by other processes taking turns
    on the cores (their share of the caches still shows)."""
    start = time.thread_time()
    fn()
    return time.thread_time() - start


def row(what: str, value: float, unit: str, floor_value: float, ratio: float, target: str = "") -> None:
    print(f"{what:<56} {value:8.2f} {unit} (floor {floor_value:8.2f} {unit}) {ratio:5.2f}x floor  {target}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--calls", type=int, default=20, help="synthetic test calls beside examples/")
    ap.add_argument("--train-calls", type=int, default=2000, help="0 skips the training figure")
    ap.add_argument("--breakdown", action="store_true", help="also time a live turn's parts")
    args = ap.parse_args()
    one = SalesAgent.load(threads=1)
    two = SalesAgent(one.policy, OnnxEmbedder.load(threads=2))
    calls = transcripts(args.calls)
    texts = [[t.text for t in turns] for turns in calls]
    flat = [t for c in texts for t in c]
    turns = len(flat)
    print(f"{len(calls)} transcripts, {turns} turns, {sum(len(t.split()) for t in flat) / turns:.1f} words a turn; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} cores; "
          f"medians of {args.repeats} runs, each beside its own floor")
    embedded = [(c, one.embedder.embed(t)) for c, t in zip(calls, texts)]
    states = [_states(one, c, e) for c, e in embedded]
    figures: dict[str, list[float]] = {}
    for repeat in range(args.repeats + 1):  # the first run warms up and is not counted
        run = {  # wall-clock seconds: what two threads take, beside the floor's wall clock
            "floor": timed(lambda: [one.embedder.embed([t]) for t in flat]),
            "emb1": timed(lambda: [one.embedder.embed(c) for c in texts]),
            "emb2": timed(lambda: [two.embedder.embed(c) for c in texts]),
            "score2": timed(lambda: [two.score(c) for c in calls]),
        }
        cpu = {  # CPU seconds of this thread: work on one thread, beside the floor's CPU time
            "floor": cpu_timed(lambda: [one.embedder.embed([t]) for t in flat]),
            "chain": cpu_timed(lambda: [one.policy.predict_chain(s) for s in states]),
            "steps": cpu_timed(lambda: [one.policy.predict(state) for s in states for state in s]),
            "after": cpu_timed(lambda: [detect.cache_clear(), *(_live(one, c, e) for c, e in embedded)]),
            "whole": cpu_timed(lambda: [detect.cache_clear(), *(_whole(one, c, e) for c, e in embedded)]),
            "live": cpu_timed(lambda: [detect.cache_clear(), *(_live_embedding(one, c) for c in calls)]),
        }
        if args.breakdown:
            cpu.update(_parts(one, embedded))
            cpu.update(_whole_parts(one, embedded))
        run.update({f"cpu:{k}": v for k, v in cpu.items()})
        for k, v in run.items():
            if repeat:
                figures.setdefault(k, []).append(v)
        if repeat:
            for k in run:
                floor = run["cpu:floor"] if k.startswith("cpu:") else run["floor"]
                figures.setdefault(f"{k}/floor", []).append(run[k] / floor)
            figures.setdefault("emb1/emb2", []).append(run["emb1"] / run["emb2"])
            figures.setdefault("score2/emb2", []).append(run["score2"] / run["emb2"])
    m = {k: statistics.median(v) for k, v in figures.items()}
    ms, per_turn, cpu_turn = 1000.0, 1000.0 * m["floor"] / turns, 1000.0 * m["cpu:floor"] / turns
    print(f"floor: one text at a time on one core, {per_turn:.2f} ms a turn wall clock ({ms * m['floor']:.0f} ms "
          f"for all), {cpu_turn:.2f} ms CPU time")
    print("wall clock:")
    row("embedding each transcript whole, one thread", ms * m["emb1"], "ms", ms * m["floor"], m["emb1/floor"])
    row("embedding each transcript whole, two threads", ms * m["emb2"], "ms", ms * m["floor"], m["emb2/floor"],
        f"{m['emb1/emb2']:.2f}x faster than one thread (target >= 1.8x)")
    row("scoring each transcript whole, two threads", ms * m["score2"], "ms", ms * m["floor"], m["score2/floor"],
        f"{m['score2/emb2']:.2f}x its embedding (target <= 1.15x)")
    print("CPU time of the one thread doing the work, a turn:")
    # scoring's target leaves 0.15x the two-thread embedding for the work after it (wall clock, so only on free cores)
    budget = f"(target <= 0.15x the two-thread embedding: {0.15 * ms * m['emb2'] / turns:.2f} ms in this run)"
    for key, what, target in [
        ("whole", "scoring a transcript after its embedding", budget),
        *(("whole:" + name, f"  of which {name}", "") for name in WHOLE_PARTS if args.breakdown),
        ("chain", "policy a turn, one call a transcript (predict_chain)", ""),
        ("steps", "policy a turn, one call a turn (predict)", ""),
        ("after", "a live turn after its embedding (add_embedded)", "(target <= 0.3 ms)"),
        *(("part:" + name, f"  of which {name}", "") for name in PARTS if args.breakdown),
        ("live", "a live turn with its embedding (add_turn)", ""),
    ]:
        row(what, ms * m[f"cpu:{key}"] / turns, "ms", cpu_turn, m[f"cpu:{key}/floor"], target)

    if args.train_calls:
        unique = sorted({t.text for c in generate(args.train_calls, seed=1) for t in c.turns})
        cores = os.cpu_count() or 1
        trainer = OnnxEmbedder.load(threads=cores)  # as `salesrl train` loads it
        sample = unique[:: max(1, len(unique) // 500)]
        floor_before = timed(lambda: [one.embedder.embed([t]) for t in sample])
        took = timed(lambda: embed_unique(unique, trainer.embed, None, key="bench"))
        floor_s = (floor_before + timed(lambda: [one.embedder.embed([t]) for t in sample])) / 2
        floor_rate = cores * len(sample) / floor_s  # the floor's throughput on every core
        print()
        row(f"training: {len(unique)} distinct texts, {cores} threads", len(unique) / took, "texts/s", floor_rate,
            len(unique) / took / floor_rate, "(target >= 0.80x the floor on all cores)")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def _states(agent: SalesAgent, turns: tuple[Turn, ...], embeddings: np.ndarray) -> np.ndarray:
    builder = agent.session().builder
    return np.stack([builder.push(t, e) for t, e in zip(turns, embeddings)])


def _live(agent: SalesAgent, turns: tuple[Turn, ...], embeddings: np.ndarray) -> None:
    session = agent.session()
    for turn, e in zip(turns, embeddings):
        session.add_embedded(turn, e)


PARTS = ("state", "policy", "tracker")


def _parts(agent: SalesAgent, embedded: list[tuple[tuple[Turn, ...], np.ndarray]]) -> dict[str, float]:
    """CPU seconds spent in each part of `add_embedded` over every turn: the state builder's push (signals, lexical and
    sequence scores included), the policy's call, and the rest (the tracker and the point)."""
    detect.cache_clear()
    spent = dict.fromkeys(PARTS, 0.0)
    clock = time.thread_time
    for turns, embeddings in embedded:
        session = agent.session()
        for turn, e in zip(turns, embeddings):
            t0 = clock()
            state = session.builder.push(turn, e)
            t1 = clock()
            out = agent.policy.predict(state)
            t2 = clock()
            session._append([turn], [e], state[None, :], out)
            t3 = clock()
            spent["state"] += t1 - t0
            spent["policy"] += t2 - t1
            spent["tracker"] += t3 - t2
    return {f"part:{k}": v for k, v in spent.items()}


WHOLE_PARTS = ("states", "policy", "head and tracker", "coaching")


def _whole(agent: SalesAgent, turns: tuple[Turn, ...], embeddings: np.ndarray) -> None:
    session = agent.session()
    session.add_embedded_turns(turns, embeddings)
    session.result()


def _whole_parts(agent: SalesAgent, embedded: list[tuple[tuple[Turn, ...], np.ndarray]]) -> dict[str, float]:
    """CPU seconds spent in each part of `_whole` over every transcript: the states (signals, lexical and sequence
    scores included), the policy's one chained call, the head, tracker and points, and the coaching and result."""
    detect.cache_clear()
    spent = dict.fromkeys(WHOLE_PARTS, 0.0)
    clock = time.thread_time
    for turns, embeddings in embedded:
        t0 = clock()
        session = agent.session()
        states = np.stack([session.builder.push(turn, e) for turn, e in zip(turns, embeddings)])
        t1 = clock()
        out = agent.policy.predict_chain(states)
        t2 = clock()
        session._append(turns, embeddings, states, out)
        t3 = clock()
        session.result()
        t4 = clock()
        for name, took in zip(WHOLE_PARTS, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
            spent[name] += took
    return {f"whole:{k}": v for k, v in spent.items()}


def _live_embedding(agent: SalesAgent, turns: tuple[Turn, ...]) -> None:
    session = agent.session()
    for turn in turns:
        session.add_turn(turn)


if __name__ == "__main__":
    main()
