"""`/salesrl` subcommands, the modal and the App Home tab, over real HTTP."""

from __future__ import annotations

import json

from tests.conftest import make_score_result
from tests.e2e.conftest import TRANSCRIPT, BotUnderTest

PNG = b"\x89PNG\r\n\x1a\n"


def score(bot: BotUnderTest, deal: str, transcript: str = TRANSCRIPT, user_id: str = "U0ANA") -> None:
    """Score a call and wait until its reply is complete."""
    before = len(bot.fake.calls_to("files.completeUploadExternal"))
    bot.slack.command(f"score {deal} :: {transcript}", user_id=user_id, response_url=bot.fake.response_url())
    bot.fake.wait_for("files.completeUploadExternal", before + 1)
    bot.fake.wait_for("chat.postMessage", 2 * (before + 1))
    bot.wait_idle()


def test_help_is_answered_inside_the_ack(running_bot: BotUnderTest):
    for text in ("help", "", "HELP"):
        ack = running_bot.slack.command(text, response_url=running_bot.fake.response_url()).json()
        assert ack["response_type"] == "ephemeral"
        body = json.dumps(ack["blocks"])
        for usage in ("/salesrl score [deal name ::] transcript", "/salesrl deals", "/salesrl deal NAME",
                      "/salesrl outcome NAME won|lost"):
            assert usage in body
    assert not running_bot.fake.calls_to("response_url")


def test_unknown_subcommand_is_one_private_line(running_bot: BotUnderTest):
    ack = running_bot.slack.command("forecast everything", response_url=running_bot.fake.response_url()).json()
    assert ack["response_type"] == "ephemeral"
    assert "forecast" in ack["text"] and "/salesrl help" in ack["text"]
    running_bot.wait_idle()
    assert not running_bot.fake.calls_to("chat.postMessage")


def test_a_mistyped_subcommand_gets_the_one_it_meant(running_bot: BotUnderTest):
    ack = running_bot.slack.command("scroe Acme :: Ana: hi", response_url=running_bot.fake.response_url()).json()
    assert ack["text"] == ":warning: I don't know “scroe”: did you mean `/salesrl score`?"
    running_bot.wait_idle()
    assert not running_bot.fake.calls_to("chat.postMessage")


def test_a_near_miss_deal_name_offers_the_deals_the_asker_may_see(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    for name in ("Acme Corp", "Acme Labs", "Globex"):
        bot.store.deals.get_or_create("T0TEAM", name, owner_id="U0ANA", channel_id="C0SALES")
    bot.store.deals.get_or_create("T0TEAM", "Acme Secret", owner_id="U0CARL", channel_id="C0BOARD")
    fake.set_members("C0BOARD", ["U0CARL"])  # Ana is not in #board: its deal is not offered to her
    for typed in ("deal Acm", "outcome Glbex won"):
        bot.slack.command(typed, response_url=fake.response_url())
    # the two commands are answered by different workers: in either order
    replies = sorted(c.params["text"] for c in fake.wait_for("response_url", 2))
    assert replies == [":warning: no deal named “Acm”: did you mean “Acme Corp” or “Acme Labs”?",
                       ":warning: no deal named “Glbex”: did you mean “Globex”?"]


def test_score_alone_opens_the_modal_inside_the_ack(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    bot.store.deals.get_or_create("T0TEAM", "Acme Corp", owner_id="U0ANA")
    bot.store.deals.get_or_create("T0TEAM", "Someone Else's", owner_id="U0CARL")
    sent = bot.slack.command("score", trigger_id=fake.new_trigger_id(), response_url=fake.response_url())
    assert sent.response.status_code == 200
    (opened,) = fake.calls_to("views.open")
    assert sent.sent_at < opened.at < sent.answered_at  # within the ack, while the trigger is valid
    view = opened.json_param("view")
    assert view["callback_id"] == "score_modal"
    options = view["blocks"][0]["element"]["options"]
    assert [o["text"]["text"] for o in options] == ["Acme Corp"]  # only the user's own deals
    kinds = {b["block_id"]: b["element"]["type"] for b in view["blocks"]}
    assert kinds["transcript_text"] == "plain_text_input" and kinds["transcript_file"] == "file_input"
    file_input = next(b for b in view["blocks"] if b["block_id"] == "transcript_file")["element"]
    assert file_input["filetypes"] == ["txt", "vtt", "srt", "json"]
    metadata = json.loads(view["private_metadata"])
    assert metadata["channel_id"] == "C0SALES"


def test_modal_trigger_expired_is_reported_not_hidden(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    ack = bot.slack.command("score", trigger_id="123.456.never-issued", response_url=fake.response_url()).json()
    assert ack["response_type"] == "ephemeral" and "the form did not open in time" in ack["text"]


def modal_submission(fake, *, values: dict, channel_id: str = "C0SALES") -> dict:
    return {
        "type": "view_submission", "team": {"id": "T0TEAM"}, "user": {"id": "U0ANA", "team_id": "T0TEAM"},
        "trigger_id": fake.new_trigger_id(),
        "view": {
            "id": "V0MODAL", "type": "modal", "callback_id": "score_modal", "team_id": "T0TEAM",
            "private_metadata": json.dumps({"channel_id": channel_id, "response_url": fake.response_url()}),
            "state": {"values": values},
        },
    }


def test_modal_with_a_file_and_a_new_deal(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    srt = "".join(f"{i}\n00:00:{i * 5:02d},000 --> 00:00:{i * 5 + 4:02d},000\n{line}\n\n"
                  for i, line in enumerate(TRANSCRIPT.strip().splitlines(), 1))
    file = fake.add_file("globex-discovery.srt", srt.encode())
    values = {
        "deal_new": {"name": {"type": "plain_text_input", "value": "Globex expansion"}},
        "rep": {"name": {"type": "plain_text_input", "value": "Ana"}},
        "transcript_text": {"text": {"type": "plain_text_input", "value": None}},
        "transcript_file": {"file": {"type": "file_input", "files": [file]}},
    }
    sent = bot.slack.interaction(modal_submission(fake, values=values))
    assert sent.response.status_code == 200 and not sent.response.content  # closes the modal
    fake.wait_for("files.completeUploadExternal")
    bot.wait_idle()
    summary = fake.messages("C0SALES")[0]
    assert "Globex expansion" in summary["text"]
    assert fake.calls_to("download")[0].headers["Authorization"] == f"Bearer {fake.bot_token}"
    deal = bot.store.deals.get("T0TEAM", "globex expansion")
    (call,) = bot.store.calls.of_deal("T0TEAM", deal.id)
    assert (call.source, call.format) == ("file", "srt")
    assert bot.store.calls.get("T0TEAM", call.id).roles_decided_by  # the rep named in the form decided roles


def test_modal_with_pasted_text_and_a_picked_deal(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    deal = bot.store.deals.get_or_create("T0TEAM", "Acme Corp", owner_id="U0ANA")
    values = {
        "deal_pick": {"deal": {"type": "static_select", "selected_option": {"value": str(deal.id)}}},
        "deal_new": {"name": {"type": "plain_text_input", "value": None}},
        "transcript_text": {"text": {"type": "plain_text_input", "value": TRANSCRIPT}},
        "transcript_file": {"file": {"type": "file_input", "files": []}},
    }
    bot.slack.interaction(modal_submission(fake, values=values))
    fake.wait_for("files.completeUploadExternal")
    bot.wait_idle()
    assert bot.store.deals.get("T0TEAM", "Acme Corp").call_count == 1


def test_modal_without_a_transcript_says_so_under_the_input(running_bot: BotUnderTest):
    fake = running_bot.fake
    values = {"transcript_text": {"text": {"type": "plain_text_input", "value": "   "}},
              "transcript_file": {"file": {"type": "file_input", "files": []}}}
    ack = running_bot.slack.interaction(modal_submission(fake, values=values)).json()
    assert ack["response_action"] == "errors"
    assert "transcript_text" in ack["errors"]
    running_bot.wait_idle()
    assert not fake.calls_to("chat.postMessage")


def test_modal_with_text_that_cannot_be_scored_stays_open_and_says_why(running_bot: BotUnderTest):
    fake = running_bot.fake
    values = {"deal_new": {"name": {"type": "plain_text_input", "value": "Initech"}},
              "transcript_text": {"text": {"type": "plain_text_input",
                                           "value": "Ana: Hi, leaving a message about the renewal.\nAna: Bye!"}},
              "transcript_file": {"file": {"type": "file_input", "files": []}}}
    ack = running_bot.slack.interaction(modal_submission(fake, values=values)).json()
    assert ack["response_action"] == "errors"  # the form stays open, the pasted text still in it
    assert ack["errors"]["transcript_text"].startswith("only Ana speaks in this text")
    running_bot.wait_idle()
    assert not fake.calls_to("chat.postMessage") and not fake.calls_to("response_url")
    assert running_bot.store.deals.get("T0TEAM", "Initech") is None


def test_deals_deal_and_outcome(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    score(bot, "Acme Corp")
    score(bot, "acme  corp", TRANSCRIPT.replace("That works.", "We will not go ahead, the price is too high."))
    score(bot, "Carl's deal", user_id="U0CARL")

    bot.slack.command("deals", response_url=fake.response_url("deals"))
    (listed,) = fake.wait_for("response_url")
    text = json.dumps(listed.params["blocks"], ensure_ascii=False)
    assert "Acme Corp" in text and "2 calls" in text and "Carl" not in text  # only my deals
    assert listed.params["response_type"] == "ephemeral"

    posts_before = len(fake.calls_to("chat.postMessage"))
    bot.slack.command("deal ACME CORP", response_url=fake.response_url())
    fake.wait_for("files.completeUploadExternal", 4)
    bot.wait_idle()
    detail = fake.calls_to("chat.postMessage")[posts_before]
    assert detail.params["channel"] == "C0SALES" and "after 2 calls" in detail.params["text"]
    chart = fake.calls_to("upload")[-1]
    assert chart.body.startswith(PNG)
    complete = fake.calls_to("files.completeUploadExternal")[-1]
    assert complete.params["thread_ts"] == fake.messages("C0SALES")[-2]["ts"]

    bot.slack.command("outcome Acme Corp won", response_url=fake.response_url())
    replies = fake.wait_for("response_url", 2)
    assert "Marked *Acme Corp* as won" in replies[1].params["text"]
    assert bot.store.deals.get("T0TEAM", "Acme Corp").status == "won"


def test_unknown_deal_is_one_private_line(running_bot: BotUnderTest):
    fake = running_bot.fake
    running_bot.slack.command("deal Nope Inc", response_url=fake.response_url())
    running_bot.slack.command("outcome Nope Inc lost", response_url=fake.response_url())
    running_bot.slack.command("outcome Nope Inc maybe", response_url=fake.response_url())
    replies = [c.params["text"] for c in fake.wait_for("response_url", 3)]
    assert sum("no deal named “Nope Inc”" in r for r in replies) == 2
    assert any("usage: /salesrl outcome" in r for r in replies)
    assert all(r.startswith(":warning: ") and "\n" not in r for r in replies)


def test_app_home_shows_my_deals(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    score(bot, "Acme Corp")
    sent = bot.slack.event({"type": "app_home_opened", "user": "U0ANA", "channel": "D0ANA", "tab": "home",
                            "event_ts": "1700000000.1"})
    assert sent.response.status_code == 200
    (published,) = fake.wait_for("views.publish")
    assert published.params["user_id"] == "U0ANA"
    view = published.json_param("view")
    assert view["type"] == "home"
    assert "Acme Corp" in json.dumps(view["blocks"]) and "likely to convert" in json.dumps(view["blocks"])


def test_app_home_shows_a_manager_the_team_deals_they_may_see(running_bot: BotUnderTest):
    """Carl scores nothing: his tab still shows the team's deals he may see, each linked to its latest call,
    and nothing of a channel he is not in; a deal name's formatting characters do not break its bold."""
    bot, fake = running_bot, running_bot.fake
    bot.slack.command("config flag-threshold 100%", response_url=fake.response_url())  # every deal at risk
    fake.wait_for("response_url")
    score(bot, "Acme *VIP* Corp")
    fake.set_members("C0BOARD", ["U0ANA"])
    secret = bot.store.deals.get_or_create("T0TEAM", "Secret Merger", owner_id="U0ANA", channel_id="C0BOARD")
    bot.store.calls.save("T0TEAM", secret.id, make_score_result([0.4, 0.1]), "slash_command", "t",
                        user_id="U0ANA", channel_id="C0BOARD")
    bot.slack.event({"type": "app_home_opened", "user": "U0CARL", "channel": "D0CARL", "tab": "home",
                     "event_ts": "1700000000.2"})
    (published,) = fake.wait_for("views.publish")
    view = published.json_param("view")["blocks"]
    blocks = {b["block_id"]: json.dumps(b, ensure_ascii=False) for b in view if "block_id" in b}
    shown = json.dumps(view, ensure_ascii=False)
    assert "No deals of yours yet" in shown and "Secret" not in shown
    call = bot.store.calls.of_deal("T0TEAM", bot.store.deals.get("T0TEAM", "Acme *VIP* Corp").id)[-1]
    link = f"https://fake.slack.com/archives/C0SALES/p{call.thread_ts.replace('.', '')}"
    assert f"*<{link}|Acme ∗VIP∗ Corp>*" in blocks["home_at_risk"]
    assert "<@U0ANA>: 1 call" in blocks["home_reps"]
    asked = len(fake.calls_to("chat.getPermalink"))
    bot.slack.event({"type": "app_home_opened", "user": "U0CARL", "channel": "D0CARL", "tab": "home",
                     "event_ts": "1700000000.3"})
    fake.wait_for("views.publish", 2)
    bot.wait_idle()
    assert len(fake.calls_to("chat.getPermalink")) == asked  # opened again: the links are known


def test_a_deal_gets_its_amount_stage_and_close_date_and_the_digest_weighs_it(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    score(bot, "Acme Corp")
    bot.slack.command("deal Acme Corp amount 40k stage negotiation close 2027-01-31", response_url=fake.response_url())
    (reply,) = fake.wait_for("response_url")
    bot.wait_idle()
    assert reply.params["text"] == (":white_check_mark: *Acme Corp*: amount 40k · stage negotiation · "
                                    "closes 31 Jan 2027.")
    deal = bot.store.deals.get("T0TEAM", "Acme Corp")
    assert (deal.amount, deal.stage, str(deal.close_date)) == (40000, "negotiation", "2027-01-31")
    bot.slack.command("deal Acme Corp amount lots", response_url=fake.response_url())
    assert "“lots” is not an amount" in fake.wait_for("response_url", 2)[1].params["text"]
    bot.slack.command("digest preview", response_url=fake.response_url())
    preview = json.dumps(fake.wait_for("response_url", 3)[2].params["blocks"], ensure_ascii=False)
    assert "of 40k (1 deal with an amount)" in preview
