"""CRM sync with HubSpot, end to end: the real hubspot-api-client against a fake HubSpot on 127.0.0.1
(tests/fakes/hubspot_server.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa
import time_machine
from alembic import command

from salesrl.bot.crm import hubspot as hubspot_client
from salesrl.bot.crm.retrying import ATTEMPTS
from salesrl.bot.crm.sync import CrmSync
from salesrl.bot.digest.content import build_digest
from salesrl.bot.digest.periods import Period
from salesrl.bot.digest.rendering import render_digest
from salesrl.bot.slack.templates import Templates
from salesrl.bot.store import Store
from salesrl.bot.store.engine import make_engine
from salesrl.bot.store.schema import alembic_config, head_revision, upgrade
from salesrl.bot.store.tables import utcnow
from tests.fakes.hubspot_server import FakeHubSpot

W = "T0CRM"
PROPERTIES = list(hubspot_client.WRITE_PROPERTIES.values())


@pytest.fixture
def hubspot(monkeypatch):  # type: ignore[no-untyped-def]
    with FakeHubSpot() as fake:
        monkeypatch.setenv(f"SALESRL_HUBSPOT_TOKEN_{W}", fake.token)
        yield fake


def syncer(store, fake: FakeHubSpot) -> CrmSync:  # type: ignore[no-untyped-def]
    return CrmSync(store, hubspot_api_url=fake.url)


def sync_now(store, fake, now=None):  # type: ignore[no-untyped-def]
    crm_sync = syncer(store, fake)
    (conn,) = crm_sync.connections(W)
    report = crm_sync.sync(conn, now, force=True)
    assert report is not None
    return report


def this_week() -> Period:
    now = utcnow() + timedelta(seconds=1)
    return Period(key="2026-W49", cadence="weekly", start=now - timedelta(days=7), end=now, timezone="UTC")


def unfamiliar(result):  # type: ignore[no-untyped-def]
    """The same call, as one the model has not seen the like of."""
    return replace(result, points=tuple(replace(p, in_distribution=0.02) for p in result.points))


def test_a_closed_won_hubspot_deal_is_an_outcome_in_the_next_digests_calibration(store, hubspot, score_result):
    acme = store.deals.get_or_create(W, "Acme")
    store.calls.save(W, acme.id, score_result([0.5, 0.8]), "cli", "t")
    for name, p in (("Beta", 0.4), ("Delta", 0.5), ("Echo", 0.5)):
        deal = store.deals.get_or_create(W, name)
        store.calls.save(W, deal.id, score_result([0.5, p]), "cli", "t")
    hubspot.add_deal("101", "ACME, Inc.", amount="40000", stage="closedwon", closed="won", close_date="2026-10-30")
    hubspot.add_deal("102", "Beta GmbH", amount="25000.50", stage="contractsent", currency="EUR")
    hubspot.add_deal("103", "Gamma Labs", amount="9000")  # no SalesRL deal of that name
    hubspot.add_deal("104", "Delta", amount="10000", currency="EUR")
    hubspot.add_deal("105", "Echo", amount="99000", currency="USD")

    report = sync_now(store, hubspot)

    assert (report.error, report.deals, report.linked, report.outcomes) == (None, 5, 4, 1)
    won = store.deals.get(W, "Acme")
    assert (won.status, won.outcome_source, won.amount, won.stage) == ("won", "hubspot", Decimal("40000"), "Closed Won")
    assert won.closed_at is not None and won.closed_at.date().isoformat() == "2026-10-30"
    open_deal = store.deals.get(W, "Beta")
    assert (open_deal.status, open_deal.amount, open_deal.currency) == ("open", Decimal("25000.50"), "EUR")
    assert store.deals.get(W, "Gamma Labs") is None  # a CRM deal makes no SalesRL deal by itself

    digest = build_digest(store, W, this_week())
    assert digest.calibration is not None and digest.calibration.deals == 1  # Acme, called at 80%, won
    assert digest.calibration.brier == pytest.approx((0.8 - 1) ** 2)
    # the pipeline in the currency most deals are in; dollars are not added to euros
    assert (digest.pipeline.currency, digest.pipeline.priced_deals, digest.pipeline.other_currency_deals) == ("EUR", 2, 1)
    assert digest.pipeline.weighted_amount == pytest.approx(0.4 * 25000.50 + 0.5 * 10000)
    shown = json.dumps(render_digest(Templates(), digest).blocks, ensure_ascii=False)
    assert "15k of 35k EUR (2 deals with an amount, 1 deal in other currencies left out)" in shown
    risky = json.dumps(render_digest(Templates(), build_digest(store, W, this_week(), at_risk_below=0.45)).blocks,
                       ensure_ascii=False)
    assert "*Beta* 40% · 25k · Contract Sent" in risky  # at risk, with the stage as HubSpot shows it


def test_the_manual_outcome_is_recorded_as_manual_and_an_open_crm_deal_does_not_undo_it(store, hubspot):
    store.deals.get_or_create(W, "Acme")
    assert store.deals.record_outcome(W, "Acme", won=False).deal.outcome_source == "manual"
    hubspot.add_deal("101", "Acme", amount="1000")
    sync_now(store, hubspot)
    deal = store.deals.get(W, "Acme")
    assert (deal.status, deal.outcome_source, deal.amount) == ("lost", "manual", Decimal("1000"))

    hubspot.add_deal("101", "Acme", amount="1000", closed="won")  # the CRM closes it later: that is the news
    sync_now(store, hubspot)
    assert (store.deals.get(W, "Acme").status, store.deals.get(W, "Acme").outcome_source) == ("won", "hubspot")
    hubspot.add_deal("101", "Acme", amount="1000")  # reopened in HubSpot
    sync_now(store, hubspot)
    assert store.deals.get(W, "Acme").status == "open"


def test_a_flagged_deal_the_crm_closes_has_its_flags_cleared_in_the_same_page_and_told(store, hubspot):
    acme = store.deals.get_or_create(W, "Acme")
    globex = store.deals.get_or_create(W, "Globex")
    first = store.flags.add(W, reason="stalled", deal_id=acme.id, flagged_by="U1")
    second = store.flags.add(W, reason="no budget", deal_id=acme.id)
    kept = store.flags.add(W, reason="quiet", deal_id=globex.id)
    hubspot.add_deal("101", "Acme")
    hubspot.add_deal("102", "Globex")
    sync_now(store, hubspot)
    assert len(store.flags.list_open(W)) == 3

    told: list[tuple[str, str, list[int]]] = []
    hubspot.add_deal("101", "Acme", closed="lost")
    hubspot.add_deal("102", "Globex", stage="contractsent")
    crm_sync = CrmSync(store, hubspot_api_url=hubspot.url, flags_cleared=lambda *args: told.append(args))
    (conn,) = crm_sync.connections(W)
    report = crm_sync.sync(conn, force=True)
    assert (report.outcomes, report.flags_cleared, report.flags_untold) == (1, 2, 0)
    assert "2 flags cleared" in report.summary() and "not told" not in report.summary()
    assert [f.id for f in store.flags.list_open(W)] == [kept.id]  # an open deal keeps its flag
    assert store.flags.get(W, first.id).cleared_at is not None and store.flags.get(W, first.id).cleared_by is None
    assert told == [(W, "hubspot", [first.id, second.id])]
    assert crm_sync.sync(conn, force=True).outcomes == 0 and len(told) == 1  # nothing cleared twice

    # a SalesRL deal made (and flagged) after its closed CRM deal was synced is linked by name at the next sync,
    # which closes it: its flag is cleared and told as well
    hubspot.add_deal("103", "Initech", closed="lost")
    crm_sync.sync(conn, force=True)
    initech = store.deals.get_or_create(W, "Initech")
    late = store.flags.add(W, reason="gone quiet", deal_id=initech.id)
    report = crm_sync.sync(conn, force=True)
    assert (report.linked, report.outcomes, report.flags_cleared) == (1, 1, 1)
    assert store.deals.get(W, "Initech").status == "lost" and told[-1] == (W, "hubspot", [late.id])

    # without anyone to tell (`salesrl crm sync` on the command line), the summary says the threads were not told
    hubspot.add_deal("102", "Globex", closed="won")
    quiet = CrmSync(store, hubspot_api_url=hubspot.url).sync(conn, force=True)
    assert (quiet.flags_cleared, quiet.flags_untold) == (1, 1) and "1 flag cleared (1 of their" in quiet.summary()


def test_names_are_matched_only_when_equal_once_normalised_and_a_link_can_be_made_by_hand(store, hubspot):
    for name in ("Acme Labs", "Initech", "Initech Ltd", "Umbrella"):
        store.deals.get_or_create(W, name)
    hubspot.add_deal("201", "Acme", amount="1")  # not "Acme Labs": no guess
    hubspot.add_deal("202", "INITECH, LLC", amount="2")  # two SalesRL deals are "initech": no guess
    hubspot.add_deal("203", "Umbrella Corp.", amount="3")
    assert sync_now(store, hubspot).linked == 1
    assert [store.deals.get(W, n).amount for n in ("Acme Labs", "Initech", "Initech Ltd", "Umbrella")] == [
        None, None, None, Decimal("3")]

    linked = store.crm.link(W, store.deals.get(W, "Acme Labs").id, "hubspot", "201").crm_deal
    assert linked.name == "Acme" and store.deals.get(W, "Acme Labs").amount == Decimal("1")

    # a SalesRL deal made after its CRM deal was synced is linked at the next sync
    store.deals.get_or_create(W, "Hooli")
    hubspot.add_deal("204", "Hooli Inc", amount="4")
    sync_now(store, hubspot)
    store.deals.get_or_create(W, "Soylent")
    hubspot.add_deal("205", "Soylent", amount="5")
    store.deals.forget(W, "Soylent")
    sync_now(store, hubspot)
    store.deals.get_or_create(W, "Soylent")
    assert sync_now(store, hubspot).linked == 1
    assert store.deals.get(W, "Soylent").amount == Decimal("5") and store.deals.get(W, "Hooli").amount == Decimal("4")


def updates_sent(fake: FakeHubSpot) -> list[dict]:
    return [i for r in fake.requests if r.path.endswith("/batch/update") for i in r.json["inputs"]]


# at midday: a run that crosses midnight would give the later call another date, a value that did change
@time_machine.travel(datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc), tick=True)
def test_write_back_writes_familiar_confident_values_once(store, hubspot, score_result):
    for name in PROPERTIES:
        hubspot.create_property(name)
    acme = store.deals.get_or_create(W, "Acme")
    store.calls.save(W, acme.id, score_result([0.5, 0.62], texts=["Hi, who signs off on this?",
                                                                  "The budget is approved, I sign."]), "cli", "t")
    odd = store.deals.get_or_create(W, "Odd")
    store.calls.save(W, odd.id, unfamiliar(score_result([0.5, 0.9])), "cli", "t")
    hubspot.add_deal("101", "Acme", amount="10")
    hubspot.add_deal("102", "Odd", amount="20")
    sync_now(store, hubspot)
    assert updates_sent(hubspot) == []  # write-back is off until the team turns it on

    store.config.update(W, crm_writeback=True)
    report = sync_now(store, hubspot)
    assert report.written == 2
    sent = {u["id"]: u["properties"] for u in updates_sent(hubspot)}
    today = utcnow().date().isoformat()
    assert sent["101"]["salesrl_probability"] == "62" and sent["101"]["salesrl_probability_range"] == "56-67%"
    assert sent["101"]["salesrl_last_call_date"] == today and "timeline" in sent["101"]["salesrl_open_gaps"]
    # the model is out of its depth on Odd's call: no probability rather than a wrong one
    assert sent["102"]["salesrl_probability"] == "" and sent["102"]["salesrl_probability_range"] == ""
    assert hubspot.deals["102"]["salesrl_last_call_date"] == today

    before = len(hubspot.requests)
    assert sync_now(store, hubspot).written == 0  # nothing changed: nothing written
    assert updates_sent(hubspot) and len(updates_sent(hubspot)) == 2 and len(hubspot.requests) > before

    with time_machine.travel(utcnow() + timedelta(minutes=5), tick=False):
        store.calls.save(W, acme.id, score_result([0.6, 0.62], texts=["Hi, who signs off on this?",
                                                                      "The budget is approved, I sign."]), "cli", "t")
        assert sync_now(store, hubspot).written == 0  # a new call that changes no value writes nothing


def test_write_back_without_the_custom_properties_says_which_to_create(store, hubspot, score_result):
    acme = store.deals.get_or_create(W, "Acme")
    store.calls.save(W, acme.id, score_result([0.5, 0.6]), "cli", "t")
    store.config.update(W, crm_writeback=True)
    hubspot.add_deal("101", "Acme")
    report = sync_now(store, hubspot)
    assert report.error is not None and "salesrl_probability" in report.error and "create them" in report.error
    assert store.deals.get(W, "Acme").stage == "Appointment Scheduled"  # the pages read before stay applied


def test_a_429_is_waited_out_and_the_sync_goes_on(store, hubspot):
    hubspot.add_deal("101", "Acme", amount="10")
    hubspot.fail_next(429, {"status": "error", "message": "You have reached your secondly limit.",
                            "category": "RATE_LIMITS"}, headers={"Retry-After": "0"}, times=2)
    report = sync_now(store, hubspot)
    assert (report.error, report.deals) == (None, 1)
    assert [r.path for r in hubspot.requests].count("/crm/v3/objects/deals/search") == 3


def test_a_failure_mid_sync_keeps_whole_pages_and_is_reported_once(store, hubspot, caplog):
    for i in range(250):
        hubspot.add_deal(str(1000 + i), f"Deal {i}")
    # HubSpot goes down as the third page is asked for, and stays down for the run after
    down = dict(when=lambda r: r.path.endswith("/search") and (r.json.get("after") == "200" or r.json["filterGroups"]))
    hubspot.fail_next(503, {"status": "error", "message": "down"}, headers={"Retry-After": "0"}, times=2 * ATTEMPTS,
                      **down)
    with caplog.at_level(logging.WARNING, logger="salesrl.bot.crm.sync"):
        first, second = sync_now(store, hubspot), sync_now(store, hubspot)
    assert first.error == second.error == "HubSpot answered 503"
    assert (first.deals, second.deals) == (200, 0)  # the first run applied one page of 200 before HubSpot went down
    assert len([r for r in caplog.records if "failed" in r.getMessage()]) == 1  # once, not at every run
    assert store.crm.get(W, "hubspot", "1199") is not None and store.crm.get(W, "hubspot", "1200") is None
    assert store.crm.cursor(W, "hubspot").isoformat().startswith("2026-11-01T00:00:00.2")

    searches = len([r for r in hubspot.requests if r.path.endswith("/search")])
    report = sync_now(store, hubspot)  # up again: the next run goes on from the cursor
    assert (report.error, report.deals) == (None, 51)  # the last page read again (>=) and the rest
    assert store.crm.get(W, "hubspot", "1249") is not None
    assert len([r for r in hubspot.requests if r.path.endswith("/search")]) - searches == 1


def test_one_process_syncs_a_workspace_once_per_interval(store, hubspot):
    hubspot.add_deal("101", "Acme")
    one, two = syncer(store, hubspot), syncer(store, hubspot)
    now = utcnow()
    (conn,) = one.connections(W)
    assert store.crm.claim(W, "hubspot", two.owner, now=now) is not None  # process two is syncing right now
    assert one.run_due(now) == []
    store.crm.finish(W, "hubspot", two.owner, next_run_at=now + one.every, error=None)
    assert one.run_due(now + timedelta(minutes=1)) == []  # synced a minute ago: not due
    (report,) = one.run_due(now + one.every)
    assert report.deals == 1 and two.run_due(now + one.every) == []


def test_the_sync_reads_only_what_changed(store, hubspot):
    for i in range(30):
        hubspot.add_deal(str(i + 1), f"Deal {i}")
    assert sync_now(store, hubspot).deals == 30
    assert sync_now(store, hubspot).deals == 1  # the last change read again (>=), nothing else
    hubspot.add_deal("7", "Deal 6", amount="700")
    assert sync_now(store, hubspot).deals == 2
    assert store.crm.get(W, "hubspot", "7").amount == Decimal("700")


def test_a_bad_token_is_one_line_naming_the_variable(store, hubspot, monkeypatch):
    monkeypatch.setenv(f"SALESRL_HUBSPOT_TOKEN_{W}", "pat-wrong")
    report = sync_now(store, hubspot)
    assert report.error is not None and f"SALESRL_HUBSPOT_TOKEN_{W}" in report.error and "pat-wrong" not in report.error


def test_each_deal_keeps_its_contacts_company_domains_and_not_their_addresses(store, hubspot):
    hubspot.add_contact("501", "Ben.Ortiz@Globex.com")
    hubspot.add_contact("502", "ceo@globex.com")
    hubspot.add_contact("503", "someone@gmail.com")  # free mail says nothing about the company
    hubspot.add_contact("504", "pat@initech.io")
    hubspot.add_deal("101", "Globex", contacts=["501", "502", "503"])
    hubspot.add_deal("102", "Initech", contacts=["504"])
    hubspot.add_deal("103", "Nobody yet")
    acme = store.deals.get_or_create(W, "Globex")
    store.deals.get_or_create(W, "Initech")
    assert sync_now(store, hubspot).deals == 3
    assert store.crm.get(W, "hubspot", "101").contact_domains == ("globex.com",)
    assert store.crm.get(W, "hubspot", "102").contact_domains == ("initech.io",)
    assert store.crm.get(W, "hubspot", "103").contact_domains == ()
    assert store.crm.open_deals_with_contact_domains(W, ["globex.com", "example.org"]) == {acme.id}
    with store.database.reading() as s:  # no address is kept anywhere
        dumped = json.dumps([list(map(str, r)) for r in s.execute(sa.text("SELECT * FROM crm_deals"))])
    assert "ben.ortiz" not in dumped.lower() and "ceo@" not in dumped and "gmail" not in dumped
    searches = [r for r in hubspot.requests if "contacts" in r.path]
    assert len(searches) == 2  # one association read and one contact read for the page


def test_a_deal_with_more_contacts_than_a_page_keeps_the_domains_of_every_page(store, hubspot):
    hubspot.association_page = 2  # five contacts: three pages of the association read for deal 101
    for i, email in enumerate(["a@globex.com", "b@globex.com", "c@gmail.com", "d@umbrella.co", "e@stark.io"]):
        hubspot.add_contact(str(601 + i), email)
    hubspot.add_contact("700", "pat@initech.io")
    hubspot.add_deal("101", "Globex", contacts=["601", "602", "603", "604", "605"])
    hubspot.add_deal("102", "Initech", contacts=["700"])
    assert sync_now(store, hubspot).deals == 2
    assert store.crm.get(W, "hubspot", "101").contact_domains == ("globex.com", "stark.io", "umbrella.co")
    assert store.crm.get(W, "hubspot", "102").contact_domains == ("initech.io",)
    reads = [r.json for r in hubspot.requests if r.path.startswith("/crm/v4/associations")]
    assert [[i.get("after") is not None for i in r["inputs"]] for r in reads] == [[False, False], [True], [True]]


def test_contacts_added_to_a_deal_removed_from_it_or_with_a_new_email_are_read_again_at_the_next_sync(store, hubspot):
    hubspot.add_contact("501", "ben@globex.com")
    hubspot.add_contact("502", "pat@initech.io")
    hubspot.add_contact("503", "kim@umbrella.co")
    hubspot.add_deal("101", "Globex", contacts=["501"])
    hubspot.add_deal("102", "Initech", contacts=["502"])
    hubspot.add_deal("103", "Umbrella", contacts=["503"])
    hubspot.add_deal("104", "Hooli")
    globex = store.deals.get_or_create(W, "Globex")
    # the sync at the fake's time, an hour after these were made: contact changes are read from a while (less
    # than an hour) before the last sync's time
    hubspot.clock += timedelta(hours=1)
    assert sync_now(store, hubspot, hubspot.clock).deals == 4

    hubspot.set_deal_contacts("101", ["501", "502"])  # Pat joins Globex's deal: no deal is modified
    hubspot.set_deal_contacts("102", [])  # and leaves Initech's: only the stored contact ids know it was there
    hubspot.add_contact("503", "kim@umbrella-group.com")  # a new e-mail
    report = sync_now(store, hubspot, hubspot.clock)
    assert (report.error, report.deals, report.contacts) == (None, 1, 3)  # the last deal read again (>=)
    assert store.crm.get(W, "hubspot", "101").contact_domains == ("globex.com", "initech.io")
    assert store.crm.get(W, "hubspot", "102").contact_domains == ()
    assert store.crm.get(W, "hubspot", "103").contact_domains == ("umbrella-group.com",)
    assert store.crm.open_deals_with_contact_domains(W, ["initech.io"]) == {globex.id}
    searched = [r.json for r in hubspot.requests if r.path == "/crm/v3/objects/contacts/search"]
    assert len(searched) == 1 and searched[0]["filterGroups"][0]["filters"][0]["propertyName"] == "lastmodifieddate"

    before = {d: store.crm.get(W, "hubspot", d) for d in ("101", "102", "103", "104")}
    assert sync_now(store, hubspot, hubspot.clock).contacts == 0  # the same changes read again: nothing rewritten
    assert {d: store.crm.get(W, "hubspot", d) for d in before} == before


def test_stage_changes_are_recorded_as_the_sync_sees_them(store, hubspot):
    acme = store.deals.get_or_create(W, "Acme")
    hubspot.add_deal("101", "Acme", stage="appointmentscheduled")
    hubspot.add_deal("102", "Unlinked", stage="appointmentscheduled")
    start = utcnow() - timedelta(days=400)
    sync_now(store, hubspot)  # first sight: no change to show
    assert store.crm.stage_changes(W, start, utcnow() + timedelta(days=400)) == []
    hubspot.add_deal("101", "Acme", stage="qualifiedtobuy")
    hubspot.add_deal("102", "Unlinked", stage="closedlost", closed="lost")  # not linked: not shown
    sync_now(store, hubspot)
    hubspot.add_deal("101", "Acme", amount="5", stage="qualifiedtobuy")  # no stage change
    sync_now(store, hubspot)
    sync_now(store, hubspot)  # the last change read again: not a change
    (change,) = store.crm.stage_changes(W, start, utcnow() + timedelta(days=400))
    assert (change.deal_id, change.from_stage, change.to_stage) == (acme.id, "Appointment Scheduled", "Qualified To Buy")
    assert change.changed_at == store.crm.get(W, "hubspot", "101").modified_at - timedelta(milliseconds=2)


def test_stages_are_shown_by_their_hubspot_labels_read_once_per_sync(store, hubspot, monkeypatch):
    hubspot.add_stage("1093452", "Security review")  # a portal's own stage: a numeric id
    for name in ("Acme", "Globex", "Initech"):
        store.deals.get_or_create(W, name)
    hubspot.add_deal("101", "Acme", stage="qualifiedtobuy")
    hubspot.add_deal("102", "Globex", stage="qualifiedtobuy")
    hubspot.add_deal("103", "Initech", stage="qualifiedtobuy")
    sync_now(store, hubspot)
    hubspot.add_deal("101", "Acme", stage="1093452")
    hubspot.add_deal("102", "Globex", stage="4242")  # no pipeline has it (say, deleted): shown as the id
    hubspot.add_deal("103", "Initech", stage="contractsent")
    before = len(hubspot.requests)
    monkeypatch.setattr(hubspot_client, "PAGE", 1)  # three pages of one deal each: the labels are read once
    assert sync_now(store, hubspot).deals == 3
    assert len([r for r in hubspot.requests[before:] if r.path == "/crm/v3/pipelines/deals"]) == 1
    assert [store.deals.get(W, n).stage for n in ("Acme", "Globex", "Initech")] == [
        "Security review", "4242", "Contract Sent"]
    week = Period(key="2026-W45", cadence="weekly", start=hubspot.clock - timedelta(days=7),  # the fake's clock
                  end=hubspot.clock + timedelta(seconds=1), timezone="UTC")
    shown = json.dumps(render_digest(Templates(), build_digest(store, W, week)).blocks, ensure_ascii=False)
    assert "*Stage changes this week*" in shown
    assert "*Acme*: Qualified To Buy → Security review" in shown and "*Initech*: Qualified To Buy → Contract Sent" in shown
    assert "qualifiedtobuy" not in shown and "1093452" not in shown


def test_a_stage_renamed_in_hubspot_is_no_stage_change_and_shows_by_its_new_label(store, hubspot):
    store.deals.get_or_create(W, "Acme")
    hubspot.add_deal("101", "Acme", stage="contractsent")
    sync_now(store, hubspot)
    hubspot.stages["default"]["contractsent"] = "Contract out"  # renamed: no deal is modified by it
    hubspot.add_deal("101", "Acme", amount="5", stage="contractsent")  # but a change of another field reads it
    sync_now(store, hubspot)
    ever = (utcnow() - timedelta(days=400), utcnow() + timedelta(days=400))
    assert store.crm.stage_changes(W, *ever) == []
    assert store.deals.get(W, "Acme").stage == "Contract out"
    hubspot.add_deal("101", "Acme", amount="5", stage="closedwon", closed="won")
    sync_now(store, hubspot)
    (change,) = store.crm.stage_changes(W, *ever)
    assert (change.from_stage, change.to_stage) == ("Contract out", "Closed Won")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database_url(request, tmp_path):  # type: ignore[no-untyped-def]
    """A database nothing has migrated yet: a new SQLite file, or an empty PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'salesrl.db'}"
    return request.getfixturevalue("postgres_schema_factory")()


def test_deals_synced_before_stage_ids_were_kept_record_no_change_at_their_next_sync(empty_database_url, hubspot):
    # SalesRL at revision 0009, with two deals synced then: one before stage labels came in (its stage is HubSpot's
    # id), one after (its label)
    engine = make_engine(empty_database_url)
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0009")
        old = datetime(2026, 10, 1, tzinfo=timezone.utc)
        conn.execute(sa.text("INSERT INTO workspaces (id, created_at) VALUES (:w, :t)"), {"w": W, "t": old})
        conn.execute(sa.text("INSERT INTO crm_deals (workspace_id, crm, crm_id, name, match_key, stage, status, "
                             "modified_at) VALUES (:w, 'hubspot', :id, :name, :key, :stage, 'open', :t)"),
                     [{"w": W, "id": "101", "name": "Acme", "key": "acme", "stage": "contractsent", "t": old},
                      {"w": W, "id": "102", "name": "Globex", "key": "globex", "stage": "Contract Sent", "t": old}])
        conn.execute(sa.text("INSERT INTO crm_syncs (workspace_id, crm, modified_since) VALUES (:w, 'hubspot', :t)"),
                     {"w": W, "t": old})
    assert upgrade(engine) == ("0009", head_revision())
    engine.dispose()

    with Store.open(empty_database_url) as store:
        store.deals.get_or_create(W, "Acme")
        hubspot.add_deal("101", "Acme", amount="5", stage="contractsent")  # changed since, not its stage
        hubspot.add_deal("102", "Globex", amount="7", stage="contractsent")
        assert sync_now(store, hubspot).deals == 2
        ever = (utcnow() - timedelta(days=400), utcnow() + timedelta(days=400))
        assert store.crm.stage_changes(W, *ever) == []  # not "contractsent → Contract Sent"
        assert [store.crm.get(W, "hubspot", i).stage_id for i in ("101", "102")] == ["contractsent", "contractsent"]
        assert store.deals.get(W, "Acme").stage == "Contract Sent"

        hubspot.add_deal("101", "Acme", amount="5", stage="closedwon", closed="won")
        sync_now(store, hubspot)
        (change,) = store.crm.stage_changes(W, *ever)
        assert (change.from_stage, change.to_stage) == ("Contract Sent", "Closed Won")


def test_a_linked_deal_the_crm_closes_with_a_new_amount_is_written_once(store, hubspot):
    store.deals.get_or_create(W, "Acme")
    hubspot.add_deal("101", "Acme", amount="10")
    sync_now(store, hubspot)
    hubspot.add_deal("101", "Acme", amount="20", stage="closedwon", closed="won")
    updates: list[str] = []

    def seen(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("UPDATE DEALS "):
            updates.append(statement)

    sa.event.listen(store.database.engine, "before_cursor_execute", seen)
    try:
        assert sync_now(store, hubspot).outcomes == 1
    finally:
        sa.event.remove(store.database.engine, "before_cursor_execute", seen)
    assert len(updates) == 1  # its amount, stage and outcome in one UPDATE
    deal = store.deals.get(W, "Acme")
    assert (deal.status, deal.outcome_source, deal.amount, deal.stage) == ("won", "hubspot", Decimal("20"), "Closed Won")


def test_deals_stored_before_contact_ids_were_kept_learn_them_at_the_first_sync_that_reads_contact_changes(store,
                                                                                                            hubspot):
    hubspot.add_contact("501", "ben@globex.com")
    hubspot.add_contact("502", "pat@initech.io")
    hubspot.add_deal("101", "Globex", contacts=["501", "502"])
    hubspot.add_deal("102", "Hooli")
    hubspot.clock += timedelta(hours=1)
    sync_now(store, hubspot, hubspot.clock)
    assert store.crm.deals_without_contact_ids(W, "hubspot") == []  # a deal without contacts is not read again
    with store.database.writing() as s:  # as a database upgraded by migration 0010 holds them
        s.execute(sa.text("UPDATE crm_deals SET contact_ids = NULL"))
        s.execute(sa.text("UPDATE crm_syncs SET contacts_since = NULL"))
    assert store.crm.deals_without_contact_ids(W, "hubspot") == ["101", "102"]

    hubspot.set_deal_contacts("101", ["501"])  # Pat left before the upgrade's first sync
    assert sync_now(store, hubspot, hubspot.clock).contacts == 1
    assert store.crm.get(W, "hubspot", "101").contact_ids == ("501",)
    assert store.crm.get(W, "hubspot", "101").contact_domains == ("globex.com",)
    assert store.crm.deals_without_contact_ids(W, "hubspot") == []

    hubspot.set_deal_contacts("101", [])  # and now Ben leaves: found through the ids the backfill stored
    assert sync_now(store, hubspot, hubspot.clock).contacts == 1
    assert store.crm.get(W, "hubspot", "101").contact_domains == ()
