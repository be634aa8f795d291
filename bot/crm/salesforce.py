"""Salesforce opportunities, through simple-salesforce.

Opportunities modified since the cursor are read with one SOQL query, oldest change first, page by page
(nextRecordsUrl), each with its contact roles' e-mail addresses in a sub-query of the same query (an
opportunity with more contact roles than the sub-query's page has them read on from the sub-query's own
nextRecordsUrl; kept as their company domains, bot.email_domains, and the contact roles' ids). A change of
contact roles alone modifies no opportunity: the opportunities of the contact roles made or changed since the
last sync, or whose contact was (an e-mail changed), come from a query on OpportunityContactRole by
SystemModstamp, and the ids of the contact roles deleted since from getDeleted (a role deleted by itself never
reaches the recycle bin, so no query finds it); those opportunities' contact roles are read again by id.
Write-back PATCHes the custom fields of WRITE_FIELDS on each opportunity. Opportunity owners' e-mails (to find
them in Slack: bot.crm.sync) come from a query on User by id. A session
that expired (INVALID_SESSION_ID) is renewed once by logging in again, when a username and password are
set; REQUEST_LIMIT_EXCEEDED and outages are retried (bot.crm.retrying).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Iterator, Sequence, TypeVar

from salesrl.bot.crm.config import SalesforceConnection, env_suffix
from salesrl.bot.crm.errors import CrmError, Transient, extra_missing
from salesrl.bot.crm.retrying import FIRST_WAIT_S, with_retries
from salesrl.bot.email_domains import company_domains
from salesrl.bot.store.crm import ContactChanges, CrmDeal, DealContacts

try:
    import requests
    from simple_salesforce import Salesforce, SalesforceLogin, format_soql
    from simple_salesforce.exceptions import SalesforceAuthenticationFailed, SalesforceError, SalesforceExpiredSession
except ImportError as e:  # the [crm] extra is not installed
    raise extra_missing("simple-salesforce") from e

FIELDS = ["Id", "Name", "Amount", "StageName", "CloseDate", "OwnerId", "IsClosed", "IsWon", "LastModifiedDate"]
CONTACT_ROLES = "(SELECT Id, Contact.Email FROM OpportunityContactRoles)"
BY_ID = 200  # opportunities whose contact roles one query reads again (the query stays far below SOQL's length limit)
DELETED_DAYS = 29  # getDeleted answers for the last 30 days only: a sync off for longer misses older deletions
WRITE_FIELDS = {"probability": "SalesRL_Probability__c", "range": "SalesRL_Probability_Range__c",
                "last_call": "SalesRL_Last_Call_Date__c", "gaps": "SalesRL_Open_Gaps__c"}
RETRIED_CODES = {"REQUEST_LIMIT_EXCEEDED", "SERVER_UNAVAILABLE", "UNABLE_TO_LOCK_ROW"}
T = TypeVar("T")


def opportunity_of(record: dict[str, Any]) -> CrmDeal:
    amount = record.get("Amount")
    try:
        value = Decimal(str(amount)) if amount is not None else None
    except InvalidOperation:
        value = None
    status = "won" if record.get("IsWon") else "lost" if record.get("IsClosed") else "open"
    close = record.get("CloseDate")
    contacts = contacts_in(record)
    return CrmDeal(crm="salesforce", crm_id=str(record["Id"]), name=str(record.get("Name") or record["Id"]).strip(),
                   amount=value if value is not None and value.is_finite() and value >= 0 else None,
                   currency=record.get("CurrencyIsoCode") or None, stage=record.get("StageName") or None,
                   stage_id=record.get("StageName") or None,  # the picklist's value: Salesforce has no other id
                   close_date=date.fromisoformat(close) if close else None, owner=record.get("OwnerId") or None,
                   status=status,
                   modified_at=datetime.fromisoformat(record["LastModifiedDate"]).astimezone(timezone.utc),
                   contact_ids=contacts.ids, contact_domains=contacts.domains)


def contacts_in(record: dict[str, Any]) -> DealContacts:
    """An opportunity's contacts from its contact roles' sub-query: the roles' ids and the contacts' domains."""
    roles = (record.get("OpportunityContactRoles") or {}).get("records") or []
    return DealContacts(ids=tuple(sorted({str(role["Id"]) for role in roles})),
                        domains=company_domains((role.get("Contact") or {}).get("Email") for role in roles))


def soql_time(t: datetime) -> str:
    return f"{t.astimezone(timezone.utc):%Y-%m-%dT%H:%M:%SZ}"


def soql_since(since: datetime | None, multicurrency: bool) -> str:
    fields = ", ".join(FIELDS + (["CurrencyIsoCode"] if multicurrency else []) + [CONTACT_ROLES])
    # SOQL's dateTime literal has whole seconds: >= the second of the cursor reads its page again, harmlessly
    where = "" if since is None else f" WHERE LastModifiedDate >= {soql_time(since)}"
    return f"SELECT {fields} FROM Opportunity{where} ORDER BY LastModifiedDate, Id"


class SalesforceClient:
    crm = "salesforce"

    def __init__(self, conn: SalesforceConnection, *, first_wait_s: float = FIRST_WAIT_S) -> None:
        self._conn = conn
        self._first_wait_s = first_wait_s
        self._sf: Any = None
        self._renewed = False  # a session is renewed once per client (one sync)

    def changed_deals(self, since: datetime | None) -> Iterator[tuple[list[CrmDeal], datetime | None]]:
        """Pages of the opportunities modified at or after `since` (all, for None), oldest change first, each
        with the cursor to keep once it is applied."""
        cursor = since
        for records in self._pages(soql_since(since, self._conn.multicurrency)):
            deals = [opportunity_of(self._with_every_role(r)) for r in records]
            if deals:
                cursor = max(d.modified_at for d in deals)
            yield deals, cursor

    def changed_contacts(self, since: datetime, now: datetime) -> Iterator[ContactChanges]:
        """Pages of the opportunities whose contact roles, or those roles' contacts, changed at or after `since`;
        then the contact roles deleted from `since` to `now`, whose opportunities only the stored deals know."""
        soql = ("SELECT OpportunityId FROM OpportunityContactRole "
                f"WHERE SystemModstamp >= {soql_time(since)} OR Contact.SystemModstamp >= {soql_time(since)}")
        for records in self._pages(soql):
            yield ContactChanges(deals=frozenset(str(r["OpportunityId"]) for r in records), contacts=frozenset())
        start = max(since, now - timedelta(days=DELETED_DAYS))
        deleted = self._call(lambda sf: sf.OpportunityContactRole.deleted(start, now))
        yield ContactChanges(deals=frozenset(),
                             contacts=frozenset(str(r["id"]) for r in deleted.get("deletedRecords") or []))

    def contacts_of(self, crm_ids: Sequence[str]) -> dict[str, DealContacts]:
        """Each of these opportunities' contacts, read again with the sub-query the opportunities are read with."""
        found = {crm_id: DealContacts((), ()) for crm_id in crm_ids}  # one no query finds was deleted: none
        for start in range(0, len(crm_ids), BY_ID):
            soql = format_soql(f"SELECT Id, {CONTACT_ROLES} FROM Opportunity WHERE Id IN {{}} ORDER BY Id",
                               list(crm_ids[start:start + BY_ID]))
            for records in self._pages(soql):
                found.update({str(r["Id"]): contacts_in(self._with_every_role(r)) for r in records})
        return found

    def owner_emails(self, owner_ids: Sequence[str]) -> dict[str, str | None]:
        """Each of these owners' (OwnerId: a User) e-mail, BY_ID users a query; None for one no query finds."""
        emails: dict[str, str | None] = {owner_id: None for owner_id in owner_ids}
        for start in range(0, len(owner_ids), BY_ID):
            soql = format_soql("SELECT Id, Email FROM User WHERE Id IN {}", list(owner_ids[start:start + BY_ID]))
            for records in self._pages(soql):
                emails.update({str(r["Id"]): r.get("Email") or None for r in records})
        return emails

    def _pages(self, soql: str) -> Iterator[list[dict[str, Any]]]:
        """The records of a query, a page at a time (nextRecordsUrl)."""
        result = self._call(lambda sf: sf.query(soql))
        while True:
            yield list(result.get("records") or [])
            following = result.get("nextRecordsUrl")
            if result.get("done", True) or not following:
                return
            result = self._call(lambda sf, url=following: sf.query_more(url, identifier_is_url=True))

    def _with_every_role(self, record: dict[str, Any]) -> dict[str, Any]:
        """The opportunity with every page of its contact roles: a sub-query's result is paged like the
        query's own (done false, nextRecordsUrl), read on with the same query-more call."""
        roles = page = record.get("OpportunityContactRoles") or {}
        records = list(roles.get("records") or [])
        while not page.get("done", True) and page.get("nextRecordsUrl"):
            page = self._call(lambda sf, url=page["nextRecordsUrl"]: sf.query_more(url, identifier_is_url=True))
            records.extend(page.get("records") or [])
        if page is roles:  # one page: the record as it came
            return record
        return {**record, "OpportunityContactRoles": {**roles, "done": True, "records": records}}

    def write(self, values: dict[str, dict[str, Any]]) -> None:
        """Set the SalesRL fields of these opportunities (crm_id -> values; None empties one)."""
        for crm_id, fields in sorted(values.items()):
            data = {WRITE_FIELDS[k]: v for k, v in fields.items()}
            self._call(lambda sf, i=crm_id, d=data: sf.Opportunity.update(i, d))

    # ------------------------------------------------------------------------------------------------------

    def _session(self) -> Any:
        if self._sf is None:
            conn = self._conn
            if conn.access_token:
                self._sf = Salesforce(instance_url=conn.instance_url, session_id=conn.access_token)
            else:
                self._log_in()
        return self._sf

    def _log_in(self) -> None:
        conn = self._conn
        try:
            session_id, instance = SalesforceLogin(username=conn.username, password=conn.password,
                                                   security_token=conn.security_token or "", scratch_url=conn.login_url)
        except SalesforceAuthenticationFailed as e:
            raise CrmError(f"Salesforce refused the login of {conn.workspace_id} ({e.code}): check "
                           f"SALESRL_SALESFORCE_USERNAME_{env_suffix(conn.workspace_id)} and its password and "
                           "security token") from None
        except requests.RequestException as e:
            raise Transient(f"Salesforce's login could not be reached ({type(e).__name__})") from None
        self._sf = Salesforce(instance=instance, session_id=session_id)

    def _call(self, request: Callable[[Any], T]) -> T:
        def once() -> T:
            try:
                try:
                    return request(self._session())
                except SalesforceExpiredSession:
                    if self._renewed or not self._conn.can_log_in:
                        raise
                    self._renewed = True  # once: a session that expires again right away is an error
                    self._log_in()
                    return request(self._sf)
            except SalesforceExpiredSession:
                raise CrmError(f"Salesforce's session for {self._conn.workspace_id} expired: set a new "
                               f"SALESRL_SALESFORCE_ACCESS_TOKEN_{env_suffix(self._conn.workspace_id)}, or a username "
                               "and password to log in again") from None
            except SalesforceError as e:
                raise self._error(e) from None
            except requests.RequestException as e:
                raise Transient(f"Salesforce could not be reached ({type(e).__name__})") from None
        return with_retries(once, self._first_wait_s)

    @staticmethod
    def _error(e: SalesforceError) -> Exception:
        content = e.content if isinstance(e.content, list) else []
        first = content[0] if content and isinstance(content[0], dict) else {}
        code = str(first.get("errorCode") or "")
        if code in RETRIED_CODES or int(e.status or 0) >= 500:
            return Transient(f"Salesforce answered {e.status} {code}".strip())
        return CrmError(f"Salesforce answered {e.status} {code}: {str(first.get('message') or '')[:200]}")
