"""Who may change what the bot posts where: a workspace's settings (the review channel, where flags
carry deal data, and the thresholds) only its Slack admins and owners and the SalesRL admins they
name; a channel's digest subscription only the people of that channel. Over signed HTTP, with the
fake Slack answering users.info (is_admin, is_owner) and conversations.members as Slack would.

In the e2e fixtures Ana is a workspace admin and Carl is not."""

from __future__ import annotations

import json

from tests.e2e.conftest import BotUnderTest
from tests.reliability.test_isolation import ask

T = "T0TEAM"
REFUSED = "Only a workspace admin or owner, or a SalesRL admin, can change SalesRL's settings"
CHANGES = ("config review-channel here", "config review-channel default", "config flag-threshold 90%",
           "config drop-threshold 50%", "config admins add <@U0CARL|carl>", "config admins remove U0ANA")


def config_of(bot: BotUnderTest) -> tuple:
    c = bot.store.config.get(T)
    return c.review_channel_id, c.flag_threshold, c.drop_threshold, c.admin_user_ids


def test_only_admins_change_the_settings_and_anyone_sees_them(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    fake.member_channels.update({"C0REVIEW", "C0OTHER"})
    assert "Flags now go to the review channel" in ask(bot, "config review-channel here", user="U0ANA",
                                                       channel="C0REVIEW")["text"]
    before = config_of(bot)
    assert before == ("C0REVIEW", None, None, ())

    for change in CHANGES:  # Carl: no admin, in no channel of note
        told = ask(bot, change, user="U0CARL", channel="C0OTHER")
        assert told["text"].startswith(":warning: " + REFUSED), (change, told["text"])
    assert config_of(bot) == before
    shown = json.dumps(ask(bot, "config", user="U0CARL"), ensure_ascii=False)
    assert "<#C0REVIEW>" in shown and "none named" in shown  # showing is for anyone

    # Ana, a workspace admin, names Carl a SalesRL admin: then he may
    shown = json.dumps(ask(bot, "config admins add <@U0CARL|carl>", user="U0ANA"), ensure_ascii=False)
    assert "SalesRL admin added" in shown and "<@U0CARL>" in shown
    assert "Flag threshold updated" in ask(bot, "config flag-threshold 20%", user="U0CARL")["text"]
    assert config_of(bot)[1:] == (0.2, None, ("U0CARL",))
    ask(bot, "config admins remove <@U0CARL|Carl Ng>", user="U0ANA")
    assert ask(bot, "config flag-threshold 90%", user="U0CARL")["text"].startswith(":warning: " + REFUSED)
    assert config_of(bot) == ("C0REVIEW", 0.2, None, ())

    fake.add_user("U0OWEN", "Owen Owner", "owen").is_owner = True  # an owner may too
    assert "Drop alert updated" in ask(bot, "config drop-threshold 25%", user="U0OWEN")["text"]


def test_when_slack_cannot_say_who_is_an_admin_nothing_changes(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    fake.fail_next("users.info", "ratelimited")
    told = ask(bot, "config flag-threshold 90%", user="U0ANA")
    assert told["text"] == ":warning: I couldn't check that with Slack: try again in a minute"
    assert config_of(bot) == (None, None, None, ())


def test_a_salesrl_admin_is_a_person_of_this_workspace(running_bot: BotUnderTest):
    bot = running_bot
    assert "I can't find that person in this workspace" in ask(bot, "config admins add U0NOBODY", user="U0ANA")["text"]
    assert "I can't see names here" in ask(bot, "config admins add @carl", user="U0ANA")["text"]
    assert config_of(bot)[3] == ()


def test_only_the_people_of_a_channel_change_its_digest(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    fake.member_channels.update({"C0PRIV", "C0LEADS"})
    fake.set_members("C0PRIV", ["U0ANA"])
    fake.set_members("C0LEADS", ["U0ANA"])
    assert "gets the pipeline digest" in ask(bot, "digest subscribe <#C0PRIV|priv> weekly", user="U0ANA")["text"]
    (sub,) = bot.store.digests.list_subscriptions(T)
    posts = len(fake.calls_to("chat.postMessage"))

    for command in ("digest unsubscribe <#C0PRIV|priv>", "digest subscribe <#C0PRIV|priv> daily",
                    "digest subscribe <#C0LEADS|leads> daily"):
        told = ask(bot, command, user="U0CARL", channel="C0OTHER")
        assert "only people in that channel can change its digest" in told["text"], command
    assert bot.store.digests.list_subscriptions(T) == [sub]  # not removed, not changed, no new one
    assert len(fake.calls_to("chat.postMessage")) == posts  # no welcome posted in #leads
