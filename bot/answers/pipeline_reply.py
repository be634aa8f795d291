"""A pipeline question asked in Slack ("@SalesRL which deals are at risk this week?"), answered from the
deals the asker may see (bot.answers.pipeline), with a link to each deal's latest call.

The answer goes in the thread when everyone in the channel may see every deal it names; otherwise
only the asker sees it, as answers about one deal do (bot.answers.slack_reply).
"""

from __future__ import annotations

import logging
from typing import Iterable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from salesrl.bot.answers.pipeline import PipelineQuestion, pipeline_content
from salesrl.bot.digest.content import DigestContent
from salesrl.bot.flags.thresholds import thresholds_for
from salesrl.bot.slack.asker import Asker
from salesrl.bot.slack.context import BotContext
from salesrl.bot.slack.deal_links import deal_links
from salesrl.bot.slack.membership import Membership, everyone_may_see
from salesrl.bot.slack.outbox import Tag, post_tagged, reply_privately

from salesrl.bot.store import Deal
from salesrl.bot.store.tables import utcnow

log = logging.getLogger(__name__)

PIPELINE_ANSWER_EVENT = "salesrl_pipeline_answer"


def owner_named(ctx: BotContext, client: WebClient, team: str, name: str, deals: Iterable[Deal]) -> str | None:
    """The owner of one of `deals` whose name (any word of it) is `name`; None when none is."""
    wanted = name.casefold().lstrip("@")
    owners = sorted({d.owner_id for d in deals if d.owner_id})
    names = ctx.store.workspaces.user_names(team, owners)
    for owner in owners:
        known = [names.get(owner, "")]
        if not known[0]:
            try:
                user = client.users_info(user=owner)["user"]
                known = [user.get("real_name") or "", (user.get("profile") or {}).get("display_name") or "",
                         user.get("name") or ""]
            except SlackApiError:
                continue
        if any(wanted == word.casefold() for n in known for word in n.split() + [n]):
            return owner
    return None


def answer_pipeline(ctx: BotContext, client: WebClient, asker: Asker, question: PipelineQuestion,
                    text: str, *, user_team: str | None) -> None:
    """Answer `question` in the asker's thread, or to the asker only (see the module's docstring)."""
    team, channel = asker.team_id, asker.channel_id or ""
    membership = ctx.membership

    def may_see(d: Deal) -> bool:
        return membership.can_see(client, team, asker.user_id, d, user_team=user_team)

    visible = [d for d in ctx.store.deals.list(team) if may_see(d)]
    owner_id = None
    if question.owner_name is not None:
        owner_id = owner_named(ctx, client, team, question.owner_name, visible)
        if owner_id is None:
            reply_privately(client, asker, ctx.templates.message(
                "slack/user_error.json.j2",
                message=f"I don't know whose pipeline “{question.owner_name[:40]}” is: no deal you can see has "
                        "an owner of that name"))
            return
    visible_ids = {d.id for d in visible}
    content = pipeline_content(ctx.store, team, question, utcnow(), owner_id=owner_id,
                               at_risk_below=thresholds_for(ctx.store, ctx.settings, team).below,
                               shown=lambda d: d.id in visible_ids)
    named = {d.id: d for d in visible}
    mentioned = [named[i] for i in _deal_ids(content) if i in named]
    shared = Membership()
    in_thread = bool(channel) and not channel.startswith("D") and all(
        everyone_may_see(client, team, channel, d, membership=shared) for d in mentioned)
    message = ctx.templates.message(
        "slack/pipeline_answer.json.j2", question=question, content=content, owner_id=owner_id,
        links=deal_links(ctx.store, client, team, mentioned), asked_by=asker.user_id, privately=not in_thread)
    saved = ctx.store.questions.add(team, text, asked_by=asker.user_id, channel_id=channel, thread_ts=asker.thread_ts)
    ctx.store.questions.add_answer(team, saved.id, message.text, model_id="pipeline")
    log.info("pipeline question (%s) answered %s, %d deals named", question.kind,
             "in the thread" if in_thread else "privately", len(mentioned))
    if not in_thread:
        reply_privately(client, asker, message)
        return
    post_tagged("the answer to your question", client, channel, message,
                Tag(PIPELINE_ANSWER_EVENT, {"question_id": saved.id}), thread_ts=asker.thread_ts)


def _deal_ids(content: DigestContent) -> list[int]:
    ids = [d.id for d in content.at_risk]
    ids += [f.deal_id for f in content.flagged if f.deal_id is not None]
    ids += [m.deal_id for m in content.movers_up + content.movers_down]
    return list(dict.fromkeys(ids))
