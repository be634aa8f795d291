"""Questions about the pipeline rather than one deal, asked by mentioning the bot: answered from the deals
the asker may see, with the digest's numbers and a link to each deal's latest call; never about the
channel's latest deal, and never naming a deal of a channel the asker is not in."""

from __future__ import annotations

import json

from tests.conftest import make_score_result
from tests.e2e.conftest import TRANSCRIPT, BotUnderTest

T = "T0TEAM"


def score(bot: BotUnderTest, deal: str) -> None:
    posts = len(bot.fake.calls_to("chat.postMessage"))
    bot.slack.command(f"score {deal} :: {TRANSCRIPT}", response_url=bot.fake.response_url())
    bot.fake.wait_for("chat.postMessage", posts + 2)
    bot.wait_idle()


def mention(bot: BotUnderTest, text: str, user: str = "U0ANA", expect: str = "chat.postMessage") -> None:
    before = len(bot.fake.calls_to(expect))
    bot.slack.message(text, mention_of=bot.fake.bot_user_id, user=user)
    bot.fake.wait_for(expect, before + 1)
    bot.wait_idle()


def pipeline_answer(bot: BotUnderTest) -> str:
    thread = bot.fake.thread("C0SALES", bot.slack.last_message_ts)
    (answer,) = [m for m in thread if any(b.get("block_id") == "pipeline_answer" for b in m.get("blocks", []))]
    return json.dumps(answer["blocks"], ensure_ascii=False)


def pipeline(bot: BotUnderTest) -> None:
    """Acme Corp and Globex scored in #sales by Ana; Secret in #board, where Ana is not."""
    bot.slack.command("config flag-threshold 100%", response_url=bot.fake.response_url())  # every deal at risk
    bot.fake.wait_for("response_url")
    score(bot, "Acme Corp")
    score(bot, "Globex")
    bot.fake.set_members("C0BOARD", ["U0CARL"])
    secret = bot.store.deals.get_or_create(T, "Secret Merger", owner_id="U0CARL", channel_id="C0BOARD")
    bot.store.calls.save(T, secret.id, make_score_result([0.4, 0.1]), "slash_command", "t", user_id="U0CARL",
                        channel_id="C0BOARD")


def test_which_deals_are_at_risk_lists_the_askers_deals_with_links(running_bot: BotUnderTest):
    bot = running_bot
    pipeline(bot)
    mention(bot, "which deals are at risk this week?")
    answer = pipeline_answer(bot)
    assert "Deals at risk" in answer and "of the 2 open deals you can see" in answer
    for deal in ("Acme Corp", "Globex"):
        call = bot.store.calls.of_deal(T, bot.store.deals.get(T, deal).id)[-1]
        link = f"https://fake.slack.com/archives/C0SALES/p{call.thread_ts.replace('.', '')}"
        assert f"<{link}|{deal}>" in answer
    assert "Secret" not in answer


def test_what_changed_and_whose_pipeline(running_bot: BotUnderTest):
    bot = running_bot
    pipeline(bot)
    mention(bot, "what changed since Monday?")
    answer = pipeline_answer(bot)
    assert "*Since Monday*: 2 calls on 2 deals" in answer and "Secret" not in answer

    mention(bot, "how is Carl's pipeline?", expect="chat.postEphemeral")  # Ana sees none of Carl's deals
    (refusal,) = bot.fake.calls_to("chat.postEphemeral")
    assert "I don't know whose pipeline “Carl” is" in refusal.params["text"]
    mention(bot, "how's Carl's pipeline?", user="U0CARL", expect="chat.postEphemeral")  # his deal is #board's
    told = bot.fake.calls_to("chat.postEphemeral")[-1]
    assert "Secret Merger" in json.dumps(told.json_param("blocks"), ensure_ascii=False)
    assert "only you see this" in json.dumps(told.json_param("blocks"), ensure_ascii=False)


def test_a_question_about_one_deal_is_still_about_that_deal(running_bot: BotUnderTest):
    bot = running_bot
    pipeline(bot)
    mention(bot, "what changed on Globex since Monday?")
    thread = bot.fake.thread("C0SALES", bot.slack.last_message_ts)
    assert [b.get("block_id") for m in thread for b in m.get("blocks", [])].count("answer") == 1
