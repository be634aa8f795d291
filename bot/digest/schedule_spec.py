"""The schedule words of `/salesrl digest subscribe #channel [weekly|daily] [mon 09:00] [timezone]`.

Words may come in any order: a cadence (weekly, daily), a weekday (mon, monday, mondays), a time
on the hour (9, 09:00, 9am, 17:00, 5pm) and a time zone (Europe/Paris, UTC, CET, PST, Paris, +01:00;
see time_zones). What is left
out takes its default: weekly, Monday, 09:00, and the time zone the caller chooses (the asker's
own in Slack).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from salesrl.agent.errors import SalesRLError
from salesrl.bot.digest.time_zones import UnknownTimeZone, time_zone

DEFAULT_CADENCE = "weekly"
DEFAULT_WEEKDAY = 0  # Monday
DEFAULT_HOUR = 9
FORM = "[weekly|daily] [mon 09:00] [Europe/Paris]"

_DAYS = {name: i for i, names in enumerate((
    ("mon", "monday"), ("tue", "tues", "tuesday"), ("wed", "wednesday"), ("thu", "thur", "thurs", "thursday"),
    ("fri", "friday"), ("sat", "saturday"), ("sun", "sunday"),
)) for name in names}
_TIME = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$")


class ScheduleError(SalesRLError):
    """The schedule words cannot be read; the message names the word and the expected form."""


@dataclass(frozen=True)
class ScheduleSpec:
    cadence: str
    weekday: int | None  # None for daily
    hour: int
    timezone: str | None  # None: the caller's default


def _weekday(word: str) -> int | None:
    word = word.rstrip(",")
    if word in _DAYS:
        return _DAYS[word]
    if word.endswith("s") and word[:-1] in _DAYS:  # "mondays"
        return _DAYS[word[:-1]]
    return None


def _hour(word: str) -> int | None:
    match = _TIME.match(word)
    if not match:
        return None
    hour, minutes, half = int(match.group(1)), match.group(2), match.group(3)
    if minutes is not None and int(minutes) != 0:
        raise ScheduleError(f"digests go out on the hour: use {hour:02d}:00 instead of {word}")
    if half:
        if not 1 <= hour <= 12:
            raise ScheduleError(f"{word} is not a time; use e.g. 9am or 17:00")
        hour = hour % 12 + (12 if half == "pm" else 0)
    if not 0 <= hour <= 23:
        raise ScheduleError(f"{word} is not a time of day; use 00:00 to 23:00")
    return hour


def _zone(text: str) -> str | None:
    try:
        return time_zone(text)
    except UnknownTimeZone as e:
        raise ScheduleError(str(e)) from None


def parse_schedule(words: Iterable[str]) -> ScheduleSpec:
    cadence: str | None = None
    weekday: int | None = None
    hour: int | None = None
    tz: str | None = None
    # "9 am" is one time written as two words
    tokens = " ".join(words).replace(" am", "am").replace(" pm", "pm").split()
    words_left = iter(range(len(tokens)))
    for i in words_left:
        raw, word = tokens[i], tokens[i].lower()
        if word in ("weekly", "daily"):
            if cadence is not None and cadence != word:
                raise ScheduleError("say weekly or daily, not both")
            cadence = word
        elif (day := _weekday(word)) is not None:
            if weekday is not None and weekday != day:
                raise ScheduleError("a weekly digest goes out on one weekday")
            weekday = day
        elif (at := _hour(word)) is not None:
            hour = at
        elif (i + 1 < len(tokens) and f"{raw}{tokens[i + 1]}".isalpha()
              and (zone := _zone(f"{raw} {tokens[i + 1]}")) is not None):  # "New York"
            tz = zone
            next(words_left)
        elif (zone := _zone(raw)) is not None:
            tz = zone
        else:
            raise ScheduleError(f"I don't understand “{raw[:40]}” in the schedule; expected {FORM}")
    cadence = cadence or DEFAULT_CADENCE
    if cadence == "daily" and weekday is not None:
        raise ScheduleError("a daily digest goes out every day: leave out the weekday")
    if cadence == "weekly" and weekday is None:
        weekday = DEFAULT_WEEKDAY
    return ScheduleSpec(cadence=cadence, weekday=weekday, hour=DEFAULT_HOUR if hour is None else hour, timezone=tz)
