"""Thread answers against the hand-labelled set (benchmarks/data/answers): does the bot answer a team's
questions in a flagged deal's thread from the deal's history, without claiming what was not said?

    .venv/bin/python benchmarks/answers.py [--split tune|tune2|held-out|test|all] [--show failures|all|none]
    .venv/bin/python benchmarks/answers.py --latency   # time an answer on one deal of ten calls

`tune2` is a second tuning split (new deals, questions typed in other people's phrasing). `test` is kept as a
test set: its totals only are read (`--show none`, which `test` and `all` require), never its answers one by
one, so that it stays a fair measure of changes made while reading the other splits.

The set goes in the way the product puts it in: every call through `score_and_save` (parse -> redact ->
score -> save) into a temporary SQLite store, the automatic flag check of a scored call (`flag_scored_call`)
and a teammate's flag by hand (`flag_deal`, as `/salesrl flag` does) on the deal; with no review channel
nothing is posted, as in a workspace without one. Each flag is then given a thread, as posting it would.
Each question is asked in that thread: the deal is the one the Slack handler finds
(`thread_or_named_deal`), the text is redacted as the handler redacts it, and the answer comes from the
same `Answerer.answer` (no OpenAI key: the extractive answer).

Grades, from the labels alone (case-insensitive substrings, see the set's README):
- correct: every `require` group has one of its strings in the answer, and no `forbid` string is in it;
- honest: a question the history cannot answer, answered with one of the `non_answer_markers`;
- wrong: a `forbid` string is in the answer, or an unanswerable question is answered as if it could be;
- unhelpful: an answerable question whose answer misses a required fact.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from slack_sdk import WebClient  # noqa: E402

from salesrl.agent.redact import redact  # noqa: E402
from salesrl.agent.sales_agent import SalesAgent  # noqa: E402
from salesrl.bot.answers.service import Answerer  # noqa: E402
from salesrl.bot.answers.slack_reply import thread_or_named_deal  # noqa: E402
from salesrl.bot.calls import score_and_save  # noqa: E402
from salesrl.bot.flags.flagging import flag_deal, flag_scored_call  # noqa: E402
from salesrl.bot.live.sessions import LiveSessions  # noqa: E402
from salesrl.bot.settings import Settings  # noqa: E402
from salesrl.bot.slack.asker import Asker  # noqa: E402
from salesrl.bot.slack.context import BotContext  # noqa: E402
from salesrl.bot.slack.membership import Membership  # noqa: E402
from salesrl.bot.slack.pending import PendingCalls  # noqa: E402
from salesrl.bot.slack.templates import Templates  # noqa: E402
from salesrl.bot.slack.workers import WorkerPool  # noqa: E402
from salesrl.bot.store import Store  # noqa: E402

DATA = ROOT / "benchmarks" / "data" / "answers"
TEAM, CHANNEL, REP, LEAD = "T0BENCH", "C0REVIEW", "U0REP", "U0LEAD"
GRADES = ("correct", "honest", "wrong", "unhelpful")
SPLITS = ("tune", "tune2", "held-out", "test")


@dataclass(frozen=True)
class Graded:
    id: str
    split: str
    question: str
    intent: str
    answer: str
    grade: str
    why: str


def grade(label: dict[str, Any], answer: str, markers: list[str]) -> tuple[str, str]:
    """The grade of `answer` by the label's rules (see the module's docstring), and what decided it."""
    text = answer.casefold()
    forbidden = [f for f in label.get("forbid", []) if f.casefold() in text]
    if forbidden:
        return "wrong", f"says {forbidden[0]!r}"
    if not label.get("answerable", True):
        if any(m in text for m in markers):
            return "honest", ""
        return "wrong", "answers what the history cannot answer"
    missing = [group for group in label.get("require", []) if not any(s.casefold() in text for s in group)]
    if missing:
        return "unhelpful", f"misses {' / '.join(missing[0])!r}"
    return "correct", ""


def load_set(ctx: BotContext, client: WebClient, data: dict[str, Any]) -> dict[str, str]:
    """Score and save every call, flag every deal, and give each flag a thread; returns deal -> thread ts."""
    asker = Asker(TEAM, REP, None)
    threads = {}
    for n, spec in enumerate(data["deals"], start=1):
        deal = None
        for name in spec["calls"]:
            saved = score_and_save(ctx.store, ctx.agent, ctx.settings, TEAM, (DATA / "calls" / name).read_text(),
                                   origin="cli", reps=[spec["rep"]], deal=deal, deal_name=spec["name"],
                                   user_id=REP)
            deal = saved.deal
            flag_scored_call(ctx, client, asker, deal, saved.call_id, saved.result)
        assert deal is not None, f"{spec['name']} has no calls"
        flag, post = flag_deal(ctx, client, TEAM, deal, redact(spec["flag"]), flagged_by=LEAD)
        assert post is None, "nothing is posted without a review channel"
        thread_ts = f"1700000000.{n:06d}"
        for open_flag in ctx.store.flags.list_open(TEAM, deal.id):
            ctx.store.flags.set_thread(TEAM, open_flag.id, CHANNEL, thread_ts)
        threads[spec["name"]] = thread_ts
    return threads


def ask(ctx: BotContext, thread_ts: str, text: str) -> tuple[str, str]:
    """What the Slack handler (bot.answers.slack_reply.answer_question) answers in the thread: the deal
    it finds, the redacted question, the Answerer's answer. Returns (intent, answer text)."""
    deal = thread_or_named_deal(ctx, TEAM, CHANNEL, thread_ts, text, may_see=lambda d: True)
    assert deal is not None and ctx.answerer is not None
    question_text = redact(text) if ctx.settings.redact else text
    answer = ctx.answerer.answer(TEAM, deal, question_text)
    return answer.intent, answer.text


def run(splits: set[str]) -> list[Graded]:
    data = json.loads((DATA / "set.json").read_text())
    markers = [m.casefold() for m in data["non_answer_markers"]]
    split_of = {d["name"]: d["split"] for d in data["deals"]}
    settings = Settings(openai_api_key=None)
    agent = SalesAgent.load(settings.model_dir)
    client = WebClient(token="xoxb-unused", base_url="http://127.0.0.1:9/")  # nothing is posted (no review channel)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{Path(tmp) / 'answers.db'}")
        templates = Templates()
        ctx = BotContext(settings=settings, store=store, agent=agent, templates=templates, workers=WorkerPool(1),
                         listener_threads=ThreadPoolExecutor(max_workers=1), live=LiveSessions(store, agent),
                         membership=Membership(), pending=PendingCalls(store, templates),
                         answerer=Answerer(store, agent.embedder, settings))
        try:
            threads = load_set(ctx, client, data)
            out = []
            for label in data["questions"]:
                split = split_of[label["deal"]]
                if split not in splits:
                    continue
                intent, answer = ask(ctx, threads[label["deal"]], label["q"])
                g, why = grade(label, answer, markers)
                out.append(Graded(label["id"], split, label["q"], intent, answer, g, why))
        finally:
            ctx.shutdown()
            store.close()
    return out


LATENCY_QUESTIONS = ("did they talk budget?", "who signs?", "any competitor?", "what should we do next?",
                     "when's the next meeting?", "what did they say about security?", "who's the incumbent vendor?",
                     "how likely is this to close?")


def latency(rounds: int = 10) -> str:
    """The time `Answerer.answer` takes (extractive) on one deal of the tune and held-out splits' first ten
    calls, once its turns are embedded: the median and the slowest over every question, `rounds` times."""
    settings = Settings(openai_api_key=None)
    agent = SalesAgent.load(settings.model_dir)
    data = json.loads((DATA / "set.json").read_text())
    names = [c for d in data["deals"] if d["split"] != "test" for c in d["calls"]][:10]
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{Path(tmp) / 'latency.db'}")
        deal = None
        for name in names:
            deal = score_and_save(store, agent, settings, TEAM, (DATA / "calls" / name).read_text(), origin="cli",
                                  deal=deal, deal_name="Ten calls", user_id=REP).deal
        assert deal is not None
        answerer = Answerer(store, agent.embedder, settings)
        answerer.answer(TEAM, deal, LATENCY_QUESTIONS[0])  # embeds the deal's turns
        times = []
        for _ in range(rounds):
            for question in LATENCY_QUESTIONS:
                start = time.perf_counter()
                answerer.answer(TEAM, deal, question)
                times.append(time.perf_counter() - start)
        turns = sum(len(store.calls.get(TEAM, c.id).turns) for c in store.calls.of_deal(TEAM, deal.id))
        store.close()
    return (f"{len(names)} calls, {turns} turns: median {1000 * statistics.median(times):.1f} ms, "
            f"slowest {1000 * max(times):.1f} ms over {len(times)} answers")


def table(results: list[Graded]) -> str:
    lines = ["| split | questions | correct | honest non-answer | wrong | unhelpful | right (correct + honest) |",
             "|---|---|---|---|---|---|---|"]
    for split in SPLITS:
        rs = [r for r in results if r.split == split]
        if not rs:
            continue
        c = Counter(r.grade for r in rs)
        right = c["correct"] + c["honest"]
        lines.append(f"| {split} | {len(rs)} | " + " | ".join(str(c[g]) for g in GRADES)
                     + f" | {right}/{len(rs)} ({100 * right / len(rs):.0f}%) |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=(*SPLITS, "all"), default="all")
    parser.add_argument("--show", choices=("failures", "all", "none"), default="failures",
                        help="answers to print (not allowed with the test split)")
    parser.add_argument("--latency", action="store_true", help="time answers on one deal of ten calls instead")
    args = parser.parse_args()
    if args.latency:
        print(latency())
        return
    if args.split in ("test", "all") and args.show != "none":
        parser.error("the test split is read in totals only: add --show none")
    splits = set(SPLITS) if args.split == "all" else {args.split}
    results = run(splits)
    if args.show != "none":
        for r in results:
            if args.show == "all" or r.grade in ("wrong", "unhelpful"):
                answer = " ".join(r.answer.split())
                print(f"{r.id} [{r.grade}{': ' + r.why if r.why else ''}] ({r.intent}) {r.question}\n    {answer[:400]}")
        print()
    print(table(results))


if __name__ == "__main__":
    main()
