"""Questions asked in Slack, answered in their thread.

Which deal a question is about: a deal the question names ("what did Globex say about pricing?" in
Acme's flag thread is about Globex), else the deal of the thread it is asked in (a flag's thread, a
live session's, a scored call's result); a question about the pipeline
rather than one deal ("which deals are at risk this week?") is answered by bot.answers.pipeline_reply;
anything else is about the deal most recently active in the channel.

Before anything about the deal is shown, the asker must be a member of the
deal's channel in the deal's workspace (bot.slack.membership); anyone else gets an ephemeral "I
can't share that here" and the thread gets nothing. A question names only deals the asker may see:
naming another channel's deal is answered as naming none, so the answer tells nothing of it.

The answer goes in the thread when everyone in its channel may see the deal (a flag's thread in a
review channel with people of other channels, say); otherwise only the asker sees it. An answer in
the thread is tagged with its question's id, so a retry never posts it twice (bot.slack.outbox);
one shown only to the asker (ephemeral, or through the response URL) cannot be looked for in any
channel, and is left to the client's own retries (bot.slack.outbox).

In a flag's thread every question is for the bot (with or without a mention); elsewhere only
mentions are. A message counts as a question when it ends with "?" or opens like one.
"""

from __future__ import annotations

import logging
import re
from typing import Callable

from slack_sdk import WebClient

from salesrl.agent.redact import redact
from salesrl.bot.answers.pipeline import pipeline_question
from salesrl.bot.answers.pipeline_reply import answer_pipeline
from salesrl.bot.slack.asker import Asker
from salesrl.bot.slack.context import BotContext
from salesrl.bot.slack.outbox import Tag, Undelivered, post_tagged, reply_privately, report_failure, tell_undelivered
from salesrl.bot.slack.membership import everyone_may_see
from salesrl.bot.slack.profiles import users_timezone
from salesrl.bot.store import Deal
from salesrl.bot.store.tables import utcnow

log = logging.getLogger(__name__)

ANSWER_EVENT = "salesrl_answer"  # message metadata event type of an answer posted in a thread
NOT_SHARED = "I can't share that here: ask in the deal's channel, or ask someone who is in it."
NO_DEAL = "Which deal? Name it in your question, e.g. “why is Acme flagged?”, or ask in a flag's thread."
_QUESTION_OPENER = re.compile(
    r"^(?:why|what|what's|whats|who|who's|whom|how|when|where|which|should|shall|can|could|would|will|"
    r"is|are|was|were|do|does|did|has|have|any|tell me|explain|summari[sz]e)\b", re.I)
_ADDRESSED = re.compile(r"^\s*<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


def answer_tag(question_id: int) -> Tag:
    return Tag(ANSWER_EVENT, {"question_id": question_id})


def looks_like_question(text: str, bot_user_id: str | None = None) -> bool:
    """A question for the bot: ends with "?" or opens like a question, and is not addressed to
    someone else (a message starting with another person's mention is for them)."""
    m = _ADDRESSED.match(text)
    if m and m.group(1) != bot_user_id:
        return False
    words = _ADDRESSED.sub("", text).strip()
    return bool(words) and (words.rstrip().endswith("?") or bool(_QUESTION_OPENER.match(words)))


_ONE_WORD = re.compile(r"[^\W\d_]+")
_SENTENCE_START = re.compile(r"(?:^|[.!?]\s)\W*$")


def names_deal(text: str, name: str) -> bool:
    """Whether `text` names the deal `name`. A name of several words ("civic transit") or with other characters
    ("Keller & Stone", "3M") is found in any case. A name of one word may be an ordinary word too ("Next",
    "Budget": "what should we do next?"), so it has to be written with its capitals, and not only where any
    word has them, at the start of a sentence, unless it is followed by 's, a colon or a comma ("Budget: who
    signs?")."""
    text = " ".join(text.split())
    if not _ONE_WORD.fullmatch(name):
        return re.search(r"(?<!\w)" + re.escape(name.casefold()) + r"(?!\w)", text.casefold()) is not None
    for m in re.finditer(r"(?<!\w)" + re.escape(name) + r"(?!\w)", text):
        if not _SENTENCE_START.search(text[:m.start()]) or text[m.end():].startswith(("'s", "’s", ":", ",")):
            return True
    return False


def _named_deals(ctx: BotContext, team: str, text: str, may_see: Callable[[Deal], bool]) -> list[Deal]:
    """The deals the question names (`names_deal`) that the asker may see, the longest name first."""
    named = [d for d in ctx.store.deals.list(team) if names_deal(text, d.name) and may_see(d)]
    return sorted(named, key=lambda d: len(d.name), reverse=True)


def _thread_deal(ctx: BotContext, team: str, channel: str, thread_ts: str) -> Deal | None:
    store = ctx.store
    flag = store.flags.find_by_thread(team, channel, thread_ts)
    deal_id = flag.deal_id if flag else None
    if deal_id is None:
        session = store.live.find(team, channel, thread_ts, include_ended=True)
        deal_id = session.deal_id if session else None
    if deal_id is None:
        call = store.calls.find_by_thread(team, channel, thread_ts)
        deal_id = call.deal_id if call else None
    return store.deals.get_by_id(team, deal_id) if deal_id is not None else None


def thread_or_named_deal(ctx: BotContext, team: str, channel: str, thread_ts: str | None, text: str, *,
                         may_see: Callable[[Deal], bool]) -> Deal | None:
    """The deal of the thread the question is asked in, unless the question names other deals and not it (then
    the one with the longest name the asker `may_see`); outside a thread, a deal the question names."""
    named = _named_deals(ctx, team, text, may_see)
    own = _thread_deal(ctx, team, channel, thread_ts) if thread_ts else None
    if own is not None and (not named or any(d.id == own.id for d in named)):
        return own
    return named[0] if named else None


def answer_question(ctx: BotContext, client: WebClient, asker: Asker, text: str, *, user_team: str | None = None,
                    deal: Deal | None = None) -> None:
    """Answer `text` in the asker's thread (asker.thread_ts), or refuse privately. Runs in the worker
    pool: the first question about a deal embeds its stored turns."""
    try:
        channel = asker.channel_id or ""
        assert ctx.answerer is not None, "an app built without an agent answers no questions"
        membership = ctx.membership

        def may_see(d: Deal) -> bool:
            return membership.can_see(client, asker.team_id, asker.user_id, d, user_team=user_team)

        if deal is None:
            deal = thread_or_named_deal(ctx, asker.team_id, channel, asker.thread_ts, text, may_see=may_see)
        if deal is None:
            # not about one deal: a question about the pipeline ("which deals are at risk?") is
            # answered from every deal the asker may see; anything else is about the channel's latest deal
            about = pipeline_question(text, utcnow(), users_timezone(client, asker.user_id))
            if about is not None:
                answer_pipeline(ctx, client, asker, about, text, user_team=user_team)
                return
            deal = next(iter(ctx.store.deals.list(asker.team_id, channel_ids=[channel])), None)
        if deal is None:
            reply_privately(client, asker, ctx.templates.message("slack/user_error.json.j2", message=NO_DEAL))
            return
        if not may_see(deal):
            log.info("question from %s about deal %s refused: not a member of its channel", asker.user_id, deal.id)
            reply_privately(client, asker, ctx.templates.message("slack/user_error.json.j2", message=NOT_SHARED))
            return
        # redacted before it is embedded (an OpenAI embedder sends it out), phrased or stored
        question_text = redact(text) if ctx.settings.redact else text
        answer = ctx.answerer.answer(asker.team_id, deal, question_text)
        question = ctx.store.questions.add(asker.team_id, question_text, deal_id=deal.id, asked_by=asker.user_id,
                                          channel_id=channel, thread_ts=asker.thread_ts)
        ctx.store.questions.add_answer(asker.team_id, question.id, answer.text, model_id=answer.model_id)
        phrased_by = answer.model_id.split(":", 1)[1] if answer.model_id.startswith("openai:") else None
        in_thread = everyone_may_see(client, asker.team_id, channel, deal, membership=membership)
        message = ctx.templates.message("slack/answer.json.j2", answer=answer, asked_by=asker.user_id,
                                        phrased_by=phrased_by, privately=not in_thread)
        if not in_thread:
            log.info("answer about deal %s given privately: not everyone in %s may see it", deal.id, channel)
            reply_privately(client, asker, message)
            return
        # saved above; a Slack outage delays the answer, and the asker hears if it never gets through
        post_tagged("the answer to your question", client, channel, message, answer_tag(question.id),
                    thread_ts=asker.thread_ts)
    except Undelivered as e:
        tell_undelivered(client, ctx.templates, asker, e, "ask again in a while")
    except Exception as e:
        report_failure(client, ctx.templates, asker, e)
