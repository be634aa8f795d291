"""HubSpot's CRM v3 deals, through the official client (hubspot-api-client).

Deals modified since the cursor are read with the search endpoint, oldest change first, a page of PAGE at
a time (HubSpot's search returns at most SEARCH_LIMIT results for one query: past that, the search starts
again from the last page's modification time). A deal's stage is kept by its id and its label, from the deal
pipelines read once per sync (an id no pipeline has is kept as it is). With each page come its deals'
contacts' e-mail domains: the deals' contact associations in batch reads (v4; a deal with more contacts
than one page of them is read again with the page's `paging.next.after` until it has no next page), then
those contacts' `email` in batch reads of CONTACTS_BATCH; domains are kept, addresses are not
(bot.email_domains). A change of contacts alone modifies no deal: contacts modified since the last sync are
found with the contacts' search (by `lastmodifieddate`, paged as the deals'), mapped to their deals through the
contacts' deal associations (v4), and those deals' contacts read again as above. Write-back sets the custom
deal properties of WRITE_PROPERTIES with the batch update endpoint. A deal owner's e-mail (to find the owner in
Slack: bot.crm.sync) is read with the owners endpoint by the owner's id, one request per owner."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Iterator, Sequence, TypeVar

from salesrl.bot.crm.config import HubSpotConnection, env_suffix
from salesrl.bot.crm.errors import CrmError, Transient, extra_missing
from salesrl.bot.crm.retrying import FIRST_WAIT_S, with_retries
from salesrl.bot.email_domains import company_domains
from salesrl.bot.store.crm import ContactChanges, CrmDeal, DealContacts

try:
    import urllib3
    from hubspot import HubSpot
    from hubspot.crm.deals import ApiException, BatchInputSimplePublicObjectBatchInput, PublicObjectSearchRequest
    from hubspot.crm.associations.v4 import ApiException as AssociationsApiException
    from hubspot.crm.associations.v4 import BatchInputPublicFetchAssociationsBatchRequest
    from hubspot.crm.contacts import ApiException as ContactsApiException
    from hubspot.crm.contacts import BatchReadInputSimplePublicObjectId
    from hubspot.crm.contacts import PublicObjectSearchRequest as ContactSearchRequest
    from hubspot.crm.owners import ApiException as OwnersApiException
    from hubspot.crm.pipelines import ApiException as PipelinesApiException
    from hubspot.crm.properties import ApiException as PropertiesApiException
except ImportError as e:  # the [crm] extra is not installed
    raise extra_missing("hubspot-api-client") from e

PAGE = 200  # the most HubSpot's search returns at once
SEARCH_LIMIT = 10_000
BATCH = 100  # deals per batch update (HubSpot's limit)
CONTACTS_BATCH = 100  # contacts per batch read (HubSpot's limit)
ASSOCIATIONS_BATCH = 1000  # objects per association batch read (HubSpot's limit since February 2025)
READ_PROPERTIES = ["dealname", "amount", "deal_currency_code", "dealstage", "closedate", "hubspot_owner_id",
                   "hs_is_closed", "hs_is_closed_won", "hs_lastmodifieddate"]
WRITE_PROPERTIES = {"probability": "salesrl_probability", "range": "salesrl_probability_range",
                    "last_call": "salesrl_last_call_date", "gaps": "salesrl_open_gaps"}
T = TypeVar("T")


class NotFound(CrmError):
    """HubSpot answered 404 (the owner of an id it no longer has)."""


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def _amount(text: str | None) -> Decimal | None:
    try:
        amount = Decimal(text) if text else None
    except InvalidOperation:
        return None
    return amount if amount is not None and amount.is_finite() and amount >= 0 else None


def deal_of(obj: Any, stage_labels: dict[str, str] | None = None) -> CrmDeal:
    """A search result as a CRM deal; its stage by its id and by the label people see in HubSpot
    (`stage_labels`: stage id -> label), or by its id again when the id is not among them."""
    p = obj.properties or {}
    status = "won" if p.get("hs_is_closed_won") == "true" else "lost" if p.get("hs_is_closed") == "true" else "open"
    closed: datetime | None = _time(p.get("closedate"))
    modified = _time(p.get("hs_lastmodifieddate")) or obj.updated_at
    return CrmDeal(crm="hubspot", crm_id=str(obj.id), name=(p.get("dealname") or f"HubSpot deal {obj.id}").strip(),
                   amount=_amount(p.get("amount")), currency=(p.get("deal_currency_code") or None),
                   stage=(stage_labels or {}).get(stage, stage) if (stage := p.get("dealstage")) else None,
                   stage_id=stage or None,
                   close_date=closed.date() if closed else None,
                   owner=p.get("hubspot_owner_id") or None, status=status, modified_at=modified)


class HubSpotClient:
    crm = "hubspot"

    def __init__(self, conn: HubSpotConnection, *, first_wait_s: float = FIRST_WAIT_S) -> None:
        self._conn = conn
        self._first_wait_s = first_wait_s
        options: dict[str, Any] = {"access_token": conn.token}
        if conn.api_url:
            options["host"] = conn.api_url.rstrip("/")
        self._api = HubSpot(**options)
        self._labels: dict[str, str] | None = None  # deal stage id -> label, read once per client (one sync)

    def changed_deals(self, since: datetime | None) -> Iterator[tuple[list[CrmDeal], datetime | None]]:
        """Pages of the deals modified at or after `since` (all, for None), oldest change first, each with
        the cursor to keep once it is applied."""
        cursor = since
        for found in self._searched(self._api.crm.deals.search_api.do_search, PublicObjectSearchRequest,
                                    "hs_lastmodifieddate", READ_PROPERTIES, since):
            labels = self._stage_labels() if found else {}
            deals = self._with_contacts([deal_of(r, labels) for r in found])
            if deals:
                cursor = max(d.modified_at for d in deals)
            yield deals, cursor

    def changed_contacts(self, since: datetime, now: datetime) -> Iterator[ContactChanges]:
        """Pages of the contacts modified at or after `since` (to this day: `now` is for Salesforce's deletions),
        each with the deals they are on now."""
        for found in self._searched(self._api.crm.contacts.search_api.do_search, ContactSearchRequest,
                                    "lastmodifieddate", ["lastmodifieddate"], since):
            contact_ids = [str(c.id) for c in found]
            deals_of = self._associated("contacts", "deals", contact_ids)
            yield ContactChanges(deals=frozenset(d for ids in deals_of.values() for d in ids),
                                 contacts=frozenset(contact_ids))

    def _searched(self, search: Callable[..., Any], request_type: Callable[..., Any], modified: str,
                  properties: list[str], since: datetime | None) -> Iterator[list[Any]]:
        """Pages of the objects whose `modified` time is at or after `since` (all, for None), oldest first. One
        search pages through at most SEARCH_LIMIT results: past that, a new search starts from the last page's
        time (the objects of that time are read again)."""
        query_since, after = since, None
        while True:
            filters = [] if query_since is None else [{"filters": [{
                "propertyName": modified, "operator": "GTE", "value": str(int(query_since.timestamp() * 1000))}]}]
            request = request_type(filter_groups=filters, sorts=[{"propertyName": modified, "direction": "ASCENDING"}],
                                   properties=properties, limit=PAGE, after=after)
            page = self._call(search, public_object_search_request=request)
            found = list(page.results or [])
            yield found
            following = page.paging.next.after if page.paging and page.paging.next else None
            if following is None or not found:
                return
            if int(following) + PAGE > SEARCH_LIMIT:
                last = found[-1]
                query_since, after = _time((last.properties or {}).get(modified)) or last.updated_at, None
            else:
                after = following

    def _stage_labels(self) -> dict[str, str]:
        """Every deal pipeline's stage ids with their labels, read once per sync (a client is made per sync),
        when the first page has deals: HubSpot's deals carry the id ("appointmentscheduled", or a number for
        a portal's own stages), people know the label."""
        if self._labels is None:
            found = self._call(self._api.crm.pipelines.pipelines_api.get_all, object_type="deals")
            self._labels = {str(stage.id): stage.label for pipeline in found.results or []
                            for stage in pipeline.stages or [] if stage.label}
        return self._labels

    def _with_contacts(self, deals: list[CrmDeal]) -> list[CrmDeal]:
        """The deals, each with its contacts' ids and company e-mail domains."""
        if not deals:
            return deals
        contacts = self.contacts_of([d.crm_id for d in deals])
        return [replace(d, contact_ids=contacts[d.crm_id].ids, contact_domains=contacts[d.crm_id].domains)
                for d in deals]

    def contacts_of(self, crm_ids: Sequence[str]) -> dict[str, DealContacts]:
        """Each of these deals' contacts: their ids and their company e-mail domains."""
        contacts_of = self._associated("deals", "contacts", list(crm_ids))
        contact_ids = sorted({c for ids in contacts_of.values() for c in ids})
        email_of: dict[str, str | None] = {}
        for start in range(0, len(contact_ids), CONTACTS_BATCH):
            read = BatchReadInputSimplePublicObjectId(properties=["email"], inputs=[
                {"id": c} for c in contact_ids[start:start + CONTACTS_BATCH]])
            found = self._call(self._api.crm.contacts.batch_api.read, batch_read_input_simple_public_object_id=read)
            email_of.update({str(c.id): (c.properties or {}).get("email") for c in found.results or []})
        return {d: DealContacts(ids=tuple(sorted(set(contacts_of.get(d, [])))),
                                domains=company_domains(email_of.get(c) for c in contacts_of.get(d, [])))
                for d in crm_ids}

    def _associated(self, from_type: str, to_type: str, ids: list[str]) -> dict[str, list[str]]:
        """The ids of the `to_type` objects associated with each of these, every page of them: an object with more
        associations than one page of the batch read comes back with `paging.next.after`, asked for again with
        that token until it has none."""
        associated: dict[str, list[str]] = {}
        pending: list[dict[str, str]] = [{"id": i} for i in ids]
        while pending:
            asked, pending = pending[:ASSOCIATIONS_BATCH], pending[ASSOCIATIONS_BATCH:]
            request = BatchInputPublicFetchAssociationsBatchRequest(inputs=asked)
            found = self._call(self._api.crm.associations.v4.batch_api.get_page, from_object_type=from_type,
                               to_object_type=to_type, batch_input_public_fetch_associations_batch_request=request)
            for result in found.results or []:
                from_id = str(result._from.id)
                associated.setdefault(from_id, []).extend(str(to.to_object_id) for to in result.to or [])
                following = result.paging.next.after if result.paging and result.paging.next else None
                if following:
                    pending.append({"id": from_id, "after": following})
        return associated

    def owner_emails(self, owner_ids: Sequence[str]) -> dict[str, str | None]:
        """Each of these owners' (hubspot_owner_id) e-mail, one request each; None for an owner HubSpot no longer
        has (deactivated owners are archived: not found) or one without an e-mail."""
        emails: dict[str, str | None] = {}
        for owner_id in owner_ids:
            try:
                owner = self._call(self._api.crm.owners.owners_api.get_by_id, owner_id=owner_id, id_property="id")
            except NotFound:
                emails[owner_id] = None
            else:
                emails[owner_id] = owner.email or None
        return emails

    def write(self, values: dict[str, dict[str, Any]]) -> None:
        """Set the SalesRL properties of these deals (crm_id -> values; None empties one: HubSpot's
        property values are strings, "" for none)."""
        if not values:
            return
        self._check_properties()
        items = sorted(values.items())
        for start in range(0, len(items), BATCH):
            inputs = [{"id": crm_id, "properties": {WRITE_PROPERTIES[k]: "" if v is None else str(v) for k, v in fields.items()}}
                      for crm_id, fields in items[start:start + BATCH]]
            batch = BatchInputSimplePublicObjectBatchInput(inputs=inputs)
            self._call(self._api.crm.deals.batch_api.update, batch_input_simple_public_object_batch_input=batch)

    def _check_properties(self) -> None:
        found = self._call(self._api.crm.properties.core_api.get_all, object_type="deals")
        missing = sorted(set(WRITE_PROPERTIES.values()) - {p.name for p in found.results or []})
        if missing:
            raise CrmError(f"HubSpot has no deal properties {', '.join(missing)}: create them (README, CRM sync) "
                           "or turn write-back off")

    def _call(self, request: Callable[..., T], **arguments: Any) -> T:
        def once() -> T:
            try:
                return request(**arguments)
            except (ApiException, PropertiesApiException, AssociationsApiException, ContactsApiException,
                    PipelinesApiException, OwnersApiException) as e:
                raise self._error(e) from None
            except urllib3.exceptions.HTTPError as e:
                raise Transient(f"HubSpot could not be reached ({type(e).__name__})") from None
        return with_retries(once, self._first_wait_s)

    def _error(self, e: Any) -> Exception:
        status = int(e.status or 0)
        headers = dict(e.headers or {})
        if status == 429 or status >= 500:
            retry_after = headers.get("Retry-After")
            return Transient(f"HubSpot answered {status}", float(retry_after) if retry_after else None)
        if status in (401, 403):
            return CrmError(f"HubSpot refused the token of {self._conn.workspace_id} ({status}): check "
                            f"SALESRL_HUBSPOT_TOKEN_{env_suffix(self._conn.workspace_id)} and its scopes "
                            "(crm.objects.deals.read, crm.objects.contacts.read, crm.objects.owners.read, "
                            "crm.objects.deals.write, crm.schemas.deals.read)")
        try:
            message = str(json.loads(e.body or "{}").get("message") or e.reason)
        except (ValueError, AttributeError):
            message = str(e.reason)
        error = NotFound if status == 404 else CrmError
        return error(f"HubSpot answered {status}: {message[:200]}")


