"""When digests are due, with a controlled clock: slots in the subscription's time zone, the grace
window after a restart, daylight-saving changes, and the schedule words of `/salesrl digest subscribe`."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from salesrl.bot.digest.periods import describe_schedule, due_periods, missed_period, next_slot, preview_period
from salesrl.bot.digest.schedule_spec import ScheduleError, parse_schedule
from salesrl.bot.store import DigestSubscription

UTC = timezone.utc
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)


def sub(cadence: str = "weekly", weekday: int | None = 0, hour: int = 9, tz: str = "UTC",
        created_at: datetime = LONG_AGO, active: bool = True) -> DigestSubscription:
    return DigestSubscription(id=1, workspace_id="T1", channel_id="C1", cadence=cadence, weekday=weekday,
                              hour=hour, timezone=tz, owner_id=None, created_by="U1", active=active,
                              created_at=created_at)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_weekly_digest_is_due_from_its_slot_until_the_grace_window_ends():
    s = sub()  # Mondays 09:00 UTC; 2026-11-30 is a Monday in ISO week 49
    assert due_periods(s, at("2026-11-30 08:59")) == []
    (p,) = due_periods(s, at("2026-11-30 09:00"))
    assert p.key == "2026-W49"
    assert (p.start, p.end) == (at("2026-11-23 09:00"), at("2026-11-30 09:00"))
    assert [q.key for q in due_periods(s, at("2026-11-30 15:00"))] == ["2026-W49"]  # 6 h: still due
    assert due_periods(s, at("2026-11-30 15:01")) == []
    assert missed_period(s, at("2026-11-30 15:01")).key == "2026-W49"
    assert due_periods(s, at("2026-12-03 12:00")) == []  # Thursday: nothing due


def test_a_custom_grace_window():
    s = sub()
    assert due_periods(s, at("2026-11-30 10:30"), grace=timedelta(hours=1)) == []
    assert [p.key for p in due_periods(s, at("2026-11-30 10:30"), grace=timedelta(hours=2))] == ["2026-W49"]


def test_daily_digest_in_the_subscriptions_time_zone():
    s = sub("daily", None, 8, "America/New_York")  # 08:00 in New York = 13:00 UTC in November
    assert due_periods(s, at("2026-11-26 12:59")) == []
    (p,) = due_periods(s, at("2026-11-26 13:00"))
    assert p.key == "2026-11-26"
    assert (p.start, p.end) == (at("2026-11-25 13:00"), at("2026-11-26 13:00"))
    assert p.label == "Thu 26 Nov 2026"  # the 24 hours up to that morning


def test_a_late_local_slot_keys_by_its_local_date_not_the_utc_one():
    s = sub("daily", None, 23, "Asia/Tokyo")  # 23:00 in Tokyo is 14:00 UTC the same day
    (p,) = due_periods(s, at("2026-11-26 14:30"))
    assert p.key == "2026-11-26"
    s = sub("weekly", 6, 23, "Pacific/Honolulu")  # Sunday 23:00 in Honolulu is Monday 09:00 UTC
    (p,) = due_periods(s, at("2026-11-30 09:10"))
    assert p.key == "2026-W48" and p.end == at("2026-11-30 09:00")


def test_periods_across_a_daylight_saving_change_are_23_or_25_hours_long():
    paris = sub("daily", None, 9, "Europe/Paris")
    (spring,) = due_periods(paris, at("2026-03-29 07:30"))  # clocks went forward that night
    assert spring.end == at("2026-03-29 07:00") and spring.end - spring.start == timedelta(hours=23)
    (autumn,) = due_periods(paris, at("2026-10-25 08:30"))
    assert autumn.end == at("2026-10-25 08:00") and autumn.end - autumn.start == timedelta(hours=25)
    weekly = sub("weekly", 0, 9, "Europe/Paris")
    (week,) = due_periods(weekly, at("2026-03-30 07:05"))
    assert week.end - week.start == timedelta(days=7, hours=-1)


def test_an_hour_skipped_by_the_clock_change_still_has_a_slot():
    s = sub("daily", None, 2, "Europe/Paris")  # 02:00 does not exist on 29 March 2026
    (p,) = due_periods(s, at("2026-03-29 01:30"))
    assert p.end == at("2026-03-29 01:00")  # read with the winter offset: 03:00 summer time


def test_slots_before_the_subscription_existed_are_never_due_nor_missed():
    s = sub(created_at=at("2026-11-30 09:30"))  # subscribed half an hour after Monday's slot
    assert due_periods(s, at("2026-11-30 09:31")) == []
    assert missed_period(s, at("2026-11-30 20:00")) is None
    assert next_slot(s, at("2026-11-30 09:31")) == at("2026-12-07 09:00")
    assert [p.key for p in due_periods(s, at("2026-12-07 09:01"))] == ["2026-W50"]


def test_a_grace_window_over_a_day_catches_up_every_missed_daily_slot_oldest_first():
    s = sub("daily", None, 9)
    keys = [p.key for p in due_periods(s, at("2026-11-28 10:00"), grace=timedelta(hours=50))]
    assert keys == ["2026-11-26", "2026-11-27", "2026-11-28"]


def test_an_inactive_subscription_is_never_due():
    assert due_periods(sub(active=False), at("2026-11-30 09:05")) == []


def test_next_slot_and_description():
    s = sub("weekly", 4, 17, "Europe/Berlin")
    assert next_slot(s, at("2026-11-26 12:00")) == at("2026-11-27 16:00")
    assert describe_schedule(s) == "weekly on Fridays at 17:00 (Europe/Berlin)"
    assert describe_schedule(sub("daily", None, 8)) == "daily at 08:00 (UTC)"


def test_preview_covers_the_last_week_or_day():
    p = preview_period("weekly", "UTC", at("2026-11-26 10:00"))
    assert (p.start, p.end, p.key) == (at("2026-11-19 10:00"), at("2026-11-26 10:00"), "preview")
    assert p.label == "19–26 Nov 2026"
    assert preview_period("daily", "UTC", at("2026-11-26 10:00")).start == at("2026-11-25 10:00")


def test_naive_now_is_refused():
    with pytest.raises(ValueError):
        due_periods(sub(), datetime(2026, 11, 30, 9, 5))


@pytest.mark.parametrize("words, expected", [
    ("", ("weekly", 0, 9, None)),
    ("daily", ("daily", None, 9, None)),
    ("weekly fri 17:00 Europe/Paris", ("weekly", 4, 17, "Europe/Paris")),
    ("Mondays 9am", ("weekly", 0, 9, None)),
    ("daily 5 pm UTC", ("daily", None, 17, "UTC")),
    ("tue 12am", ("weekly", 1, 0, None)),
    ("America/New_York thursday 08:00 weekly", ("weekly", 3, 8, "America/New_York")),
    # what people type: abbreviations as the place's time, cities, offsets from UTC
    ("weekly mon 9am CET", ("weekly", 0, 9, "Europe/Berlin")),
    ("daily 8am est", ("daily", None, 8, "America/New_York")),
    ("daily 8am PST", ("daily", None, 8, "America/Los_Angeles")),
    ("weekly Paris fri", ("weekly", 4, 9, "Europe/Paris")),
    ("weekly new york 10:00", ("weekly", 0, 10, "America/New_York")),
    ("daily 9am +01:00", ("daily", None, 9, "Etc/GMT-1")),
    ("daily 9am UTC-5", ("daily", None, 9, "Etc/GMT+5")),
    ("daily 9am GMT+0", ("daily", None, 9, "UTC")),
])
def test_schedule_words(words: str, expected: tuple):
    spec = parse_schedule(words.split())
    assert (spec.cadence, spec.weekday, spec.hour, spec.timezone) == expected


@pytest.mark.parametrize("words, message", [
    ("weekly mon 09:30", "on the hour"),
    ("daily mon", "leave out the weekday"),
    ("weekly 25:00", "not a time"),
    ("weekly Mars/Olympus", "unknown time zone"),
    ("daily +05:30", "write your city instead"),
    ("daily Atlantis", "I don't understand “Atlantis”"),
    ("fortnightly", "I don't understand “fortnightly”"),
    ("weekly daily", "not both"),
    ("mon fri", "one weekday"),
])
def test_schedule_words_that_cannot_be_used_say_why(words: str, message: str):
    with pytest.raises(ScheduleError, match=message):
        parse_schedule(words.split())
