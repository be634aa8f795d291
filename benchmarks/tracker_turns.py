"""The tracker's patterns, turn by turn, against the turn reader's hand-labelled training turns: words by other
authors than the coaching sets', to check a pattern change beyond the calls it was written from.

    .venv/bin/python benchmarks/tracker_turns.py [--baseline REV]

Each buyer turn of agent/training/turns is read alone, as a call's only turn, by the patterns alone (no embedding,
no context), and its item states compared with the turn's labels; each rep turn of agent/training/rep_turns is
read for the items it asks about (agent.tracker's rep-side topics, and its proposals for the next step). With
`--baseline REV`, the tracker as it was at git revision REV reads the same turns, and the turns whose reading
changed are counted as fixed (now as labelled) or broken, the broken ones printed.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from salesrl.agent import tracker as current  # noqa: E402
from salesrl.agent.training.reader_fit import REP_TURNS_DIR, TURNS_DIR, load_rep_turns, load_turns  # noqa: E402
from salesrl.agent.turn_reader import ASKS, STATES  # noqa: E402
from salesrl.agent.types import Turn  # noqa: E402


def tracker_at(rev: str) -> ModuleType:
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:agent/tracker.py"], check=True,
                            capture_output=True, text=True).stdout
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tracker_baseline.py"
        path.write_text(source, encoding="utf-8")
        spec = importlib.util.spec_from_file_location("tracker_baseline", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules["tracker_baseline"] = module  # dataclasses look their module up by name
        spec.loader.exec_module(module)
    return module


def buyer_reading(module: ModuleType, row: dict[str, Any]) -> dict[str, str]:
    turn = (Turn("Notes", "other", row["text"], is_note=True) if row["kind"] == "note"
            else Turn("Buyer", "prospect", row["text"]))
    items = module.track([turn]).items
    return {item: items[item].state for item in STATES}


def rep_reading(module: ModuleType, text: str) -> set[str]:
    asks = {item for item, rx in module._REP_TOPIC.items() if rx.search(text)}
    if module._PROPOSAL.search(text):
        asks.add("next_step")
    return asks


def readings(module: ModuleType, buyer: list[dict[str, Any]], rep: list[dict[str, Any]]) -> list[tuple[str, str, bool]]:
    """(item, turn text, read as labelled) for every buyer turn's items and every rep turn's ASKS items."""
    out = []
    for row in buyer:
        got = buyer_reading(module, row)
        out += [(item, row["text"], got[item] == row["labels"].get(item, "not_raised")) for item in STATES]
    for row in rep:
        got = rep_reading(module, row["text"])
        out += [(f"asks {item}", row["text"], (item in got) == (item in row["asks"])) for item in ASKS]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", metavar="REV", help="also read the turns with agent/tracker.py as of this revision")
    args = ap.parse_args()
    buyer, rep = load_turns(TURNS_DIR), load_rep_turns(REP_TURNS_DIR)
    now = readings(current, buyer, rep)
    print(f"{len(buyer)} buyer turns, {len(rep)} rep turns; read as labelled, item by item:")
    names = list(dict.fromkeys(item for item, _, _ in now))
    for name in names:
        rows = [ok for item, _, ok in now if item == name]
        print(f"  {name}: {sum(rows)}/{len(rows)}")
    if not args.baseline:
        return
    before = readings(tracker_at(args.baseline), buyer, rep)
    fixed = [(item, text) for (item, text, ok), (_, _, was) in zip(now, before) if ok and not was]
    broken = [(item, text) for (item, text, ok), (_, _, was) in zip(now, before) if was and not ok]
    print(f"against {args.baseline}: {len(fixed)} readings fixed, {len(broken)} broken")
    for name in names:
        f, b = sum(item == name for item, _ in fixed), sum(item == name for item, _ in broken)
        if f or b:
            print(f"  {name}: {f} fixed, {b} broken")
    for item, text in broken:
        print(f"  broken, {item}: {text[:140]!r}")


if __name__ == "__main__":
    main()
