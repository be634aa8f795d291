"""Redaction speed on this machine: a 100-turn call (the shipped examples, with contact details and the
numbers reps use), and a long adversarial text that should cost no more per character.

    .venv/bin/python benchmarks/bench_redact.py

Redaction runs on every turn of every call, before it is embedded: compare with the 100-turn transcript in
BENCHMARKS.md ("Agent").
"""

from __future__ import annotations

import timeit
from pathlib import Path

from salesrl.agent.redact import redact, redact_turns
from salesrl.agent.transcript import parse_transcript
from salesrl.agent.types import Turn

ROOT = Path(__file__).resolve().parent.parent
EXTRA = [
    Turn("ben.smith@globex.example", "prospect",
         "Mail me at ben.smith@globex.example or call (415) 555-0199, budget is $48,000 for 40 seats by 2026-03-01."),
    Turn("Ana Lopez", "rep", "Great, PO 4500012345 works, v2.3.1 ships in Q3 at 12:30, 15% off."),
]


def best_ms(fn, number: int) -> float:
    return min(timeit.repeat(fn, number=number, repeat=5)) / number * 1000


def main() -> None:
    examples = ("strong_call.txt", "weak_call.txt", "discovery_call.vtt", "pricing_call.srt")
    turns = [t for name in examples for t in parse_transcript((ROOT / "examples" / name).read_text()).turns]
    call = ((turns + EXTRA) * 100)[:100]
    chars = sum(len(t.text) for t in call)
    print(f"100-turn call ({chars:,} characters): {best_ms(lambda: redact_turns(call), 200):.2f} ms")
    nasty = ("4111 " * 3 + "a.b at c dot " + "0" * 30 + " +1 (" * 5 + "de89 ") * (chars // 85)
    print(f"adversarial text ({len(nasty):,} characters): {best_ms(lambda: redact(nasty), 20):.2f} ms")


if __name__ == "__main__":
    main()
