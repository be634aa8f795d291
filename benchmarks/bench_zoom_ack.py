"""Zoom's webhook under a burst: N concurrent signed `recording.transcript_completed` events over real HTTP.

Starts `salesrl serve` as its own process (as in production) against a fake Slack Web API and a fake Zoom
(OAuth token endpoint, recording downloads) in this process. Each event, signed as Zoom signs it, names its
deal in the meeting's topic ("Bench deal 007 :: weekly"), so each must become one scored call posted in the
deal's channel. Reports:

- ack latency (request written -> HTTP answer read), p50 / p95 / p99 / max; the target is p99 <= 300 ms;
- time to the posted result (event sent -> the summary posted in the deal's channel), for one event alone
  and for each event of the burst; the target is within 10 s of the transcript being available;
- how many downloads and token requests reached Zoom (one token for all; one download each).

    .venv/bin/python benchmarks/bench_zoom_ack.py [--requests 20] [--workers 2] [--postgres URL]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_slack_ack import burst, percentile, start_server  # noqa: E402
from benchmarks.serve_process import serving, wait_healthy  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from salesrl.bot.store import Store  # noqa: E402
from tests.conftest import url_with_schema  # noqa: E402
from tests.e2e.conftest import PROXY_VARIABLES  # noqa: E402
from tests.e2e.test_serve_cli import free_port  # noqa: E402
from tests.e2e.test_zoom import CALL  # noqa: E402
from tests.e2e.zoom_requests import ZOOM_SECRET, ZoomSender, transcript_completed, vtt, zoom_signature  # noqa: E402
from tests.fakes.slack_server import FakeSlack  # noqa: E402
from tests.fakes.zoom_server import FakeZoom  # noqa: E402

TEAM = "T0TEAM"


def signed_request(event: dict, port: int) -> bytes:
    body = json.dumps(event).encode()
    ts = str(int(time.time()))
    head = (f"POST /zoom/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"x-zm-request-timestamp: {ts}\r\nx-zm-signature: {zoom_signature(ZOOM_SECRET, ts, body)}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


def posted_at(fake: FakeSlack, deal: str, timeout: float = 120) -> float:
    # the fake Slack is new each run, so the first summary naming the deal is this run's
    """When the summary of `deal`'s call was posted (the fake's clock: time.monotonic())."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for call in fake.calls_to("chat.postMessage"):
            if str(call.params.get("text", "")).startswith(f"SalesRL: {deal}"):
                return call.at
        time.sleep(0.01)
    raise SystemExit(f"no result posted for {deal}")


def postgres_schema(server_url: str, run: str) -> str:
    """A new schema for this run on the server; the URL whose connections use it."""
    engine = sa.create_engine(server_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "salesrl_bench_{run}"')
    engine.dispose()
    return url_with_schema(server_url, f"salesrl_bench_{run}")


def drop_schema(server_url: str, run: str) -> None:
    engine = sa.create_engine(server_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "salesrl_bench_{run}" CASCADE')
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2, help="SALESRL_BOT_WORKERS of the server")
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server to run on, in a schema of its own "
                        "made and dropped here; default: a new SQLite file")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    for name in PROXY_VARIABLES:
        os.environ.pop(name, None)
    n = args.requests
    run = secrets.token_hex(4)  # recording ids unique to this run: a database kept between runs has the last run's

    with FakeSlack() as fake, FakeZoom() as zoom, tempfile.TemporaryDirectory() as tmp:
        fake.add_user("U0ANA", "Ana Lopez", "ana")
        db_url = postgres_schema(args.postgres, run) if args.postgres else f"sqlite:///{Path(tmp) / 'bench.db'}"
        with Store.open(db_url, auto_upgrade=True) as store:
            calls_before = sum(store.deals.get_or_create(TEAM, f"Bench deal {i:03d}", owner_id="U0ANA",
                                                         channel_id="C0SALES").call_count for i in range(n))
            store.deals.get_or_create(TEAM, "Bench deal -01", owner_id="U0ANA", channel_id="C0SALES")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = Path(tmp) / "serve.log"
        env = dict(ZOOM_SECRET_TOKEN=ZOOM_SECRET, SALESRL_ZOOM_WORKSPACE=TEAM, ZOOM_OAUTH_URL=zoom.url,
                   ZOOM_API_URL=zoom.api_url, ZOOM_ACCOUNT_ID=zoom.account_id, ZOOM_CLIENT_ID=zoom.client_id,
                   ZOOM_CLIENT_SECRET=zoom.client_secret, SALESRL_DATABASE_URL=db_url)
        process = start_server(fake, Path(tmp) / "unused.db", port, args.workers, log, env)
        try:
            with serving(process, log):
                wait_healthy(base, process)
                sender = ZoomSender(base)
                sender.validate("warm-up")
                # one event alone: the time from Zoom's delivery to the result in the channel, unloaded
                alone = transcript_completed(f"{run}-alone", zoom.add_transcript(f"{run}-alone", vtt(CALL)),
                                             topic="Bench deal -01 :: weekly")
                sent = time.monotonic()
                assert sender.post(alone).status_code == 200
                alone_ack = time.monotonic() - sent
                alone_s = posted_at(fake, "Bench deal -01") - sent
                fake.wait_for("files.completeUploadExternal", 1, timeout=60)

                events = [transcript_completed(f"{run}-{i}", zoom.add_transcript(f"{run}-{i}", vtt(CALL)),
                                               topic=f"Bench deal {i:03d} :: weekly") for i in range(n)]
                payloads = [signed_request(e, port) for e in events]
                socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(n)]
                start = time.monotonic()
                acks, sent_at, ok = burst(socks, payloads, expected=b"")
                for sock in socks:
                    sock.close()
                posted = [posted_at(fake, f"Bench deal {i:03d}") - sent_at[i] for i in range(n)]
                fake.wait_for("files.completeUploadExternal", n + 1, timeout=600)
                done = time.monotonic()
                with Store.open(db_url) as store:
                    calls = sum(store.deals.get(TEAM, f"Bench deal {i:03d}").call_count for i in range(n)) - calls_before
        finally:
            if args.postgres:
                drop_schema(args.postgres, run)

    figures = {
        "requests": n, "server_workers": args.workers, "database": "PostgreSQL" if args.postgres else "SQLite",
        "acks_ok": sum(ok), "alone_ack_ms": round(1000 * alone_ack, 1),
        "ack_ms": {"p50": round(1000 * statistics.median(acks), 1), "p95": round(1000 * percentile(acks, 95), 1),
                   "p99": round(1000 * percentile(acks, 99), 1), "max": round(1000 * max(acks), 1)},
        "alone_posted_s": round(alone_s, 2),
        "burst_posted_s": {"p50": round(statistics.median(posted), 2), "max": round(max(posted), 2)},
        "all_done_after_s": round(done - start, 2), "scored_calls": calls,
        "zoom_requests": {"token": zoom.requests["token"], "download": zoom.requests["download"]},
        "cpus": os.cpu_count(),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    a, p = figures["ack_ms"], figures["burst_posted_s"]
    print(f"{n} concurrent signed Zoom transcript events over HTTP (server: {args.workers} scoring workers, "
          f"{figures['database']}, {figures['cpus']} CPUs)")
    print(f"  ack latency   p50 {a['p50']} ms   p95 {a['p95']} ms   p99 {a['p99']} ms   max {a['max']} ms"
          f"   (target p99 <= 300 ms: {'met' if a['p99'] <= 300 else 'MISSED'})")
    print(f"  acks ok       {figures['acks_ok']}/{n}; scored calls {calls}/{n}; one event alone acked in "
          f"{figures['alone_ack_ms']} ms")
    print(f"  posted        one event alone {figures['alone_posted_s']} s; the burst's p50 {p['p50']} s, "
          f"max {p['max']} s (target <= 10 s: {'met' if p['max'] <= 10 else 'MISSED'})")
    print(f"  Zoom          {figures['zoom_requests']['token']} token request(s), "
          f"{figures['zoom_requests']['download']} downloads")


if __name__ == "__main__":
    main()
