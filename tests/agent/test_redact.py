"""Redaction: contact and payment details disappear, sales numbers stay."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from salesrl.agent.redact import redact, redact_transcript, redact_turns
from salesrl.agent.transcript import parse_transcript
from salesrl.agent.types import Turn


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


@pytest.mark.parametrize(
    "text, expected",
    [
        # e-mail addresses written to get past a filter
        ("Mail john dot doe at acme dot com today", "Mail [email] today"),
        ("JOHN DOT DOE AT ACME DOT COM", "[email]"),
        ("It's john at acme dot co dot uk", "It's [email]"),
        ("Write to john[at]acme[dot]com please", "Write to [email] please"),
        ("john (at) acme (dot) com", "[email]"),
        ("john{at}acme.com", "[email]"),
        ("john.doe at acme.com", "[email]"),
        ("ping pat @ acme.com", "ping [email]"),
        ("jane＠acme.com", "[email]"),
        ("ｊａｎｅ＠ａｃｍｅ．ｃｏｍ is mine", "[email] is mine"),
        ("jane@exa\u200bmple.com and jane@exa\u200dmple.com", "[email] and [email]"),
        # phone numbers without a country code or separators
        ("Call 4155550141 tomorrow", "Call [phone] tomorrow"),
        ("Call 14155550141.", "Call [phone]."),
        ("London 020 7946 0960, mobile 07700 900123", "London [phone], mobile [phone]"),
        ("Office (020) 7946 0960", "Office [phone]"),
        ("Berlin 030 1234567", "Berlin [phone]"),
        ("Dial 0044 20 7946 0958", "Dial [phone]"),
        ("Call ４１５-５５５-０１３２", "Call [phone]"),
        # cards with dots, IBANs in lower case, details cut by invisible characters
        ("Card 4111.1111.1111.1111 exp 12/26", "Card [card] exp 12/26"),
        ("Card 4111\u200b1111\u200b1111\u200b1111", "Card [card]"),
        ("IBAN de89 3704 0044 0532 0130 00, thanks", "IBAN [iban], thanks"),
        ("Pay to gb82west12345698765432.", "Pay to [iban]."),
    ],
)
def test_details_written_to_get_past_a_filter_are_redacted(text, expected):
    assert redact(text) == expected


NUMBERS_REPS_NEED = [
    "It's $48,000 a year.", "We need 40 seats.", "Kickoff is 2026-03-01.", "We're on v2.3.1 now.",
    "Target is Q3.", "Let's meet at 12:30.", "That's 15% off list.", "We grew +20% and churn fell -3%.",
    "About 1,200,000 rows.", "It's €12.500 or £9,999.99.", "Uptime is 99.95%.", "We want 20-30 seats.",
    "Contract runs 2023-2024.", "Renewal on 12/05/2024 or 01.02.2026.", "Net 30, or 30/60/90 days.",
    "ISO 27001 and SOC 2 Type II.", "ARR is 12000000 and revenue 5000000000.", "Build 20260301 is live.",
    "Zip 94105, suite 400.", "Call at 10:30-11:00 CET.", "1.5x faster on 16GB, 1080p.",
    "It costs $1,250.00/month.", "Version 4.11.1111 ships in FY2026.", "SKU 0123-4567, part 01-2345-6789.",
    "3.5 million units across 250 users.", "Timestamp 2026-03-01T12:30:00Z.", "12.5% off for 36 months.",
    "Account 12345678, sort code 12-34-56.", "Session 1700000000 ended.", "Customer 0012345678, 0000123456.",
    # 10-digit reference numbers are named as such (a bare 10-digit run otherwise is a phone number)
    "PO 4500012345 is approved.", "PO 4155550141 covers it.", "P.O. #4155550141", "Order #4155550141 shipped.",
    "Invoice no. 2125550199 is due.", "Quote 3105550123 expires Friday.", "Ticket: 6505550100 is closed.",
    "Purchase order number 02079460960.",
    # web sites and names
    "Pricing at acme.com/pricing, docs at docs.acme.com.", "We work at Acme dot com.", "Ana Lopez",
]


@pytest.mark.parametrize("text", NUMBERS_REPS_NEED)
def test_numbers_reps_need_are_left_alone(text):
    assert redact(text) == text


def test_redaction_keeps_everything_around_a_detail_exactly():
    text = "Ｈｉ\u202e, mail ｊａｎｅ＠ａｃｍｅ．ｃｏｍ\u200b or 4155550141 ✓"
    assert redact(text) == "Ｈｉ\u202e, mail [email]\u200b or [phone] ✓"


def test_redact_turns_redacts_text_and_speakers_and_keeps_the_rest():
    turns = (Turn("Ana Lopez", "rep", "Write to ana@acme.com", start=3.0),
             Turn("jane.roe@example.com", "prospect", "Budget is $40k"),
             Turn("+1 415 555 0142", "prospect", "Call me", start=9.5, is_note=False),
             Turn("Ben (ben@globex.example)", "prospect", "ok"))
    assert redact_turns(turns) == (
        Turn("Ana Lopez", "rep", "Write to [email]", start=3.0),
        Turn("[email]", "prospect", "Budget is $40k"),
        Turn("[phone]", "prospect", "Call me", start=9.5),
        Turn("Ben ([email])", "prospect", "ok"))


def test_redact_transcript_redacts_how_roles_were_decided():
    transcript = parse_transcript(json.dumps([
        {"speaker": "jane.roe@example.com", "text": "What would help most? How do you report today?"},
        {"speaker": "4155550142", "text": "Spreadsheets."}]))
    assert "jane.roe" in transcript.roles_decided_by
    redacted = redact_transcript(transcript)
    assert [t.speaker for t in redacted.turns] == ["[email]", "[phone]"]
    assert redacted.roles_decided_by == "heuristic: [email] asked the most questions"


def test_a_transcript_stored_redacted_reads_back_into_the_same_turns():
    """Calls are stored as one "Speaker: text" line per redacted turn; redacted speakers are labels too."""
    turns = redact_turns(parse_transcript(json.dumps([
        {"speaker": "jane.roe@example.com", "text": "Hi, call me on 4155550141."},
        {"speaker": "Ana Lopez", "text": "Will do."},
        {"speaker": "Dr jane@acme.com", "text": "Thanks."}])).turns)
    stored = "\n".join(f"{t.speaker}: {t.text}" for t in turns)
    assert [(t.speaker, t.text) for t in parse_transcript(stored).turns] == [(t.speaker, t.text) for t in turns]



@pytest.mark.parametrize("name", ["discovery_call.vtt", "teams_call.vtt", "pricing_call.srt", "gong_export.txt",
                                  "renewal_call.json", "strong_call.txt", "weak_call.txt", "huddle_notes.md"])
def test_example_calls_full_of_prices_dates_and_timestamps_come_through_unchanged(name):
    text = (Path(__file__).resolve().parents[2] / "examples" / name).read_text(encoding="utf-8")
    assert redact(text) == text


def test_redaction_inside_a_pasted_transcript_keeps_the_timestamps():
    text = "[00:01:23] Ana: Send it to ana@acme.com or call +1 415 555 0132 at 10:30."
    assert redact(text) == "[00:01:23] Ana: Send it to [email] or call [phone] at 10:30."
