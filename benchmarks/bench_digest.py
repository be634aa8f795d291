"""Digest speed: building and rendering a weekly pipeline digest over 10,000 deals.

    .venv/bin/python benchmarks/bench_digest.py [--postgres URL] [--no-sqlite] [--no-write]

Target (digest issue): building and rendering a digest over 10,000 deals <= 2 s.

Data: the storage benchmark's data set (benchmarks/bench_store.py: one workspace, 10,000 deals, 20,000
calls over 90 days with 50 turn scores each = 1,000,000 turn scores, 3 tips a call, 500 flags, 40 reps),
seeded with COPY into a throwaway PostgreSQL schema; then 70% of the deals are given an amount, so the
weighted pipeline has work to do. For comparison the same rows are copied into a SQLite file.

Timed, median of 10 runs after one warm-up:
- build: `build_digest` (five store queries, the derived lists, calibration, and the turn scores of the
  shown movers' calls for "the moment that moved them");
- render: `render_digest` (Jinja2 to Block Kit, parsed and validated);
- build + render: the target;
- chart: the PNG posted in the digest's thread (matplotlib, Agg), reported separately.

Figures are printed and written under "## Digests" in BENCHMARKS.md (other sections untouched).
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.benchmarks_md import write_section  # noqa: E402

import sqlalchemy as sa  # noqa: E402

from benchmarks.bench_store import DEFAULT_POSTGRES, N_CALLS, N_DEALS, N_REPS, TURNS_PER_CALL, WS, seed_postgres  # noqa: E402
from salesrl.bot.digest.chart import render_digest_chart_png  # noqa: E402
from salesrl.bot.digest.content import DigestContent, build_digest  # noqa: E402
from salesrl.bot.digest.periods import Period  # noqa: E402
from salesrl.bot.digest.rendering import render_digest  # noqa: E402
from salesrl.bot.slack.templates import Templates  # noqa: E402
from salesrl.bot.store import Store  # noqa: E402
from salesrl.bot.store.engine import make_engine  # noqa: E402
from salesrl.bot.store.schema import upgrade  # noqa: E402
from salesrl.bot.store.tables import metadata  # noqa: E402

TARGET_S = 2.0
RUNS = 10
TABLE_ORDER = ("workspaces", "users", "deals", "calls", "turn_scores", "tips", "flags")


def give_amounts(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE deals SET amount = (mod(id, 97) + 3) * 1000 WHERE mod(id, 10) < 7")
        conn.exec_driver_sql("ANALYZE deals")
    engine.dispose()


def copy_to_sqlite(pg_url: str, sqlite_url: str) -> float:
    """The seeded rows, table by table, into a fresh SQLite file; returns seconds."""
    t0 = time.perf_counter()
    Store.open(sqlite_url).close()  # migrated on first open
    source, target = make_engine(pg_url), make_engine(sqlite_url)
    with source.connect() as src, target.begin() as dst:
        for name in TABLE_ORDER:
            table = metadata.tables[name]
            result = src.execution_options(yield_per=50_000).execute(sa.select(table))
            for chunk in result.mappings().partitions():
                dst.execute(sa.insert(table), [dict(row) for row in chunk])
        dst.exec_driver_sql("ANALYZE")
    source.dispose()
    target.dispose()
    return time.perf_counter() - t0


def timed(fn: Callable[[], object], runs: int = RUNS) -> tuple[list[float], object]:
    result = fn()  # warm-up
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return times, result


def measure(url: str, now: datetime) -> dict[str, object]:
    period = Period(key="2026-W49", cadence="weekly", start=now - timedelta(days=7), end=now, timezone="Europe/Paris")
    templates = Templates()
    with Store.open(url) as store:
        build, content = timed(lambda: build_digest(store, WS, period))
        assert isinstance(content, DigestContent)
        render, message = timed(lambda: render_digest(templates, content))
        both, _ = timed(lambda: render_digest(templates, build_digest(store, WS, period)))
        chart, png = timed(lambda: render_digest_chart_png(content))
    return {"build": build, "render": render, "both": both, "chart": chart, "content": content,
            "blocks": len(message.blocks), "json_kb": len(str(message.blocks)) / 1024, "png_kb": len(png) / 1024}


def med_ms(values: object) -> float:
    return statistics.median(values) * 1000  # type: ignore[arg-type]


def p90_ms(values: object) -> float:
    return statistics.quantiles(values, n=10)[8] * 1000  # type: ignore[arg-type]




def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="PostgreSQL server URL (a schema is made and dropped)")
    parser.add_argument("--no-sqlite", action="store_true", help="skip the SQLite comparison")
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args()

    schema = f"salesrl_bench_{os.getpid()}_{secrets.token_hex(3)}"
    admin = sa.create_engine(args.postgres, poolclass=sa.pool.NullPool)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = sa.engine.make_url(args.postgres).update_query_dict(
        {"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    results: dict[str, dict[str, object]] = {}
    try:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        now = datetime.now(timezone.utc)
        seeded = seed_postgres(url, now)
        give_amounts(url)
        print(f"seeded {N_DEALS:,} deals, {N_CALLS:,} calls, {N_CALLS * TURNS_PER_CALL:,} turn scores "
              f"({seeded['generate_s'] + seeded['copy_s']:.1f} s)")
        results["PostgreSQL"] = measure(url, now)
        if not args.no_sqlite:
            with tempfile.TemporaryDirectory() as tmp:
                sqlite_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
                print(f"copied to SQLite in {copy_to_sqlite(url, sqlite_url):.1f} s")
                results["SQLite file"] = measure(sqlite_url, now)
        with admin.connect() as conn:
            pg_version = conn.exec_driver_sql("SHOW server_version").scalar_one()
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()

    rows = []
    for backend, r in results.items():
        verdict = "meets" if med_ms(r["both"]) <= TARGET_S * 1000 else "MISSES"
        rows.append(f"| {backend} | {med_ms(r['build']):.0f} | {med_ms(r['render']):.1f} | "
                    f"{med_ms(r['both']):.0f} (p90 {p90_ms(r['both']):.0f}) | {verdict} | {med_ms(r['chart']):.0f} |")
        print(f"{backend}: build {med_ms(r['build']):.0f} ms, render {med_ms(r['render']):.1f} ms, "
              f"build + render {med_ms(r['both']):.0f} ms (p90 {p90_ms(r['both']):.0f}; target <= {TARGET_S:.0f} s: "
              f"{verdict}), chart {med_ms(r['chart']):.0f} ms")
    c = results["PostgreSQL"]["content"]
    assert isinstance(c, DigestContent)
    pg = results["PostgreSQL"]
    section = f"""## Digests

`.venv/bin/python benchmarks/bench_digest.py` — {platform.processor() or platform.machine()}, {os.cpu_count()} cores shared
with other work, Python {platform.python_version()}, PostgreSQL {pg_version} on localhost, SQLite {sqlite3.sqlite_version}.
Measured {datetime.now():%Y-%m-%d}.

A weekly digest over the storage benchmark's data set: {N_DEALS:,} deals ({c.pipeline.open_deals:,} open, 70% with an
amount), {N_CALLS:,} calls in 90 days, {N_CALLS * TURNS_PER_CALL:,} turn scores, 500 flags, {N_REPS} reps. The digest
it builds: {c.calls:,} calls this week, {c.moved_up + c.moved_down:,} movers (the 10 shown read their calls' turn
scores for the moment that moved them), {c.at_risk_count:,} at risk, {c.idle_count:,} idle for {c.idle_days} days,
{c.flagged_count} flagged deals, calibration over {c.calibration.deals if c.calibration else 0:,} closed deals;
{pg['blocks']} blocks, {pg['json_kb']:.1f} kB of Block Kit, a {pg['png_kb']:.0f} kB chart. Median of {RUNS} runs
after a warm-up, in ms:

| Backend | build | render | build + render | target <= {TARGET_S:.0f} s | chart PNG |
|---|---|---|---|---|---|
{chr(10).join(rows)}

Building reads the workspace's deals once (every open deal's probability feeds the weighted pipeline and the
chart's histogram) and derives the at-risk, idle and calibration lists from them in Python, rather than one
query each. Rendering is Jinja2 plus the shared Block Kit validator. The chart is drawn after the post, in
the same tick, and uploaded into the message's thread.
"""
    if args.no_write:
        print(section)
    else:
        write_section("## Digests", section)
        print("wrote the Digests section of BENCHMARKS.md")


if __name__ == "__main__":
    main()
