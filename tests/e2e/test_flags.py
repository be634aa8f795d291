"""Flags end to end: the review channel from `/salesrl config`, flags by hand and automatic ones,
posted with the curve, the swing moments and the reasons; unflag and outcomes clear them."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import TRANSCRIPT, BotUnderTest

REVIEW = "C0REVIEW"


def blocks_text(message: dict) -> str:
    return json.dumps(message.get("blocks", []), ensure_ascii=False)


def posts_in(bot: BotUnderTest, channel: str) -> list[dict]:
    """The channel's messages, without thread replies."""
    return [m for m in bot.fake.messages(channel) if m.get("thread_ts", m["ts"]) == m["ts"]]


@pytest.fixture
def bot(running_bot: BotUnderTest) -> BotUnderTest:
    running_bot.fake.member_channels.add(REVIEW)
    return running_bot


def command(bot: BotUnderTest, text: str, channel: str = "C0SALES", user: str = "U0ANA") -> dict:
    """Run `/salesrl text`; returns the private reply."""
    name = f"r{len(bot.fake.calls)}"
    bot.slack.command(text, channel_id=channel, user_id=user, response_url=bot.fake.response_url(name))
    return bot.reply_at(name)


def score(bot: BotUnderTest, deal: str, transcript: str = TRANSCRIPT) -> None:
    posts = len(bot.fake.calls_to("chat.postMessage"))
    bot.slack.command(f"score {deal} :: {transcript}", response_url=bot.fake.response_url())
    bot.fake.wait_for("chat.postMessage", posts + 2)
    bot.wait_idle()


def set_review_channel(bot: BotUnderTest, *, automatic_flags: bool = True) -> None:
    reply = command(bot, "config review-channel here", channel=REVIEW)
    assert reply["text"] == "Flags now go to the review channel."  # said once, not again with the settings
    fields = [f["text"] for b in reply["blocks"] for f in b.get("fields", [])]
    assert f"*Review channel*\n<#{REVIEW}>" in fields
    assert bot.store.config.get("T0TEAM").review_channel_id == REVIEW
    if not automatic_flags:  # no call flags its deal by itself: only what the test flags by hand
        command(bot, "config flag-threshold 0%")
        command(bot, "config drop-threshold 100%")


def test_a_flag_by_hand_posts_to_the_review_channel_with_curve_swings_and_reason(bot: BotUnderTest):
    fake = bot.fake
    set_review_channel(bot, automatic_flags=False)
    score(bot, "Acme Corp")
    reply = command(bot, "flag Acme Corp :: the VP went quiet after the pilot")
    assert "Flagged *Acme Corp*" in reply["text"] and f"<#{REVIEW}>" in reply["text"]

    (post,) = posts_in(bot, REVIEW)
    assert post["text"].startswith(":triangular_flag_on_post: Flagged: Acme Corp")
    text = blocks_text(post)
    assert "the VP went quiet after the pilot" in text
    assert "<@U0ANA>" in text  # who flagged it
    assert "Swing moments" in text and "call 1 (" in text  # swings of the latest call, cited
    assert any(ch in text for ch in "▁▂▃▄▅▆▇█")  # the curve
    fake.wait_for("files.completeUploadExternal", 2)  # the call's chart, then the flag's chart
    bot.wait_idle()
    thread = fake.thread(REVIEW, post["ts"])
    assert any(m.get("subtype") == "file_share" for m in thread)  # the chart in the flag's thread
    (flag,) = bot.store.flags.list_open("T0TEAM")
    assert (flag.channel_id, flag.thread_ts, flag.flagged_by) == (REVIEW, post["ts"], "U0ANA")

    posts = len(fake.calls_to("chat.postMessage"))
    bot.slack.command("deal Acme Corp", response_url=fake.response_url())
    fake.wait_for("chat.postMessage", posts + 1)
    bot.wait_idle()
    (detail,) = [m for m in posts_in(bot, "C0SALES") if "Open flag" in blocks_text(m)]
    assert "the VP went quiet after the pilot · <@U0ANA>" in blocks_text(detail)  # the deal lists its open flag


def test_without_a_review_channel_a_flag_by_hand_goes_where_it_was_raised(bot: BotUnderTest):
    command(bot, "config flag-threshold 0%")
    command(bot, "config drop-threshold 100%")
    score(bot, "Acme Corp")
    command(bot, "flag Acme Corp no reply since Tuesday")  # the longest known deal name, then the reason
    (flag,) = bot.store.flags.list_open("T0TEAM")
    assert flag.reason == "no reply since Tuesday" and flag.channel_id == "C0SALES"


def test_a_call_ending_below_the_threshold_flags_its_deal_automatically(bot: BotUnderTest):
    fake = bot.fake
    set_review_channel(bot)
    reply = command(bot, "config flag-threshold 100%")  # every call ends below it
    assert "below 100%" in json.dumps(reply, ensure_ascii=False)
    score(bot, "Globex")
    fake.wait_for("chat.postMessage", 3)
    bot.wait_idle()
    (post,) = posts_in(bot, REVIEW)
    assert "Globex" in post["text"]
    assert "below the 100% threshold" in blocks_text(post)
    assert "SalesRL, automatically" in blocks_text(post)
    (flag,) = bot.store.flags.list_open("T0TEAM")
    assert flag.call_id is not None and flag.flagged_by is None

    # flagged again while open: the new reason goes to the same thread, not a second post
    score(bot, "Globex")
    bot.wait_idle()
    assert len(posts_in(bot, REVIEW)) == 1
    again = [m for m in fake.thread(REVIEW, post["ts"]) if m["text"].startswith(":triangular_flag_on_post: Flagged again")]
    assert len(again) == 1
    assert len(bot.store.flags.list_open("T0TEAM")) == 2


def test_the_flag_confirmation_says_how_to_set_a_review_channel_only_while_there_is_none(bot: BotUnderTest):
    score(bot, "Acme Corp")
    hint = "A workspace admin sets where flags go with `/salesrl config review-channel here`."
    assert hint in command(bot, "flag Acme Corp :: stalled")["text"]
    set_review_channel(bot, automatic_flags=False)
    told = command(bot, "flag Acme Corp :: still stalled")["text"]
    assert "Flagged *Acme Corp*" in told and hint not in told


def test_automatic_flags_are_not_posted_without_a_review_channel(bot: BotUnderTest):
    command(bot, "config flag-threshold 100%")
    score(bot, "Globex")
    assert [m["text"][:20] for m in bot.fake.messages("C0SALES") if "Flagged" in m["text"]] == []
    assert len(bot.store.flags.list_open("T0TEAM")) == 1  # recorded: digests and questions see it


def test_unflag_and_an_outcome_clear_flags_and_say_so_in_the_thread(bot: BotUnderTest):
    fake = bot.fake
    set_review_channel(bot, automatic_flags=False)
    score(bot, "Acme Corp")
    score(bot, "Globex")
    command(bot, "flag Acme Corp :: stalled")
    command(bot, "flag Globex :: lost the champion")
    acme_post, globex_post = posts_in(bot, REVIEW)

    reply = command(bot, "unflag acme corp")
    assert "Cleared 1 flag" in reply["text"]
    assert any("Flag cleared by <@U0ANA>" in m["text"] for m in fake.thread(REVIEW, acme_post["ts"]))

    command(bot, "outcome Globex lost")
    assert any("the deal was lost" in m["text"] for m in fake.thread(REVIEW, globex_post["ts"]))
    assert bot.store.flags.list_open("T0TEAM") == []
    assert "has no open flag" in command(bot, "unflag Globex")["text"]

    # a closed deal is not flagged; its outcome changes only when confirmed; reopened, it can be flagged
    assert "Globex was lost: a closed deal is not flagged" in command(bot, "flag Globex :: stalled")["text"]
    assert "Globex is already recorded as lost" in command(bot, "outcome Globex lost")["text"]
    asked = command(bot, "outcome Globex won")["text"]
    assert "Globex is recorded as lost. To change that: /salesrl outcome Globex won confirm" in asked
    assert bot.store.deals.get("T0TEAM", "Globex").status == "lost"
    assert "Marked *Globex* as won" in command(bot, "outcome Globex won confirm")["text"]
    assert "as open again" in command(bot, "outcome Globex open confirm")["text"]
    reopened = bot.store.deals.get("T0TEAM", "Globex")
    assert (reopened.status, reopened.closed_at) == ("open", None)
    command(bot, "flag Globex :: stalled again")
    assert [f.reason for f in bot.store.flags.list_open("T0TEAM")] == ["stalled again"]


def test_config_shows_and_validates(bot: BotUnderTest):
    shown = command(bot, "config")
    text = json.dumps(shown, ensure_ascii=False)
    assert "not set" in text and "below 35%" in text and "15 pts within 5 turns" in text
    assert "not a percentage" in command(bot, "config drop-threshold lots")["text"]
    assert "can't tell which channel “#deal-review” is" in command(bot, "config review-channel #deal-review")["text"]
    bot.fake.add_channel(REVIEW, "deal-review")  # the plain name an older manifest (should_escape: false) sends
    assert "Flags now go to the review channel" in command(bot, "config review-channel #deal-review")["text"]
    assert bot.store.config.get("T0TEAM").review_channel_id == REVIEW
    assert "not in that channel" in command(bot, "config review-channel <#C0ELSEWHERE|elsewhere>")["text"]
    changed = command(bot, "config drop-threshold 20%")
    assert "20 pts within 5 turns" in json.dumps(changed, ensure_ascii=False)
    assert bot.store.config.get("T0TEAM").drop_threshold == pytest.approx(0.2)
    command(bot, "config drop-threshold default")
    assert bot.store.config.get("T0TEAM").drop_threshold is None


# --- who sees a flag's content: only a channel whose members all may see the deal ---------------------

PRIVATE = "C0PRIV"  # a private channel: Ana only
TURNS = [line.split(": ", 1)[1] for line in TRANSCRIPT.splitlines()]


def score_in(bot: BotUnderTest, deal: str, channel: str, response: str) -> None:
    """Ana scores a call of `deal` in `channel`; the private replies go to response URL `response`."""
    posts = len(bot.fake.calls_to("chat.postMessage"))
    bot.slack.command(f"score {deal} :: {TRANSCRIPT}", channel_id=channel, response_url=bot.fake.response_url(response))
    bot.fake.wait_for("chat.postMessage", posts + 2)
    bot.wait_idle()


def replies_at(bot: BotUnderTest, name: str) -> str:
    return json.dumps([c.params for c in bot.fake.calls_to("response_url") if c.path.endswith("/" + name)],
                      ensure_ascii=False)


def uploads_in(bot: BotUnderTest, channel: str) -> list:
    return [c for c in bot.fake.calls_to("files.completeUploadExternal") if c.params.get("channel_id") == channel]


def assert_no_call_content(post: dict, thread: list[dict]) -> None:
    shown = json.dumps([post, *thread], ensure_ascii=False)
    assert not [t for t in TURNS if t[:40] in shown or t[:40].replace("'", "’") in shown]  # no turn quoted
    assert "Swing moments" not in shown and not any(ch in shown for ch in "▁▂▃▄▅▆▇█")  # no swings, no curve
    assert not [m for m in thread if m.get("files")]  # no chart


@pytest.fixture
def private_deals(bot: BotUnderTest) -> BotUnderTest:
    """#priv holds Ana only; the review channel holds Ana and Carl (everyone the fake knows)."""
    bot.fake.member_channels.add(PRIVATE)
    bot.fake.set_members(PRIVATE, ["U0ANA"])
    return bot


def test_an_automatic_flag_of_a_private_channels_deal_reaches_outsiders_without_its_content(private_deals):
    bot, fake = private_deals, private_deals.fake
    set_review_channel(bot)
    command(bot, "config flag-threshold 100%")  # every call ends below it
    score_in(bot, "Globex", PRIVATE, "scored")
    fake.wait_for("chat.postMessage", 3)
    bot.wait_idle()

    (post,) = posts_in(bot, REVIEW)
    assert post["text"].startswith(":triangular_flag_on_post: Flagged: Globex") and "likely to convert" in post["text"]
    assert f"see <#{PRIVATE}>" in blocks_text(post)
    assert "below the 100% threshold" not in blocks_text(post)  # the reasons stay in the deal's channel
    assert_no_call_content(post, fake.thread(REVIEW, post["ts"]))
    assert uploads_in(bot, REVIEW) == []
    told = replies_at(bot, "scored")  # whoever scored the call hears where the flag went, and how
    assert f"Your call flagged *Globex*: posted in <#{REVIEW}> without the call's content" in told

    score_in(bot, "Globex", PRIVATE, "again")  # flagged again while open: a note in the thread, no reason
    (again,) = [m for m in fake.thread(REVIEW, post["ts"]) if m["text"].startswith(":triangular_flag_on_post: Flagged again")]
    assert "below the" not in again["text"] and "the reason stays in the deal's channel" in again["text"]
    assert_no_call_content(post, fake.thread(REVIEW, post["ts"]))


def test_a_flag_by_hand_of_a_private_channels_deal_reaches_outsiders_without_its_content(private_deals):
    bot, fake = private_deals, private_deals.fake
    set_review_channel(bot, automatic_flags=False)
    score_in(bot, "Acme Corp", PRIVATE, "scored")
    reply = command(bot, "flag Acme Corp :: the VP went quiet after the pilot", channel=PRIVATE)
    assert reply["text"] == (f":triangular_flag_on_post: Flagged *Acme Corp*: posted in <#{REVIEW}> without the "
                             "call's content, because not everyone there is in the deal's channel.")  # it is set
    (post,) = posts_in(bot, REVIEW)
    assert "the VP went quiet" not in json.dumps(post) and "<@U0ANA>" in blocks_text(post)
    assert_no_call_content(post, fake.thread(REVIEW, post["ts"]))
    assert uploads_in(bot, REVIEW) == []


def test_a_review_channel_whose_people_are_all_in_the_deals_channel_gets_the_full_flag(private_deals):
    bot, fake = private_deals, private_deals.fake
    fake.set_members(PRIVATE, ["U0ANA", "U0CARL"])
    fake.set_members(REVIEW, ["U0ANA"])  # fewer people than the deal's channel
    set_review_channel(bot, automatic_flags=False)
    score_in(bot, "Acme Corp", PRIVATE, "scored")
    reply = command(bot, "flag Acme Corp :: the VP went quiet after the pilot", channel=PRIVATE)
    assert reply["text"] == f":triangular_flag_on_post: Flagged *Acme Corp*: posted in <#{REVIEW}>."
    (post,) = posts_in(bot, REVIEW)
    assert "the VP went quiet after the pilot" in blocks_text(post) and "Swing moments" in blocks_text(post)
    fake.wait_for("files.completeUploadExternal", 2)  # the call's chart, then the flag's
    bot.wait_idle()
    assert len(uploads_in(bot, REVIEW)) == 1


def test_a_dm_deal_is_flagged_in_full_to_its_owner_only(private_deals):
    bot, fake = private_deals, private_deals.fake
    set_review_channel(bot, automatic_flags=False)
    fake.set_members("D0ANA", ["U0ANA"])  # Ana's DM with the bot
    fake.member_channels.add("D0ANA")
    score_in(bot, "Initech", "D0ANA", "scored")
    command(bot, "flag Initech :: budget frozen", channel="D0ANA")
    (post,) = posts_in(bot, REVIEW)
    assert "budget frozen" not in json.dumps(post) and "<@U0ANA>" in blocks_text(post)
    assert_no_call_content(post, fake.thread(REVIEW, post["ts"]))


def test_a_chart_title_carries_the_deal_name_escaped(bot: BotUnderTest):
    fake = bot.fake
    set_review_channel(bot, automatic_flags=False)
    score(bot, "&lt;!everyone&gt; deal")  # typed as "<!everyone> deal": Slack escapes what is typed
    command(bot, "flag <!everyone> deal :: stalled".replace("<", "&lt;").replace(">", "&gt;"))
    fake.wait_for("files.completeUploadExternal", 2)  # the call's chart and the flag's
    bot.wait_idle()
    titles = [f.get("title") for c in fake.calls_to("files.completeUploadExternal") for f in c.json_param("files")]
    assert titles == ["Probability curve — &lt;!everyone&gt; deal", "Latest call — &lt;!everyone&gt; deal"]
