"""What a team sets on a deal by hand: its amount, stage and expected close date.

    /salesrl deal Acme amount 40k stage negotiation close 2027-01-31
    salesrl deal Acme --amount 40000 --stage negotiation --close 2027-01-31

Amounts as people write them (40000, 40,000, 40k, 1.2M, $40k); a stage is free words up to the next
field; a date as 2027-01-31, 31 Jan 2027 or Jan 31 2027. `none` clears a field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from salesrl.agent.errors import SalesRLError

FIELDS = ("amount", "stage", "close")
UNSET: Any = object()
_AMOUNT = re.compile(r"^[$€£]?\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*([kKmM])?$")
_DATE_FORMATS = ("%Y-%m-%d", "%d %b %Y", "%b %d %Y", "%d %B %Y", "%B %d %Y", "%d/%m/%Y")
_CLEAR = {"none", "clear", "-"}
MAX_STAGE = 100


class DealFieldError(SalesRLError):
    """A field cannot be read; the message names it and the form expected."""


@dataclass(frozen=True)
class DealFields:
    amount: Any = UNSET  # Decimal, None (cleared) or UNSET
    stage: Any = UNSET  # str, None or UNSET
    close_date: Any = UNSET  # date, None or UNSET

    def as_update(self) -> dict[str, Any]:
        """The keyword arguments of Deals.update for the fields given."""
        given = {"amount": self.amount, "stage": self.stage, "close_date": self.close_date}
        return {k: v for k, v in given.items() if v is not UNSET}


def parse_amount(text: str) -> Decimal | None:
    if text.strip().lower() in _CLEAR:
        return None
    m = _AMOUNT.match(text.strip())
    if not m:
        raise DealFieldError(f"“{text[:30]}” is not an amount: write e.g. 40000, 40k or 1.2M")
    try:
        value = Decimal(m.group(1).replace(",", ""))
    except InvalidOperation:
        raise DealFieldError(f"“{text[:30]}” is not an amount: write e.g. 40000, 40k or 1.2M") from None
    scale = {"k": 1_000, "m": 1_000_000}.get((m.group(2) or "").lower(), 1)
    return value * scale


def parse_close_date(text: str) -> date | None:
    clean = " ".join(text.replace(",", " ").split())
    if clean.lower() in _CLEAR:
        return None
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(clean, fmt).date()
        except ValueError:
            continue
    raise DealFieldError(f"“{text[:30]}” is not a date: write e.g. 2027-01-31 or 31 Jan 2027")


def parse_stage(text: str) -> str | None:
    clean = " ".join(text.split())
    if not clean:
        raise DealFieldError("say which stage, e.g. stage negotiation")
    if clean.lower() in _CLEAR:
        return None
    if len(clean) > MAX_STAGE:
        raise DealFieldError(f"a stage has at most {MAX_STAGE} characters")
    return clean


def split_fields(words: list[str]) -> tuple[list[str], DealFields | None]:
    """`Acme Corp amount 40k stage negotiation` -> (["Acme", "Corp"], DealFields(...)): the deal's name is
    what comes before the first field word; None when there is no field word after a name."""
    at = next((i for i, w in enumerate(words) if i > 0 and w.lower() in FIELDS), None)
    if at is None:
        return words, None
    name, rest = words[:at], words[at:]
    values: dict[str, list[str]] = {}
    current = ""
    for word in rest:
        if word.lower() in FIELDS:
            current = word.lower()
            if current in values:
                raise DealFieldError(f"{current} is given twice")
            values[current] = []
        else:
            values[current].append(word)
    for field, given in values.items():
        if not given:
            raise DealFieldError(f"say what the {field} is, e.g. {_EXAMPLE[field]}")
    return name, DealFields(
        amount=parse_amount(" ".join(values["amount"])) if "amount" in values else UNSET,
        stage=parse_stage(" ".join(values["stage"])) if "stage" in values else UNSET,
        close_date=parse_close_date(" ".join(values["close"])) if "close" in values else UNSET,
    )


_EXAMPLE = {"amount": "amount 40k", "stage": "stage negotiation", "close": "close 2027-01-31"}
