"""CRM sync with Salesforce, end to end: the real simple-salesforce against a fake Salesforce on 127.0.0.1
over HTTPS (tests/fakes/salesforce_server.py) with a throwaway certificate the test trusts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from salesrl.bot.crm import salesforce as salesforce_client
from salesrl.bot.crm.retrying import ATTEMPTS
from salesrl.bot.crm.sync import CrmSync
from salesrl.bot.digest.content import build_digest
from salesrl.bot.digest.periods import Period
from salesrl.bot.store.tables import utcnow
from tests.fakes.salesforce_server import FakeSalesforce
from tests.fakes.tls import self_signed

W = "T0SF"
ENV = f"SALESRL_SALESFORCE_{{}}_{W}"
LIMIT = [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]


@pytest.fixture
def salesforce(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    cert, tls = self_signed(tmp_path)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    with FakeSalesforce(tls) as fake:
        yield fake


@pytest.fixture
def with_token(salesforce, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv(ENV.format("INSTANCE_URL"), salesforce.url)
    monkeypatch.setenv(ENV.format("ACCESS_TOKEN"), salesforce.access_token)
    return salesforce


@pytest.fixture
def with_login(salesforce, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv(ENV.format("LOGIN_URL"), salesforce.url)
    monkeypatch.setenv(ENV.format("USERNAME"), salesforce.username)
    monkeypatch.setenv(ENV.format("PASSWORD"), salesforce.password)
    monkeypatch.setenv(ENV.format("SECURITY_TOKEN"), salesforce.security_token)
    return salesforce


def sync_now(store, now=None):  # type: ignore[no-untyped-def]
    crm_sync = CrmSync(store, first_wait_s=0.01)  # REQUEST_LIMIT_EXCEEDED says not how long to wait
    (conn,) = crm_sync.connections(W)
    report = crm_sync.sync(conn, now, force=True)
    assert report is not None
    return report


def test_a_closed_won_opportunity_is_an_outcome_in_the_next_digests_calibration(store, with_token, score_result):
    with_token.page_size = 2  # three pages, followed by nextRecordsUrl
    acme = store.deals.get_or_create(W, "Acme")
    store.calls.save(W, acme.id, score_result([0.5, 0.3]), "cli", "t")
    with_token.add_opportunity("006A", "Acme Corporation", amount=40000.0, stage="Closed Won", closed="won")
    for i in range(4):
        with_token.add_opportunity(f"006B{i}", f"Other {i}", amount=10.0)

    report = sync_now(store)
    assert (report.error, report.deals, report.linked, report.outcomes) == (None, 5, 1, 1)
    deal = store.deals.get(W, "Acme")
    assert (deal.status, deal.outcome_source, deal.amount, deal.stage) == ("won", "salesforce", Decimal("40000"),
                                                                            "Closed Won")
    now = utcnow() + timedelta(seconds=1)
    digest = build_digest(store, W, Period("2026-W49", "weekly", now - timedelta(days=7), now, "UTC"))
    assert digest.calibration is not None and digest.calibration.deals == 1
    assert digest.calibration.brier == pytest.approx(0.49)
    assert sync_now(store).deals == 1  # next time: what changed since (the last second, again)


def test_a_multicurrency_org_gives_each_opportunitys_currency(store, with_token, monkeypatch):
    with_token.add_opportunity("006A", "Acme")
    store.deals.get_or_create(W, "Acme")
    assert sync_now(store).error is None and store.deals.get(W, "Acme").currency is None
    with_token.fields.discard("CurrencyIsoCode")  # as in a single-currency org: the field does not exist
    monkeypatch.setenv(ENV.format("MULTICURRENCY"), "true")
    assert "INVALID_FIELD" in sync_now(store).error
    with_token.fields.add("CurrencyIsoCode")
    with_token.add_opportunity("006A", "Acme", amount=10.0)
    assert sync_now(store).error is None and store.deals.get(W, "Acme").currency == "USD"


def test_a_username_logs_in_and_an_expired_session_logs_in_again_once(store, with_login):
    with_login.add_opportunity("006A", "Acme")
    assert sync_now(store).error is None and with_login.logins == 1

    crm_sync = CrmSync(store)
    (conn,) = crm_sync.connections(W)
    client = salesforce_client.SalesforceClient(conn)
    assert len(list(client.changed_deals(None))) == 1
    with_login.expire_sessions()
    with_login.add_opportunity("006B", "Beta")
    (page, _), = client.changed_deals(None)  # INVALID_SESSION_ID: logged in again, and the query answered
    assert len(page) == 2 and with_login.logins == 3
    with_login.expire_sessions()
    with pytest.raises(salesforce_client.CrmError, match="expired"):  # only once per sync
        list(client.changed_deals(None))


def test_a_wrong_password_is_one_line_without_the_password(store, with_login, monkeypatch):
    monkeypatch.setenv(ENV.format("PASSWORD"), "wrong-pass")
    report = sync_now(store)
    assert report.error is not None and "INVALID_LOGIN" in report.error and "wrong-pass" not in report.error


def test_request_limit_exceeded_is_retried(store, with_token):
    with_token.add_opportunity("006A", "Acme")
    with_token.fail_next(403, LIMIT, times=ATTEMPTS - 1)
    report = sync_now(store)
    assert (report.error, report.deals) == (None, 1)
    with_token.fail_next(403, LIMIT, times=ATTEMPTS)
    assert sync_now(store).error == "Salesforce answered 403 REQUEST_LIMIT_EXCEEDED"


def test_write_back_patches_the_custom_fields_once(store, with_token, score_result):
    with_token.fields.update(salesforce_client.WRITE_FIELDS.values())
    acme = store.deals.get_or_create(W, "Acme")
    store.calls.save(W, acme.id, score_result([0.5, 0.7]), "cli", "t")
    with_token.add_opportunity("006A", "Acme")
    store.config.update(W, crm_writeback=True)
    assert sync_now(store).written == 1
    opp = with_token.opportunities["006A"]
    assert (opp["SalesRL_Probability__c"], opp["SalesRL_Probability_Range__c"]) == (70, "64-75%")
    assert opp["SalesRL_Open_Gaps__c"] == "budget, decision maker, timeline, next step"
    patches = [r for r in with_token.requests if r.method == "PATCH"]
    assert sync_now(store).written == 0 and [r for r in with_token.requests if r.method == "PATCH"] == patches


def test_write_back_without_the_custom_fields_names_the_missing_one(store, with_token, score_result):
    acme = store.deals.get_or_create(W, "Acme")
    store.calls.save(W, acme.id, score_result([0.5, 0.7]), "cli", "t")
    with_token.add_opportunity("006A", "Acme")
    store.config.update(W, crm_writeback=True)
    report = sync_now(store)
    assert report.error is not None and "INVALID_FIELD" in report.error and "SalesRL_" in report.error


def test_a_failure_mid_sync_keeps_whole_pages(store, with_token):
    with_token.page_size = 2
    for i in range(5):
        with_token.add_opportunity(f"006A{i}", f"Deal {i}")
    more = dict(when=lambda r: r.path.startswith("/services/data/v59.0/query/01g"))  # the query's next pages
    with_token.fail_next(503, [{"message": "down", "errorCode": "SERVER_UNAVAILABLE"}], times=ATTEMPTS, **more)
    assert sync_now(store).error == "Salesforce answered 503 SERVER_UNAVAILABLE"
    assert [store.crm.get(W, "salesforce", f"006A{i}") is not None for i in range(5)] == [True, True, False, False, False]
    report = sync_now(store)  # back: from the cursor (the second opportunity's second) on
    assert (report.error, report.deals) == (None, 4)
    assert store.crm.get(W, "salesforce", "006A4") is not None


def test_each_opportunity_keeps_its_contact_roles_company_domains_from_the_same_query(store, with_token):
    with_token.add_opportunity("006A", "Globex", contacts=["Ben@GLOBEX.com", "cfo@globex.com", "me@outlook.com"])
    with_token.add_opportunity("006B", "No contacts")
    assert sync_now(store).deals == 2
    assert store.crm.get(W, "salesforce", "006A").contact_domains == ("globex.com",)
    assert store.crm.get(W, "salesforce", "006B").contact_domains == ()
    (query,) = [r for r in with_token.requests if r.path.endswith("/query/")]
    assert "(SELECT Id, Contact.Email FROM OpportunityContactRoles)" in query.query["q"]


def test_an_opportunity_with_more_contact_roles_than_a_page_keeps_the_domains_of_every_page(store, with_token):
    with_token.child_page_size = 2  # the sub-query's five contact roles: three pages
    with_token.page_size = 1  # and the opportunities' own pages go on after the contact roles' pages
    with_token.add_opportunity("006A", "Globex", contacts=["a@globex.com", "b@globex.com", "c@gmail.com",
                                                           "d@umbrella.co", "e@stark.io"])
    with_token.add_opportunity("006B", "Initech", contacts=["pat@initech.io"])
    assert sync_now(store).deals == 2
    assert store.crm.get(W, "salesforce", "006A").contact_domains == ("globex.com", "stark.io", "umbrella.co")
    assert store.crm.get(W, "salesforce", "006B").contact_domains == ("initech.io",)
    more = [r.path for r in with_token.requests if r.path.rstrip("/").split("/")[-1].startswith(("0r8", "01g"))]
    assert len(more) == 3  # two pages more of 006A's contact roles, one page more of opportunities


def test_a_stage_change_is_recorded_from_and_to(store, with_token):
    deal = store.deals.get_or_create(W, "Acme")
    with_token.add_opportunity("006A", "Acme", stage="Prospecting")
    sync_now(store)
    with_token.add_opportunity("006A", "Acme", stage="Proposal/Price Quote")
    sync_now(store)
    (change,) = store.crm.stage_changes(W, utcnow() - timedelta(days=400), utcnow() + timedelta(days=400))
    assert (change.deal_id, change.crm, change.from_stage, change.to_stage) == (
        deal.id, "salesforce", "Prospecting", "Proposal/Price Quote")


def test_contact_roles_added_removed_or_with_a_new_email_are_read_again_without_an_opportunity_change(store, with_token):
    with_token.add_opportunity("006A", "Globex", contacts=["ben@globex.com"])
    with_token.add_opportunity("006B", "Initech", contacts=["pat@initech.io", "kim@umbrella.co"])
    with_token.add_opportunity("006C", "Hooli", contacts=["gavin@hooli.xyz"])
    globex = store.deals.get_or_create(W, "Globex")
    # the sync at the fake's time, an hour after these were made: contact changes are read from a while (less
    # than an hour) before the last sync's time
    with_token.clock += timedelta(hours=1)
    assert sync_now(store, with_token.clock).deals == 3
    assert store.crm.get(W, "salesforce", "006B").contact_domains == ("initech.io", "umbrella.co")

    with_token.set_contact_roles("006A", ["ben@globex.com", "pat@initech.io"])  # a role added
    with_token.set_contact_roles("006B", ["pat@initech.io"])  # Kim's role deleted: no query finds it, getDeleted does
    with_token.change_email("ben@globex.com", "ben@globex-holdings.com")
    report = sync_now(store, with_token.clock)
    assert (report.error, report.deals, report.contacts) == (None, 1, 2)  # the last opportunity read again (>=)
    assert "2 deals' contacts changed" in report.summary()
    assert store.crm.get(W, "salesforce", "006A").contact_domains == ("globex-holdings.com", "initech.io")
    assert store.crm.get(W, "salesforce", "006B").contact_domains == ("initech.io",)
    assert store.crm.open_deals_with_contact_domains(W, ["initech.io"]) == {globex.id}
    assert [r for r in with_token.requests if r.path.endswith("/sobjects/OpportunityContactRole/deleted/")]

    before = {d: store.crm.get(W, "salesforce", d) for d in ("006A", "006B", "006C")}
    assert sync_now(store, with_token.clock).contacts == 0  # the same changes read again: nothing rewritten
    assert {d: store.crm.get(W, "salesforce", d) for d in before} == before
