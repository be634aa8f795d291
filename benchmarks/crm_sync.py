"""CRM sync speed: the first sync of 10,000 CRM deals and an incremental sync with nothing changed, through
the real clients (hubspot-api-client, simple-salesforce) against the local fakes of HubSpot and Salesforce
(tests/fakes; Salesforce over HTTPS with a throwaway certificate).

    .venv/bin/python benchmarks/crm_sync.py [--deals 10000] [--postgres URL] [--no-postgres] [--no-write]

Targets (issue 33): first sync of 10,000 deals <= 60 s; an incremental run with nothing changed <= 2 s.

Each run starts from an empty database (a SQLite file, and a throwaway PostgreSQL schema unless --no-postgres)
holding 1,000 SalesRL deals, half of them named as a CRM deal is ("Account 17" for "Account 17, Inc."), so
matching and carrying fields over have work to do; a tenth of the CRM deals are closed, won or lost; each has two
contacts (one at a company domain, one at gmail.com), whose domains are read with it. Timed:
- first: `CrmSync.sync` from no cursor (HubSpot: 50 searches of 200 deals, each with one association read and
  four contact reads; Salesforce: 5 SOQL pages of 2,000, contacts in a sub-query);
- no change: median of 5 further syncs (each reads the deals of the cursor's last instant again, by design);
- 100 changed: one sync after 100 CRM deals changed amount and stage (100 stage changes recorded).
The fake servers run in the same process and share its two cores: their time is inside the figures.

Figures are printed and written under "## CRM sync" in BENCHMARKS.md (other sections untouched).
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.benchmarks_md import write_section  # noqa: E402

import sqlalchemy as sa  # noqa: E402

from salesrl.bot.crm.sync import CrmSync  # noqa: E402
from salesrl.bot.store import Store  # noqa: E402
from tests.fakes.hubspot_server import FakeHubSpot  # noqa: E402
from tests.fakes.salesforce_server import FakeSalesforce  # noqa: E402
from tests.fakes.tls import self_signed  # noqa: E402

WS = "T0BENCH"
SALESRL_DEALS = 1_000
FIRST_TARGET_S, INCREMENTAL_TARGET_S = 60.0, 2.0
DEFAULT_POSTGRES = os.environ.get("SALESRL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def crm_name(i: int) -> str:
    return f"Account {i}, Inc."


def seed_store(store: Store) -> None:
    for i in range(SALESRL_DEALS):  # half of them match a CRM deal's name once "Inc." is set aside
        store.deals.get_or_create(WS, f"Account {i}" if i % 2 == 0 else f"Prospect {i}")


def contact_emails(i: int) -> list[str]:
    return [f"buyer@account{i}.example", f"champion{i}@gmail.com"]


def seed_hubspot(fake: FakeHubSpot, n: int) -> None:
    for i in range(n):
        closed = ("won" if i % 20 == 0 else "lost") if i % 10 == 0 else None
        contacts = [str(100_000 + 2 * i), str(100_001 + 2 * i)]
        for contact_id, email in zip(contacts, contact_emails(i)):
            fake.add_contact(contact_id, email)
        fake.add_deal(str(10_000 + i), crm_name(i), amount=str(1000 + i), closed=closed, close_date="2026-10-30",
                      contacts=contacts)


def seed_salesforce(fake: FakeSalesforce, n: int) -> None:
    for i in range(n):
        closed = ("won" if i % 20 == 0 else "lost") if i % 10 == 0 else None
        fake.add_opportunity(f"006{i:012d}", crm_name(i), amount=1000.0 + i, closed=closed, contacts=contact_emails(i))


def measure(url: str, connect: Callable[[], Any], change: Callable[[], None]) -> dict[str, Any]:
    with Store.open(url) as store:
        seed_store(store)
        crm_sync = CrmSync(store, hubspot_api_url=os.environ.get("SALESRL_HUBSPOT_API_URL"))
        (conn,) = crm_sync.connections(WS)
        t = time.perf_counter()
        first = crm_sync.sync(conn, force=True)
        first_s = time.perf_counter() - t
        assert first is not None and first.error is None, first
        again = []
        for _ in range(5):
            t = time.perf_counter()
            report = crm_sync.sync(conn, force=True)
            again.append(time.perf_counter() - t)
            assert report is not None and report.error is None, report
        change()
        t = time.perf_counter()
        changed = crm_sync.sync(conn, force=True)
        changed_s = time.perf_counter() - t
        assert changed is not None and changed.error is None
        won = len(store.deals.list(WS, status="won"))
    return {"first_s": first_s, "first": first, "again_s": statistics.median(again), "again_deals": report.deals,
            "changed_s": changed_s, "changed_deals": changed.deals, "won": won}


def backends(args: argparse.Namespace, tmp: Path) -> list[tuple[str, str, Callable[[], None]]]:
    """(name, URL, cleanup) of each database to measure on."""
    out: list[tuple[str, str, Callable[[], None]]] = []
    if not args.no_postgres:
        schema = f"salesrl_bench_{os.getpid()}_{secrets.token_hex(3)}"
        admin = sa.create_engine(args.postgres, poolclass=sa.pool.NullPool)
        with admin.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')

        def drop(admin: sa.Engine = admin, schema: str = schema) -> None:
            with admin.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            admin.dispose()

        url = sa.engine.make_url(args.postgres).update_query_dict(
            {"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
        out.append(("PostgreSQL", url, drop))
    out.append(("SQLite file", f"sqlite:///{tmp / 'bench.db'}", lambda: None))
    return out


def fresh(url: str) -> str:
    """The URL emptied and migrated."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    else:
        from salesrl.bot.store.engine import make_engine
        from salesrl.bot.store.schema import upgrade
        from salesrl.bot.store.tables import metadata
        engine = make_engine(url)
        with engine.begin() as conn:
            metadata.drop_all(conn)
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        upgrade(engine)
        engine.dispose()
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=10_000, help="CRM deals in each fake")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="PostgreSQL server URL (a schema is made and dropped)")
    parser.add_argument("--no-postgres", action="store_true", help="only the SQLite file")
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args()
    rows, results = [], []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        cert, tls = self_signed(tmp)
        os.environ["REQUESTS_CA_BUNDLE"] = str(cert)
        for backend, url, cleanup in backends(args, tmp):
            try:
                with FakeHubSpot() as hubspot:
                    seed_hubspot(hubspot, args.deals)
                    os.environ[f"SALESRL_HUBSPOT_TOKEN_{WS}"] = hubspot.token
                    os.environ["SALESRL_HUBSPOT_API_URL"] = hubspot.url
                    r = measure(fresh(url), hubspot, lambda: [hubspot.add_deal(str(10_000 + i), crm_name(i), amount="5",
                                                                                    stage="contractsent")
                                                               for i in range(100)])
                    results.append(("HubSpot", backend, r))
                    del os.environ[f"SALESRL_HUBSPOT_TOKEN_{WS}"]
                with FakeSalesforce(tls) as salesforce:
                    seed_salesforce(salesforce, args.deals)
                    os.environ[f"SALESRL_SALESFORCE_INSTANCE_URL_{WS}"] = salesforce.url
                    os.environ[f"SALESRL_SALESFORCE_ACCESS_TOKEN_{WS}"] = salesforce.access_token
                    r = measure(fresh(url), salesforce, lambda: [salesforce.add_opportunity(f"006{i:012d}", crm_name(i),
                                                                                             amount=5.0, stage="Proposal")
                                                                for i in range(100)])
                    results.append(("Salesforce", backend, r))
                    del os.environ[f"SALESRL_SALESFORCE_INSTANCE_URL_{WS}"], os.environ[f"SALESRL_SALESFORCE_ACCESS_TOKEN_{WS}"]
            finally:
                cleanup()
    for crm, backend, r in results:
        first_ok = "meets" if r["first_s"] <= FIRST_TARGET_S else "MISSES"
        again_ok = "meets" if r["again_s"] <= INCREMENTAL_TARGET_S else "MISSES"
        line = (f"| {crm} | {backend} | {r['first_s']:.1f} ({first_ok}) | {r['first'].linked:,} linked, "
                f"{r['first'].outcomes:,} outcomes | {r['again_s'] * 1000:.0f} ms, {r['again_deals']} read ({again_ok}) | "
                f"{r['changed_s'] * 1000:.0f} ms, {r['changed_deals']} read |")
        rows.append(line)
        print(line)
    section = f"""## CRM sync

`.venv/bin/python benchmarks/crm_sync.py` — {platform.machine()}, 2 cores shared with other work, Python
{platform.python_version()}. Measured {datetime.now(timezone.utc):%Y-%m-%d}.

{args.deals:,} deals in a local fake of each CRM (a tenth closed, each with two contacts whose e-mail domains are
read with it), driven through the real client; the database
starts with {SALESRL_DEALS:,} SalesRL deals, half of them named as a CRM deal is once "Inc." is set aside. The fakes
run in the same process, on the same two cores: their work is inside the figures. Targets: first sync
<= {FIRST_TARGET_S:.0f} s, incremental with nothing changed <= {INCREMENTAL_TARGET_S:.0f} s.

| CRM | database | first sync, s | matched | no change (median of 5) | 100 changed |
|---|---|---|---|---|---|
""" + "\n".join(rows) + """

HubSpot reads 200 deals a search (50 searches for the first sync), each page's contacts with one association
read and batch reads of 100 contacts; Salesforce 2,000 records a SOQL page, contacts in a sub-query. Each
page is one transaction. An incremental run asks for the deals modified at or after the cursor, so it reads
again the deals of the cursor's last instant (one for HubSpot's milliseconds; those of the last second for
Salesforce's whole seconds) and applies them as no change.
"""
    if not args.no_write:
        write_section("## CRM sync", section)
        print("wrote the CRM sync section of BENCHMARKS.md")




if __name__ == "__main__":
    main()
