"""The amount, stage and close date a team sets on a deal, as people write them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from salesrl.bot.deal_fields import UNSET, DealFieldError, split_fields


@pytest.mark.parametrize("text, name, amount, stage, close", [
    ("Acme Corp amount 40k stage negotiation close 2027-01-31", "Acme Corp", Decimal(40000), "negotiation",
     date(2027, 1, 31)),
    ("Acme amount $1.2M", "Acme", Decimal("1200000"), UNSET, UNSET),
    ("Acme amount 40,000 close 31 Jan 2027", "Acme", Decimal(40000), UNSET, date(2027, 1, 31)),
    ("Acme stage proposal sent close Jan 31, 2027", "Acme", UNSET, "proposal sent", date(2027, 1, 31)),
    ("Acme amount none stage none close none", "Acme", None, None, None),
])
def test_fields_as_people_write_them(text, name, amount, stage, close):
    words, fields = split_fields(text.split())
    assert " ".join(words) == name and fields is not None
    assert (fields.amount, fields.stage, fields.close_date) == (amount, stage, close)


def test_a_name_alone_sets_nothing():
    assert split_fields(["Acme", "Corp"]) == (["Acme", "Corp"], None)


@pytest.mark.parametrize("text, says", [
    ("Acme amount lots", "“lots” is not an amount"),
    ("Acme close tomorrowish", "“tomorrowish” is not a date"),
    ("Acme amount", "say what the amount is"),
    ("Acme amount 4k amount 5k", "amount is given twice"),
    ("Acme stage " + "x" * 101, "at most 100 characters"),
])
def test_fields_that_cannot_be_read_say_why(text, says):
    with pytest.raises(DealFieldError, match=says):
        split_fields(text.split())
