"""A deal that starts in a DM is the rep's own: never posted anywhere automatically, shared only by the
rep's action (the "Share with…" menu under its result, or a flag typed in a channel), after which the
channel's members see it."""

from __future__ import annotations

import json

from tests.e2e.conftest import TRANSCRIPT, BotUnderTest

T, DM, REVIEW = "T0TEAM", "D0ANA", "C0REVIEW"


def command(bot: BotUnderTest, text: str, channel: str = "C0SALES", user: str = "U0ANA") -> dict:
    name = f"r{len(bot.fake.calls)}"
    bot.slack.command(text, channel_id=channel, user_id=user, response_url=bot.fake.response_url(name))
    return bot.reply_at(name)


def score_in_dm(bot: BotUnderTest) -> dict:
    """Ana scores Acme in her DM with the bot, with every call flagged automatically; returns the result."""
    bot.fake.member_channels.add(REVIEW)
    command(bot, "config review-channel here", channel=REVIEW)
    command(bot, "config flag-threshold 100%")
    posts = len(bot.fake.calls_to("chat.postMessage"))
    bot.slack.command(f"score Acme :: {TRANSCRIPT}", channel_id=DM, response_url=bot.fake.response_url())
    bot.fake.wait_for("chat.postMessage", posts + 2)
    bot.wait_idle()
    return next(m for m in bot.fake.messages(DM) if any(b.get("block_id") == "summary" for b in m.get("blocks", [])))


def share(bot: BotUnderTest, result: dict, channel: str, user: str = "U0ANA") -> dict:
    (block,) = [b for b in result["blocks"] if str(b.get("block_id", "")).startswith("share_deal:")]
    name = f"share{len(bot.fake.calls)}"
    payload = {
        "type": "block_actions", "team": {"id": T}, "user": {"id": user, "team_id": T}, "api_app_id": "A0SALESRL",
        "token": "legacy-unused", "trigger_id": bot.fake.new_trigger_id(),
        "container": {"type": "message", "message_ts": result["ts"], "channel_id": DM, "is_ephemeral": False},
        "channel": {"id": DM, "name": "directmessage"}, "response_url": bot.fake.response_url(name),
        "actions": [{"type": "conversations_select", "action_id": "share_deal", "block_id": block["block_id"],
                     "selected_conversation": channel, "action_ts": "1.2"}],
    }
    assert bot.slack.interaction(payload).response.status_code == 200
    return bot.reply_at(name)


def test_a_dm_deal_is_not_flagged_into_review_until_the_rep_shares_it(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    result = score_in_dm(bot)
    assert "Only you see this deal" in json.dumps(result["blocks"])
    assert fake.messages(REVIEW) == []  # flagged automatically, but not posted anywhere
    assert len(bot.store.flags.list_open(T)) == 1

    fake.set_members("C0SALES", ["U0ANA", "U0CARL"])
    assert "no deal named “Acme”" in command(bot, "unflag Acme", user="U0CARL")["text"]  # Ana's alone
    told = share(bot, result, "C0SALES")
    assert told["text"] == ":white_check_mark: Shared *Acme* with <#C0SALES>: its members see it from now on."
    assert bot.store.deals.get(T, "Acme").channel_id == "C0SALES"
    (note,) = fake.messages("C0SALES")
    assert "<@U0ANA> shared *Acme* with this channel" in note["text"]
    assert "Cleared 1 flag on *Acme*" in command(bot, "unflag Acme", user="U0CARL")["text"]  # #sales's now


def test_sharing_is_the_owners_and_only_with_a_channel_they_and_the_bot_are_in(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    result = score_in_dm(bot)
    assert "only the rep who owns Acme can share it" in share(bot, result, "C0SALES", user="U0CARL")["text"]
    assert "I'm not in that channel" in share(bot, result, "C0ELSEWHERE")["text"]
    fake.set_members("C0SALES", ["U0CARL"])
    assert "you are not in that channel" in share(bot, result, "C0SALES")["text"]
    assert bot.store.deals.get(T, "Acme").channel_id == DM


def test_a_flag_typed_in_a_channel_shares_the_dm_deal_there(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    score_in_dm(bot)
    reply = command(bot, "flag Acme :: the VP went quiet")
    assert "Flagged *Acme*" in reply["text"]
    assert bot.store.deals.get(T, "Acme").channel_id == "C0SALES"
    assert any("shared *Acme* with this channel" in m["text"] for m in fake.messages("C0SALES"))
    (post,) = [m for m in fake.messages(REVIEW) if m.get("thread_ts", m["ts"]) == m["ts"] and "Flagged" in m["text"]]
    assert "Acme" in post["text"]
