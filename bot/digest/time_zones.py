"""The time zone a person typed, as the IANA name the digest schedule keeps.

People write IANA names (Europe/Paris), the abbreviations they say (CET, EST, PST: read as the place's
time, summer time included, as people mean them), a city (Paris, New York) or an offset from UTC
(+01:00, UTC-5, GMT+2). A whole-hour offset becomes the fixed zone Etc/GMT∓N; others have no IANA
name, so the person is asked for a city.
"""

from __future__ import annotations

import re
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

# what the abbreviation means to the people who use it, with summer time
_ABBREVIATIONS = {
    "UTC": "UTC", "GMT": "UTC", "Z": "UTC",
    "ET": "America/New_York", "EST": "America/New_York", "EDT": "America/New_York",
    "CT": "America/Chicago", "CST": "America/Chicago", "CDT": "America/Chicago",
    "MT": "America/Denver", "MST": "America/Denver", "MDT": "America/Denver",
    "PT": "America/Los_Angeles", "PST": "America/Los_Angeles", "PDT": "America/Los_Angeles",
    "WET": "Europe/Lisbon", "WEST": "Europe/Lisbon", "BST": "Europe/London",
    "CET": "Europe/Berlin", "CEST": "Europe/Berlin", "EET": "Europe/Athens", "EEST": "Europe/Athens",
    "IST": "Asia/Kolkata", "SGT": "Asia/Singapore", "JST": "Asia/Tokyo",
    "AEST": "Australia/Sydney", "AEDT": "Australia/Sydney",
}
_OFFSET = re.compile(r"^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)


class UnknownTimeZone(ValueError):
    """The word looks like a time zone but names none; the message says what to write instead."""


@cache
def _cities() -> dict[str, str]:
    """"paris" -> Europe/Paris, "new york" -> America/New_York (the last part of each IANA name)."""
    found: dict[str, str] = {}
    for name in sorted(available_timezones()):
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/")):
            found.setdefault(name.rsplit("/", 1)[1].replace("_", " ").lower(), name)
    return found


def time_zone(text: str) -> str | None:
    """The IANA name for `text` (one or two words, e.g. "CET", "+01:00", "New York"); None when `text`
    does not look like a time zone. Raises UnknownTimeZone for one that looks like a zone but is none."""
    word = text.strip()
    if word.upper() in _ABBREVIATIONS:
        return _ABBREVIATIONS[word.upper()]
    if m := _OFFSET.match(word):
        sign, hours, minutes = m.group(1), int(m.group(2)), int(m.group(3) or 0)
        if minutes or hours > 14:
            raise UnknownTimeZone(f"{word} has no time zone name: write your city instead (e.g. Asia/Kolkata)")
        return "UTC" if hours == 0 else f"Etc/GMT{'-' if sign == '+' else '+'}{hours}"  # Etc/ signs are inverted
    if city := _cities().get(word.replace("_", " ").lower()):
        return city
    if "/" in word:
        try:
            ZoneInfo(word)
        except (ZoneInfoNotFoundError, ValueError):
            raise UnknownTimeZone(f"unknown time zone {word}; use a name like Europe/Paris, a city or CET") from None
        return word
    return None
