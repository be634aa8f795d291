"""One workspace's sync with one CRM, and the scheduler's tick over every connected workspace.

    crm_sync = CrmSync(store, every=timedelta(minutes=15))
    crm_sync.run_due(now)                       # the scheduler's tick (bot.scheduler): what is due
    crm_sync.sync(connection, now, force=True)  # `salesrl crm sync`: now

A sync is claimed in the database first (bot.store.crm), so of several bot processes and cron jobs one
runs it. It reads the deals modified since its cursor, page by page; each page is stored, matched, carried
over to the linked SalesRL deals and the cursor moved past it in one transaction, so a sync that stops
half way keeps whole pages only and the next run goes on from there. A deal the CRM closes has its
outcome recorded the way one typed in Slack is (bot.store.deals.write_outcome), so its open flags are
cleared with it. Then SalesRL deals made since are linked by name, the linked deals without an owner take the
Slack user of their CRM deal's owner (the bot's sync only: it has a Slack client), the contacts of the deals whose contacts
changed (added, removed, an e-mail changed: no change of the deal itself) are read again, and, when the
workspace turned write-back on, the latest scores are written back.

An owner is found in Slack by the e-mail the CRM has for them (users.lookupByEmail), each owner once per sync; the
address is not kept. An owner with no Slack account stays unmapped, and an owner someone set is never replaced. That
an owner was found in no Slack user (or the CRM had no e-mail for them) is kept for `OWNER_MISS_KEPT`: the syncs
meanwhile ask neither the CRM nor Slack about them, and the first one after looks again (a Slack account made since).

A failed sync (the CRM refused, rate limited beyond the retries, was down, the [crm] extra is missing) is
logged once, at WARNING, until a run succeeds again; it is tried again at its next run.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Iterator, Protocol, Sequence

from salesrl.bot.crm.config import Connection, HubSpotConnection, connections
from salesrl.bot.crm.errors import CrmError, Transient
from salesrl.bot.crm.matching import match_key
from salesrl.bot.crm.retrying import FIRST_WAIT_S
from salesrl.bot.crm.writeback import changed, deal_values
from salesrl.bot.store import StoreError, Store
from salesrl.bot.store.crm import DEFAULT_SYNC_LEASE, ContactChanges, CrmDeal, DealContacts, PageApplied, SyncClaim
from salesrl.bot.store.tables import utcnow

log = logging.getLogger(__name__)

DEFAULT_EVERY = timedelta(minutes=15)
OWNER_MISS_KEPT = timedelta(days=1)
# Contact changes are read again from this long before the last sync started: the CRM's clock is not ours, and
# HubSpot's search finds a change only a while after it was made. A change read twice changes nothing twice.
CONTACTS_OVERLAP = timedelta(minutes=10)


FlagsCleared = Callable[[str, str, list[int]], None]  # (workspace id, crm, ids of the flags a CRM's closing cleared)
SlackUserOf = Callable[[str, str], str | None]  # (workspace id, e-mail) -> the Slack user with it, None when none


class CrmClient(Protocol):
    crm: str

    def changed_deals(self, since: datetime | None) -> Iterator[tuple[list[CrmDeal], datetime | None]]: ...

    def changed_contacts(self, since: datetime, now: datetime) -> Iterator[ContactChanges]: ...

    def contacts_of(self, crm_ids: Sequence[str]) -> dict[str, DealContacts]: ...

    def write(self, values: dict[str, dict[str, Any]]) -> None: ...

    def owner_emails(self, owner_ids: Sequence[str]) -> dict[str, str | None]: ...


def client_for(conn: Connection, first_wait_s: float = FIRST_WAIT_S) -> CrmClient:
    """The CRM's client; the client library is imported here, when a workspace uses it."""
    if isinstance(conn, HubSpotConnection):
        from salesrl.bot.crm.hubspot import HubSpotClient
        return HubSpotClient(conn, first_wait_s=first_wait_s)
    from salesrl.bot.crm.salesforce import SalesforceClient
    return SalesforceClient(conn, first_wait_s=first_wait_s)


@dataclass
class SyncReport:
    """What a sync did; filled in as it goes, so a failed sync reports how far it got."""

    workspace_id: str
    crm: str
    deals: int = 0  # CRM deals read and stored
    linked: int = 0  # newly linked to SalesRL deals by name
    outcomes: int = 0  # SalesRL deals closed (or reopened) by the CRM
    written: int = 0  # CRM deals write-back changed
    error: str | None = None
    flags_cleared: int = 0  # open flags the CRM's closings cleared
    flags_untold: int = 0  # of them, those whose threads were not told (no `flags_cleared` notifier: the CLI)
    contacts: int = 0  # CRM deals whose contacts changed without the deal
    owners: int = 0  # SalesRL deals given the Slack user of their CRM deal's owner
    unowned: int = 0  # linked SalesRL deals left without an owner: their CRM owner not found in Slack
    owners_untried: bool = False  # no Slack to look owners up in (the CLI)

    def summary(self) -> str:
        done = (f"{self.deals} deals read, {self.linked} linked by name, {self.outcomes} outcomes, "
                f"{self.written} written back")
        if self.contacts:
            whose = "1 deal's" if self.contacts == 1 else f"{self.contacts} deals'"
            done += f", {whose} contacts changed"
        if self.flags_cleared:
            done += f", {self.flags_cleared} flag{'s' if self.flags_cleared != 1 else ''} cleared"
            if self.flags_untold:
                done += f" ({self.flags_untold} of their Slack threads not told: only the bot's own sync posts there)"
        if self.owners:
            done += f", {self.owners} owner{'s' if self.owners != 1 else ''} set"
        if self.unowned:
            whose = "1 linked deal's" if self.unowned == 1 else f"{self.unowned} linked deals'"
            done += f", {whose} CRM owner not " + ("looked up in Slack (only the bot's own sync does)"
                                                   if self.owners_untried else "found in Slack")
        if self.error:
            return f"{self.crm} for {self.workspace_id}: failed ({done} before): {self.error}"
        return f"{self.crm} for {self.workspace_id}: {done}"


def process_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class CrmSync:
    def __init__(self, store: Store, *, every: timedelta = DEFAULT_EVERY, hubspot_api_url: str | None = None,
                 lease: timedelta = DEFAULT_SYNC_LEASE, first_wait_s: float = FIRST_WAIT_S,
                 flags_cleared: FlagsCleared | None = None, slack_user_of: SlackUserOf | None = None) -> None:
        """`first_wait_s`: the first wait before a request that failed without saying how long to wait is
        tried again (bot.crm.retrying). `flags_cleared`: told of the flags a page's closed deals cleared, once
        the page is saved (the bot says so in their threads: bot.flags.flagging.crm_flag_notes). `slack_user_of`:
        the Slack user with an e-mail address, for the CRM deals' owners (bot.slack.profiles.slack_users); without
        it owners are left as they are."""
        self.store = store
        self.every = every
        self.hubspot_api_url = hubspot_api_url
        self.lease = lease
        self.first_wait_s = first_wait_s
        self.flags_cleared = flags_cleared
        self.slack_user_of = slack_user_of
        self.owner = process_name()

    def connections(self, workspace: str | None = None) -> list[Connection]:
        return connections(hubspot_api_url=self.hubspot_api_url, workspace=workspace)

    def run_due(self, now: datetime) -> list[SyncReport]:
        """Sync every connection that is due and nobody else is syncing."""
        reports = []
        for conn in self.connections():
            report = self.sync(conn, now)
            if report is not None:
                reports.append(report)
        return reports

    def sync(self, conn: Connection, now: datetime | None = None, *, force: bool = False) -> SyncReport | None:
        """Sync one workspace with one CRM, if it is due (or `force`) and not being synced; None when not."""
        now = now or utcnow()
        ws, crm = conn.workspace_id, conn.crm
        claim = self.store.crm.claim(ws, crm, self.owner, now=now, lease=self.lease, force=force)
        if claim is None:
            return None
        report = SyncReport(ws, crm)  # how far it got, page by page
        try:
            self._run(conn, claim, now, report)
        except (CrmError, Transient, StoreError) as e:
            report.error = str(e)
        except Exception as e:  # a bug or an answer no one foresaw: the sync stays scheduled
            log.exception("CRM sync of %s with %s", ws, crm)
            report.error = f"unexpected {type(e).__name__}"
        # (a process stopped mid-sync leaves its claim to expire after the lease)
        before = self.store.crm.finish(ws, crm, self.owner, next_run_at=now + self.every, error=report.error,
                                       now=utcnow())
        if report.error and report.error != before:
            log.warning("CRM sync of %s with %s failed, tried again at its next run: %s", ws, crm, report.error)
        elif report.error is None and before is not None:
            log.info("CRM sync of %s with %s works again", ws, crm)
        elif report.error is None:
            log.info("CRM sync: %s", report.summary())
        return report

    def _run(self, conn: Connection, claim: SyncClaim, now: datetime, done: SyncReport) -> None:
        ws, crm = conn.workspace_id, conn.crm
        client = client_for(conn, self.first_wait_s)
        for page, cursor in client.changed_deals(claim.modified_since):
            self._count(ws, crm, done, self.store.crm.apply_page(ws, crm, page, match_key, cursor))
        self._count(ws, crm, done, self.store.crm.link_new_deals(ws, crm, match_key))
        self._set_owners(ws, client, now, done)
        self._refresh_contacts(ws, client, claim.contacts_since, now, done)
        self.store.crm.read_contacts_until(ws, crm, now - CONTACTS_OVERLAP)
        if self.store.config.get(ws).crm_writeback:
            done.written = write_back(self.store, ws, client)

    def _refresh_contacts(self, ws: str, client: CrmClient, since: datetime | None, now: datetime,
                          done: SyncReport) -> None:
        """Read again the contacts of the deals whose contacts changed since `since`: in neither CRM does a
        contact added to a deal or removed from it, or an e-mail changed, change the deal, so the pages above
        miss it. A contact removed from a deal is no longer linked to it in the CRM: that deal is found among
        those that had it, as stored. None: no sync has read contact changes yet: the first sync ever reads every
        deal with its contacts, and the first one after the contacts' ids were kept (migration 0010) reads those
        of the deals stored before, so that a contact removed from one later is noticed."""
        if since is None:
            stored_before = self.store.crm.deals_without_contact_ids(ws, client.crm)
            if stored_before:
                done.contacts += self.store.crm.apply_contacts(ws, client.crm, client.contacts_of(stored_before))
            return
        for changes in client.changed_contacts(since, now):
            deals = changes.deals | self.store.crm.deals_with_contacts(ws, client.crm, sorted(changes.contacts))
            if deals:
                done.contacts += self.store.crm.apply_contacts(ws, client.crm, client.contacts_of(sorted(deals)))

    def _set_owners(self, ws: str, client: CrmClient, now: datetime, done: SyncReport) -> None:
        """Give the linked deals without an owner the Slack user of their CRM deal's owner: the owner's e-mail from
        the CRM, then the Slack user with it, each owner looked up once, and not again for OWNER_MISS_KEPT when
        there is none (no Slack account, an owner the CRM no longer has or has no e-mail for). An owner a failure
        kept from being looked up (a scope missing, Slack down) is looked up at the next sync; a failure here stops
        no sync."""
        unowned = self.store.crm.unowned_links(ws, client.crm)  # deal id -> CRM owner id
        if not unowned:
            return
        if self.slack_user_of is None:
            done.unowned, done.owners_untried = len(unowned), True
            return
        missed_lately = self.store.crm.owners_missed_since(ws, client.crm, now - OWNER_MISS_KEPT)
        to_look_up = sorted(set(unowned.values()) - missed_lately)
        users: dict[str, str] = {}  # CRM owner id -> Slack user id
        missed: list[str] = []
        try:
            for owner, email in (client.owner_emails(to_look_up) if to_look_up else {}).items():
                if email and (user := self.slack_user_of(ws, email)):
                    users[owner] = user
                else:
                    missed.append(owner)
        except (CrmError, Transient) as e:
            log.warning("CRM sync of %s with %s: deal owners not looked up: %s", ws, client.crm, e)
        except Exception:  # Slack could not be reached: the owners are looked up again at the next sync
            log.exception("CRM sync of %s with %s: looking deal owners up in Slack", ws, client.crm)
        done.owners = self.store.crm.set_owners(ws, {d: users[o] for d, o in unowned.items() if o in users})
        done.unowned = len(unowned) - done.owners
        self.store.crm.record_owner_lookups(ws, client.crm, missed=missed, found=sorted(users), now=now)

    def _count(self, ws: str, crm: str, done: SyncReport, applied: PageApplied) -> None:
        """Add what a page (or the links by name after the pages) did, and tell the threads of the flags its
        closings cleared."""
        done.deals += applied.deals
        done.linked += applied.linked
        done.outcomes += applied.outcomes
        done.flags_cleared += len(applied.cleared_flags)
        if not applied.cleared_flags:
            return
        if self.flags_cleared is None:
            done.flags_untold += len(applied.cleared_flags)
            return
        try:
            self.flags_cleared(ws, crm, list(applied.cleared_flags))
        except Exception:  # the flags are cleared either way; a note that fails must not stop the sync
            log.exception("CRM sync of %s with %s: telling the flags' threads", ws, crm)


def write_back(store: Store, workspace_id: str, client: CrmClient) -> int:
    """Write the changed values of the linked deals that had calls since the last write; returns how many
    CRM deals were written to."""
    started = utcnow()  # a call saved while this runs is written at the next run
    record: dict[str, dict[str, Any]] = {}
    updates: dict[str, dict[str, Any]] = {}
    for link in store.crm.writeback_due(workspace_id, client.crm):
        values = deal_values(store, workspace_id, link.deal_id)
        if values is None:
            continue
        record[link.crm_id] = values
        if diff := changed(values, link.written):
            updates[link.crm_id] = diff
    client.write(updates)
    store.crm.mark_written(workspace_id, client.crm, record, now=started)
    return len(updates)
