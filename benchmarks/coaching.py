"""Coaching against the hand-labelled set (benchmarks/data/coaching): does the tracker read the call, and do the
tips agree with what the call settled?

    .venv/bin/python benchmarks/coaching.py [--split held-out|tune|blind|fresh|final|sixth|all] [--baseline REV]
        [--sweep] [--show]

Figures (issue 30's targets in brackets):
- false gaps: gap tips for a qualifying item (budget, decision, timeline) or next step the labels say the call
  settled, over the settled ones [<= 5%]; missed gaps: labelled gaps no tip names, over the labelled gaps [<= 10%]
- item-state F1: every raised item of every call, its state exactly as labelled [>= 0.85]; and how often the
  tracker's turn is the labelled one when the state is right
- distinct next moves over the calls (not the notes) [>= 5 over 10 calls]
- contradictions: next moves the labelled state rules out (a discovery question or a new proposal after the
  buyer agreed to close, asking for the close after a refusal or over an open objection, answering an
  objection nobody raised) [0]
- notes familiar: note sets whose final status is not "unfamiliar" [>= 90%]
- tracker cost per turn, the embedding excluded (it is computed for scoring anyway) [<= 0.5 ms]

`--baseline REV` measures agent/coach.py as it was at git revision REV (the coaching before the tracker) on the
same calls; its next move is read from its tip's words. `--sweep` prints the tune split's item accuracy for
the embedder thresholds of agent/tracker_phrases.json. `--show` prints each item's failures (refused on the final
and sixth splits and on `all`: those two are test sets, read in totals only).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.coaching_set import ITEMS, Labelled, load  # noqa: E402
from salesrl.agent.coach import gap_topic, next_move  # noqa: E402
from salesrl.agent.moves import MOVE_ADVICE  # noqa: E402
from salesrl.agent.sales_agent import SalesAgent  # noqa: E402
from salesrl.agent.tracker import PhraseBank, Tracker, track  # noqa: E402
from salesrl.agent.turn_reader import TurnReader  # noqa: E402
from salesrl.agent.types import ScoreResult, Tip  # noqa: E402

GAP_ITEMS = ("budget", "decision", "timeline", "next_step")
CoachFn = Callable[[ScoreResult, Tracker, Labelled], tuple[list[Tip], str]]


def expected_gaps(item: Labelled) -> set[str]:
    """The labels' gaps (the README's rule): a qualifying item not answered, or no agreed next step."""
    gaps = {i for i in ("budget", "decision", "timeline") if item.states[i] in ("not_raised", "asked")}
    if item.states["next_step"] != "agreed":
        gaps.add("next_step")
    return gaps


def gap_item(tip: Tip) -> str:
    item = gap_topic(tip.text)
    if item is None:
        raise ValueError(f"a gap tip about no item: {tip.text!r}")
    return item


def ruled_out(move: str, item: Labelled) -> bool:
    """A next move the labelled call rules out (`move`: a move class, or the tracker coach's moment key)."""
    s = item.states
    closing = s["next_step"] == "agreed" and "agreed" in (s["budget"], s["decision"])
    if closing and move in ("discovery_question", "discovery", "propose_next_step", "propose", "feature_pitch",
                            "rapport", "present_pricing"):
        return True
    if move in ("ask_for_close", "close") and (s["next_step"] == "negative" or s["objection"] == "open"):
        return True
    return move in ("handle_objection", "objection") and s["objection"] != "open"


def f1(pairs: list[tuple[dict[str, str], dict[str, str]]]) -> tuple[float, int, int, int]:
    tp = fp = fn = 0
    for want, got in pairs:
        for name in ITEMS:
            w, g = want[name], got[name]
            if g != "not_raised" and g == w:
                tp += 1
            else:
                fp += g != "not_raised"
                fn += w != "not_raised"
    return (2 * tp / (2 * tp + fp + fn) if tp else 0.0), tp, fp, fn


def scored(agent: SalesAgent, item: Labelled) -> tuple[ScoreResult, Tracker]:
    """What SalesAgent.score does, keeping the session's tracker for the next move's moment."""
    session = agent.session()
    turns = item.transcript.turns
    for turn, emb in zip(turns, agent.embedder.embed([t.text for t in turns])):
        session.add_embedded(turn, emb)
    return session.result(item.transcript), session.tracker


def measure(items: list[Labelled], agent: SalesAgent, coach_fn: CoachFn, with_tracker: bool,
            show: bool = False, show_moves: bool = True) -> dict[str, Any]:
    """The figures; `show` prints each item's failures, `show_moves` lists each item's next move (neither for a
    test split: TEST_SPLITS)."""
    false_gaps = settled = missed = wanted = contradictions = 0
    moves_on_calls: list[str] = []
    state_pairs = []
    turn_right = turn_total = 0
    familiar_notes = notes = 0
    shown = []
    for item in items:
        result, tracker = scored(agent, item)
        tips, move = coach_fn(result, tracker, item)
        claimed = {gap_item(t) for t in tips if t.kind == "gap"}
        expected = expected_gaps(item)
        for g in GAP_ITEMS:
            if g in expected:
                wanted += 1
                missed += g not in claimed
            else:
                settled += 1
                false_gaps += g in claimed
        contradictions += ruled_out(move, item)
        if show:
            show_item(item, result, claimed, expected, move)
        if item.id.startswith("c"):
            moves_on_calls.append(move)
        else:
            notes += 1
            familiar_notes += result.status != "unfamiliar"
        if with_tracker:
            got = {name: v["state"] for name, v in result.tracker["items"].items()}
            state_pairs.append((item.states, got))
            for name, turn in item.turns.items():
                if got[name] == item.states[name]:
                    turn_total += 1
                    turn_right += result.tracker["items"][name]["turn"] == turn
        shown.append(f"{item.id}: {move}")
    out: dict[str, Any] = {
        "false gaps": f"{false_gaps}/{settled} ({false_gaps / settled:.0%})",
        "missed gaps": f"{missed}/{wanted} ({missed / wanted:.0%})",
        "distinct next moves": f"{len(set(moves_on_calls))} in {len(moves_on_calls)} calls",
        "contradictions": contradictions,
        "notes familiar": f"{familiar_notes}/{notes}",
    }
    if with_tracker:
        score, tp, fp, fn = f1(state_pairs)
        out["item-state F1"] = f"{score:.2f} (tp {tp}, fp {fp}, fn {fn})"
        out["tracker turn = labelled turn"] = f"{turn_right}/{turn_total}"
    if show_moves:
        out["moves"] = ", ".join(shown)
    return out


TEST_SPLITS = ("final", "sixth", "all")  # read in totals only: `all` holds the two test splits


def show_item(item: Labelled, result: ScoreResult, claimed: set[str], expected: set[str], move: str) -> None:
    """One item's failures: false and missed gaps, a contradicting move, and each item state unlike its label
    (with the turn each side rests on)."""
    got = result.tracker["items"]
    wrong = [name for name in ITEMS if got[name]["state"] != item.states[name]]
    false = sorted((claimed - expected) & set(GAP_ITEMS))
    missed = sorted(expected - claimed)
    if not (wrong or false or missed or ruled_out(move, item)):
        return
    turns = item.transcript.turns
    print(f"{item.id}: false gaps {false or '-'}, missed gaps {missed or '-'}, move {move}"
          f"{' (CONTRADICTS)' if ruled_out(move, item) else ''}")
    for name in wrong:
        want_turn, got_turn = item.turns.get(name), got[name]["turn"]
        print(f"  {name}: labelled {item.states[name]}"
              f"{f' at {want_turn} {turns[want_turn].text[:100]!r}' if want_turn is not None else ''}; "
              f"got {got[name]['state']}{f' at {got_turn}' if got_turn is not None else ''}")


def tracker_coach(result: ScoreResult, tracker: Tracker, item: Labelled) -> tuple[list[Tip], str]:
    return list(result.tips), next_move(tracker, item.transcript.turns).key


def baseline_coach(rev: str) -> CoachFn:
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:agent/coach.py"], check=True,
                            capture_output=True, text=True).stdout
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(source)
    spec = importlib.util.spec_from_file_location("coach_baseline", f.name)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    os.unlink(f.name)

    def run(result: ScoreResult, tracker: Tracker, item: Labelled) -> tuple[list[Tip], str]:
        tips = module.coach(list(result.transcript.turns), list(result.points))
        nba = next(t.text for t in tips if t.kind == "next_best_action")
        move = next(m for m, advice in MOVE_ADVICE.items() if advice in nba)
        return tips, move

    return run


def tracker_cost(items: list[Labelled], agent: SalesAgent) -> str:
    """Median and 95th percentile of Tracker.add per turn, with the turn's embedding (computed beforehand)."""
    per_turn = []
    for item in items:
        turns = item.transcript.turns
        embeddings = agent.embedder.embed([t.text for t in turns])
        for _ in range(20):
            tracker = Tracker(agent.phrases)
            for turn, emb in zip(turns, embeddings):
                t0 = time.perf_counter()
                tracker.add(turn, emb)
                per_turn.append(time.perf_counter() - t0)
    per_turn.sort()
    return (f"{statistics.median(per_turn) * 1e3:.3f} ms median, {per_turn[int(len(per_turn) * 0.95)] * 1e3:.3f} ms p95 "
            f"({len(per_turn)} turns)")


def sweep(agent: SalesAgent) -> None:
    items = load("tune")
    embeddings = {i.id: agent.embedder.embed([t.text for t in i.transcript.turns]) for i in items}
    bank = PhraseBank.build(agent.embedder)
    for threshold in (0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 2.0):
        bank.thresholds = {kind: threshold for kind in bank.thresholds}
        right = {"objection": 0, "pain": 0}
        for i in items:
            t = track(i.transcript.turns, embeddings[i.id], bank)
            for kind in right:
                right[kind] += t.items[kind].state == i.states[kind]
        print(f"threshold {threshold}: " + ", ".join(f"{k} {v}/{len(items)}" for k, v in right.items()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", default="held-out", choices=("held-out", "tune", "blind", "fresh", "final", "sixth", "all"))
    ap.add_argument("--baseline", metavar="REV", help="also measure agent/coach.py as of this git revision")
    ap.add_argument("--sweep", action="store_true", help="the embedder thresholds on the tune split, then stop")
    ap.add_argument("--reader", type=Path, metavar="DIR", help="this turn reader instead of the shipped one")
    ap.add_argument("--reader-threshold", type=float, metavar="P", help="the reader's threshold instead of its own")
    ap.add_argument("--show", action="store_true",
                    help="each item's failures (not for the final and sixth splits, only measured in totals)")
    ap.add_argument("--no-reader", action="store_true", help="the tracker's patterns and phrasings alone")
    args = ap.parse_args()
    agent = SalesAgent.load()
    bank = agent.phrases
    if args.no_reader:
        bank.reader = None
    elif args.reader:
        bank.reader = TurnReader.load(args.reader)
    if bank.reader is not None and args.reader_threshold is not None:
        bank.reader = replace(bank.reader, threshold=args.reader_threshold)
    if args.sweep:
        sweep(agent)
        return
    per_item = args.split not in TEST_SPLITS
    if args.show and not per_item:
        ap.error("--show is not for the final or sixth split, nor `all` which holds them: test sets are read in totals only")
    items = load(None if args.split == "all" else args.split)
    print(f"{args.split}: {sum(i.id.startswith('c') for i in items)} calls, {sum(i.id.startswith('n') for i in items)} "
          f"note sets; load average {os.getloadavg()[0]:.2f}")
    for name, value in measure(items, agent, tracker_coach, with_tracker=True, show=args.show,
                               show_moves=per_item).items():
        print(f"  {name}: {value}")
    print(f"  tracker cost: {tracker_cost(items, agent)}")
    if args.baseline:
        print(f"baseline: agent/coach.py at {args.baseline}")
        for name, value in measure(items, agent, baseline_coach(args.baseline), with_tracker=False,
                               show_moves=per_item).items():
            print(f"  {name}: {value}")


if __name__ == "__main__":
    main()
