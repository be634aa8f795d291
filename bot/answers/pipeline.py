"""Questions about the pipeline, not one deal: "which deals are at risk this week?", "what changed since
Monday?", "how is Dana's pipeline?".

They are answered from the deals the asker may see, with the digest's own numbers (build_digest over
the period the question names: the last 7 days unless it says "since Monday", "today", "this month"…),
and a link to each deal's latest call. Which kind of question it is follows simple rules a reader can
check, as for questions about one deal (bot.answers.intent).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Literal
from zoneinfo import ZoneInfo

from salesrl.bot.digest.content import DigestContent, build_digest
from salesrl.bot.digest.periods import Period
from salesrl.bot.store import Deal, Store

Kind = Literal["at_risk", "changes", "owner", "overview"]

_ABOUT_PIPELINE = re.compile(
    r"\b(?:deals|pipeline|pipe|forecast|at[- ]risk|risky|slipping|movers?|what(?:'s| has)? changed|"
    r"what(?:'s| is) new|what happened)\b", re.I)
_AT_RISK = re.compile(r"\bat[- ]risk\b|\brisky\b|\bslipping\b|\bin trouble\b|\bworr(?:y|ied)\b|\bstalled\b", re.I)
_CHANGES = re.compile(r"\bchang\w*|\bmov(?:ed|ers?|ing)\b|\bwhat(?:'s| is) new\b|\bhappened\b", re.I)
_OWNER = re.compile(r"(?:^|\s)@?(?P<name>[^\s@'’]{2,40})['’]s? (?:pipeline|pipe|deals|forecast)\b", re.I)
_NOT_NAMES = {"my", "our", "the", "team", "team's", "whose", "which", "this", "what", "how", "your", "their"}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_SINCE_DAY = re.compile(r"\bsince (?:last )?(" + "|".join(_WEEKDAYS) + r")\b", re.I)
_LAST_DAYS = re.compile(r"\b(?:last|past) (\d{1,3}) days\b", re.I)
DEFAULT_DAYS = 7


@dataclass(frozen=True)
class PipelineQuestion:
    kind: Kind
    owner_name: str | None  # for "owner": the name as typed ("Dana")
    since: datetime  # UTC: the start of the period the question asks about
    period: str  # the period in words: "since Monday", "today", "in the last 7 days"


def pipeline_question(text: str, now: datetime, timezone: str) -> PipelineQuestion | None:
    """The pipeline question `text` asks, or None when it is not about the pipeline (`now` in UTC;
    `timezone`: the asker's, for "since Monday")."""
    clean = " ".join(text.split())
    if not _ABOUT_PIPELINE.search(clean):
        return None
    since, label = _period_start(clean, now, timezone)
    owner = _OWNER.search(clean)
    if owner and owner.group("name").casefold() not in _NOT_NAMES:
        return PipelineQuestion("owner", owner.group("name"), since, label)
    if _AT_RISK.search(clean):
        return PipelineQuestion("at_risk", None, since, label)
    if _CHANGES.search(clean):
        return PipelineQuestion("changes", None, since, label)
    return PipelineQuestion("overview", None, since, label)


def _period_start(text: str, now: datetime, timezone: str) -> tuple[datetime, str]:
    local = now.astimezone(ZoneInfo(timezone))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if m := _SINCE_DAY.search(text):
        day = _WEEKDAYS.index(m.group(1).lower())
        back = (midnight.weekday() - day) % 7 or 7  # "since Monday" on a Monday: the Monday before
        return (midnight - timedelta(days=back)).astimezone(ZoneInfo("UTC")), "since " + m.group(1).capitalize()
    if re.search(r"\btoday\b", text, re.I):
        return midnight.astimezone(ZoneInfo("UTC")), "today"
    if re.search(r"\byesterday\b", text, re.I):
        return (midnight - timedelta(days=1)).astimezone(ZoneInfo("UTC")), "since yesterday"
    if re.search(r"\bthis week\b", text, re.I):
        return (midnight - timedelta(days=midnight.weekday())).astimezone(ZoneInfo("UTC")), "this week"
    if re.search(r"\b(?:this|last|past) month\b", text, re.I):
        return now - timedelta(days=30), "in the last 30 days"
    if m := _LAST_DAYS.search(text):
        days = max(1, int(m.group(1)))
        return now - timedelta(days=days), f"in the last {days} days"
    return now - timedelta(days=DEFAULT_DAYS), f"in the last {DEFAULT_DAYS} days"


def pipeline_content(store: Store, workspace_id: str, question: PipelineQuestion, now: datetime, *,
                     owner_id: str | None, at_risk_below: float, shown: Callable[[Deal], bool]) -> DigestContent:
    """The digest's figures for the question's period, over the deals `shown` says the asker may see."""
    period = Period(key="question", cadence="weekly", start=question.since, end=now, timezone="UTC")
    return build_digest(store, workspace_id, period, owner_id=owner_id, at_risk_below=at_risk_below, shown=shown)
