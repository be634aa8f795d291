"""A fake Salesforce: a real HTTPS server on 127.0.0.1 for simple-salesforce to talk to.

    cert, tls = self_signed(tmp_path)               # trusted with REQUESTS_CA_BUNDLE=cert
    with FakeSalesforce(tls) as fake:
        fake.add_opportunity("006A", "Acme", amount=40000, stage="Closed Won", closed="won")
        Salesforce(instance_url=fake.url, session_id=fake.access_token)...

What it models:
- the SOAP login (``POST /services/Soap/u/<version>``) with username and password + security token, answering a
  session id and a server URL on this server (or INVALID_LOGIN);
- auth: ``Authorization: Bearer <session>``, else 401 ``INVALID_SESSION_ID`` (``expire_sessions`` ends them all);
- SOQL: ``GET /services/data/v<version>/query/?q=SELECT ... FROM Opportunity [WHERE LastModifiedDate >= <dateTime>]
  ORDER BY LastModifiedDate, Id``, ``page_size`` records at a time with ``nextRecordsUrl`` (``GET .../query/<locator>``);
  with the opportunity's contact roles in the sub-query ``(SELECT Id, Contact.Email FROM OpportunityContactRoles)``
  (``add_opportunity(..., contacts=[e-mails])``; null for an opportunity without contact roles, as Salesforce answers);
  the same sub-query for opportunities by id: ``SELECT Id, (...) FROM Opportunity WHERE Id IN ('006A', ...) ORDER BY Id``;
- contact roles changed without their opportunity (``set_contact_roles``; ``change_email`` changes a contact):
  ``SELECT OpportunityId FROM OpportunityContactRole WHERE SystemModstamp >= <dateTime> OR Contact.SystemModstamp >=
  <dateTime>``, and ``GET .../sobjects/OpportunityContactRole/deleted/?start=...&end=...`` (getDeleted: the ids of the
  roles deleted in that window, and only within the last 30 days, else 400 INVALID_REPLICATION_DATE);
  a sub-query's result is paged like a query's (Salesforce's "Understanding Query Results": iterate the children
  with queryMore): ``child_page_size`` contact roles with ``done`` false and a ``nextRecordsUrl`` of its own when
  there are more, read with the same ``GET .../query/<locator>`` (the tests make the page small);
- users: ``SELECT Id, Email FROM User WHERE Id IN ('005A', ...)`` answers the users made with ``add_user``;
- ``PATCH /services/data/v<version>/sobjects/Opportunity/<id>``: sets fields that exist (400 INVALID_FIELD else),
  204, and moves LastModifiedDate as Salesforce does; times have whole seconds, as Salesforce's;
- failures with ``fail_next`` (e.g. 403 REQUEST_LIMIT_EXCEEDED).
"""

from __future__ import annotations

import re
import secrets
import ssl
from datetime import datetime, timedelta, timezone
from typing import Any

from tests.fakes.json_server import JsonServer, Reply, Request

STANDARD = {"Id", "Name", "Amount", "StageName", "CloseDate", "OwnerId", "IsClosed", "IsWon", "LastModifiedDate",
            "CurrencyIsoCode"}
_WHERE = re.compile(r"WHERE LastModifiedDate >= (\S+)")
_SELECT = re.compile(r"^SELECT (.+) FROM Opportunity\b(?!ContactRoles)")
CONTACT_ROLES = "(SELECT Id, Contact.Email FROM OpportunityContactRoles)"
_BY_ID = re.compile(r"^SELECT Id, \(SELECT Id, Contact.Email FROM OpportunityContactRoles\) FROM Opportunity "
                    r"WHERE Id IN \(([^)]*)\) ORDER BY Id$")
_USERS = re.compile(r"^SELECT Id, Email FROM User WHERE Id IN \(([^)]*)\)$")
_CHANGED_ROLES = re.compile(r"^SELECT OpportunityId FROM OpportunityContactRole WHERE SystemModstamp >= (\S+) "
                            r"OR Contact.SystemModstamp >= (\S+)$")


def sf_time(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


class FakeSalesforce(JsonServer):
    def __init__(self, tls: ssl.SSLContext, *, username: str = "ana@example.test", password: str = "hunter2",
                 security_token: str = "TOKEN123") -> None:
        super().__init__(tls=tls)
        self.username, self.password, self.security_token = username, password, security_token
        self.access_token = "00DFAKE!" + secrets.token_hex(8)
        self.sessions = {self.access_token}
        self.logins = 0
        self.fields = set(STANDARD)
        self.opportunities: dict[str, dict[str, Any]] = {}
        self.people: dict[str, dict[str, str]] = {}  # contact id -> Email, SystemModstamp
        self.roles: dict[str, dict[str, str]] = {}  # contact role id -> OpportunityId, ContactId, SystemModstamp
        self.deleted_roles: list[tuple[str, datetime]] = []  # (contact role id, when it was deleted)
        self.page_size = 2000
        self.child_page_size = 200
        self.clock = datetime(2026, 11, 1, tzinfo=timezone.utc)
        self._results: dict[str, list[dict[str, Any]]] = {}
        self.users: dict[str, str] = {}  # user id -> Email

    def tick(self) -> str:
        self.clock += timedelta(seconds=1)
        return sf_time(self.clock)

    def add_opportunity(self, opp_id: str, name: str, *, amount: float | None = None, stage: str = "Prospecting",
                        closed: str | None = None, close_date: str = "2026-10-30", owner: str = "005FAKE",
                        contacts: list[str] | None = None) -> None:
        with self._lock:
            self.opportunities[opp_id] = {
                "Id": opp_id, "Name": name, "Amount": amount, "StageName": stage, "CloseDate": close_date,
                "OwnerId": owner, "IsClosed": closed is not None, "IsWon": closed == "won", "CurrencyIsoCode": "USD",
                "LastModifiedDate": self.tick()}
        if contacts is not None:
            self.set_contact_roles(opp_id, contacts)

    def add_user(self, user_id: str, email: str) -> None:
        with self._lock:
            self.users[user_id] = email

    def set_contact_roles(self, opp_id: str, emails: list[str]) -> None:
        """The opportunity's contact roles are now those of the contacts with these e-mails (a contact made for an
        e-mail no contact has): roles of other contacts are deleted, roles of new ones made; as in Salesforce, the
        opportunity itself is not modified."""
        with self._lock:
            for role_id, role in list(self.roles.items()):
                if role["OpportunityId"] == opp_id and self.people[role["ContactId"]]["Email"] not in emails:
                    del self.roles[role_id]
                    self.tick()
                    self.deleted_roles.append((role_id, self.clock))
            kept = {self.people[r["ContactId"]]["Email"] for r in self.roles.values() if r["OpportunityId"] == opp_id}
            for email in emails:
                if email in kept:
                    continue
                contact_id = next((c for c, p in self.people.items() if p["Email"] == email), None)
                if contact_id is None:
                    contact_id = f"003FAKE{len(self.people):08d}"
                    self.people[contact_id] = {"Email": email, "SystemModstamp": self.tick()}
                self.roles[f"00KFAKE{len(self.roles) + len(self.deleted_roles):08d}"] = {
                    "OpportunityId": opp_id, "ContactId": contact_id, "SystemModstamp": self.tick()}

    def change_email(self, email: str, new: str) -> None:
        with self._lock:
            for person in self.people.values():
                if person["Email"] == email:
                    person.update(Email=new, SystemModstamp=self.tick())

    def expire_sessions(self) -> None:
        with self._lock:
            self.sessions.clear()

    def handle(self, request: Request) -> Reply:
        if request.method == "POST" and request.path.startswith("/services/Soap/u/"):
            return self._login(request.body.decode())
        if request.headers.get("authorization", "").removeprefix("Bearer ") not in self.sessions:
            return Reply(401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])
        parts = request.path.strip("/").split("/")  # services data v59.0 ...
        if request.method == "GET" and parts[3:] == ["sobjects", "OpportunityContactRole", "deleted"]:
            return self._deleted(request.query)
        if request.method == "GET" and parts[3:4] == ["query"]:
            return self._query(request.query.get("q")) if len(parts) == 4 else self._more(parts[4])
        if request.method == "PATCH" and parts[3:5] == ["sobjects", "Opportunity"]:
            return self._update(parts[5], request.json)
        return Reply(404, [{"message": f"no route {request.method} {request.path}", "errorCode": "NOT_FOUND"}])

    def _login(self, body: str) -> Reply:
        user = re.search(r"<n1:username>(.*?)</n1:username>", body)
        password = re.search(r"<n1:password>(.*?)</n1:password>", body)
        if not user or not password or (user.group(1), password.group(1)) != (
                self.username, self.password + self.security_token):
            fault = ("<soapenv:Envelope xmlns:soapenv='http://schemas.xmlsoap.org/soap/envelope/' "
                     "xmlns:sf='urn:fault.partner.soap.sforce.com'><soapenv:Body><soapenv:Fault>"
                     "<faultcode>sf:INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN</faultstring><detail>"
                     "<sf:LoginFault><sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode><sf:exceptionMessage>Invalid "
                     "username, password, security token; or user locked out.</sf:exceptionMessage></sf:LoginFault>"
                     "</detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>")
            return Reply(500, fault.encode(), {"Content-Type": "text/xml"})
        session = "00DFAKE!" + secrets.token_hex(8)
        with self._lock:
            self.sessions.add(session)
            self.logins += 1
        xml = ("<?xml version='1.0' encoding='UTF-8'?><soapenv:Envelope "
               "xmlns:soapenv='http://schemas.xmlsoap.org/soap/envelope/' xmlns='urn:partner.soap.sforce.com'>"
               "<soapenv:Body><loginResponse><result><passwordExpired>false</passwordExpired><sandbox>false</sandbox>"
               f"<serverUrl>{self.url}/services/Soap/u/59.0/00DFAKE</serverUrl><sessionId>{session}</sessionId>"
               "<userId>005FAKE</userId></result></loginResponse></soapenv:Body></soapenv:Envelope>")
        return Reply(200, xml.encode(), {"Content-Type": "text/xml"})

    def _query(self, soql: str | None) -> Reply:
        if by_id := _BY_ID.match(soql or ""):
            wanted = sorted(i.strip().strip("'") for i in by_id.group(1).split(","))
            return self._results_of([{"attributes": {"type": "Opportunity"}, "Id": i,
                                      "OpportunityContactRoles": self._roles(i)} for i in wanted if i in self.opportunities])
        if users := _USERS.match(soql or ""):
            wanted = [i.strip().strip("'") for i in users.group(1).split(",")]
            with self._lock:
                found = [(i, self.users[i]) for i in wanted if i in self.users]
            return self._results_of([{"attributes": {"type": "User", "url": f"/services/data/v59.0/sobjects/User/{i}"},
                                      "Id": i, "Email": email} for i, email in found])
        if changed := _CHANGED_ROLES.match(soql or ""):
            role_since, contact_since = (datetime.fromisoformat(t.replace("Z", "+00:00")) for t in changed.groups())
            with self._lock:
                found = [r for r in self.roles.values()
                         if datetime.fromisoformat(r["SystemModstamp"]) >= role_since
                         or datetime.fromisoformat(self.people[r["ContactId"]]["SystemModstamp"]) >= contact_since]
            return self._results_of([{"attributes": {"type": "OpportunityContactRole"}, "OpportunityId": r["OpportunityId"]}
                                     for r in found])
        select = _SELECT.match(soql or "")
        if select is None or "ORDER BY LastModifiedDate, Id" not in soql:
            return Reply(400, [{"message": f"unexpected query {soql!r}", "errorCode": "MALFORMED_QUERY"}])
        selected = select.group(1)
        roles = CONTACT_ROLES in selected
        fields = [f.strip() for f in selected.replace(CONTACT_ROLES, "").split(",") if f.strip()]
        if unknown := [f for f in fields if f not in self.fields]:
            return Reply(400, [{"message": f"No such column '{unknown[0]}' on entity 'Opportunity'",
                                "errorCode": "INVALID_FIELD"}])
        where = _WHERE.search(soql)
        since = datetime.fromisoformat(where.group(1).replace("Z", "+00:00")) if where else None
        with self._lock:
            rows = [dict(o) for o in self.opportunities.values()]
        rows = [o for o in rows if since is None or datetime.fromisoformat(o["LastModifiedDate"]) >= since]
        rows.sort(key=lambda o: (o["LastModifiedDate"], o["Id"]))
        records = [{"attributes": {"type": "Opportunity", "url": f"/services/data/v59.0/sobjects/Opportunity/{o['Id']}"},
                    **{f: o.get(f) for f in fields}, **({"OpportunityContactRoles": self._roles(o["Id"])} if roles else {})}
                   for o in rows]
        return self._results_of(records)

    def _results_of(self, records: list[dict[str, Any]]) -> Reply:
        locator = "01gFAKE" + secrets.token_hex(4)
        with self._lock:
            self._results[locator] = records
        return Reply(200, self._paged(locator, 0, self.page_size))

    def _deleted(self, query: dict[str, str]) -> Reply:
        start, end = (datetime.fromisoformat(query[k]) for k in ("start", "end"))
        if start < self.clock - timedelta(days=30):
            return Reply(400, [{"message": "startDate before the earliest date available", "errorCode":
                                "INVALID_REPLICATION_DATE"}])
        with self._lock:
            found = [{"id": i, "deletedDate": sf_time(t)} for i, t in self.deleted_roles if start <= t <= end]
        return Reply(200, {"deletedRecords": found, "earliestDateAvailable": sf_time(self.clock - timedelta(days=30)),
                           "latestDateCovered": sf_time(end)})

    def _roles(self, opp_id: str) -> dict[str, Any] | None:
        with self._lock:
            records = [{"attributes": {"type": "OpportunityContactRole"}, "Id": role_id,
                        "Contact": {"attributes": {"type": "Contact"}, "Email": self.people[r["ContactId"]]["Email"]}}
                       for role_id, r in sorted(self.roles.items()) if r["OpportunityId"] == opp_id]
        if not records:
            return None
        locator = "0r8FAKE" + secrets.token_hex(4)
        with self._lock:
            self._results[locator] = records
        return self._paged(locator, 0, self.child_page_size)

    def _more(self, cursor: str) -> Reply:
        locator, _, offset = cursor.partition("-")
        if locator not in self._results:
            return Reply(400, [{"message": "invalid query locator", "errorCode": "INVALID_QUERY_LOCATOR"}])
        size = self.child_page_size if locator.startswith("0r8") else self.page_size
        return Reply(200, self._paged(locator, int(offset), size))

    def _paged(self, locator: str, offset: int, size: int) -> dict[str, Any]:
        records = self._results[locator]
        end = offset + size
        out: dict[str, Any] = {"totalSize": len(records), "done": end >= len(records), "records": records[offset:end]}
        if end < len(records):
            out["nextRecordsUrl"] = f"/services/data/v59.0/query/{locator}-{end}"
        return out

    def _update(self, opp_id: str, body: dict[str, Any]) -> Reply:
        if unknown := sorted(set(body) - self.fields):
            return Reply(400, [{"message": f"No such column '{unknown[0]}' on sobject of type Opportunity",
                                "errorCode": "INVALID_FIELD", "fields": []}])
        with self._lock:
            if opp_id not in self.opportunities:
                return Reply(404, [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}])
            self.opportunities[opp_id].update(body, LastModifiedDate=self.tick())
        return Reply(204)
