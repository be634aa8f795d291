"""A digest as a Slack message: templates/digest/digest.json.j2 rendered and validated by the bot's
shared Block Kit renderer (bot.slack.templates), so it obeys the same escaping and limits as
every other message."""

from __future__ import annotations

import math
from decimal import Decimal

from salesrl.bot.digest.content import DigestContent
from salesrl.bot.slack.templates import SlackMessage, Templates
from salesrl.bot.store import Deal

DIGEST_TEMPLATE = "digest/digest.json.j2"
HEADINGS = {"weekly": "Weekly pipeline digest", "daily": "Daily pipeline digest"}


def compact_amount(value: float | Decimal | None) -> str:
    """1234 -> "1.2k", 2_500_000 -> "2.5M"; no currency (the store keeps none)."""
    if value is None:
        return "–"
    x = float(value)
    if not math.isfinite(x):
        return "–"
    units = (("", 1.0), ("k", 1e3), ("M", 1e6), ("B", 1e9))
    for i, (suffix, size) in enumerate(units):
        scaled = x / size
        text = f"{scaled:.1f}" if suffix and abs(scaled) < 100 else f"{scaled:.0f}"
        if abs(float(text)) < 1000 or i == len(units) - 1:  # 999,950 is "1M", not "1000k"
            return text.removesuffix(".0") + suffix
    raise AssertionError("unreachable")


def render_digest(templates: Templates, content: DigestContent, *, preview: bool = False) -> SlackMessage:
    """The digest's Block Kit message (raises BlockKitError if a template bug made it invalid)."""
    end = content.period.end

    def days_idle(deal: Deal) -> int:
        return max(0, (end - deal.updated_at).days)

    return templates.message(
        DIGEST_TEMPLATE,
        d=content,
        heading=HEADINGS.get(content.period.cadence, "Pipeline digest"),
        period_label=content.period.label,
        preview=preview,
        money=compact_amount,
        days_idle=days_idle,
    )
