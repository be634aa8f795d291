"""Mixed traffic at a steady rate against `salesrl serve`, on 127.0.0.1 only, for a bounded time.

Starts `salesrl serve` as its own process (as in production) against a fake Slack Web API in this
process, then sends, at `--rate` requests per second for `--seconds` (default five minutes), signed
requests in this mix: `/salesrl score` of a pasted call (20%), messages in live-session threads (40%;
each session is ended with `end` after 30 turns and a new one started), questions to the bot about
scored deals (20%) and App Home opens (20%). Requests go out on a fixed schedule from a pool of
client threads (open loop: a slow answer does not slow the sending).

It reports, and with `--json` prints as JSON:
- requests sent, HTTP errors, acks slower than Slack's 3 s;
- answers: every request must get its answer at the fake Slack (a scored call its summary, a live
  turn its card update, a question its answer, a Home open its view); unanswered ones are errors,
  and so is any "Something went wrong" sent to a user or an ERROR line in the server's log;
- ack latency and answer latency, p50 / p99 per kind;
- the server's RSS before the load, after `--warmup` seconds of it (the baseline: caches and lazily
  loaded code paths filled), its peak, at the end, and its slope from the baseline on (MB/min).

    .venv/bin/python benchmarks/load_mixed.py [--seconds 300] [--rate 5] [--warmup 30] [--workers 2] [--json]

SALESRL_MODEL_DIR picks the policy model, as for `salesrl serve`.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import PROXY_VARIABLES, TRANSCRIPT  # noqa: E402
from tests.e2e.slack_requests import SIGNING_SECRET, SlackSender  # noqa: E402
from tests.e2e.test_serve_cli import free_port  # noqa: E402
from tests.fakes.slack_server import FakeSlack  # noqa: E402
from benchmarks.serve_process import wait_healthy  # noqa: E402

SALESRL = Path(sys.executable).parent / "salesrl"
MIX = (("score", 0.2), ("live", 0.4), ("question", 0.2), ("home", 0.2))
LIVE_SESSIONS = 3
TURNS_PER_SESSION = 30
LIVE_LINES = [
    "Ben: We are losing deals because our reps spend hours on manual reporting.",
    "Ana: What does that cost you today, roughly, in hours per rep each week?",
    "Ben: About six hours each, and we have forty reps.",
    "Ana: If we cut that in half, what would that be worth to you?",
    "Ben: Honestly a lot, but the budget for this is tight.",
    "he went quiet when price came up",
    "Ana: Who else would be involved in deciding on this?",
    "Ben: Our VP of sales signs off, she wants a pilot first.",
]
QUESTIONS = ["what did they say about pricing on {deal}?", "who decides on {deal}?", "what should I do next on {deal}?"]
ANSWER_WAIT_S = 120  # after the last request, how long answers may still take to arrive


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))  # nearest rank
    return ordered[k]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class Sent:
    kind: str
    key: str  # what its answer is found by
    at: float
    ack_s: float | None = None
    status: int | None = None
    answered_at: float | None = None


@dataclass
class Traffic:
    """What was sent and what came back, shared by the client threads."""

    sent: list[Sent] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, item: Sent) -> Sent:
        with self.lock:
            self.sent.append(item)
        return item


class LiveThreads:
    """A few live sessions in #sales; each is ended after TURNS_PER_SESSION turns and replaced."""

    def __init__(self, slack: SlackSender, fake: FakeSlack) -> None:
        self.slack, self.fake = slack, fake
        self.lock = threading.Lock()
        self.count = itertools.count(1)
        self.cards: list[dict[str, Any]] = [self._start() for _ in range(LIVE_SESSIONS)]

    def _start(self) -> dict[str, Any]:
        name = f"Live deal {next(self.count)}"
        self.slack.command(f"live {name}", response_url=self.fake.response_url())
        deadline = time.monotonic() + 30
        while True:
            cards = [m for m in self.fake.messages("C0SALES") if "Live" in m.get("text", "") and name in m["text"]]
            if cards:
                return {"ts": cards[0]["ts"], "turns": 0, "name": name}
            if time.monotonic() > deadline:
                raise RuntimeError(f"no live card for {name}")
            time.sleep(0.02)

    def next_turn(self) -> tuple[str, str, bool]:
        """(thread, text, is the session's last message); rotates sessions as they fill up."""
        with self.lock:
            card = min(self.cards, key=lambda c: c["turns"])
            card["turns"] += 1
            last = card["turns"] > TURNS_PER_SESSION
            if last:
                self.cards.remove(card)
            line = LIVE_LINES[card["turns"] % len(LIVE_LINES)]
        if last:
            threading.Thread(target=self._replace, daemon=True).start()
            return card["ts"], "end", True
        return card["ts"], line, False

    def _replace(self) -> None:
        card = self._start()
        with self.lock:
            self.cards.append(card)


def start_server(fake: FakeSlack, database_url: str, port: int, workers: int, log: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARIABLES and not k.startswith(("SLACK_", "SALESRL_"))
           or k == "SALESRL_MODEL_DIR"}
    env.update(SLACK_BOT_TOKEN=fake.bot_token, SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=fake.api_url,
               SALESRL_DATABASE_URL=database_url, SALESRL_BOT_WORKERS=str(workers))
    return subprocess.Popen([str(SALESRL), "serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                            env=env, stdout=subprocess.DEVNULL, stderr=log.open("w"))


def run(seconds: float = 300, rate: float = 5.0, workers: int = 2, database_url: str | None = None,
        seed: int = 0, progress: bool = False, warmup: float = 30.0) -> dict[str, Any]:
    """Run the load; returns the figures (see the module docstring)."""
    for name in PROXY_VARIABLES:
        os.environ.pop(name, None)
    rng = random.Random(seed)
    kinds = [k for k, _ in MIX]
    weights = [w for _, w in MIX]
    traffic = Traffic()
    local = threading.local()
    with FakeSlack() as fake, tempfile.TemporaryDirectory() as tmp:
        fake.add_user("U0ANA", "Ana Lopez", "ana")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = Path(tmp) / "serve.log"
        process = start_server(fake, database_url or f"sqlite:///{Path(tmp) / 'load.db'}", port, workers, log)
        try:
            wait_healthy(base, process)
            warm = SlackSender(base)
            warm.command(f"score Warm-up deal :: {TRANSCRIPT}", response_url=fake.response_url())
            fake.wait_for("files.completeUploadExternal", timeout=60)
            live = LiveThreads(warm, fake)
            time.sleep(1.0)
            scored: list[str] = ["Warm-up deal"]
            rss = [(0.0, rss_mb(process.pid))]
            counter = itertools.count(1)

            def sender() -> SlackSender:
                if not hasattr(local, "slack"):
                    local.slack = SlackSender(base)
                return local.slack

            def send(kind: str) -> None:
                slack = sender()
                n = next(counter)
                if kind == "score":
                    deal = f"Load deal {n:05d}"
                    item = traffic.add(Sent(kind, deal, time.monotonic()))
                    result = slack.command(f"score {deal} :: {TRANSCRIPT}", response_url=fake.response_url(f"s{n}"))
                elif kind == "live":
                    thread, text, _ = live.next_turn()
                    item = traffic.add(Sent(kind, thread, time.monotonic()))
                    result = slack.message(text, thread_ts=thread)
                elif kind == "question":
                    deal = rng.choice(scored[-20:])
                    result_holder = slack.message(rng.choice(QUESTIONS).format(deal=deal), mention_of=fake.bot_user_id)
                    item = traffic.add(Sent(kind, f"{slack._last_ts:.6f}", result_holder.sent_at))
                    result = result_holder
                else:
                    item = traffic.add(Sent(kind, "U0ANA", time.monotonic()))
                    result = slack.event({"type": "app_home_opened", "user": "U0ANA", "channel": "D0ANA", "tab": "home",
                                          "event_ts": f"{time.time():.6f}"})
                item.ack_s, item.status = result.seconds, result.response.status_code

            pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="load-client")
            start = time.monotonic()
            total = int(seconds * rate)
            last_sample = start
            for i in range(total):
                due = start + i / rate
                now = time.monotonic()
                if due > now:
                    time.sleep(due - now)
                pool.submit(send, rng.choices(kinds, weights)[0])
                if time.monotonic() - last_sample >= 5:
                    last_sample = time.monotonic()
                    rss.append((last_sample - start, rss_mb(process.pid)))
                    scored[:] = scored_deals(fake)[-50:]
                    if progress:
                        print(f"  {last_sample - start:5.0f} s  {i + 1} requests  rss {rss[-1][1]:.1f} MB", flush=True)
            pool.shutdown(wait=True)
            sent_all = time.monotonic()
            answered = match_answers(fake, traffic, deadline=sent_all + ANSWER_WAIT_S)
            rss.append((time.monotonic() - start, rss_mb(process.pid)))
            told = [c.params.get("text", "") for c in fake.calls if c.method in ("response_url", "chat.postEphemeral")]
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                process.kill()
        server_errors = [line for line in log.read_text().splitlines() if " ERROR " in line]
    return figures(traffic, answered, rss, told, server_errors, seconds, rate, workers, min(warmup, seconds / 2))


def scored_deals(fake: FakeSlack) -> list[str]:
    """The deals whose result has been posted (questions are asked about those)."""
    found = ["Warm-up deal"]
    for c in fake.calls_to("chat.postMessage"):
        text = str(c.params.get("text", ""))
        if "likely to convert" in text and "Load deal " in text:
            found.append("Load deal " + text.split("Load deal ", 1)[1][:5])
    return found


def match_answers(fake: FakeSlack, traffic: Traffic, deadline: float) -> int:
    """Finds each request's answer among the fake's calls (waiting until `deadline` for the last ones)."""
    while True:
        calls = list(fake.calls)
        summaries = {}
        for c in calls:
            if c.method == "chat.postMessage" and "likely to convert" in str(c.params.get("text", "")):
                for part in str(c.params["text"]).split("Load deal ")[1:2]:
                    summaries.setdefault("Load deal " + part[:5], c.at)
        updates: dict[str, list[float]] = {}
        for c in calls:
            if c.method == "chat.update":
                updates.setdefault(str(c.params.get("ts")), []).append(c.at)
        answers = {str(c.params.get("thread_ts")): c.at for c in calls
                   if c.method == "chat.postMessage" and c.params.get("thread_ts") and "blocks" in c.params
                   and '"block_id": "answer"' in json.dumps(c.json_param("blocks"))}
        homes = sorted(c.at for c in calls if c.method == "views.publish")
        live_sent: dict[str, list[Sent]] = {}
        home_sent: list[Sent] = []
        for s in traffic.sent:
            if s.kind == "score":
                s.answered_at = summaries.get(s.key)
            elif s.kind == "question":
                s.answered_at = answers.get(s.key)
            elif s.kind == "live":
                live_sent.setdefault(s.key, []).append(s)
            else:
                home_sent.append(s)
        for thread, items in live_sent.items():
            # each message of a thread gets one card update (the `end` message its final one)
            seen = updates.get(thread, [])
            for item, at in zip(sorted(items, key=lambda x: x.at), seen):
                item.answered_at = at
        for item, at in zip(sorted(home_sent, key=lambda x: x.at), homes):
            item.answered_at = at
        missing = sum(1 for s in traffic.sent if s.answered_at is None)
        if not missing or time.monotonic() > deadline:
            return len(traffic.sent) - missing
        time.sleep(0.5)


def slope_per_min(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB) samples, in MB per minute; 0 with fewer than two."""
    if len(samples) < 2:
        return 0.0
    ts, ms = [t for t, _ in samples], [m for _, m in samples]
    mt, mm = statistics.mean(ts), statistics.mean(ms)
    spread = sum((t - mt) ** 2 for t in ts)
    return 60 * sum((t - mt) * (m - mm) for t, m in zip(ts, ms)) / spread if spread else 0.0


def figures(traffic: Traffic, answered: int, rss: list[tuple[float, float]], told: list[str],
            server_errors: list[str], seconds: float, rate: float, workers: int, warmup: float) -> dict[str, Any]:
    sent = traffic.sent
    by_kind: dict[str, Any] = {}
    for kind, _ in MIX:
        items = [s for s in sent if s.kind == kind]
        acks = [s.ack_s for s in items if s.ack_s is not None]
        waits = [s.answered_at - s.at for s in items if s.answered_at is not None]
        by_kind[kind] = {
            "requests": len(items), "answered": len(waits),
            "ack_ms": {"p50": round(1000 * statistics.median(acks), 1), "p99": round(1000 * percentile(acks, 99), 1)}
            if acks else None,
            "answer_ms": {"p50": round(1000 * statistics.median(waits), 1), "p99": round(1000 * percentile(waits, 99), 1)}
            if waits else None,
        }
    acks = [s.ack_s for s in sent if s.ack_s is not None]
    http_errors = sum(1 for s in sent if s.status != 200)
    slow_acks = sum(1 for s in sent if s.ack_s is not None and s.ack_s > 3.0)
    failures_told = [t for t in told if "Something went wrong" in t or "couldn't" in t]
    measured = [(t, m) for t, m in rss if t >= warmup] or rss[-1:]
    later = [(t, m) for t, m in rss if t >= seconds / 2]
    return {
        "seconds": seconds, "rate_per_s": rate, "server_workers": workers, "cpus": os.cpu_count(),
        "requests": len(sent), "answered": answered, "unanswered": len(sent) - answered,
        "http_errors": http_errors, "acks_over_3s": slow_acks, "failures_told_to_users": len(failures_told),
        "server_log_errors": len(server_errors), "server_log_error_samples": server_errors[:3],
        "errors": http_errors + slow_acks + len(failures_told) + len(server_errors) + (len(sent) - answered),
        "ack_ms": {"p50": round(1000 * statistics.median(acks), 1), "p99": round(1000 * percentile(acks, 99), 1)}
        if acks else None,
        "by_kind": by_kind,
        "rss_mb": {"before_load": round(rss[0][1], 1), "after_warmup": round(measured[0][1], 1),
                   "peak": round(max(m for _, m in rss), 1), "end": round(rss[-1][1], 1),
                   "slope_mb_per_min": round(slope_per_min(measured), 2),
                   "slope_second_half_mb_per_min": round(slope_per_min(later), 2), "warmup_s": warmup},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300.0, help="how long to send traffic (default 300)")
    parser.add_argument("--rate", type=float, default=5.0, help="requests per second (default 5)")
    parser.add_argument("--workers", type=int, default=2, help="SALESRL_BOT_WORKERS of the server")
    parser.add_argument("--database-url", default=None, help="another database (default: a temporary SQLite file)")
    parser.add_argument("--warmup", type=float, default=30.0, help="seconds of load before the RSS baseline (default 30)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    result = run(args.seconds, args.rate, args.workers, args.database_url, progress=not args.json, warmup=args.warmup)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{result['requests']} requests in {args.seconds:.0f} s at {args.rate}/s "
          f"(server: {args.workers} scoring workers, {result['cpus']} CPUs)")
    print(f"  answered {result['answered']}/{result['requests']}; errors {result['errors']} "
          f"(HTTP {result['http_errors']}, acks > 3 s {result['acks_over_3s']}, told users "
          f"{result['failures_told_to_users']}, server log {result['server_log_errors']})")
    print(f"  ack latency  p50 {result['ack_ms']['p50']} ms  p99 {result['ack_ms']['p99']} ms")
    for kind, k in result["by_kind"].items():
        if k["answer_ms"]:
            print(f"  {kind:9s} {k['requests']:5d} sent  answer p50 {k['answer_ms']['p50']} ms  "
                  f"p99 {k['answer_ms']['p99']} ms  (ack p99 {k['ack_ms']['p99']} ms)")
    r = result["rss_mb"]
    print(f"  server RSS  {r['before_load']} MB before the load, {r['after_warmup']} MB after {r['warmup_s']:.0f} s, "
          f"peak {r['peak']} MB, end {r['end']} MB; slope after the warm-up {r['slope_mb_per_min']} MB/min, "
          f"over the second half {r['slope_second_half_mb_per_min']} MB/min")


if __name__ == "__main__":
    main()
