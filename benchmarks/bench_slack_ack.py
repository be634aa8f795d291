"""Slack's 3-second ack under a burst: N concurrent signed `/salesrl score` commands over real HTTP.

Starts `salesrl serve` as its own process (as in production) against a fake Slack Web API in this
process, fires N slash commands at once, each signed as Slack signs them and carrying a whole
transcript, and reports:

- ack latency (request sent -> HTTP response), p50 / p95 / p99 / max; the target is p99 <= 300 ms;
- that every command got its answer (a summary posted, a chart uploaded), and how long the answers took.

    .venv/bin/python benchmarks/bench_slack_ack.py [--requests 50] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import selectors
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import PROXY_VARIABLES, TRANSCRIPT  # noqa: E402
from tests.e2e.slack_requests import SIGNING_SECRET, SlackSender, signed_headers  # noqa: E402
from tests.e2e.test_serve_cli import free_port  # noqa: E402
from tests.fakes.slack_server import FakeSlack  # noqa: E402
from benchmarks.serve_process import serving, wait_healthy  # noqa: E402

SALESRL = Path(sys.executable).parent / "salesrl"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))  # nearest rank
    return ordered[k]


def start_server(fake: FakeSlack, db: Path, port: int, workers: int, log: Path,
                 extra_env: dict[str, str] | None = None) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARIABLES and not k.startswith(("SLACK_", "SALESRL_"))
           or k == "SALESRL_MODEL_DIR"}
    env.update(SLACK_BOT_TOKEN=fake.bot_token, SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=fake.api_url,
               SALESRL_DATABASE_URL=f"sqlite:///{db}", SALESRL_BOT_WORKERS=str(workers))
    env.update(extra_env or {})
    return subprocess.Popen([str(SALESRL), "serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                            env=env, stdout=subprocess.DEVNULL, stderr=log.open("w"))


def burst(socks: list[socket.socket], payloads: list[bytes], expected: bytes = b"Scoring",
          ) -> tuple[list[float], list[float], list[bool]]:
    """Write every request, then read every response; returns ack seconds, send times and success (a 200
    whose body has `expected`)."""
    n = len(socks)
    sent_at = [0.0] * n
    for i, (sock, payload) in enumerate(zip(socks, payloads)):
        sent_at[i] = time.monotonic()
        sock.sendall(payload)
    acks, ok = [0.0] * n, [False] * n
    buffers = {sock.fileno(): (i, bytearray()) for i, sock in enumerate(socks)}
    selector = selectors.DefaultSelector()
    for sock in socks:
        selector.register(sock, selectors.EVENT_READ)
    left = n
    while left:
        for key, _ in selector.select(timeout=30):
            i, buf = buffers[key.fd]
            buf += key.fileobj.recv(65536)
            head, sep, body = bytes(buf).partition(b"\r\n\r\n")
            if not sep:
                continue
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            if len(body) >= length:
                acks[i] = time.monotonic() - sent_at[i]
                ok[i] = head.startswith(b"HTTP/1.1 200") and expected in body
                selector.unregister(key.fileobj)
                left -= 1
    return acks, sent_at, ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2, help="SALESRL_BOT_WORKERS of the server")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    for name in PROXY_VARIABLES:
        os.environ.pop(name, None)

    with FakeSlack() as fake, tempfile.TemporaryDirectory() as tmp:
        fake.add_user("U0ANA", "Ana Lopez", "ana")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = Path(tmp) / "serve.log"
        process = start_server(fake, Path(tmp) / "bench.db", port, args.workers, log)
        with serving(process, log):
            wait_healthy(base, process)
            SlackSender(base).command("help", response_url=fake.response_url())  # warm up the code paths

            n = args.requests
            # Every command is built and signed beforehand and has its own open connection (as a load
            # balancer keeps connections to its backends). One thread then writes all of them at once
            # and reads the answers as they come, so on this shared 2-core machine the figures measure
            # the server rather than a crowd of client threads.
            requests_out = []
            for i in range(n):
                form = {"team_id": "T0TEAM", "team_domain": "acme", "channel_id": "C0SALES", "channel_name": "sales",
                        "user_id": "U0ANA", "user_name": "ana", "command": "/salesrl",
                        "text": f"score Bench deal {i:03d} :: {TRANSCRIPT}", "api_app_id": "A0SALESRL",
                        "response_url": fake.response_url(f"bench-{i}"), "trigger_id": f"{i}.0.bench"}
                body = urllib.parse.urlencode(form).encode()
                head = "".join(f"{k}: {v}\r\n" for k, v in signed_headers(body, "application/x-www-form-urlencoded").items())
                requests_out.append(f"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{head}"
                                    f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
            socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(n)]
            start = time.monotonic()
            acks, sent_at, ok = burst(socks, requests_out)
            for sock in socks:
                sock.close()
            fake.wait_for("files.completeUploadExternal", n, timeout=600)
            done = time.monotonic()
            summaries = {}
            for call in fake.calls_to("chat.postMessage"):
                text = str(call.params.get("text", ""))
                if text.startswith("SalesRL: Bench deal "):
                    summaries[int(text[len("SalesRL: Bench deal "):][:3])] = call.at
            answered = [summaries[i] - sent_at[i] for i in range(n) if i in summaries]
            errors = fake.calls_to("response_url")

    figures = {
        "requests": n,
        "server_workers": args.workers,
        "acks_ok": sum(ok),
        "ack_ms": {"p50": round(1000 * statistics.median(acks), 1), "p95": round(1000 * percentile(acks, 95), 1),
                   "p99": round(1000 * percentile(acks, 99), 1), "max": round(1000 * max(acks), 1)},
        "answered": len(answered),
        "errors_reported": len(errors),
        "answer_s": {"p50": round(statistics.median(answered), 2), "max": round(max(answered), 2)} if answered else None,
        "all_answered_after_s": round(done - start, 2),
        "cpus": os.cpu_count(),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    a = figures["ack_ms"]
    print(f"{n} concurrent signed /salesrl score commands over HTTP (server: {args.workers} scoring workers, "
          f"{figures['cpus']} CPUs)")
    print(f"  ack latency   p50 {a['p50']} ms   p95 {a['p95']} ms   p99 {a['p99']} ms   max {a['max']} ms"
          f"   (target p99 <= 300 ms: {'met' if a['p99'] <= 300 else 'MISSED'})")
    print(f"  acks ok       {figures['acks_ok']}/{n}")
    print(f"  answered      {figures['answered']}/{n} (summary + chart + tips each), errors reported: "
          f"{figures['errors_reported']}")
    if answered:
        print(f"  answer time   p50 {figures['answer_s']['p50']} s   max {figures['answer_s']['max']} s   "
              f"(all {n} answered {figures['all_answered_after_s']} s after the burst)")


if __name__ == "__main__":
    main()
