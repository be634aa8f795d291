"""Zoom's signatures as Zoom documents them, and which deal a meeting's topic names."""

from __future__ import annotations

import hashlib
import hmac

from salesrl.bot.store import Store
from salesrl.bot.email_domains import company_domain, company_domains
from salesrl.bot.zoom.matching import Meeting, deal_named_in_topic, deal_of_participants, topic_candidates
from salesrl.bot.zoom.signing import MAX_AGE_S, is_signed, signature, url_validation

SECRET = "s3cr3t"
BODY = b'{"event":"recording.transcript_completed","payload":{}}'


def headers(ts: int, sig: str | None = None) -> dict[str, str]:
    return {"x-zm-request-timestamp": str(ts), "x-zm-signature": sig or signature(SECRET, str(ts), BODY)}


def test_signatures_are_zooms_hmac_of_v0_timestamp_and_body():
    expected = "v0=" + hmac.new(SECRET.encode(), b"v0:1700000000:" + BODY, hashlib.sha256).hexdigest()
    assert signature(SECRET, "1700000000", BODY) == expected
    assert url_validation(SECRET, "abc") == {
        "plainToken": "abc", "encryptedToken": hmac.new(SECRET.encode(), b"abc", hashlib.sha256).hexdigest()}


def test_a_request_is_signed_only_with_the_secret_the_body_and_a_recent_timestamp():
    now = 1_700_000_000
    assert is_signed(SECRET, headers(now), BODY, now=now)
    assert is_signed(SECRET, headers(now - MAX_AGE_S), BODY, now=now)
    assert not is_signed(SECRET, headers(now - MAX_AGE_S - 1), BODY, now=now)  # older than five minutes
    assert not is_signed(SECRET, headers(now), BODY + b" ", now=now)
    assert not is_signed("other", headers(now), BODY, now=now)
    assert not is_signed(SECRET, {"x-zm-signature": signature(SECRET, str(now), BODY)}, BODY, now=now)
    assert not is_signed(SECRET, headers(now, "v0=" + "0" * 64), BODY, now=now)
    assert not is_signed(SECRET, {"x-zm-request-timestamp": "soon", "x-zm-signature": "v0=x"}, BODY, now=now)


def test_the_topic_names_a_deal_before_its_separator_longest_name_first():
    assert topic_candidates("Acme :: weekly") == ["Acme :: weekly", "Acme"]
    assert topic_candidates("Acme  Corp - pricing | v2") == ["Acme Corp - pricing | v2", "Acme Corp - pricing", "Acme Corp"]
    assert topic_candidates("Acme: kickoff") == ["Acme: kickoff", "Acme"]
    assert topic_candidates("Globex/Initech") == ["Globex/Initech"]  # no spaces around it: part of a name
    assert topic_candidates("Weekly sync") == ["Weekly sync"]


def test_only_an_existing_deal_is_found_and_none_is_made(store: Store):
    acme = store.deals.get_or_create("T1", "Acme Corp")
    store.deals.get_or_create("T1", "Acme Corp :: EU")
    found = deal_named_in_topic(store, "T1", Meeting("acme corp :: weekly", None))
    assert found is not None and found.id == acme.id
    assert deal_named_in_topic(store, "T1", Meeting("Acme Corp :: EU :: weekly", None)).name == "Acme Corp :: EU"
    assert deal_named_in_topic(store, "T1", Meeting("Initech :: weekly", None)) is None
    assert deal_named_in_topic(store, "T2", Meeting("Acme Corp", None)) is None  # another workspace's
    assert deal_named_in_topic(store, "T1", Meeting("", None)) is None
    assert len(store.deals.list("T1")) == 2


def test_a_company_is_the_domain_of_an_address_that_is_not_free_mail():
    assert company_domain("Ben.Ortiz@Globex.COM ") == "globex.com"
    assert company_domain("ben@mail.globex.co.uk") == "mail.globex.co.uk"
    for nothing in (None, "", "ben", "ben@", "a@b@globex.com", "ben@localhost", "ben@gmail.com", "x@Outlook.com",
                    "ben@glo bex.com"):
        assert company_domain(nothing) is None, nothing
    assert company_domains(["a@acme.io", "B@ACME.io", "c@gmail.com", "d@beta.io"]) == ("acme.io", "beta.io")


def test_participants_match_only_one_open_linked_deal_of_an_outside_company(store: Store):
    from datetime import datetime, timezone

    from salesrl.bot.crm.matching import match_key
    from salesrl.bot.store.crm import CrmDeal

    def crm_deal(crm_id: str, name: str, *domains: str) -> CrmDeal:
        return CrmDeal("hubspot", crm_id, name, None, None, None, None, None, "open",
                       datetime(2026, 12, 1, tzinfo=timezone.utc), domains)

    globex = store.deals.get_or_create("T1", "Globex")
    store.deals.get_or_create("T1", "Ours")
    store.deals.get_or_create("T1", "Old Initech")
    store.deals.get_or_create("T1", "New Initech")
    store.crm.apply_page("T1", "hubspot", [crm_deal("1", "Globex", "globex.com"), crm_deal("2", "Ours", "ours.io"),
                                           crm_deal("3", "Old Initech", "initech.io"),
                                           crm_deal("4", "New Initech", "initech.io"),
                                           crm_deal("5", "Unlinked", "hooli.com")], match_key, None)
    found = deal_of_participants(store, "T1", "ana@ours.io", ("ana@ours.io", "ben@globex.com", "x@gmail.com"))
    assert found is not None and found.id == globex.id  # the host's own company does not count
    assert deal_of_participants(store, "T1", "ana@ours.io", ("pat@initech.io",)) is None  # two deals: no guess
    store.deals.record_outcome("T1", "Old Initech", False)
    assert deal_of_participants(store, "T1", "ana@ours.io", ("pat@initech.io",)).name == "New Initech"  # open only
    assert deal_of_participants(store, "T1", "ana@ours.io", ("gal@hooli.com", "x@gmail.com")) is None  # unlinked
    assert deal_of_participants(store, "T1", "ana@ours.io", ()) is None
    assert deal_of_participants(store, "T2", None, ("ben@globex.com",)) is None  # another workspace's
