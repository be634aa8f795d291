"""A digest as a Slack message: templates/digest/digest.json.j2 rendered and validated by the bot's
shared Block Kit renderer (bot.slack.templates), so it obeys the same escaping and limits as
every other message."""

from __future__ import annotations


from salesrl.bot.digest.calibration import MIN_DEALS
from salesrl.bot.digest.content import DigestContent
from salesrl.bot.slack.templates import SlackMessage, Templates
from salesrl.bot.store import Deal

DIGEST_TEMPLATE = "digest/digest.json.j2"
HEADINGS = {"weekly": "Weekly pipeline digest", "daily": "Daily pipeline digest"}


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
        days_idle=days_idle,
        min_calibration_deals=MIN_DEALS,
    )
