"""Zoom's signatures as Zoom documents them, and which deal a meeting's topic names."""

from __future__ import annotations

import hashlib
import hmac

from salesrl.bot.store import Store
from salesrl.bot.zoom.matching import Meeting, deal_named_in_topic, topic_candidates
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
