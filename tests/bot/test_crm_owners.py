"""CRM deal owners as Slack users: the real hubspot-api-client and simple-salesforce against the fake HubSpot and
Salesforce, the real slack_sdk WebClient against the fake Slack Web API (tests/fakes/)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from salesrl.bot.crm.sync import OWNER_MISS_KEPT, CrmSync
from salesrl.bot.digest.slack_clients import one_client
from salesrl.bot.slack.profiles import slack_users
from salesrl.bot.slack.web_client import slack_client
from salesrl.bot.store import Store
from salesrl.bot.store.tables import metadata, utcnow
from tests.fakes.hubspot_server import FakeHubSpot
from tests.fakes.salesforce_server import FakeSalesforce
from tests.fakes.slack_server import FakeSlack
from tests.fakes.tls import self_signed

W = "T0CRM"


@pytest.fixture
def slack():  # type: ignore[no-untyped-def]
    with FakeSlack() as fake:
        fake.add_user("U0SAM", "Sam Rep")  # sam@example.com
        fake.add_user("U0ANA", "Ana Lead")
        yield fake


@pytest.fixture
def hubspot(monkeypatch):  # type: ignore[no-untyped-def]
    with FakeHubSpot() as fake:
        monkeypatch.setenv(f"SALESRL_HUBSPOT_TOKEN_{W}", fake.token)
        yield fake


def sync_now(crm_sync: CrmSync, now: datetime | None = None):  # type: ignore[no-untyped-def]
    (conn,) = crm_sync.connections(W)
    report = crm_sync.sync(conn, now, force=True)
    assert report is not None and report.error is None, report
    return report


def owner_of(store: Store, name: str) -> str | None:
    deal = store.deals.get(W, name)
    assert deal is not None
    return deal.owner_id


def owner_reads(fake: FakeHubSpot) -> list[str]:
    return [r.path.removeprefix("/crm/v3/owners/") for r in fake.requests if r.path.startswith("/crm/v3/owners/")]


def stored_text(store: Store) -> str:
    """Every row of every table, as text."""
    with store.database.reading() as s:
        return "\n".join(str(row) for table in metadata.sorted_tables for row in s.execute(sa.select(table)))


def test_linked_deals_without_an_owner_take_their_hubspot_owners_slack_user(store, hubspot, slack):
    for name in ("Acme", "Globex", "Umbrella", "Hooli", "Unlinked"):
        store.deals.get_or_create(W, name)
    store.deals.get_or_create(W, "Initech", owner_id="U0ANA")  # set by someone: stays
    hubspot.add_owner("9001", "sam@example.com")
    hubspot.add_owner("9002", "pat@elsewhere.test")  # no Slack account
    # 9003: an owner HubSpot no longer has (404)
    for crm_id, name, owner in (("101", "Acme", "9001"), ("102", "Globex", "9001"), ("103", "Initech", "9001"),
                                ("104", "Umbrella", "9002"), ("105", "Hooli", "9003")):
        hubspot.add_deal(crm_id, name, owner=owner)
    crm_sync = CrmSync(store, hubspot_api_url=hubspot.url,
                       slack_user_of=slack_users(one_client(slack_client(slack.bot_token, slack.api_url))))

    report = sync_now(crm_sync)

    assert (report.linked, report.owners, report.unowned) == (5, 2, 2)
    assert "2 owners set, 2 linked deals' CRM owner not found in Slack" in report.summary()
    assert [owner_of(store, n) for n in ("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Unlinked")] == [
        "U0SAM", "U0SAM", "U0ANA", None, None, None]
    assert {d.name for d in store.deals.list(W, owner_id="U0SAM")} == {"Acme", "Globex"}
    # each owner asked for once, though two deals have 9001; Initech's owner is not looked up for it
    assert sorted(owner_reads(hubspot)) == ["9001", "9002", "9003"]
    looked_up = [c.params["email"] for c in slack.calls_to("users.lookupByEmail")]
    assert sorted(looked_up) == ["pat@elsewhere.test", "sam@example.com"]
    stored = stored_text(store)
    assert "9001" in stored and "sam@example.com" not in stored and "pat@elsewhere.test" not in stored

    # the next syncs that day ask neither HubSpot nor Slack about the owners found in no Slack user
    slack.add_user("U0PAT", "Pat Field")  # pat@example.com: still not HubSpot's pat@elsewhere.test
    hubspot.add_owner("9003", "pat@example.com")
    for later in (timedelta(minutes=15), OWNER_MISS_KEPT - timedelta(minutes=1)):
        again = sync_now(crm_sync, utcnow() + later)
        assert (again.owners, again.unowned) == (0, 2)
    assert sorted(owner_reads(hubspot)) == ["9001", "9002", "9003"]
    assert len(slack.calls_to("users.lookupByEmail")) == 2

    # a day later: only the owners still unmapped are looked up again, once each; a Slack account made since maps
    again = sync_now(crm_sync, utcnow() + OWNER_MISS_KEPT + timedelta(minutes=1))
    assert (again.owners, again.unowned) == (1, 1)
    assert sorted(owner_reads(hubspot)) == ["9001", "9002", "9002", "9003", "9003"]
    assert sorted(c.params["email"] for c in slack.calls_to("users.lookupByEmail")) == [
        "pat@elsewhere.test", "pat@elsewhere.test", "pat@example.com", "sam@example.com"]
    assert (owner_of(store, "Hooli"), owner_of(store, "Umbrella")) == ("U0PAT", None)
    assert "pat@elsewhere.test" not in stored_text(store)


def test_an_owner_someone_sets_is_kept_and_the_command_line_sync_leaves_owners_alone(store, hubspot, slack):
    store.deals.get_or_create(W, "Acme")
    hubspot.add_owner("9001", "sam@example.com")
    hubspot.add_deal("101", "Acme", owner="9001")

    cli = sync_now(CrmSync(store, hubspot_api_url=hubspot.url))  # no Slack client
    assert (cli.linked, cli.owners, cli.unowned, cli.owners_untried) == (1, 0, 1, True)
    assert "1 linked deal's CRM owner not looked up in Slack (only the bot's own sync does)" in cli.summary()
    assert owner_of(store, "Acme") is None and owner_reads(hubspot) == []

    store.deals.update(W, "Acme", owner_id="U0ANA")
    bot = sync_now(CrmSync(store, hubspot_api_url=hubspot.url,
                           slack_user_of=slack_users(one_client(slack_client(slack.bot_token, slack.api_url)))))
    assert (bot.owners, bot.unowned) == (0, 0) and "owner" not in bot.summary()
    assert owner_of(store, "Acme") == "U0ANA" and owner_reads(hubspot) == []
    assert slack.calls_to("users.lookupByEmail") == []


def test_a_hubspot_token_without_the_owners_scope_leaves_owners_unmapped_and_the_sync_succeeds(store, hubspot, slack,
                                                                                               caplog):
    store.deals.get_or_create(W, "Acme")
    hubspot.add_owner("9001", "sam@example.com")
    hubspot.add_deal("101", "Acme", owner="9001")
    hubspot.fail_next(403, {"status": "error", "message": "This app hasn't been granted all required scopes",
                            "category": "MISSING_SCOPES"}, when=lambda r: r.path.startswith("/crm/v3/owners/"))
    crm_sync = CrmSync(store, hubspot_api_url=hubspot.url,
                       slack_user_of=slack_users(one_client(slack_client(slack.bot_token, slack.api_url))))

    report = sync_now(crm_sync)

    assert (report.linked, report.owners, report.unowned) == (1, 0, 1)
    assert "crm.objects.owners.read" in caplog.text
    assert owner_of(store, "Acme") is None
    assert sync_now(crm_sync).owners == 1 and owner_of(store, "Acme") == "U0SAM"  # the scope granted since


def test_a_slack_token_without_the_email_scope_is_no_miss_and_the_next_sync_looks_again(store, hubspot, slack):
    store.deals.get_or_create(W, "Acme")
    hubspot.add_owner("9001", "sam@example.com")
    hubspot.add_deal("101", "Acme", owner="9001")
    slack.fail_next("users.lookupByEmail", "missing_scope")  # users:read.email not granted yet
    crm_sync = CrmSync(store, hubspot_api_url=hubspot.url,
                       slack_user_of=slack_users(one_client(slack_client(slack.bot_token, slack.api_url))))

    assert (sync_now(crm_sync).owners, owner_of(store, "Acme")) == (0, None)
    # the scope granted since: fifteen minutes later the owner is looked up again, not remembered as a miss
    assert sync_now(crm_sync, utcnow() + timedelta(minutes=15)).owners == 1 and owner_of(store, "Acme") == "U0SAM"
    assert len(slack.calls_to("users.lookupByEmail")) == 2


def test_salesforce_opportunity_owners_are_found_by_their_users_email(store, slack, tmp_path, monkeypatch):
    cert, tls = self_signed(tmp_path)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    with FakeSalesforce(tls) as salesforce:
        monkeypatch.setenv(f"SALESRL_SALESFORCE_INSTANCE_URL_{W}", salesforce.url)
        monkeypatch.setenv(f"SALESRL_SALESFORCE_ACCESS_TOKEN_{W}", salesforce.access_token)
        for name in ("Acme", "Globex", "Umbrella"):
            store.deals.get_or_create(W, name)
        store.deals.get_or_create(W, "Initech", owner_id="U0ANA")
        salesforce.add_user("005SAM000000001AAA", "sam@example.com")
        salesforce.add_user("005PAT000000001AAA", "pat@elsewhere.test")
        for opp_id, name, owner in (("006A", "Acme", "005SAM000000001AAA"), ("006B", "Globex", "005SAM000000001AAA"),
                                    ("006C", "Initech", "005SAM000000001AAA"),
                                    ("006D", "Umbrella", "005PAT000000001AAA")):
            salesforce.add_opportunity(opp_id, name, owner=owner)
        crm_sync = CrmSync(store, slack_user_of=slack_users(one_client(slack_client(slack.bot_token, slack.api_url))))

        report = sync_now(crm_sync)

        assert (report.linked, report.owners, report.unowned) == (4, 2, 1)
        assert [owner_of(store, n) for n in ("Acme", "Globex", "Initech", "Umbrella")] == [
            "U0SAM", "U0SAM", "U0ANA", None]
        user_queries = [r.query["q"] for r in salesforce.requests if "FROM User" in r.query.get("q", "")]
        assert user_queries == ["SELECT Id, Email FROM User WHERE Id IN ('005PAT000000001AAA','005SAM000000001AAA')"]
        assert sorted(c.params["email"] for c in slack.calls_to("users.lookupByEmail")) == [
            "pat@elsewhere.test", "sam@example.com"]
        assert "sam@example.com" not in stored_text(store)
