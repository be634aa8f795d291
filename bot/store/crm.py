"""CRM deals as the last sync saw them, their links to SalesRL deals, and each workspace's sync state.

    rows = store.crm
    claim = rows.claim(workspace_id, "hubspot", owner, now=now)      # None: not due, or another process has it
    rows.apply_page(workspace_id, "hubspot", deals, key_of, modified_since)   # one transaction per page
    rows.finish(workspace_id, "hubspot", owner, now=now, next_run_at=..., error=None)

A CRM deal is linked to at most one SalesRL deal and a SalesRL deal to at most one deal of each CRM: by
someone's explicit link, or when their names are equal once normalised (`key_of`, bot.crm.matching) and
no other deal on either side has that name. A linked CRM deal's amount, currency, stage and close date are
the SalesRL deal's; its closing is the deal's outcome, recorded with the CRM as its source. Each change of
a CRM deal's stage a page brings is recorded (for the digest; told by the stage's id, shown by its label), and
each CRM deal keeps its contacts' e-mail domains (for matching Zoom meetings by their participants:
bot.zoom.matching).

The sync of a workspace with a CRM is claimed like a digest run (bot.store.digests): one conditional
UPDATE, so of several processes exactly one syncs, and a claim whose process died expires after a lease.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any, Callable, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from salesrl.bot.store.database import Database, check_workspace
from salesrl.bot.store.deals import write_outcome
from salesrl.bot.store.errors import InvalidValue, NotFound
from salesrl.bot.store.tables import CRM_DEALS, CRM_OWNER_MISSES, CRM_STAGE_CHANGES, CRM_SYNCS, CRMS, DEALS, utcnow

DEFAULT_SYNC_LEASE = timedelta(minutes=30)
KeyOf = Callable[[str], str]  # a deal name -> the key names are matched by


@dataclass(frozen=True)
class CrmDeal:
    """A deal (HubSpot) or opportunity (Salesforce) as its CRM gives it."""

    crm: str
    crm_id: str
    name: str
    amount: Decimal | None
    currency: str | None
    stage: str | None
    close_date: date | None
    owner: str | None
    status: str  # "open", "won" or "lost"
    modified_at: datetime
    contact_domains: tuple[str, ...] = ()  # its contacts' company e-mail domains (bot.email_domains), sorted
    contact_ids: tuple[str, ...] = ()  # those contacts' ids in the CRM (Salesforce: their contact roles'), sorted
    stage_id: str | None = None  # the stage's id in the CRM; `stage` is its label (the same in Salesforce)


@dataclass(frozen=True)
class DealContacts:
    """A CRM deal's contacts as the CRM gives them now, read again when they changed."""

    ids: tuple[str, ...]  # as CrmDeal.contact_ids
    domains: tuple[str, ...]  # as CrmDeal.contact_domains


@dataclass(frozen=True)
class ContactChanges:
    """A page of contact changes: the deals they name, and the contacts that may have left a deal, whose deals
    only the deals' stored contact ids know (the CRM no longer links them)."""

    deals: frozenset[str]  # crm ids of the deals the changed contacts are on now
    contacts: frozenset[str]  # contact ids (Salesforce: contact role ids) that changed or were removed


@dataclass(frozen=True)
class HandLink:
    """What linking a deal by hand did (Crm.link)."""

    crm_deal: CrmDeal
    cleared_flags: tuple[int, ...]  # the open flags cleared as the CRM deal's outcome closed the SalesRL deal


@dataclass(frozen=True)
class StageChange:
    """A linked CRM deal's stage, changed as the sync saw it: `changed_at` is when the CRM last modified it."""

    deal_id: int
    crm: str
    from_stage: str | None
    to_stage: str | None
    changed_at: datetime


@dataclass(frozen=True)
class CrmLink:
    """A CRM deal linked to a SalesRL deal, and what write-back last wrote into it."""

    crm: str
    crm_id: str
    name: str
    deal_id: int
    linked_by: str  # "explicit" or "name"
    written: dict[str, Any] | None
    written_at: datetime | None


@dataclass(frozen=True)
class SyncClaim:
    modified_since: datetime | None  # read the deals modified since then (None: all of them)
    contacts_since: datetime | None = None  # and the deals' contacts changed since then (None: none yet)


@dataclass(frozen=True)
class PageApplied:
    deals: int  # CRM deals stored or refreshed
    linked: int  # of which newly linked by name
    outcomes: int  # SalesRL deals whose outcome the CRM set or reopened
    cleared_flags: tuple[int, ...] = ()  # the open flags of the deals the CRM closed, cleared with the outcome


@dataclass(frozen=True)
class StoredStage:
    """A CRM deal's stage as stored."""

    id: str | None  # None: stored before stage ids were kept (or no stage)
    label: str | None

    def changed_in(self, deal: CrmDeal) -> bool:
        """Whether the deal is at another stage now, told by the stage's id: a stage renamed in the CRM is none.
        A deal stored before ids were kept holds the id (HubSpot's deals synced before labels) or the label: it
        changed if it is neither."""
        if self.id is None:
            return self.label not in (_stage_text(deal.stage_id), _stage_text(deal.stage))
        return self.id != _stage_text(deal.stage_id)


def _stage_text(text: str | None) -> str | None:
    """A stage's id or label as its column holds it."""
    return text[:100] if text else None


def _check_crm(crm: str) -> None:
    if crm not in CRMS:
        raise InvalidValue(f"a CRM is one of {', '.join(CRMS)}")


def _no_owner() -> sa.ColumnElement[bool]:
    return sa.or_(DEALS.c.owner_id.is_(None), DEALS.c.owner_id == "")


def closed_at_of(deal: CrmDeal) -> datetime:
    """When a closed CRM deal closed: its close date (midnight UTC), unless that is after the deal was
    last modified (a date set ahead, then closed early)."""
    if deal.close_date is None:
        return deal.modified_at
    return min(datetime.combine(deal.close_date, time(), tzinfo=timezone.utc), deal.modified_at)


class CrmRows:
    def __init__(self, db: Database) -> None:
        self._db = db

    # --- the sync's claim and cursor -----------------------------------------------------------------------

    def claim(self, workspace_id: str, crm: str, owner: str, *, now: datetime | None = None,
              lease: timedelta = DEFAULT_SYNC_LEASE, force: bool = False) -> SyncClaim | None:
        """Claim this workspace's sync with `crm` for `owner` if it is due (or `force`) and nobody holds it;
        None when not claimed."""
        check_workspace(workspace_id)
        _check_crm(crm)
        now = now or utcnow()
        key = (CRM_SYNCS.c.workspace_id == workspace_id, CRM_SYNCS.c.crm == crm)
        with self._db.writing() as s:
            self._db.ensure_workspace_row(s, workspace_id)
            s.execute(self._db.insert(CRM_SYNCS).values(workspace_id=workspace_id, crm=crm)
                      .on_conflict_do_nothing(index_elements=["workspace_id", "crm"]))
            free = sa.or_(CRM_SYNCS.c.claimed_until.is_(None), CRM_SYNCS.c.claimed_until <= now)
            due = sa.true() if force else sa.or_(CRM_SYNCS.c.next_run_at.is_(None), CRM_SYNCS.c.next_run_at <= now)
            taken = s.execute(sa.update(CRM_SYNCS).where(*key, free, due)
                              .values(claimed_until=now + lease, claimed_by=owner)).rowcount
            if taken != 1:
                return None
            return SyncClaim(*s.execute(sa.select(CRM_SYNCS.c.modified_since, CRM_SYNCS.c.contacts_since)
                                        .where(*key)).one())

    def finish(self, workspace_id: str, crm: str, owner: str, *, next_run_at: datetime,
               error: str | None, now: datetime | None = None) -> str | None:
        """Release `owner`'s claim, due again at `next_run_at`; `error` (one line) when the run failed, None
        when it succeeded. Returns the error the run before this one ended with (None: it succeeded)."""
        check_workspace(workspace_id)
        key = (CRM_SYNCS.c.workspace_id == workspace_id, CRM_SYNCS.c.crm == crm)
        values: dict[str, Any] = {"claimed_until": None, "claimed_by": None, "next_run_at": next_run_at,
                                  "last_error": error}
        if error is None:
            values["succeeded_at"] = now or utcnow()
        with self._db.writing() as s:
            before = s.execute(sa.select(CRM_SYNCS.c.last_error).where(*key).with_for_update()).scalar_one_or_none()
            s.execute(sa.update(CRM_SYNCS).where(*key, CRM_SYNCS.c.claimed_by == owner).values(**values))
        return before

    def cursor(self, workspace_id: str, crm: str) -> datetime | None:
        check_workspace(workspace_id)
        with self._db.reading() as s:
            return s.execute(sa.select(CRM_SYNCS.c.modified_since).where(
                CRM_SYNCS.c.workspace_id == workspace_id, CRM_SYNCS.c.crm == crm)).scalar_one_or_none()

    # --- pages of CRM deals ----------------------------------------------------------------------------------

    def apply_page(self, workspace_id: str, crm: str, deals: Sequence[CrmDeal], key_of: KeyOf,
                   modified_since: datetime | None) -> PageApplied:
        """Store one page of CRM deals, link those whose names match, carry the linked ones' fields and
        outcomes over to their SalesRL deals and move the cursor to `modified_since`: all or nothing."""
        check_workspace(workspace_id)
        _check_crm(crm)
        if any(d.crm != crm for d in deals):
            raise InvalidValue(f"a page of {crm} deals holds another CRM's deal")
        with self._db.writing() as s:
            self._db.ensure_workspace_row(s, workspace_id)
            if deals:
                stages_before = self._stages_of(s, workspace_id, crm, [d.crm_id for d in deals])
                self._upsert(s, workspace_id, crm, deals, key_of)
                self._record_stage_changes(s, workspace_id, crm, deals, stages_before)
            links = self._links_of(s, workspace_id, crm, [d.crm_id for d in deals])
            linked = self._link_by_name(s, workspace_id, crm, key_of,
                                        {key_of(d.name) for d in deals if d.crm_id not in links})
            links.update(linked)
            carried = [self._carry_over(s, workspace_id, d, links[d.crm_id]) for d in deals if d.crm_id in links]
            if modified_since is not None:
                s.execute(self._db.insert(CRM_SYNCS).values(workspace_id=workspace_id, crm=crm)
                          .on_conflict_do_nothing(index_elements=["workspace_id", "crm"]))
                s.execute(sa.update(CRM_SYNCS).where(CRM_SYNCS.c.workspace_id == workspace_id, CRM_SYNCS.c.crm == crm)
                          .values(modified_since=modified_since))
        return PageApplied(deals=len(deals), linked=len(linked), outcomes=sum(changed for changed, _ in carried),
                           cleared_flags=tuple(f for _, flags in carried for f in flags))

    def link_new_deals(self, workspace_id: str, crm: str, key_of: KeyOf) -> PageApplied:
        """Link SalesRL deals made since the CRM deal of their name was synced: how many, the outcomes their CRM
        deals carried over, and the flags those closings cleared."""
        check_workspace(workspace_id)
        with self._db.writing() as s:
            unlinked = s.execute(sa.select(DEALS.c.name).where(
                DEALS.c.workspace_id == workspace_id, DEALS.c.id.not_in(self._linked_deal_ids(workspace_id, crm)))).scalars()
            linked = self._link_by_name(s, workspace_id, crm, key_of, {key_of(n) for n in unlinked})
            carried = [self._carry_over(s, workspace_id, self._crm_deal(s, workspace_id, crm, crm_id), deal_id)
                       for crm_id, deal_id in linked.items()]
        return PageApplied(deals=0, linked=len(linked), outcomes=sum(changed for changed, _ in carried),
                           cleared_flags=tuple(f for _, flags in carried for f in flags))

    # --- contact changes -------------------------------------------------------------------------------------

    def deals_with_contacts(self, workspace_id: str, crm: str, contact_ids: Sequence[str]) -> set[str]:
        """The crm ids of the stored deals that had one of these contacts when they were last read."""
        check_workspace(workspace_id)
        wanted = set(contact_ids)
        if not wanted:
            return set()
        stmt = sa.select(CRM_DEALS.c.crm_id, CRM_DEALS.c.contact_ids).where(
            CRM_DEALS.c.workspace_id == workspace_id, CRM_DEALS.c.crm == crm, CRM_DEALS.c.contact_ids.is_not(None))
        with self._db.reading() as s:
            return {crm_id for crm_id, found in s.execute(stmt) if wanted.intersection(found or ())}

    def deals_without_contact_ids(self, workspace_id: str, crm: str) -> list[str]:
        """The crm ids of the stored deals whose contacts' ids are unknown: stored before they were kept (migration
        0010 leaves them NULL; a deal read since holds its ids, an empty list when it has no contacts)."""
        check_workspace(workspace_id)
        stmt = sa.select(CRM_DEALS.c.crm_id).where(CRM_DEALS.c.workspace_id == workspace_id, CRM_DEALS.c.crm == crm,
                                                   CRM_DEALS.c.contact_ids.is_(None)).order_by(CRM_DEALS.c.crm_id)
        with self._db.reading() as s:
            return list(s.execute(stmt).scalars())

    def apply_contacts(self, workspace_id: str, crm: str, contacts: dict[str, DealContacts]) -> int:
        """Give the stored deals among these (crm_id -> their contacts now) their contacts, writing only those whose
        contacts changed; returns how many did."""
        check_workspace(workspace_id)
        c = CRM_DEALS.c
        key = (c.workspace_id == workspace_id, c.crm == crm)
        changed = 0
        with self._db.writing() as s:
            stored = s.execute(sa.select(c.crm_id, c.contact_ids, c.contact_domains)
                               .where(*key, c.crm_id.in_(sorted(contacts)))).all()
            for crm_id, ids, domains in stored:
                now = contacts[crm_id]
                if (tuple(ids or ()), tuple(domains or ())) == (now.ids, now.domains):
                    continue
                s.execute(sa.update(CRM_DEALS).where(*key, c.crm_id == crm_id).values(
                    contact_ids=list(now.ids), contact_domains=list(now.domains) or None))
                changed += 1
        return changed

    def read_contacts_until(self, workspace_id: str, crm: str, contacts_since: datetime) -> None:
        """Contact changes before `contacts_since` are applied: the next sync reads those since then."""
        check_workspace(workspace_id)
        with self._db.writing() as s:
            s.execute(sa.update(CRM_SYNCS).where(CRM_SYNCS.c.workspace_id == workspace_id, CRM_SYNCS.c.crm == crm)
                      .values(contacts_since=contacts_since))

    def link(self, workspace_id: str, deal_id: int, crm: str, crm_id: str) -> HandLink:
        """Link a SalesRL deal to a CRM deal the sync has seen, by someone's say-so: it replaces the
        deal's link to another deal of that CRM, and the CRM deal's link to another SalesRL deal. The deal takes
        the CRM deal's fields and outcome; the flags a closing outcome clears are named, for their threads."""
        check_workspace(workspace_id)
        _check_crm(crm)
        with self._db.writing() as s:
            row = s.execute(sa.select(CRM_DEALS.c.crm_id).where(
                CRM_DEALS.c.workspace_id == workspace_id, CRM_DEALS.c.crm == crm, CRM_DEALS.c.crm_id == crm_id)
                .with_for_update()).one_or_none()
            if row is None:
                raise NotFound(f"no {crm} deal {crm_id[:64]} has been synced yet: `salesrl crm sync` first, "
                               "or check the id")
            exists = s.execute(sa.select(DEALS.c.id).where(DEALS.c.workspace_id == workspace_id, DEALS.c.id == deal_id)
                               ).one_or_none()
            if exists is None:
                raise NotFound("no such deal")
            s.execute(sa.update(CRM_DEALS).where(CRM_DEALS.c.workspace_id == workspace_id, CRM_DEALS.c.crm == crm,
                                                 CRM_DEALS.c.deal_id == deal_id)
                      .values(deal_id=None, linked_by=None, written=None, written_at=None))
            s.execute(sa.update(CRM_DEALS).where(CRM_DEALS.c.workspace_id == workspace_id, CRM_DEALS.c.crm == crm,
                                                 CRM_DEALS.c.crm_id == crm_id)
                      .values(deal_id=deal_id, linked_by="explicit", written=None, written_at=None))
            deal = self._crm_deal(s, workspace_id, crm, crm_id)
            _, cleared = self._carry_over(s, workspace_id, deal, deal_id)
        return HandLink(deal, tuple(cleared))

    def links_of_deal(self, workspace_id: str, deal_id: int) -> list[CrmLink]:
        check_workspace(workspace_id)
        with self._db.reading() as s:
            rows = s.execute(self._select_links().where(CRM_DEALS.c.workspace_id == workspace_id,
                                                        CRM_DEALS.c.deal_id == deal_id)).all()
        return [CrmLink(*r) for r in rows]

    def unlinked_names(self, workspace_id: str, crm: str) -> list[tuple[str, str]]:
        """(crm_id, name) of the CRM deals not linked to a SalesRL deal, for offering the closest by name."""
        check_workspace(workspace_id)
        with self._db.reading() as s:
            rows = s.execute(sa.select(CRM_DEALS.c.crm_id, CRM_DEALS.c.name).where(
                CRM_DEALS.c.workspace_id == workspace_id, CRM_DEALS.c.crm == crm, CRM_DEALS.c.deal_id.is_(None))).all()
        return [(r.crm_id, r.name) for r in rows]

    def get(self, workspace_id: str, crm: str, crm_id: str) -> CrmDeal | None:
        check_workspace(workspace_id)
        with self._db.reading() as s:
            try:
                return self._crm_deal(s, workspace_id, crm, crm_id)
            except NotFound:
                return None

    # --- for Zoom meetings and the digest ----------------------------------------------------------------------

    def open_deals_with_contact_domains(self, workspace_id: str, domains: Sequence[str]) -> set[int]:
        """The open SalesRL deals linked to a CRM deal with a contact at one of these e-mail domains."""
        check_workspace(workspace_id)
        wanted = set(domains)
        if not wanted:
            return set()
        stmt = (sa.select(CRM_DEALS.c.deal_id, CRM_DEALS.c.contact_domains)
                .join(DEALS, DEALS.c.id == CRM_DEALS.c.deal_id)
                .where(CRM_DEALS.c.workspace_id == workspace_id, CRM_DEALS.c.contact_domains.is_not(None),
                       DEALS.c.status == "open"))
        with self._db.reading() as s:
            return {deal_id for deal_id, found in s.execute(stmt) if wanted.intersection(found or ())}

    def stage_changes(self, workspace_id: str, since: datetime, until: datetime) -> list[StageChange]:
        """The stage changes of linked CRM deals in [since, until), oldest first."""
        check_workspace(workspace_id)
        c = CRM_STAGE_CHANGES.c
        stmt = (sa.select(CRM_DEALS.c.deal_id, c.crm, c.from_stage, c.to_stage, c.changed_at)
                .join(CRM_DEALS, sa.and_(CRM_DEALS.c.workspace_id == c.workspace_id, CRM_DEALS.c.crm == c.crm,
                                         CRM_DEALS.c.crm_id == c.crm_id))
                .where(c.workspace_id == workspace_id, c.changed_at >= since, c.changed_at < until,
                       CRM_DEALS.c.deal_id.is_not(None))
                .order_by(c.changed_at, c.id))
        with self._db.reading() as s:
            return [StageChange(*r) for r in s.execute(stmt).all()]

    # --- deal owners ----------------------------------------------------------------------------------------------

    def unowned_links(self, workspace_id: str, crm: str) -> dict[int, str]:
        """The SalesRL deals without an owner linked to a deal of `crm` that has one: deal id -> the CRM's owner id."""
        check_workspace(workspace_id)
        stmt = (sa.select(CRM_DEALS.c.deal_id, CRM_DEALS.c.owner).join(DEALS, DEALS.c.id == CRM_DEALS.c.deal_id)
                .where(CRM_DEALS.c.workspace_id == workspace_id, CRM_DEALS.c.crm == crm, CRM_DEALS.c.owner.is_not(None),
                       CRM_DEALS.c.owner != "", _no_owner()))
        with self._db.reading() as s:
            return {deal_id: owner for deal_id, owner in s.execute(stmt)}

    def set_owners(self, workspace_id: str, owners: dict[int, str]) -> int:
        """Give these deals (deal id -> Slack user id) their owner, each only while it has none: an owner someone
        set meanwhile stays. Returns how many deals took theirs."""
        check_workspace(workspace_id)
        done = 0
        with self._db.writing() as s:
            for deal_id, user_id in sorted(owners.items()):
                done += s.execute(sa.update(DEALS).where(DEALS.c.workspace_id == workspace_id, DEALS.c.id == deal_id,
                                                         _no_owner())
                                  .values(owner_id=user_id, updated_at=utcnow())).rowcount
        return done

    def owners_missed_since(self, workspace_id: str, crm: str, since: datetime) -> set[str]:
        """The CRM owners found in no Slack user at `since` or later (record_owner_lookups)."""
        check_workspace(workspace_id)
        stmt = sa.select(CRM_OWNER_MISSES.c.owner).where(
            CRM_OWNER_MISSES.c.workspace_id == workspace_id, CRM_OWNER_MISSES.c.crm == crm,
            CRM_OWNER_MISSES.c.missed_at >= since)
        with self._db.reading() as s:
            return set(s.scalars(stmt))

    def record_owner_lookups(self, workspace_id: str, crm: str, *, missed: Sequence[str], found: Sequence[str],
                             now: datetime) -> None:
        """Remember that the CRM owners `missed` had no Slack user at `now`; forget the misses of those `found`."""
        check_workspace(workspace_id)
        _check_crm(crm)
        looked_up = sorted({*missed, *found})
        if not looked_up:
            return
        with self._db.writing() as s:
            s.execute(sa.delete(CRM_OWNER_MISSES).where(
                CRM_OWNER_MISSES.c.workspace_id == workspace_id, CRM_OWNER_MISSES.c.crm == crm,
                CRM_OWNER_MISSES.c.owner.in_(looked_up)))
            if missed:
                s.execute(sa.insert(CRM_OWNER_MISSES), [
                    {"workspace_id": workspace_id, "crm": crm, "owner": owner, "missed_at": now}
                    for owner in sorted(set(missed))])

    # --- write-back --------------------------------------------------------------------------------------------

    def writeback_due(self, workspace_id: str, crm: str) -> list[CrmLink]:
        """Linked CRM deals whose SalesRL deal had a call scored since write-back last wrote into them."""
        check_workspace(workspace_id)
        stmt = (self._select_links().join(DEALS, DEALS.c.id == CRM_DEALS.c.deal_id)
                .where(CRM_DEALS.c.workspace_id == workspace_id, CRM_DEALS.c.crm == crm,
                       DEALS.c.last_call_at.is_not(None),
                       sa.or_(CRM_DEALS.c.written_at.is_(None), DEALS.c.last_call_at > CRM_DEALS.c.written_at))
                .order_by(CRM_DEALS.c.crm_id))
        with self._db.reading() as s:
            return [CrmLink(*r) for r in s.execute(stmt).all()]

    def mark_written(self, workspace_id: str, crm: str, written: dict[str, dict[str, Any]],
                     now: datetime | None = None) -> None:
        """Record what was written (crm_id -> values), or found already there, as of `now`."""
        check_workspace(workspace_id)
        now = now or utcnow()
        with self._db.writing() as s:
            for crm_id, values in written.items():
                s.execute(sa.update(CRM_DEALS).where(CRM_DEALS.c.workspace_id == workspace_id, CRM_DEALS.c.crm == crm,
                                                     CRM_DEALS.c.crm_id == crm_id)
                          .values(written=values, written_at=now))

    # ------------------------------------------------------------------------------------------------------

    @staticmethod
    def _select_links() -> sa.Select:
        c = CRM_DEALS.c
        return sa.select(c.crm, c.crm_id, c.name, c.deal_id, c.linked_by, c.written, c.written_at)

    def _upsert(self, s: Session, workspace_id: str, crm: str, deals: Sequence[CrmDeal], key_of: KeyOf) -> None:
        rows = [{"workspace_id": workspace_id, "crm": crm, "crm_id": d.crm_id, "name": d.name[:200],
                 "match_key": key_of(d.name)[:200], "amount": d.amount, "currency": d.currency,
                 "stage": _stage_text(d.stage), "stage_id": _stage_text(d.stage_id), "close_date": d.close_date,
                 "owner": d.owner, "status": d.status, "modified_at": d.modified_at,
                 "contact_domains": list(d.contact_domains) or None, "contact_ids": list(d.contact_ids)}
                for d in deals]
        stmt = self._db.insert(CRM_DEALS)
        fields = ("name", "match_key", "amount", "currency", "stage", "stage_id", "close_date", "owner", "status",
                  "modified_at", "contact_domains", "contact_ids")
        s.execute(stmt.on_conflict_do_update(index_elements=["workspace_id", "crm", "crm_id"],
                                             set_={f: stmt.excluded[f] for f in fields}), rows)

    @staticmethod
    def _stages_of(s: Session, workspace_id: str, crm: str, crm_ids: list[str]) -> dict[str, StoredStage]:
        rows = s.execute(sa.select(CRM_DEALS.c.crm_id, CRM_DEALS.c.stage_id, CRM_DEALS.c.stage).where(
            CRM_DEALS.c.workspace_id == workspace_id, CRM_DEALS.c.crm == crm, CRM_DEALS.c.crm_id.in_(crm_ids))).all()
        return {r.crm_id: StoredStage(r.stage_id, r.stage) for r in rows}

    @staticmethod
    def _record_stage_changes(s: Session, workspace_id: str, crm: str, deals: Sequence[CrmDeal],
                              before: dict[str, StoredStage]) -> None:
        """A deal seen before whose stage is not the one it had then changed stage, from the label it had to the
        one it has (a deal seen for the first time has no change to show)."""
        rows = [{"workspace_id": workspace_id, "crm": crm, "crm_id": d.crm_id, "from_stage": before[d.crm_id].label,
                 "to_stage": _stage_text(d.stage), "changed_at": d.modified_at}
                for d in deals if d.crm_id in before and before[d.crm_id].changed_in(d)]
        if rows:
            s.execute(sa.insert(CRM_STAGE_CHANGES), rows)

    @staticmethod
    def _links_of(s: Session, workspace_id: str, crm: str, crm_ids: list[str]) -> dict[str, int]:
        rows = s.execute(sa.select(CRM_DEALS.c.crm_id, CRM_DEALS.c.deal_id).where(
            CRM_DEALS.c.workspace_id == workspace_id, CRM_DEALS.c.crm == crm, CRM_DEALS.c.crm_id.in_(crm_ids),
            CRM_DEALS.c.deal_id.is_not(None))).all()
        return {r.crm_id: r.deal_id for r in rows}

    @staticmethod
    def _linked_deal_ids(workspace_id: str, crm: str) -> sa.Select:
        return sa.select(CRM_DEALS.c.deal_id).where(CRM_DEALS.c.workspace_id == workspace_id, CRM_DEALS.c.crm == crm,
                                                     CRM_DEALS.c.deal_id.is_not(None))

    def _link_by_name(self, s: Session, workspace_id: str, crm: str, key_of: KeyOf, keys: set[str]) -> dict[str, int]:
        """Link the unlinked CRM deals with these match keys to SalesRL deals of the same key, where exactly
        one deal on each side has it (two "Acme" deals on either side: no guess). Returns crm_id -> deal_id."""
        keys.discard("")
        if not keys:
            return {}
        crm_side: dict[str, list[str]] = {}
        for crm_id, key in s.execute(sa.select(CRM_DEALS.c.crm_id, CRM_DEALS.c.match_key).where(
                CRM_DEALS.c.workspace_id == workspace_id, CRM_DEALS.c.crm == crm, CRM_DEALS.c.match_key.in_(sorted(keys)))):
            crm_side.setdefault(key, []).append(crm_id)
        if not crm_side:
            return {}
        linked_ids = {r[0] for r in s.execute(sa.select(CRM_DEALS.c.crm_id).where(
            CRM_DEALS.c.workspace_id == workspace_id, CRM_DEALS.c.crm == crm, CRM_DEALS.c.match_key.in_(list(crm_side)),
            CRM_DEALS.c.deal_id.is_not(None)))}
        deal_side: dict[str, list[int]] = {}
        all_names = Counter[str]()
        for deal_id, name in s.execute(sa.select(DEALS.c.id, DEALS.c.name).where(DEALS.c.workspace_id == workspace_id)):
            key = key_of(name)
            all_names[key] += 1
            if key in crm_side:
                deal_side.setdefault(key, []).append(deal_id)
        taken = set(s.execute(self._linked_deal_ids(workspace_id, crm)).scalars())
        out: dict[str, int] = {}
        for key, crm_ids in crm_side.items():
            deal_ids = deal_side.get(key, [])
            if len(crm_ids) != 1 or all_names[key] != 1 or crm_ids[0] in linked_ids or deal_ids[0] in taken:
                continue
            out[crm_ids[0]] = deal_ids[0]
        for crm_id, deal_id in out.items():
            s.execute(sa.update(CRM_DEALS).where(CRM_DEALS.c.workspace_id == workspace_id, CRM_DEALS.c.crm == crm,
                                                 CRM_DEALS.c.crm_id == crm_id).values(deal_id=deal_id, linked_by="name"))
        return out

    @staticmethod
    def _crm_deal(s: Session, workspace_id: str, crm: str, crm_id: str) -> CrmDeal:
        c = CRM_DEALS.c
        row = s.execute(sa.select(c.crm, c.crm_id, c.name, c.amount, c.currency, c.stage, c.close_date, c.owner,
                                  c.status, c.modified_at, c.contact_domains, c.contact_ids, c.stage_id)
                        .where(c.workspace_id == workspace_id, c.crm == crm, c.crm_id == crm_id)).one_or_none()
        if row is None:
            raise NotFound(f"no {crm} deal {crm_id[:64]}")
        return CrmDeal(*row[:-3], contact_domains=tuple(row.contact_domains or ()),
                       contact_ids=tuple(row.contact_ids or ()), stage_id=row.stage_id)

    @staticmethod
    def _carry_over(s: Session, workspace_id: str, crm_deal: CrmDeal, deal_id: int) -> tuple[bool, list[int]]:
        """Give the linked SalesRL deal the CRM deal's fields and outcome (only what changed, so an unchanged
        deal keeps its updated_at); returns whether its outcome changed, and the flags its closing cleared. A
        CRM deal that is open reopens only an outcome this CRM recorded: one typed in Slack stands until the
        CRM closes the deal."""
        d = DEALS.c
        deal = s.execute(sa.select(d.amount, d.currency, d.stage, d.close_date, d.status, d.outcome_source, d.closed_at)
                         .where(d.workspace_id == workspace_id, d.id == deal_id)).one()
        values: dict[str, Any] = {"amount": crm_deal.amount, "currency": crm_deal.currency, "stage": crm_deal.stage,
                                  "close_date": crm_deal.close_date}
        values = {k: v for k, v in values.items() if v is not None}  # what the CRM leaves empty, Slack may have set
        changed = {k: v for k, v in values.items() if getattr(deal, k) != v}
        closes = crm_deal.status != "open" and deal.status != crm_deal.status
        reopens = crm_deal.status == "open" and deal.status != "open" and deal.outcome_source == crm_deal.crm
        if closes or reopens:
            # the outcome through the same write as one typed in Slack (closing clears the deal's open flags), the
            # changed fields with it: one UPDATE of the deal
            return True, write_outcome(s, workspace_id, deal_id, crm_deal.status, closed_at=closed_at_of(crm_deal),
                                       source=crm_deal.crm, cleared_by=None, fields=changed)
        if changed:
            s.execute(sa.update(DEALS).where(d.workspace_id == workspace_id, d.id == deal_id)
                      .values(**changed, updated_at=utcnow()))
        return False, []
