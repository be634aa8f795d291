"""Isolation: nobody gets data about a deal of another workspace, or of a channel they are not a
member of, through any command, the App Home tab, a digest or an answer in a thread.

The fake Slack answers conversations.members as Slack would (`set_members` chooses who is in a
channel). Each deal's transcript carries a phrase found nowhere else, so a leak of its content shows."""

from __future__ import annotations

import json
import re
import time
import urllib.parse
from datetime import timedelta

from salesrl.bot.digest.runner import DigestRunner
from salesrl.bot.slack.web_client import slack_client
from salesrl.bot.store.tables import utcnow
from tests.e2e.conftest import TRANSCRIPT, BotUnderTest
from tests.stored import questions

SECRET_PHRASE = "manual reporting"  # in TRANSCRIPT, so in every call scored from it
OTHER_CALL = TRANSCRIPT.replace("manual reporting", "spreadsheet chaos")


def score(bot: BotUnderTest, deal: str, *, user: str = "U0ANA", channel: str = "C0SALES", team: str | None = None,
          text: str = TRANSCRIPT) -> None:
    before = len(bot.fake.calls_to("files.completeUploadExternal"))
    bot.slack.command(f"score {deal} :: {text}", user_id=user, channel_id=channel, team_id=team,
                      response_url=bot.fake.response_url())
    bot.fake.wait_for("files.completeUploadExternal", before + 1)
    bot.wait_idle()


def ask(bot: BotUnderTest, text: str, *, user: str, channel: str = "C0OTHER", team: str | None = None) -> dict:
    """`/salesrl text`; returns what the asker was told privately (the ack, or the reply at the response URL)."""
    name = f"r{time.monotonic_ns()}"
    sent = bot.slack.command(text, user_id=user, channel_id=channel, team_id=team, response_url=bot.fake.response_url(name))
    assert sent.response.status_code == 200
    deadline = time.monotonic() + 20
    while True:
        found = [c for c in bot.fake.calls_to("response_url") if c.path.endswith("/" + name)]
        if found:
            bot.wait_idle()
            return found[-1].params
        ack = sent.json()
        if ack and ack.get("text") and "Scoring" not in ack["text"]:
            return ack
        assert time.monotonic() < deadline, f"no answer to /salesrl {text[:40]}"
        time.sleep(0.02)


def home_of(bot: BotUnderTest, user: str, team: str = "T0TEAM") -> str:
    before = len(bot.fake.calls_to("views.publish"))
    bot.slack.event({"type": "app_home_opened", "user": user, "channel": "D" + user[1:], "tab": "home",
                     "event_ts": f"{time.time():.6f}"}, team_id=team)
    (*_, published) = bot.fake.wait_for("views.publish", before + 1)
    assert published.params["user_id"] == user
    return json.dumps(published.json_param("view"), ensure_ascii=False)


def everything_told(bot: BotUnderTest, *, user: str | None = None, channels: tuple[str, ...] = ()) -> str:
    """Every private reply, ephemeral message, view, and post in `channels` (or the user's DM)."""
    fake = bot.fake
    parts = [json.dumps(c.params, ensure_ascii=False) for c in fake.calls
             if c.method in ("response_url", "views.publish", "views.open")
             or (c.method == "chat.postEphemeral" and c.params.get("user") == user)]
    for channel in channels + ((f"D{user[1:]}",) if user else ()):
        parts += [json.dumps(m, ensure_ascii=False) for m in fake.messages(channel)]
    return "\n".join(parts)


# --- channel membership ----------------------------------------------------------------------------

# commands that look a deal up by name (score and live would add to it)
LOOKUPS = ("deal Acme", "outcome Acme won", "flag Acme :: stalled", "flag Acme stalled", "unflag Acme",
           "forget Acme", "forget Acme confirm")

def test_commands_about_a_deal_of_a_channel_one_is_not_in_are_refused(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    score(bot, "Acme")
    acme = bot.store.deals.get("T0TEAM", "Acme")
    flags = bot.store.flags.list_open("T0TEAM")  # Ana's call may flag itself; Carl's unflag must not clear it
    fake.set_members("C0SALES", ["U0ANA"])  # Carl is in the workspace, not in #sales
    posts_before = len(fake.calls_to("chat.postMessage"))

    for command in LOOKUPS:  # Acme is no deal to Carl (see test_a_deal_of_another_channel_is_answered_as_no_deal)
        told = ask(bot, command, user="U0CARL")
        assert "no deal named “Acme" in told["text"], (command, told["text"])
    for command in ("live Acme", f"score Acme :: {OTHER_CALL}"):  # these would add to the deal of that name
        told = ask(bot, command, user="U0CARL")
        assert "channel you are not in" in told["text"], (command, told["text"])
        assert SECRET_PHRASE not in json.dumps(told) and "%" not in told["text"], command

    # the message shortcut, on a message naming the deal
    bot.slack.interaction({
        "type": "message_action", "callback_id": "score_message", "trigger_id": fake.new_trigger_id(),
        "team": {"id": "T0TEAM"}, "user": {"id": "U0CARL", "team_id": "T0TEAM"}, "channel": {"id": "C0OTHER"},
        "response_url": fake.response_url("shortcut"),
        "message": {"type": "message", "user": "U0CARL", "ts": "1700000300.000300", "text": f"Acme :: {OTHER_CALL}"}})
    deadline = time.monotonic() + 20
    while not [c for c in fake.calls_to("response_url") if c.path.endswith("/shortcut")
               and "channel you are not in" in c.params.get("text", "")]:
        assert time.monotonic() < deadline, "the shortcut was not refused"
        time.sleep(0.05)
    bot.wait_idle()

    after = bot.store.deals.get("T0TEAM", "Acme")
    assert (after.status, after.call_count, after.latest_probability) == ("open", 1, acme.latest_probability)
    assert bot.store.flags.list_open("T0TEAM") == flags
    assert len(fake.calls_to("chat.postMessage")) == posts_before  # nothing posted anywhere: no card, no flag
    assert not fake.calls_to("files.getUploadURLExternal")[1:]  # no chart but Ana's own
    # Ana, in the channel, still can
    assert "Marked *Acme* as won" in ask(bot, "outcome Acme won", user="U0ANA", channel="C0SALES")["text"]


def test_deals_and_the_home_tab_list_only_ones_own_deals_of_channels_one_is_in(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    score(bot, "Acme", user="U0ANA")
    score(bot, "Carl In Sales", user="U0CARL")
    score(bot, "Carl Elsewhere", user="U0CARL", channel="C0OTHER")
    fake.set_members("C0SALES", ["U0ANA"])  # Carl has left #sales
    fake.set_members("C0OTHER", ["U0CARL"])

    listed = ask(bot, "deals", user="U0CARL")
    assert "Carl Elsewhere" in json.dumps(listed) and "Carl In Sales" not in json.dumps(listed)
    assert "Acme" not in json.dumps(listed)
    carl_home = home_of(bot, "U0CARL")
    assert "Carl Elsewhere" in carl_home and "Carl In Sales" not in carl_home and "Acme" not in carl_home
    ana_home = home_of(bot, "U0ANA")
    assert "Acme" in ana_home and "Carl Elsewhere" not in ana_home
    # her own deals are hers; the team's part shows the deals of #sales, where she is
    own = [b for b in json.loads(ana_home)["blocks"] if "likely to convert" in json.dumps(b)]
    assert len(own) == 1 and "Acme" in json.dumps(own)


def test_a_deal_of_another_channel_is_answered_as_no_deal(running_bot: BotUnderTest):
    """Carl, not in #sales, gets byte for byte the same answers about its deal Acme as once there is no Acme."""
    bot, fake = running_bot, running_bot.fake
    score(bot, "Acme")
    fake.set_members("C0SALES", ["U0ANA"])

    def answers() -> list[str]:
        return [json.dumps(ask(bot, command, user="U0CARL"), ensure_ascii=False) for command in LOOKUPS]

    while_it_exists = answers()
    assert "Acme" in ask(bot, "forget Acme confirm", user="U0ANA", channel="C0SALES")["text"]
    assert bot.store.deals.get("T0TEAM", "Acme") is None
    assert answers() == while_it_exists
    assert all("no deal named" in told for told in while_it_exists)


def test_a_question_naming_a_deal_of_another_channel_is_answered_as_one_naming_no_deal(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    score(bot, "Acme")
    fake.set_members("C0SALES", ["U0ANA"])
    fake.member_channels.add("C0OTHER")
    for n, question in enumerate(("what did they say about pricing on Acme?", "what did they say about pricing on Zyx?")):
        bot.slack.message(question, channel="C0OTHER", user="U0CARL", mention_of=fake.bot_user_id)
        fake.wait_for("chat.postEphemeral", n + 1)
        bot.wait_idle()
    about_acme, about_nothing = fake.calls_to("chat.postEphemeral")
    assert about_acme.params["user"] == "U0CARL" and "Which deal?" in about_acme.params["text"]
    said = [(c.params["text"], c.params.get("blocks")) for c in (about_acme, about_nothing)]
    assert said[0] == said[1]  # what it says (the thread it answers in is each question's own)
    assert fake.messages("C0OTHER") == [] and questions(bot.store, "T0TEAM") == []


def test_an_answer_goes_only_to_the_asker_where_others_may_not_see_the_deal(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    score(bot, "Acme")
    fake.set_members("C0SALES", ["U0ANA"])
    fake.member_channels.add("C0OTHER")  # Ana and Carl
    bot.slack.message("what did they say about manual reporting on Acme?", channel="C0OTHER", user="U0ANA",
                      mention_of=fake.bot_user_id)
    (answer,) = fake.wait_for("chat.postEphemeral")
    bot.wait_idle()
    assert answer.params["user"] == "U0ANA" and SECRET_PHRASE in json.dumps(answer.params)
    assert "only you see this" in json.dumps(answer.params)
    assert fake.messages("C0OTHER") == []  # nothing in the channel Carl reads


def test_a_digest_names_only_deals_every_member_of_its_channel_may_see(start_bot):
    bot = start_bot(flag_threshold=1.0)  # every scored deal is at risk (and flagged), so digests name them all
    fake = bot.fake
    fake.member_channels.update({"C0OTHER", "C0MGMT", "C0LEADS"})
    score(bot, "Acme")  # in #sales: Ana only
    score(bot, "Beta", channel="C0OTHER")  # Ana and Carl
    fake.set_members("C0SALES", ["U0ANA"])
    fake.set_members("C0OTHER", ["U0ANA", "U0CARL"])
    fake.set_members("C0MGMT", ["U0ANA", "U0CARL"])
    fake.set_members("C0LEADS", ["U0ANA"])
    store = bot.store
    now = utcnow()
    weekday, hour = (now + timedelta(hours=1)).weekday(), (now + timedelta(hours=1)).hour
    for channel in ("C0MGMT", "C0LEADS"):
        store.digests.add_subscription("T0TEAM", channel, cadence="weekly", weekday=weekday, hour=hour, timezone="UTC")
    runner = DigestRunner(store, slack_client(fake.bot_token, fake.api_url), with_chart=False,
                          at_risk_below=bot.settings.flag_threshold)
    report = runner.run_due(now + timedelta(hours=1, minutes=1))
    assert len(report.posted) == 2
    mgmt = json.dumps(fake.messages("C0MGMT")[-1], ensure_ascii=False)
    leads = json.dumps(fake.messages("C0LEADS")[-1], ensure_ascii=False)
    assert "Beta" in mgmt and "Acme" not in mgmt  # Carl reads #mgmt and is not in #sales
    assert "1 call on 1 deal" in mgmt and "1 open deal" in mgmt  # counted from what they may see only
    assert "Beta" in leads and "Acme" in leads and "2 calls on 2 deals" in leads  # only Ana reads #leads
    # a preview, shown to one person, follows the same rule for them
    preview = ask(bot, "digest preview <#C0MGMT|mgmt>", user="U0CARL", channel="C0MGMT")
    assert "Beta" in json.dumps(preview) and "Acme" not in json.dumps(preview)


# --- workspaces ------------------------------------------------------------------------------------

def install(bot: BotUnderTest, team: str) -> None:
    """The OAuth install of the app in `team`, as tests/e2e/test_slack_oauth.py does it."""
    http, fake = bot.slack.http, bot.fake
    page = http.get(bot.url + "/slack/install", allow_redirects=False)
    link = page.headers.get("Location") or re.search(r'href="([^"]+oauth/v2/authorize[^"]+)"', page.text).group(1)
    state = urllib.parse.parse_qs(urllib.parse.urlsplit(link.replace("&amp;", "&")).query)["state"][0]
    done = http.get(bot.url + "/slack/oauth_redirect", params={"code": fake.new_oauth_code(team), "state": state},
                    headers={"Cookie": page.headers["Set-Cookie"].split(";")[0]}, allow_redirects=False)
    assert done.status_code == 200, done.text


def test_another_workspace_sees_nothing_of_this_ones_deals(start_bot, tmp_path):
    bot = start_bot(slack_bot_token=None, slack_client_id="111.222", slack_client_secret="fake-client-secret",
                    database_url=f"sqlite:///{tmp_path / 'two.db'}")
    fake = bot.fake
    fake.member_channels.add("C0BETA")
    fake.add_user("U0BORIS", "Boris Beta", "boris")
    install(bot, "T0TEAM")
    install(bot, "T0BETA")
    score(bot, "Zephyr", team="T0TEAM")
    zephyr = bot.store.deals.get("T0TEAM", "Zephyr")
    assert zephyr.call_count == 1
    before = len(fake.calls)

    def as_boris(text: str) -> dict:
        return ask(bot, text, user="U0BORIS", channel="C0BETA", team="T0BETA")

    for command in ("deal Zephyr", "outcome Zephyr won", "flag Zephyr :: stalled", "unflag Zephyr",
                    "forget Zephyr confirm"):
        assert "no deal named" in as_boris(command)["text"], command
    assert "Zephyr" not in json.dumps(as_boris("deals"))
    assert "Zephyr" not in home_of(bot, "U0BORIS", team="T0BETA")
    assert "Zephyr" not in json.dumps(as_boris("digest preview"))
    bot.slack.message("what did they say about Zephyr?", channel="C0BETA", user="U0BORIS",
                      mention_of=fake.bot_user_id, team_id="T0BETA", event_fields={"team": "T0BETA"})
    (which,) = fake.wait_for("chat.postEphemeral")
    bot.wait_idle()
    assert "Which deal?" in which.params["text"]
    score(bot, "Zephyr", user="U0BORIS", channel="C0BETA", team="T0BETA", text=OTHER_CALL)  # Boris's own Zephyr

    told = "\n".join(json.dumps(c.params, ensure_ascii=False) for c in fake.calls[before:])
    assert SECRET_PHRASE not in told
    assert bot.store.deals.get("T0TEAM", "Zephyr").call_count == 1  # untouched
    assert bot.store.deals.get("T0BETA", "Zephyr").call_count == 1
    for call in fake.calls[before:]:  # everything for Boris went out with Beta's own token
        if call.method not in ("response_url", "upload", "download"):
            assert fake.tokens[call.headers["Authorization"][7:]] == "T0BETA", call.method
