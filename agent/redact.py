"""Redaction of contact and payment details in transcript text before it is scored or stored.

Replaced: e-mail addresses -> ``[email]``, phone numbers (international ``+CC ...`` and US/NANP formats)
-> ``[phone]``, payment card numbers (13-19 digits, Luhn-valid only) -> ``[card]``, IBANs (registry country
code, length and mod-97 check valid) -> ``[iban]``.

Left alone on purpose, so that sales talk keeps its meaning: prices ("$20,000"), percentages, years,
dates ("2024-05-01"), times ("10:30"), quantities ("3 seats"), digit runs that fail the Luhn or mod-97
check, and national phone formats without a country code other than US ones (too easily confused with
order numbers and quantities).

Every pattern has bounded repetition and is anchored on a cheap first character, so the work is linear
in the length of the text.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Callable, Iterable

from agent.types import Turn

EMAIL = "[email]"
PHONE = "[phone]"
CARD = "[card]"
IBAN = "[iban]"

_EMAIL_RE = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}"
    r"[A-Za-z]{2,24}(?![\w-])"
)

# Card: 13-19 digits, written as one run or in the groupings printed on cards (4-4-4-4, 4-4-4-4-3,
# Amex 4-6-5, Diners 4-6-4), with one kind of separator; not part of a longer number or a decimal.
_CARD_RE = re.compile(
    r"(?<![\d.,/-])(?:\d{13,19}|\d{4}(?P<sep>[ -])\d{4}(?P=sep)\d{4}(?P=sep)\d{4}(?:(?P=sep)\d{3})?"
    r"|\d{4}(?P<sep2>[ -])\d{6}(?P=sep2)\d{4,5})(?!\d)(?![.,/-]\d)"
)

# International phone: "+", country code, then digits with the usual separators; validated afterwards.
_INTL_PHONE_RE = re.compile(r"(?<![^\W\d]|\+)\+[1-9][\d ().-]{6,22}\d(?![\d%])")

# US/NANP phone: optional +1/1, area code and exchange starting 2-9, separators required before the last 4.
_US_PHONE_RE = re.compile(
    r"(?<![\w$€£¥.,/+-])(?:1[ .-]?)?(?:\([2-9]\d{2}\)[ ]?|[2-9]\d{2}[ .-])[2-9]\d{2}[ .-]\d{4}"
    r"(?:[ ]?(?:x|ext\.?)[ ]?\d{1,5})?(?![\w%])(?![.,/-]\d)"
)

# Lengths of IBANs by country (ISO 13616 registry).
_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
    "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
    "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
    "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
    "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29,
    "RO": 24, "RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}

# IBAN: a registry country code, two check digits, then 11-30 capitals/digits, optionally in groups.
_IBAN_RE = re.compile(
    rf"(?<![A-Za-z0-9])(?:{'|'.join(sorted(_IBAN_LENGTHS))})\d{{2}}(?:[ ]?[A-Z0-9]){{11,30}}(?![a-z0-9])"
)


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_valid(iban: str) -> bool:
    """Mod-97 check of a compact, upper-case IBAN (ISO 7064)."""
    rearranged = iban[4:] + iban[:4]
    remainder = 0
    for ch in rearranged:
        remainder = (remainder * (100 if ch.isalpha() else 10) + int(ch, 36)) % 97
    return remainder == 1


def _card_length(text: str) -> int:
    """Length of the card number (the whole match), or 0 when it fails the Luhn check."""
    digits = text.replace(" ", "").replace("-", "")
    return len(text) if luhn_valid(digits) else 0


def _iban_length(text: str) -> int:
    """Length of the IBAN at the start of a match, or 0. The match may run on into the next word
    ("DE89 3704 ... BIC XYZ"), so it is cut at the country's length."""
    length = _IBAN_LENGTHS[text[:2]]
    compact_len = 0
    for end, ch in enumerate(text):
        if ch != " ":
            compact_len += 1
        if compact_len == length:
            if end + 1 < len(text) and text[end + 1] != " ":
                return 0  # longer than an IBAN of that country
            return end + 1 if iban_valid(text[: end + 1].replace(" ", "")) else 0
    return 0


def _intl_phone_length(text: str) -> int:
    """Length of the phone number at the start of a match, or 0: 8-15 digits (E.164), tidy separators.
    The match may run into a following number, so shorter ends after a group are tried, longest first."""
    ends = [len(text)] + [i for i in range(len(text) - 1, 0, -1) if text[i] in " ." and text[i - 1].isdigit()]
    for end in ends:
        number = text[:end]
        digits = sum(ch.isdigit() for ch in number)
        if (8 <= digits <= 15 and "  " not in number and ".." not in number and "--" not in number
                and number.count("(") == number.count(")")):
            return end
    return 0


def _replace(pattern: re.Pattern[str], valid_length: Callable[[str], int], placeholder: str, text: str) -> str:
    """Like pattern.sub, but only the valid start of each match is replaced and the search resumes right
    after it, so a number that ran into the next one is still found."""
    out: list[str] = []
    done = pos = 0
    while (m := pattern.search(text, pos)) is not None:
        n = valid_length(m[0])
        if n:
            out += (text[done:m.start()], placeholder)
            done = pos = m.start() + n
        else:
            pos = m.end()
    if not out:
        return text
    out.append(text[done:])
    return "".join(out)


def redact(text: str) -> str:
    """`text` with e-mail addresses, phone numbers, card numbers and IBANs replaced by placeholders."""
    if "@" in text:
        text = _EMAIL_RE.sub(EMAIL, text)
    text = _replace(_IBAN_RE, _iban_length, IBAN, text)
    text = _replace(_CARD_RE, _card_length, CARD, text)
    if "+" in text:
        text = _replace(_INTL_PHONE_RE, _intl_phone_length, PHONE, text)
    return _US_PHONE_RE.sub(PHONE, text)


def redact_turns(turns: Iterable[Turn]) -> tuple[Turn, ...]:
    """The same turns with their text redacted; speakers, roles and times unchanged."""
    return tuple(dataclasses.replace(t, text=redact(t.text)) for t in turns)
