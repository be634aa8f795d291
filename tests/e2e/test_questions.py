"""Questions about deals, end to end: asked in a flag's thread (with or without a mention) or by
mentioning the bot, answered in the thread from the deal's stored history with the call and turn
they rest on; nothing for people outside the deal's channel or from another workspace. The OpenAI
path runs through the real `openai` client against the fake OpenAI-compatible server."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import TRANSCRIPT, BotUnderTest
from tests.fakes.openai_server import FakeOpenAI
from tests.stored import questions

REVIEW = "C0REVIEW"
PRICING_TURN = "Honestly a lot. But the price has to work, our budget for this is tight."  # turn 6 of TRANSCRIPT


def command(bot: BotUnderTest, text: str, channel: str = "C0SALES") -> dict:
    name = f"q{len(bot.fake.calls)}"
    bot.slack.command(text, channel_id=channel, response_url=bot.fake.response_url(name))
    return bot.reply_at(name)


def flagged_deal(bot: BotUnderTest, transcript: str = TRANSCRIPT) -> dict:
    """Acme Corp scored in #sales and flagged by hand into the review channel; returns the flag post."""
    fake = bot.fake
    fake.member_channels.add(REVIEW)
    command(bot, "config review-channel here", channel=REVIEW)
    command(bot, "config flag-threshold 0%")
    command(bot, "config drop-threshold 100%")
    posts = len(fake.calls_to("chat.postMessage"))
    bot.slack.command(f"score Acme Corp :: {transcript}", response_url=fake.response_url())
    fake.wait_for("chat.postMessage", posts + 2)
    bot.wait_idle()
    command(bot, "flag Acme Corp :: the VP went quiet after the pilot")
    (post,) = [m for m in fake.messages(REVIEW) if m.get("thread_ts", m["ts"]) == m["ts"]]
    return post


def answers_in(bot: BotUnderTest, channel: str, thread_ts: str) -> list[dict]:
    return [m for m in bot.fake.thread(channel, thread_ts) if any(
        b.get("block_id") == "answer" for b in m.get("blocks", []))]


def ask(bot: BotUnderTest, text: str, thread_ts: str | None, *, channel: str = REVIEW, user: str = "U0ANA",
        mention: bool = False, expect: str | None = "answer", **kw) -> None:
    """Write `text` in the thread; wait for the answer (a post) or the refusal (an ephemeral) it expects."""
    method = {"answer": "chat.postMessage", "refusal": "chat.postEphemeral"}.get(expect or "")
    before = len(bot.fake.calls_to(method)) if method else 0
    bot.slack.message(text, channel=channel, user=user, thread_ts=thread_ts,
                      mention_of=bot.fake.bot_user_id if mention else None, **kw)
    if method:
        bot.fake.wait_for(method, before + 1)
    bot.wait_idle()


def nothing_more_than_the_probe(bot: BotUnderTest, thread_ts: str) -> None:
    """Messages expected to get no answer leave nothing to wait for: a question from Ana after them is
    answered once they are handled, and must be the thread's only answer."""
    ask(bot, "what did they say about pricing?", thread_ts)
    assert len(answers_in(bot, REVIEW, thread_ts)) == 1


def test_a_question_in_a_flag_thread_is_answered_citing_the_turn_it_rests_on(running_bot: BotUnderTest):
    bot = running_bot
    post = flagged_deal(bot)
    ask(bot, "what did they say about pricing?", post["ts"])
    (answer,) = answers_in(bot, REVIEW, post["ts"])
    text = json.dumps(answer["blocks"], ensure_ascii=False)
    assert PRICING_TURN in text
    assert "call 1 (" in text and "turn 6" in text  # the call and the turn it rests on
    (question,) = questions(bot.store, "T0TEAM")
    assert question.text == "what did they say about pricing?" and question.answers[0].model_id == "extractive"
    assert question.thread_ts == post["ts"]


@pytest.mark.parametrize("question, expected", [
    ("why is this flagged?", "the VP went quiet after the pilot"),
    ("who decides?", "signs off"),
    ("what should I do next?", "Next:"),
    ("how has it moved since last week?", "moved from"),
])
def test_the_questions_a_team_asks_get_answers_from_the_history(running_bot: BotUnderTest, question, expected):
    bot = running_bot
    post = flagged_deal(bot)
    ask(bot, question, post["ts"])
    (answer,) = answers_in(bot, REVIEW, post["ts"])
    assert expected in json.dumps(answer["blocks"], ensure_ascii=False)


def test_chatter_in_a_flag_thread_is_not_answered(running_bot: BotUnderTest):
    bot = running_bot
    post = flagged_deal(bot)
    ask(bot, "I'll call Ben tomorrow morning.", post["ts"], expect=None)
    ask(bot, "<@U0CARL> what do you think?", post["ts"], expect=None)  # a question for Carl, not the bot
    nothing_more_than_the_probe(bot, post["ts"])


def test_someone_outside_the_deals_channel_gets_nothing(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    post = flagged_deal(bot)
    fake.set_members("C0SALES", ["U0ANA"])  # Carl reads the review channel but is not in #sales
    ask(bot, "what did they say about pricing?", post["ts"], user="U0CARL", expect="refusal")
    ask(bot, "why is this flagged?", post["ts"], user="U0CARL", mention=True, expect="refusal")
    assert answers_in(bot, REVIEW, post["ts"]) == []
    refusals = fake.calls_to("chat.postEphemeral")
    assert len(refusals) == 2 and {c.params["user"] for c in refusals} == {"U0CARL"}
    assert all("can't share that here" in c.params["text"] for c in refusals)
    assert all(PRICING_TURN not in json.dumps(c.params, ensure_ascii=False) for c in refusals)
    assert questions(bot.store, "T0TEAM") == []


def test_someone_from_another_workspace_gets_nothing(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    post = flagged_deal(bot)
    # a Slack Connect channel: the asker belongs to another organisation
    ask(bot, "what did they say about pricing?", post["ts"], user="U0OUTSIDE", expect=None,
        event_fields={"user_team": "T0OTHER", "team": "T0OTHER"})
    ask(bot, "what did they say about pricing?", post["ts"], user="U0OUTSIDE", mention=True, expect=None,
        event_fields={"user_team": "T0OTHER", "team": "T0OTHER"})
    nothing_more_than_the_probe(bot, post["ts"])
    assert [q.asked_by for q in questions(bot.store, "T0TEAM")] == ["U0ANA"]
    assert not fake.calls_to("chat.postEphemeral")  # not even a refusal that says the deal exists


def test_a_mention_anywhere_is_answered_about_the_deal_it_names(running_bot: BotUnderTest):
    bot = running_bot
    flagged_deal(bot)
    ask(bot, "who decides on Acme Corp?", None, channel="C0SALES", mention=True)
    (answer,) = answers_in(bot, "C0SALES", bot.slack.last_message_ts)  # answered in a thread under the mention
    assert "Acme Corp" in json.dumps(answer["blocks"], ensure_ascii=False)


@pytest.fixture
def fake_openai():
    with FakeOpenAI() as fake:
        yield fake


def test_with_a_chat_model_the_answer_is_phrased_from_the_retrieved_redacted_turns_only(start_bot, fake_openai):
    fake_openai.chat_reply = "Ben said the price has to work and the budget is tight [call 1 (Nov 26), turn 6]."
    bot = start_bot(openai_api_key=fake_openai.api_key, openai_base_url=fake_openai.base_url, chat_model="gpt-test")
    transcript = TRANSCRIPT + "Ben: Mail the contract to ben.smith@globex.example, we never discussed the weather.\n"
    post = flagged_deal(bot, transcript)
    ask(bot, "what did they say about pricing?", post["ts"])
    (answer,) = answers_in(bot, REVIEW, post["ts"])
    text = json.dumps(answer["blocks"], ensure_ascii=False)
    assert "Ben said the price has to work" in text and "phrased by gpt-test" in text
    assert "turn 6" in text

    (request,) = fake_openai.requests_to("/chat/completions")
    body = request.json
    assert body["model"] == "gpt-test"
    prompt = "\n".join(m["content"] for m in body["messages"])
    assert PRICING_TURN in prompt and "[call 1 (" in prompt
    assert "How is the quarter going" not in prompt  # only the retrieved turns, not the whole call
    assert "ben.smith@globex.example" not in prompt  # redacted
    (question,) = questions(bot.store, "T0TEAM")
    assert question.answers[0].model_id == "openai:gpt-test"


def test_when_the_chat_model_fails_the_extractive_answer_is_given(start_bot, fake_openai):
    bot = start_bot(openai_api_key=fake_openai.api_key, openai_base_url=fake_openai.base_url, chat_model="gpt-test")
    post = flagged_deal(bot)
    fake_openai.fail_next(500, "the model is down")
    fake_openai.fail_next(500, "the model is down")  # and the client's one retry
    ask(bot, "what did they say about pricing?", post["ts"])
    (answer,) = answers_in(bot, REVIEW, post["ts"])
    text = json.dumps(answer["blocks"], ensure_ascii=False)
    assert PRICING_TURN in text and "phrased by" not in text


def test_a_mention_in_a_flag_thread_is_answered_once_though_slack_sends_it_twice(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    post = flagged_deal(bot)
    text = f"<@{fake.bot_user_id}> who decides?"
    ts = "1800000000.000100"
    answers = len(fake.calls_to("chat.postMessage"))
    for kind in ("message", "app_mention"):  # Slack delivers a mention as both events
        bot.slack.event({"type": kind, "channel": REVIEW, "user": "U0ANA", "text": text, "ts": ts,
                         "thread_ts": post["ts"], "channel_type": "channel", "team": "T0TEAM"})
    fake.wait_for("chat.postMessage", answers + 1)
    ask(bot, "what did they say about pricing?", post["ts"])  # handled after both deliveries
    assert len(answers_in(bot, REVIEW, post["ts"])) == 2  # who decides, once; pricing


GLOBEX_CALL = """\
Ana: Hi Eve, thanks for the time today.
Eve: Sure. I looked at your quote and the per-seat fee is steep for a team our size.
Ana: What would work for you?
Eve: Something closer to half, honestly.
"""


def test_a_question_naming_another_deal_in_a_flag_thread_is_answered_about_that_deal(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    post = flagged_deal(bot)
    posts = len(fake.calls_to("chat.postMessage"))
    bot.slack.command(f"score Globex Industries :: {GLOBEX_CALL}", response_url=fake.response_url())
    fake.wait_for("chat.postMessage", posts + 1)
    bot.wait_idle()
    ask(bot, "what did Globex Industries say about the price?", post["ts"])
    (answer,) = answers_in(bot, REVIEW, post["ts"])
    text = json.dumps(answer["blocks"], ensure_ascii=False)
    assert "the per-seat fee is steep" in text and "*Globex Industries*" in text
    assert PRICING_TURN not in text  # not Acme Corp's, whose thread it is
    ask(bot, "and what did they say about pricing here?", post["ts"])
    assert PRICING_TURN in json.dumps(answers_in(bot, REVIEW, post["ts"])[1]["blocks"], ensure_ascii=False)
    ask(bot, "did Acme Corp push back on price like Globex Industries did?", post["ts"])  # the thread's own deal named too
    third = json.dumps(answers_in(bot, REVIEW, post["ts"])[2]["blocks"], ensure_ascii=False)
    assert PRICING_TURN in third and "the per-seat fee is steep" not in third


def test_a_deal_named_with_an_ordinary_word_does_not_take_over_questions_using_that_word(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    post = flagged_deal(bot)
    posts = len(fake.calls_to("chat.postMessage"))
    bot.slack.command(f"score Price :: {GLOBEX_CALL}", response_url=fake.response_url())  # a deal called "Price"
    fake.wait_for("chat.postMessage", posts + 1)
    bot.wait_idle()
    ask(bot, "what did they say about the price?", post["ts"])
    first = json.dumps(answers_in(bot, REVIEW, post["ts"])[0]["blocks"], ensure_ascii=False)
    assert PRICING_TURN in first and "the per-seat fee is steep" not in first  # the thread's deal, Acme Corp
    ask(bot, "and what did Price say about the fee?", post["ts"])  # written as the deal's name
    assert "the per-seat fee is steep" in json.dumps(answers_in(bot, REVIEW, post["ts"])[1]["blocks"], ensure_ascii=False)
