"""Redaction: contact and payment details disappear, sales numbers stay."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.redact import redact, redact_turns
from agent.types import Turn


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Mail ana.lopez+sales@acme-corp.co.uk today.", "Mail [email] today."),
        ("Reach me at BEN@Example.IO, thanks", "Reach me at [email], thanks"),
        ("Call +44 20 7946 0958 tomorrow", "Call [phone] tomorrow"),
        ("Call +1 (415) 555-0132.", "Call [phone]."),
        ("Berlin office +49-30-1234567", "Berlin office [phone]"),
        ("Paris: +33 1 23 45 67 89", "Paris: [phone]"),
        ("My cell is (415) 555-0132", "My cell is [phone]"),
        ("Desk 415-555-0132 or 415.555.0132 x204", "Desk [phone] or [phone]"),
        ("Toll free 1-800-555-0199.", "Toll free [phone]."),
        ("Card 4111 1111 1111 1111 exp 12/26", "Card [card] exp 12/26"),
        ("Card 4111-1111-1111-1111", "Card [card]"),
        ("Mastercard 5555555555554444.", "Mastercard [card]."),
        ("Amex 3782 822463 10005", "Amex [card]"),
        ("IBAN DE89 3704 0044 0532 0130 00, BIC COBADEFFXXX", "IBAN [iban], BIC COBADEFFXXX"),
        ("Pay to GB82WEST12345698765432.", "Pay to [iban]."),
        ("NL91 ABNA 0417 1643 00", "[iban]"),
        ("Two accounts: DE89 3704 0044 0532 0130 00 DE89 3704 0044 0532 0130 00", "Two accounts: [iban] [iban]"),
        ("Office +44 20 7946 0958 (415) 555-0132", "Office [phone] [phone]"),
    ],
)
def test_each_kind_is_redacted(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "It's $20,000 a year for 3 seats, or $1,250.00 a month.",
        "We grew 15% last year and want +20% in 2025.",
        "Renewal is on 2024-05-01, the call is at 10:30, invoice dated 12/05/2024.",
        "About 1,200,000 rows across 250 users and 14 branches.",
        "PO 4500012345 covers 3.5 million units; ticket 555-0132.",
        "Card-like but invalid: 1234 5678 9012 3456 and 4111 1111 1111 1112.",
        "Not an IBAN: DE89 3704 0044 0532 0130 01, nor Q3 2024 or GB 2024.",
        "Ranges like 200-300 seats, 2023-2024, or 15-20% off stay.",
        "Emails need a domain: ana@ or @channel or ana@localhost.",
    ],
)
def test_ordinary_sales_talk_is_left_alone(text):
    assert redact(text) == text


def test_redact_turns_changes_only_the_text():
    turns = (Turn("Ana", "rep", "Write to ana@acme.com", start=3.0), Turn("Ben", "prospect", "Budget is $40k"))
    out = redact_turns(turns)
    assert out == (Turn("Ana", "rep", "Write to [email]", start=3.0), Turn("Ben", "prospect", "Budget is $40k"))


@pytest.mark.parametrize("name", ["discovery_call.vtt", "teams_call.vtt", "pricing_call.srt", "gong_export.txt",
                                  "renewal_call.json", "strong_call.txt", "weak_call.txt", "huddle_notes.md"])
def test_example_calls_full_of_prices_dates_and_timestamps_come_through_unchanged(name):
    text = (Path(__file__).resolve().parents[2] / "examples" / name).read_text(encoding="utf-8")
    assert redact(text) == text


def test_redaction_inside_a_pasted_transcript_keeps_the_timestamps():
    text = "[00:01:23] Ana: Send it to ana@acme.com or call +1 415 555 0132 at 10:30."
    assert redact(text) == "[00:01:23] Ana: Send it to [email] or call [phone] at 10:30."
