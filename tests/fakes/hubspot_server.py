"""A fake HubSpot CRM v3 deals API: a real HTTP server on 127.0.0.1 for hubspot-api-client to talk to.

    with FakeHubSpot() as fake:
        fake.add_deal("101", "Acme Inc", amount="40000", stage="contractsent")
        HubSpot(access_token=fake.token, host=fake.url)...

What it models:
- auth: ``Authorization: Bearer <token>``, else 401 in HubSpot's error shape;
- ``POST /crm/v3/objects/deals/search``: filterGroups with ``hs_lastmodifieddate`` GTE/GT (epoch ms), sorts
  by it ascending, ``properties``, ``limit`` (at most 200) and ``after`` paging; like HubSpot, a search pages
  through at most 10,000 results (400 past that);
- ``POST /crm/v3/objects/deals/batch/update``: sets properties that exist (400 PROPERTY_DOESNT_EXIST else),
  and, as HubSpot does, moves the deal's hs_lastmodifieddate;
- ``GET /crm/v3/properties/deals``: the deal properties (the standard ones, plus those `create_property` made);
- ``POST /crm/v4/associations/deals/contacts/batch/read``: each deal's contacts (``add_deal(..., contacts=[...])``,
  contacts made with ``add_contact``), at most 1,000 deals a request as HubSpot allows; a deal's contacts come
  ``association_page`` at a time: a result that has more carries ``paging.next.after`` (an opaque token), and
  the next page is asked for with ``{"id": ..., "after": token}`` among the inputs, as HubSpot documents
  (the page size HubSpot uses is not documented; the tests make it small); and the other way,
  ``POST /crm/v4/associations/contacts/deals/batch/read``: each contact's deals, paged alike;
- ``POST /crm/v3/objects/contacts/batch/read``: contacts with the ``properties`` asked for, at most 100 a request;
- ``POST /crm/v3/objects/contacts/search``: as the deals' search, by ``lastmodifieddate``. A contact is modified
  when its e-mail changes (``add_contact`` again) and, in this fake, when it is added to a deal or removed from
  one (``set_deal_contacts``), which leaves the deal as it was: HubSpot keeps the count of a contact's deals in
  the contact's own ``num_associated_deals``; that changing it moves ``lastmodifieddate`` is this fake's
  assumption, not documented;
- ``GET /crm/v3/pipelines/deals``: the deal pipelines with their stages (``id`` and ``label``): HubSpot's default
  "Sales Pipeline" with its default stages, and those ``add_stage`` adds to a second pipeline (a portal's own
  stages have numeric ids);
- ``GET /crm/v3/owners/{ownerId}`` (``idProperty=id``, the default): an owner made with ``add_owner``, with its
  ``email``; 404 for an id no owner has, as HubSpot answers for one it no longer has (deactivated owners are
  archived);
- failures with ``fail_next`` (e.g. 429 with Retry-After).
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone
from typing import Any

from tests.fakes.json_server import JsonServer, Reply, Request

STANDARD = ["dealname", "amount", "deal_currency_code", "dealstage", "closedate", "hubspot_owner_id", "hs_is_closed",
            "hs_is_closed_won", "hs_lastmodifieddate", "createdate"]
SEARCH_LIMIT = 10_000
DEFAULT_STAGES = {"appointmentscheduled": "Appointment Scheduled", "qualifiedtobuy": "Qualified To Buy",
                  "presentationscheduled": "Presentation Scheduled", "decisionmakerboughtin": "Decision Maker Bought-In",
                  "contractsent": "Contract Sent", "closedwon": "Closed Won", "closedlost": "Closed Lost"}


def iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class FakeHubSpot(JsonServer):
    def __init__(self, token: str = "pat-na1-fake-token") -> None:
        super().__init__()
        self.token = token
        self.deals: dict[str, dict[str, str]] = {}
        self.properties = list(STANDARD)
        self.contacts: dict[str, dict[str, str]] = {}
        self.deal_contacts: dict[str, list[str]] = {}
        self.association_page = 500
        self.stages = {"default": dict(DEFAULT_STAGES)}  # pipeline id -> its stages' ids -> labels
        self.clock = datetime(2026, 11, 1, tzinfo=timezone.utc)
        self.owners: dict[str, str] = {}  # owner id -> e-mail

    def tick(self) -> datetime:
        """Each change a millisecond after the one before, as distinct as HubSpot's."""
        self.clock += timedelta(milliseconds=1)
        return self.clock

    def add_deal(self, deal_id: str, name: str, *, amount: str | None = None, stage: str = "appointmentscheduled",
                 closed: str | None = None, close_date: str | None = None, currency: str = "USD",
                 owner: str = "9001", contacts: list[str] | None = None) -> None:
        """A new deal, or a change to one; `closed` is "won" or "lost"; `contacts`: ids of its contacts."""
        with self._lock:
            if contacts is not None:
                self.deal_contacts[deal_id] = list(contacts)
            props = self.deals.setdefault(deal_id, {"createdate": iso(self.clock)})
            props.update(dealname=name, amount=amount or "", dealstage=stage, deal_currency_code=currency,
                         hubspot_owner_id=owner, closedate=f"{close_date}T00:00:00.000Z" if close_date else "",
                         hs_is_closed="true" if closed else "false", hs_is_closed_won="true" if closed == "won" else "false",
                         hs_lastmodifieddate=iso(self.tick()))

    def add_owner(self, owner_id: str, email: str) -> None:
        with self._lock:
            self.owners[owner_id] = email

    def add_contact(self, contact_id: str, email: str) -> None:
        """A new contact, or a new e-mail for one."""
        with self._lock:
            made = self.contacts.get(contact_id, {}).get("createdate", iso(self.clock))
            self.contacts[contact_id] = {"email": email, "firstname": "Pat", "createdate": made,
                                         "lastmodifieddate": iso(self.tick())}

    def set_deal_contacts(self, deal_id: str, contacts: list[str]) -> None:
        """The deal's contacts are now these; the deal itself is not modified, the contacts added or removed are."""
        with self._lock:
            before = self.deal_contacts.get(deal_id, [])
            self.deal_contacts[deal_id] = list(contacts)
            for c in sorted(set(before) ^ set(contacts)):
                self.contacts[c]["lastmodifieddate"] = iso(self.tick())

    def add_stage(self, stage_id: str, label: str, pipeline: str = "12345678") -> None:
        with self._lock:
            self.stages.setdefault(pipeline, {})[stage_id] = label

    def create_property(self, name: str) -> None:
        self.properties.append(name)

    def handle(self, request: Request) -> Reply:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return Reply(401, {"status": "error", "message": "Authentication credentials not found.",
                               "category": "INVALID_AUTHENTICATION"})
        route = (request.method, request.path)
        if route == ("POST", "/crm/v3/objects/deals/search"):
            return self._search(request.json, self.deals, "hs_lastmodifieddate")
        if route == ("POST", "/crm/v3/objects/contacts/search"):
            return self._search(request.json, self.contacts, "lastmodifieddate")
        if route == ("POST", "/crm/v3/objects/deals/batch/update"):
            return self._update(request.json)
        if route == ("POST", "/crm/v4/associations/deals/contacts/batch/read"):
            return self._associations(request.json, self.deal_contacts, type_id=3)
        if route == ("POST", "/crm/v4/associations/contacts/deals/batch/read"):
            with self._lock:
                contact_deals: dict[str, list[str]] = {}
                for deal_id, contacts in sorted(self.deal_contacts.items(), key=lambda d: int(d[0])):
                    for c in contacts:
                        contact_deals.setdefault(c, []).append(deal_id)
            return self._associations(request.json, contact_deals, type_id=4)
        if route == ("POST", "/crm/v3/objects/contacts/batch/read"):
            return self._contacts(request.json)
        if request.method == "GET" and request.path.startswith("/crm/v3/owners/"):
            return self._owner(request.path.removeprefix("/crm/v3/owners/"), request.query)
        if route == ("GET", "/crm/v3/pipelines/deals"):
            return self._pipelines()
        if route == ("GET", "/crm/v3/properties/deals"):
            return Reply(200, {"results": [{"name": n, "label": n, "type": "string", "fieldType": "text",
                                            "groupName": "dealinformation", "description": "", "options": []}
                                           for n in self.properties]})
        return Reply(404, {"status": "error", "message": f"no route {route}", "category": "OBJECT_NOT_FOUND"})

    def _search(self, body: dict[str, Any], objects: dict[str, dict[str, str]], modified: str) -> Reply:
        limit, after = int(body.get("limit") or 10), int(body.get("after") or 0)
        if limit > 200:
            return Reply(400, {"status": "error", "message": "limit must be at most 200", "category": "VALIDATION_ERROR"})
        if after + limit > SEARCH_LIMIT:
            return Reply(400, {"status": "error", "message": "paging past 10000 results", "category": "VALIDATION_ERROR"})
        with self._lock:
            rows = [(object_id, dict(props)) for object_id, props in objects.items()]
        for group in body.get("filterGroups") or []:
            for f in group["filters"]:
                assert f["propertyName"] == modified and f["operator"] in ("GTE", "GT"), f
                since = datetime.fromtimestamp(int(f["value"]) / 1000, timezone.utc)
                times = [(datetime.fromisoformat(r[1][modified].replace("Z", "+00:00")), r) for r in rows]
                rows = [r for t, r in times if (t >= since if f["operator"] == "GTE" else t > since)]
        rows.sort(key=lambda r: (r[1][modified], int(r[0])))
        page = rows[after:after + limit]
        wanted = body.get("properties") or ["dealname", "amount", "closedate", "createdate", "dealstage"]
        results = [{"id": object_id, "properties": {k: (props.get(k) or None) for k in wanted},
                    "createdAt": props["createdate"], "updatedAt": props[modified], "archived": False}
                   for object_id, props in page]
        out: dict[str, Any] = {"total": len(rows), "results": results}
        if after + limit < len(rows):
            out["paging"] = {"next": {"after": str(after + limit), "link": "?after=" + str(after + limit)}}
        return Reply(200, out)

    def _owner(self, owner_id: str, query: dict[str, str]) -> Reply:
        assert query.get("idProperty", "id") == "id", query
        with self._lock:
            email = self.owners.get(owner_id)
        if email is None:
            return Reply(404, {"status": "error", "message": f"Owner {owner_id} not found", "category": "OBJECT_NOT_FOUND"})
        made = iso(datetime(2026, 1, 5, tzinfo=timezone.utc))
        return Reply(200, {"id": owner_id, "email": email, "type": "PERSON", "firstName": "Sam", "lastName": "Rep",
                           "userId": int(owner_id) + 1, "userIdIncludingInactive": int(owner_id) + 1,
                           "createdAt": made, "updatedAt": made, "archived": False, "teams": []})

    def _pipelines(self) -> Reply:
        made = iso(datetime(2026, 1, 5, tzinfo=timezone.utc))
        with self._lock:
            pipelines = [{"id": pipeline, "label": "Sales Pipeline" if pipeline == "default" else f"Pipeline {pipeline}",
                          "displayOrder": n, "archived": False, "createdAt": made, "updatedAt": made,
                          "stages": [{"id": stage, "label": label, "displayOrder": i, "archived": False,
                                      "metadata": {"isClosed": str(stage in ("closedwon", "closedlost")).lower()},
                                      "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT", "createdAt": made,
                                      "updatedAt": made} for i, (stage, label) in enumerate(stages.items())]}
                         for n, (pipeline, stages) in enumerate(self.stages.items())]
        return Reply(200, {"results": pipelines})

    def _associations(self, body: dict[str, Any], associated: dict[str, list[str]], type_id: int) -> Reply:
        if len(body["inputs"]) > 1000:
            return Reply(400, {"status": "error", "message": "at most 1000 inputs", "category": "VALIDATION_ERROR"})
        now = iso(self.clock)
        results = []
        with self._lock:
            for item in body["inputs"]:
                to_ids = associated.get(item["id"])
                if not to_ids:
                    continue
                try:
                    start = int(base64.urlsafe_b64decode(item["after"]).decode()) if item.get("after") else 0
                except ValueError:
                    return Reply(400, {"status": "error", "message": f"invalid after {item['after']!r}",
                                       "category": "VALIDATION_ERROR"})
                end = start + self.association_page
                result: dict[str, Any] = {"from": {"id": item["id"]}, "to": [
                    {"toObjectId": int(c), "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": type_id,
                                                                 "label": None}]}
                    for c in to_ids[start:end]]}
                if end < len(to_ids):  # HubSpot: "paging" only when there are more pages
                    after = base64.urlsafe_b64encode(str(end).encode()).decode()
                    result["paging"] = {"next": {"after": after, "link": None}}
                results.append(result)
        return Reply(200, {"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now})

    def _contacts(self, body: dict[str, Any]) -> Reply:
        if len(body["inputs"]) > 100:
            return Reply(400, {"status": "error", "message": "at most 100 inputs", "category": "VALIDATION_ERROR"})
        now, wanted = iso(self.clock), body.get("properties") or ["email"]
        with self._lock:
            results = [{"id": item["id"], "properties": {k: self.contacts[item["id"]].get(k) for k in wanted},
                        "createdAt": self.contacts[item["id"]]["createdate"],
                        "updatedAt": self.contacts[item["id"]]["lastmodifieddate"], "archived": False}
                       for item in body["inputs"] if item["id"] in self.contacts]
        return Reply(200, {"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now})

    def _update(self, body: dict[str, Any]) -> Reply:
        now = iso(self.clock)
        with self._lock:
            for item in body["inputs"]:
                unknown = sorted(set(item["properties"]) - set(self.properties))
                if unknown:
                    return Reply(400, {"status": "error", "category": "VALIDATION_ERROR",
                                       "message": f"Property values were not valid: {unknown[0]} does not exist",
                                       "errors": [{"code": "PROPERTY_DOESNT_EXIST", "message": unknown[0]}]})
                if item["id"] not in self.deals:
                    return Reply(404, {"status": "error", "message": "deal not found", "category": "OBJECT_NOT_FOUND"})
            results = []
            for item in body["inputs"]:
                props = self.deals[item["id"]]
                props.update(item["properties"])
                props["hs_lastmodifieddate"] = iso(self.tick())
                results.append({"id": item["id"], "properties": dict(props), "createdAt": props["createdate"],
                                "updatedAt": props["hs_lastmodifieddate"], "archived": False})
        return Reply(200, {"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now})
