"""`/salesrl config`: where flags go and when they (and live alerts) are raised, per workspace, and
who besides Slack's admins may change that.

    /salesrl config                          show the settings (anyone)
    /salesrl config review-channel here      flags go to this channel (or #channel as Slack links it)
    /salesrl config flag-threshold 30%       a call ending below this flags its deal
    /salesrl config drop-threshold 15%       a drop this large within 5 turns alerts and flags
    /salesrl config <setting> default        back to the default
    /salesrl config admins add @person       name a SalesRL admin (remove: no longer)
    /salesrl config crm-writeback on         write the latest score and open gaps into the CRM (off: stop)

A change is made only by a workspace admin or owner, or a SalesRL admin (bot.slack.admins): the
review channel decides where deal data is posted.
"""

from __future__ import annotations


from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from salesrl.bot.flags.thresholds import thresholds_for
from salesrl.bot.slack.admins import check_may_configure, is_workspace_member, user_id_of
from salesrl.bot.slack.channels import channel_id_of
from salesrl.bot.slack.context import BotContext
from salesrl.bot.slack.dispatch import CommandRequest, UsageError
from salesrl.bot.slack.templates import SlackMessage

USAGE = ("usage: /salesrl config [review-channel here | flag-threshold 30% | drop-threshold 15% | "
         "admins add|remove @person | crm-writeback on|off] (`default` resets a value)")
ADMINS_USAGE = "usage: /salesrl config admins add @person (or remove @person)"
_RESET = {"default", "reset", "none", "off", "unset"}


def parse_fraction(word: str, *, zero_ok: bool = False) -> float:
    """ "30%", "30", "0.3" -> 0.3."""
    clean = word.strip().rstrip("%").replace(",", ".")
    try:
        value = float(clean)
    except ValueError:
        raise UsageError(f"“{word[:20]}” is not a percentage: write e.g. 30%") from None
    if word.strip().endswith("%") or value > 1:
        value /= 100
    if not (0 <= value if zero_ok else 0 < value) or value > 1:
        raise UsageError(f"this threshold is a percentage from {0 if zero_ok else 1}% to 100%")
    return value


def review_channel(req: CommandRequest, client: WebClient, value: str) -> str | None:
    if value.lower() in _RESET:
        return None
    if value.lower() in ("here", "this", "this channel"):
        channel = req.asker.channel_id or ""
    elif found := channel_id_of(client, value):
        channel = found
    else:
        raise UsageError(f"I can't tell which channel “{value[:40]}” is: pick it from the list Slack offers as you "
                         "type #, or run `/salesrl config review-channel here` in that channel")
    if not channel or channel[0] not in "CG":
        raise UsageError("the review channel must be a channel, not a DM")
    try:
        info = client.conversations_info(channel=channel)["channel"]
    except SlackApiError as e:
        raise UsageError(f"I can't see that channel ({e.response.get('error')}): invite me with /invite @SalesRL") from None
    if not info.get("is_member"):
        raise UsageError("I'm not in that channel yet: invite me there with /invite @SalesRL, then set it again")
    return channel


def admins(req: CommandRequest, ctx: BotContext, client: WebClient, words: list[str]) -> str:
    """`admins add|remove @person`; returns what changed."""
    if len(words) < 2 or words[0].lower() not in ("add", "remove"):
        raise UsageError(ADMINS_USAGE)
    user = user_id_of(" ".join(words[1:]))  # a mention's label may have spaces: <@U123|Ana Lopez>
    if user is None:
        raise UsageError("I can't see names here: pick the person from the list Slack offers as you type @, "
                         "or give their member ID (their profile → ⋮ → Copy member ID)")
    team, by = req.asker.team_id, req.asker.user_id
    if words[0].lower() == "remove":
        ctx.store.config.change_admins(team, remove=[user], updated_by=by)
        return "SalesRL admin removed."
    if not is_workspace_member(client, team, user):
        raise UsageError("I can't find that person in this workspace")
    ctx.store.config.change_admins(team, add=[user], updated_by=by)
    return "SalesRL admin added: they may change these settings."


def change(req: CommandRequest, ctx: BotContext, client: WebClient, words: list[str]) -> str:
    """Make the change `words` ask for; returns what changed. Only for those who may (bot.slack.admins)."""
    check_may_configure(ctx.store, client, req.asker.team_id, req.asker.user_id)
    store, team, by = ctx.store, req.asker.team_id, req.asker.user_id
    setting = words[0].lower()
    if setting in ("admins", "admin"):
        return admins(req, ctx, client, words[1:])
    if len(words) != 2:
        raise UsageError(USAGE)
    value = words[1]
    reset = value.lower() in _RESET
    if setting in ("review-channel", "review_channel", "channel"):
        channel = review_channel(req, client, value)
        store.config.update(team, review_channel_id=channel, updated_by=by)
        return "Flags now go to the review channel." if channel else "Review channel cleared."
    if setting in ("flag-threshold", "flag_threshold", "threshold"):
        store.config.update(team, flag_threshold=None if reset else parse_fraction(value, zero_ok=True),
                                      updated_by=by)
        return "Flag threshold updated."
    if setting in ("drop-threshold", "drop_threshold", "drop"):
        store.config.update(team, drop_threshold=None if reset else parse_fraction(value), updated_by=by)
        return "Drop alert updated."
    if setting in ("crm-writeback", "crm_writeback", "writeback"):
        if value.lower() not in ("on", "off", *_RESET):
            raise UsageError("usage: /salesrl config crm-writeback on (or off)")
        on = value.lower() == "on"
        store.config.update(team, crm_writeback=on, updated_by=by)
        return ("CRM write-back on: linked deals get the latest score (when the model is on familiar ground and sure "
                "enough) and open gaps at the next sync." if on else "CRM write-back off.")
    raise UsageError(USAGE)


def run(req: CommandRequest, ctx: BotContext, client: WebClient) -> SlackMessage | None:
    team, store = req.asker.team_id, ctx.store
    words = req.args.split()
    # showing the settings is for anyone; changing them decides where deal data is posted
    changed = change(req, ctx, client, words) if words else None
    config = store.config.get(team)
    thresholds = thresholds_for(store, ctx.settings, team)
    return ctx.templates.message("slack/config.json.j2", review_channel=config.review_channel_id,
                                 below=thresholds.below, drop=thresholds.drop, window=thresholds.window,
                                 below_default=config.flag_threshold is None,
                                 drop_default=config.drop_threshold is None, admins=list(config.admin_user_ids),
                                 crm_writeback=config.crm_writeback,
                                 changed=changed)
