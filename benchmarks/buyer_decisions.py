"""Does a model read a buyer's plain decision the right way? Hand-written words, not the generator's.

    .venv/bin/python benchmarks/buyer_decisions.py [--model DIR ...]   (default: the shipped models/policy)

The synthetic test set measures a model against the oracle on the generator's own language. This checks
something it cannot: at a few points of the shipped example calls, a buyer turn that plainly says yes ("send
the order form") is appended, or one that plainly says no ("we'll stay with our spreadsheets"), in words no
template wrote. For each point it prints the share of (yes, no) pairs where the yes scores higher (1.00: every
pair the right way round) and how far each kind moves the probability from the turn before, on average.
benchmarks/tests/test_buyer_decisions.py asks the shipped model to put every pair the right way round.

It asks twice: with the buyer's decision said unprompted, and right after the rep asks for the close (CLOSE_ASK).
The generator's buyers decide only when asked (`ask_for_close`), so the second column tells whether a misread
comes from hearing a decision nobody asked for (MODEL_CARD.md has what it showed for the shipped model).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from salesrl.agent.transcript import parse_transcript  # noqa: E402
from salesrl.agent.types import Turn  # noqa: E402

EXAMPLES = ROOT / "examples"
NO = (
    "Honestly this is too expensive and we will stay with our spreadsheets.",
    "We've decided not to move forward with this.",
    "I don't see the value here, to be frank. We'll pass.",
    "This isn't a priority for us this year, so we'll stop here.",
    "The price is way over our budget and I can't justify it.",
    "We're going with your competitor instead.",
    "I'm not convinced. Let's not schedule anything else.",
)
YES = (
    "Great, send the order form and let's book the kickoff.",
    "This is exactly what we need. Let's get the contract signed this week.",
    "I'm sold. What do you need from us to start?",
    "The budget is approved, and I'd like to move ahead.",
    "Let's do it. Send over the paperwork and we'll sign.",
    "Perfect, we want to roll this out to all three depots next month.",
    "Yes, let's set up the pilot. I'll get legal to review the agreement today.",
)
CLOSE_ASK = "So, are you ready to move forward and get the paperwork going?"
# (example file, number of its turns kept before the buyer's decision)
POINTS = (("strong_call.txt", 10), ("strong_call.txt", 20), ("discovery_call.vtt", 12), ("weak_call.txt", 8))


def decision_points(final: Callable[[list[Turn]], float], ask: str | None = None) -> list[dict]:
    """Per point: the share of (yes, no) pairs the right way round, and the mean move of each kind; `final` scores a
    list of turns (`probability_after(agent)`, or any score after the last turn). With `ask`, the rep says it just
    before the buyer decides, and the moves are from the ask."""
    out = []
    for name, kept in POINTS:
        turns = list(parse_transcript((EXAMPLES / name).read_text()).turns[:kept])
        if ask:
            turns.append(Turn("Rep", "rep", ask))
        before = final(turns)
        yes, no = ([final(turns + [Turn("Buyer", "prospect", t)]) for t in texts] for texts in (YES, NO))
        out.append({"point": f"{name} after turn {kept}", "ordered": sum(y > n for y in yes for n in no) / (len(yes) * len(no)),
                    "yes_move": sum(yes) / len(yes) - before, "no_move": sum(no) / len(no) - before})
    return out


def probability_after(agent) -> Callable[[list[Turn]], float]:
    """The agent's conversion probability after the last of the turns."""
    return lambda turns: agent.score(turns).points[-1].probability


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", action="append", help="model directory (repeatable; default: the shipped one)")
    args = ap.parse_args()
    from salesrl.agent.sales_agent import SalesAgent

    print("| model | point | pairs the right way round | mean move, yes | mean move, no | the same after a close ask |")
    print("| --- | --- | ---: | ---: | ---: | --- |")
    for model in args.model or [None]:
        final = probability_after(SalesAgent.load(model))
        for row, asked in zip(decision_points(final), decision_points(final, CLOSE_ASK)):
            print(f"| {model or 'models/policy'} | {row['point']} | {row['ordered']:.2f} | {row['yes_move']:+.3f} | "
                  f"{row['no_move']:+.3f} | {asked['ordered']:.2f}, {asked['yes_move']:+.3f}, {asked['no_move']:+.3f} |")


if __name__ == "__main__":
    main()
