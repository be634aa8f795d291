"""Redaction of contact and payment details in transcripts before they are scored, stored or sent anywhere.

Replaced, in the text and in the speaker names (redact_turns, redact_transcript):

- e-mail addresses -> ``[email]``, also when written to dodge a filter: ``pat @ acme.com``,
  ``john[at]acme[dot]com``, ``john (at) acme (dot) com``, ``john dot doe at acme dot com``. A spelled-out
  " at " counts only with a dot spelled out or in the name before it ("docs at acme.com" is a web site),
  and not after ordinary words ("we work at acme dot com" is about a company);
- phone numbers -> ``[phone]``: international (``+44 20 ...``, ``0044 20 ...`` in groups), US/NANP formatted
  (``(415) 555-0132``, ``415.555.0132``) or as a bare run of 10 digits (``4155550132``, also ``14155550132``),
  and national numbers with a trunk 0 and 10-11 digits (UK ``020 7946 0960``, ``07700 900123``,
  German ``030 1234567``);
- payment card numbers (13-19 digits in one run, or in the groups printed on cards separated by spaces,
  dashes or dots; Luhn-valid only) -> ``[card]``;
- IBANs (registry country code, length and mod-97 check valid; upper or lower case) -> ``[iban]``.

The patterns read the text with full-width forms as ASCII (``ｊａｎｅ＠ａｃｍｅ．ｃｏｍ``) and with
invisible characters left out (zero-width spaces and joiners, bidi controls, soft hyphens), so neither
hides a detail; everything that is not replaced comes back exactly as it was.

Left alone on purpose, so that sales talk keeps its meaning: prices ("$20,000"), percentages, years,
dates ("2024-05-01"), times ("10:30"), quantities ("3 seats"), versions ("v2.3.1"), digit runs that fail
the Luhn or mod-97 check or the NANP rules (area code and exchange start with 2-9), and reference numbers:
a bare run of 10 digits, or a number with a trunk 0, right after "PO", "order", "invoice", "quote", "ticket",
"case", "ref" or "contract" stays. ERP systems number purchase orders, orders and invoices with 10 digits
(SAP: 4500012345) and people name them when they say them, while nobody says "PO" before their phone
number; a number formatted the US way ("order 415-555-0132") is still a phone number.

Every pattern has bounded repetition and starts on a cheap first character, so the work is linear in the
length of the text.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Callable, Iterable

from salesrl.agent.types import Transcript, Turn

EMAIL = "[email]"
PHONE = "[phone]"
CARD = "[card]"
IBAN = "[iban]"
PLACEHOLDERS = (EMAIL, PHONE, CARD, IBAN)

# --- what the patterns read -----------------------------------------------------------------------------

# Full-width forms (U+FF01-U+FF5E) read as their ASCII letters, digits and signs, the ideographic space as a
# space, the small commercial at as "@": one character for one, so positions are those of the text.
_FOLD = {**{0xFF01 + i: 0x21 + i for i in range(94)}, 0x3000: 0x20, 0xFE6B: 0x40}
# Format characters nobody sees: soft hyphen, Arabic letter mark, Mongolian vowel separator, zero-width
# space, non-joiner and joiner, left-to-right and right-to-left marks, bidi embeddings, overrides and
# isolates, word joiner and invisible operators, variation selectors, byte-order mark, tag characters.
_HIDDEN = "\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufe00-\ufe0f\ufeff\U000e0000-\U000e007f"
_HIDDEN_RE = re.compile(f"[{_HIDDEN}]")
_SHOWN_RE = re.compile(f"[^{_HIDDEN}]+")
# A detail found is masked with this in what later patterns read: same length, and no pattern matches or
# continues into it (it is neither a word character nor a separator of any pattern).
_MASK = "\x00"


def _view(text: str) -> tuple[str, list[int] | None]:
    """The text as the patterns read it, and where each of its characters is in `text` when invisible
    characters were left out (None: at the same position)."""
    if text.isascii():
        return text, None
    folded = text.translate(_FOLD)
    if not _HIDDEN_RE.search(folded):
        return folded, None
    where: list[int] = []
    parts: list[str] = []
    for m in _SHOWN_RE.finditer(folded):
        where.extend(range(m.start(), m.end()))
        parts.append(m[0])
    return "".join(parts), where


# --- e-mail addresses -----------------------------------------------------------------------------------

_DOT = r"(?:\.|[ ]?[\[({<][ ]?(?i:dot)[ ]?[\])}>][ ]?|[ ]+(?i:dot)[ ]+)"
_LOCAL = rf"[A-Za-z0-9][A-Za-z0-9_%+-]{{0,63}}(?:{_DOT}[A-Za-z0-9][A-Za-z0-9_%+-]{{0,63}}){{0,8}}"
_AT = r"(?:[ ]{0,2}@[ ]{0,2}|[ ]?[\[({<][ ]?(?i:at)[ ]?[\])}>][ ]?|(?P<word_at>[ ]+(?i:at)[ ]+))"
_DOMAIN = rf"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?{_DOT}){{1,8}}[A-Za-z]{{2,24}}"
_EMAIL_RE = re.compile(rf"(?<![\w.+-])(?P<local>{_LOCAL}){_AT}{_DOMAIN}(?![\w-])")
_EMAIL_HINT_RE = re.compile(r"@|(?i:dot| at )|[\[({<][ ]?(?i:at)[ ]?[\])}>]")  # no address without one of these
_WRITTEN_DOT_RE = re.compile(r"(?i)[ \[({<]dot[ \])}>]")
# Words before a spelled-out " at " that make it English ("we work at acme dot com"), not an address.
_NOT_LOCAL_PARTS = frozenset("""
    i me you he him she her it we us they them who is are am was were be been being work works worked
    working based look looking meet meeting see find found go visit visiting here there this that one
    up out available arrive staying stay live lives office site website page online
""".split())


def _email_end(view: str, m: re.Match[str]) -> int:
    if m["word_at"] is None:  # "@" or a bracketed "[at]": an address
        return m.end()
    local = m["local"]
    dotted = "." in local or _WRITTEN_DOT_RE.search(m[0]) is not None
    return m.end() if dotted and local.casefold() not in _NOT_LOCAL_PARTS else 0


# --- IBANs ----------------------------------------------------------------------------------------------

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

# IBAN: two letters, two check digits, then 11-30 letters/digits, optionally in groups; the country and
# the length are checked afterwards.
_IBAN_RE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[ ]?[A-Za-z0-9]){11,30}(?![A-Za-z0-9])")


def iban_valid(iban: str) -> bool:
    """Mod-97 check of a compact IBAN (ISO 7064)."""
    rearranged = iban[4:] + iban[:4]
    remainder = 0
    for ch in rearranged:
        remainder = (remainder * (100 if ch.isalpha() else 10) + int(ch, 36)) % 97
    return remainder == 1


def _iban_end(view: str, m: re.Match[str]) -> int:
    """The end of the IBAN at the start of the match, or 0. The match may run on into the next words
    ("DE89 3704 ... BIC XYZ"), so it is cut at the country's length."""
    text = m[0]
    length = _IBAN_LENGTHS.get(text[:2].upper())
    if length is None:
        return 0
    compact_len = 0
    for end, ch in enumerate(text):
        if ch != " ":
            compact_len += 1
        if compact_len == length:
            if end + 1 < len(text) and text[end + 1] != " ":
                return 0  # longer than an IBAN of that country
            return m.start() + end + 1 if iban_valid(text[: end + 1].replace(" ", "")) else 0
    return 0


# --- payment cards --------------------------------------------------------------------------------------

# Card: 13-19 digits, written as one run or in the groupings printed on cards (4-4-4-4, 4-4-4-4-3,
# Amex 4-6-5, Diners 4-6-4), with one kind of separator; not part of a longer number or a decimal.
_CARD_RE = re.compile(
    r"(?<![\d.,/-])(?:\d{13,19}|\d{4}(?P<sep>[ .-])\d{4}(?P=sep)\d{4}(?P=sep)\d{4}(?:(?P=sep)\d{3})?"
    r"|\d{4}(?P<sep2>[ .-])\d{6}(?P=sep2)\d{4,5})(?!\d)(?![.,/-]\d)"
)


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card_end(view: str, m: re.Match[str]) -> int:
    digits = m[0].replace(" ", "").replace("-", "").replace(".", "")
    return m.end() if digits.isascii() and luhn_valid(digits) else 0


# --- phone numbers --------------------------------------------------------------------------------------

# International: "+" or "00", a country code, then digits with the usual separators; validated afterwards.
# "00" not after other groups of digits (an account number, an IBAN failing its check).
_INTL_PHONE_RE = re.compile(r"(?:(?<![^\W\d]|\+)\+|(?<![\w.,+-])(?<!\d[ .-])00)[1-9][\d ().-]{6,22}\d(?![\d%])")

# US/NANP formatted: optional +1/1, area code and exchange starting 2-9, separators before the last 4.
_US_PHONE_RE = re.compile(
    r"(?<![\w$€£¥.,/+-])(?:1[ .-]?)?(?:\([2-9]\d{2}\)[ ]?|[2-9]\d{2}[ .-])[2-9]\d{2}[ .-]\d{4}"
    r"(?:[ ]?(?:x|ext\.?)[ ]?\d{1,5})?(?![\w%])(?![.,/-]\d)"
)

# US/NANP as one run of 10 digits (11 with the leading 1), area code and exchange starting 2-9.
_BARE_PHONE_RE = re.compile(r"(?<![\w$€£¥.,/+#-])1?[2-9]\d{2}[2-9]\d{6}(?![\w%])(?![.,/-]\d)")
# A bare or national run right after these words is a reference number (see the module's docstring).
_REFERENCE_BEFORE_RE = re.compile(
    r"(?i)\b(?:p\.?o|purchase order|order|invoice|inv|quote|ticket|case|ref|reference|contract)\.?"
    r"[ ]?(?:#|no\.?|nr\.?|number|num\.?|id)?[ ]?[:#]?[ ]?$"
)

# National, with a trunk 0 (UK, most of Europe, ...): 10 or 11 digits in groups of 2-8 separated by spaces,
# or in one run, area code in parentheses or not; the digits are counted afterwards. Not the tail of other
# groups of digits (an account number, an IBAN failing its check); hyphens are left to part numbers
# ("01-2345-6789").
_NATIONAL_PHONE_RE = re.compile(
    r"(?<![\w$€£¥.,/+#(-])(?<!\d[ -])(?:\(0[1-9]\d{0,4}\)[ ]?|0[1-9]\d{0,4}[ ]?)\d{2,8}(?:[ ]\d{2,8}){0,3}"
    r"(?![\w%])(?![.,/-]\d)"
)


def _phone_end(m: re.Match[str], fewest: int, most: int, skip: int = 0) -> int:
    """The end of the phone number at the start of the match, or 0: `fewest` to `most` digits (not
    counting the first `skip` characters, an international "00"), tidy separators. The match may run into
    a following number, so shorter ends after a group are tried too, longest first."""
    text = m[0]
    ends = [len(text)] + [i for i in range(len(text) - 1, 0, -1) if text[i] in " .-" and text[i - 1].isdigit()]
    for end in ends:
        number = text[:end]
        digits = sum(ch.isdigit() for ch in number[skip:])
        if (fewest <= digits <= most and "  " not in number and ".." not in number and "--" not in number
                and number.count("(") == number.count(")")):
            return m.start() + end
    return 0


def _is_reference(view: str, m: re.Match[str]) -> bool:
    return _REFERENCE_BEFORE_RE.search(view, max(0, m.start() - 40), m.start()) is not None


def _intl_phone_end(view: str, m: re.Match[str]) -> int:
    if m[0].startswith("+"):
        return _phone_end(m, 8, 15)  # E.164: at most 15 digits
    # "0044 20 7946 0958": written in groups; one run of digits from "00" is an ID padded with zeros
    if not any(ch in " .-(" for ch in m[0]) or _is_reference(view, m):
        return 0
    return _phone_end(m, 8, 15, skip=2)


def _national_phone_end(view: str, m: re.Match[str]) -> int:
    return 0 if _is_reference(view, m) else _phone_end(m, 10, 11)


def _bare_phone_end(view: str, m: re.Match[str]) -> int:
    return 0 if _is_reference(view, m) else m.end()


def _whole_match(view: str, m: re.Match[str]) -> int:
    return m.end()


# --- redaction ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Kind:
    pattern: re.Pattern[str]
    end: Callable[[str, re.Match[str]], int]  # where the detail the match starts with ends, or 0: not one
    placeholder: str
    hint: re.Pattern[str]  # cheap: the text cannot hold one without a match of this


_FOUR_DIGITS_RE = re.compile(r"\d{4}")
_TWO_DIGITS_RE = re.compile(r"\d{2}")

# In this order: an e-mail address may hold digits, an IBAN a card-like run, a card a phone-like run.
_KINDS = (
    _Kind(_EMAIL_RE, _email_end, EMAIL, _EMAIL_HINT_RE),
    _Kind(_IBAN_RE, _iban_end, IBAN, _TWO_DIGITS_RE),
    _Kind(_CARD_RE, _card_end, CARD, _FOUR_DIGITS_RE),
    _Kind(_INTL_PHONE_RE, _intl_phone_end, PHONE, re.compile(r"\+|00")),
    _Kind(_US_PHONE_RE, _whole_match, PHONE, _TWO_DIGITS_RE),
    _Kind(_NATIONAL_PHONE_RE, _national_phone_end, PHONE, _TWO_DIGITS_RE),
    _Kind(_BARE_PHONE_RE, _bare_phone_end, PHONE, _FOUR_DIGITS_RE),
)


def _spans(kind: _Kind, view: str) -> list[tuple[int, int]]:
    """Where `kind` is found in `view`. A match that is not one may hide one further on, so the search
    goes on from the next character; after a detail, from its end."""
    found: list[tuple[int, int]] = []
    pos = 0
    while (m := kind.pattern.search(view, pos)) is not None:
        end = kind.end(view, m)
        if end:
            found.append((m.start(), end))
            pos = end
        else:
            pos = m.start() + 1
    return found


def _masked(view: str, spans: list[tuple[int, int]]) -> str:
    parts: list[str] = []
    done = 0
    for start, end in spans:
        parts += (view[done:start], _MASK * (end - start))
        done = end
    parts.append(view[done:])
    return "".join(parts)


def redact(text: str) -> str:
    """`text` with e-mail addresses, phone numbers, card numbers and IBANs replaced by placeholders."""
    view, where = _view(text)
    replaced: list[tuple[int, int, str]] = []
    for kind in _KINDS:
        if kind.hint.search(view) is None:
            continue
        spans = _spans(kind, view)
        if spans:
            replaced += [(start, end, kind.placeholder) for start, end in spans]
            view = _masked(view, spans)
    if not replaced:
        return text
    replaced.sort()
    out: list[str] = []
    done = 0
    for start, end, placeholder in replaced:
        if where is not None:
            start, end = where[start], where[end - 1] + 1
        out += (text[done:start], placeholder)
        done = end
    out.append(text[done:])
    return "".join(out)


def redact_turns(turns: Iterable[Turn]) -> tuple[Turn, ...]:
    """The same turns with their text and speaker names redacted ("jane.roe@example.com" -> "[email]");
    roles and times unchanged."""
    turns = tuple(turns)
    names = {name: redact(name) for name in {t.speaker for t in turns}}  # a call has a few speakers
    return tuple(dataclasses.replace(t, speaker=names[t.speaker], text=redact(t.text)) for t in turns)


def redact_transcript(transcript: Transcript) -> Transcript:
    """The transcript with its turns redacted, and how its roles were decided too (it names speakers)."""
    return dataclasses.replace(transcript, turns=redact_turns(transcript.turns),
                               roles_decided_by=redact(transcript.roles_decided_by))
