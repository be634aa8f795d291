"""Private data: contact and payment details never reach the database, the log or OpenAI; a deal
can be forgotten from Slack; old transcripts are purged while their scores stay.

Every check reads what actually left the code: every row of every table of the database, every log
record, every HTTP body that reached the fake OpenAI server."""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta

import pytest
import time_machine
import sqlalchemy as sa

from salesrl.bot.store.engine import make_engine
from salesrl.bot.store.tables import utcnow
from tests.e2e.conftest import TRANSCRIPT, BotUnderTest
from tests.stored import questions

# What a prospect says that must never be kept or sent anywhere (the card number passes the Luhn
# check, the IBANs the mod-97 check).
EMAIL = "ben.smith@globex.example"
PHONE = "+1 415 555 0134"
US_PHONE = "(415) 555-0199"
CARD = "4111 1111 1111 1111"
IBAN = "DE89 3704 0044 0532 0130 00"
COMPACT_IBAN = "GB82WEST12345698765432"
SECRETS = (EMAIL, PHONE, US_PHONE, CARD, IBAN, COMPACT_IBAN)
# pieces that must not survive in any form (digits of the numbers without their spacing)
FRAGMENTS = (EMAIL, "globex.example", "555 0134", "555-0199", "4111111111111111", "4111 1111",
             "DE89370400440532013000", "DE89 3704", COMPACT_IBAN)
PII_TURN = (f"Ben: Mail the contract to {EMAIL}, call me on {PHONE} or {US_PHONE}. "
            f"Pay the deposit with {CARD} or wire it to {IBAN} or {COMPACT_IBAN}.\n")


def engine_of(bot: BotUnderTest) -> sa.Engine:
    return make_engine(bot.settings.effective_database_url())


def database_text(bot: BotUnderTest) -> str:
    """Every value of every row of every table of the bot's database, as one string."""
    return database_text_at(bot.settings.effective_database_url())


def database_text_at(url: str) -> str:
    engine = make_engine(url)
    meta = sa.MetaData()
    meta.reflect(bind=engine)
    parts = []
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            for row in conn.execute(sa.select(table)):
                parts.extend(v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in row)
    engine.dispose()
    return "\n".join(parts)


def leaked(text: str) -> list[str]:
    flat = " ".join(text.split())
    return [f for f in FRAGMENTS if f in flat or f.replace(" ", "") in flat.replace(" ", "")]


def score(bot: BotUnderTest, text: str, deal: str = "Globex", **kw) -> None:
    fake = bot.fake
    before = len(fake.calls_to("files.completeUploadExternal"))
    bot.slack.command(f"score {deal} :: {text}", response_url=fake.response_url(), **kw)
    fake.wait_for("files.completeUploadExternal", before + 1)
    bot.wait_idle()


def start_live(bot: BotUnderTest, deal: str) -> str:
    bot.slack.command(f"live {deal}", response_url=bot.fake.response_url())
    deadline = time.monotonic() + 20
    while True:
        cards = [m for m in bot.fake.messages("C0SALES") if "Live" in m.get("text", "") and deal in m["text"]]
        if cards and bot.store.live.find("T0TEAM", "C0SALES", cards[0]["ts"]):
            return cards[0]["ts"]
        assert time.monotonic() < deadline, "no live card"
        time.sleep(0.02)


def test_contact_and_payment_details_never_reach_the_database_or_the_log(running_bot: BotUnderTest, caplog):
    bot, fake = running_bot, running_bot.fake
    caplog.set_level(logging.DEBUG)
    # 1. a pasted call, 2. a transcript file shared in a DM, 3. a message shortcut
    score(bot, TRANSCRIPT + PII_TURN)
    file = fake.add_file("call.txt", (TRANSCRIPT + PII_TURN).encode())
    bot.slack.event({"type": "message", "subtype": "file_share", "user": "U0ANA", "channel": "D0ANA",
                     "channel_type": "im", "text": "Initech ::", "ts": "1700000100.000100", "files": [file]})
    fake.wait_for("files.completeUploadExternal", 2)
    bot.slack.interaction({
        "type": "message_action", "callback_id": "score_message", "trigger_id": fake.new_trigger_id(),
        "team": {"id": "T0TEAM", "domain": "acme"}, "user": {"id": "U0ANA", "team_id": "T0TEAM"},
        "channel": {"id": "C0SALES", "name": "sales"}, "response_url": fake.response_url(),
        "message": {"type": "message", "user": "U0CARL", "ts": "1700000200.000200",
                    "text": "Hooli :: " + TRANSCRIPT + PII_TURN}})
    fake.wait_for("files.completeUploadExternal", 3)
    bot.wait_idle()
    # 4. a live session, 5. a flag raised by hand, 6. a question in the flag's thread
    card = start_live(bot, "Initrode")
    updates = len(fake.calls_to("chat.update"))
    bot.slack.message(PII_TURN.strip(), thread_ts=card)
    fake.wait_for("chat.update", updates + 1)
    bot.slack.command(f"flag Globex :: he gave his card {CARD} and {EMAIL}", response_url=fake.response_url())
    fake.wait_for("chat.postMessage", len(fake.calls_to("chat.postMessage")) + 1)
    bot.wait_idle()
    flag = bot.store.flags.list_open("T0TEAM")[0]
    bot.slack.message(f"did he give {EMAIL} or {PHONE} to anyone else?", thread_ts=flag.thread_ts,
                      channel=flag.channel_id, mention_of=fake.bot_user_id)
    deadline = time.monotonic() + 20
    while not questions(bot.store, "T0TEAM"):
        assert time.monotonic() < deadline, "the question was not answered"
        time.sleep(0.05)
    bot.wait_idle()

    stored = database_text(bot)
    assert "[email]" in stored and "[phone]" in stored and "[card]" in stored and "[iban]" in stored
    assert leaked(stored) == []
    assert {d.name for d in bot.store.deals.list("T0TEAM")} >= {"Globex", "Initech", "Hooli", "Initrode"}
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert leaked(logged) == []
    # Slack is where the user pasted it; what the bot posts back is redacted too
    posted = json.dumps([c.params for c in fake.calls if c.method in ("chat.postMessage", "chat.update")])
    assert leaked(posted) == []


# Speakers named by their address or number, as exports from dialers and chat tools name them.
SPEAKER_EMAIL = "jane.roe@example.com"
SPEAKER_PHONE = "+1 415 555 0142"
SPEAKER_FRAGMENTS = (SPEAKER_EMAIL, "jane.roe", "example.com", "5550142")
BIDI = "\u202e"  # right-to-left override: what follows reads backwards
REVIEW = "C0REVIEW"


def speaker_leaks(text: str) -> list[str]:
    flat = "".join(text.split())
    return [f for f in SPEAKER_FRAGMENTS if f.replace(" ", "") in flat]


def transcript_lines(rep: str, prospect: str) -> list[tuple[str, str]]:
    """The end-to-end call, Ana's turns said by `rep` and Ben's by `prospect`."""
    lines = [line.split(": ", 1) for line in TRANSCRIPT.strip().splitlines()]
    return [(rep if who == "Ana" else prospect, said) for who, said in lines]


def json_call() -> str:
    return json.dumps([{"speaker": who, "text": said + BIDI}
                       for who, said in transcript_lines(SPEAKER_EMAIL, "ben.smith@globex.example")])


def vtt_call() -> str:
    cues = [f"{i}\n00:00:{2 * i:02d}.000 --> 00:00:{2 * i + 1:02d}.000\n<v {who}>{BIDI}{said}</v>\n"
            for i, (who, said) in enumerate(transcript_lines("Ana Lopez", SPEAKER_PHONE), start=1)]
    return "WEBVTT\n\n" + "\n".join(cues)


def private_reply(bot: BotUnderTest, text: str, channel: str = "C0SALES") -> dict:
    name = f"r{len(bot.fake.calls)}"
    bot.slack.command(text, channel_id=channel, response_url=bot.fake.response_url(name))
    reply = bot.reply_at(name)
    bot.wait_idle()
    return reply


def test_speakers_named_by_address_or_number_are_redacted_wherever_the_call_goes(running_bot: BotUnderTest):
    """A JSON transcript whose speakers are e-mail addresses, and a Teams VTT file whose voice tag is a
    phone number: stored (calls, turn scores, tips, flag reasons) and posted to Slack redacted."""
    bot, fake = running_bot, running_bot.fake
    fake.member_channels.add(REVIEW)
    private_reply(bot, "config review-channel here", channel=REVIEW)
    private_reply(bot, "config drop-threshold 1%")  # every fall flags the deal, quoting the turn behind it
    private_reply(bot, "config flag-threshold 100%")

    score(bot, json_call(), deal="Globex")
    uploads = len(fake.calls_to("files.completeUploadExternal"))  # the call's chart, and the flag's
    file = fake.add_file("call.vtt", vtt_call().encode())
    bot.slack.event({"type": "message", "subtype": "file_share", "user": "U0ANA", "channel": "D0ANA",
                     "channel_type": "im", "text": "Initech ::", "ts": "1700000100.000100", "files": [file]})
    fake.wait_for("files.completeUploadExternal", uploads + 1)
    bot.wait_idle()

    stored = database_text(bot)
    assert speaker_leaks(stored) == [] and leaked(stored) == [] and BIDI not in stored
    calls = {}
    for deal in ("Globex", "Initech"):
        (call,) = bot.store.calls.of_deal("T0TEAM", bot.store.deals.get("T0TEAM", deal).id)
        calls[deal] = bot.store.calls.get("T0TEAM", call.id)
    globex, initech = calls["Globex"], calls["Initech"]
    assert {t.speaker for t in globex.turns} == {"[email]"}
    assert globex.transcript_text.splitlines()[0].startswith("[email]: Hi Ben")
    assert globex.roles_decided_by == "heuristic: [email] asked the most questions"
    assert [t.speaker for t in initech.turns][:2] == ["Ana Lopez", "[phone]"]  # a name stays a name
    assert initech.transcript_text.splitlines()[1].startswith("[phone]: Busy.")
    swings = [t.text for t in globex.tips if t.kind == "swing"]
    assert swings and all("[email]: “" in t for t in swings)
    reasons = {f.deal_id: f.reason for f in bot.store.flags.list_open("T0TEAM")}
    assert "[email]: “" in reasons[globex.call.deal_id]
    assert "Ana Lopez: “" in reasons[initech.call.deal_id] or "[phone]: “" in reasons[initech.call.deal_id]

    posted = json.dumps([c.params for c in fake.calls if c.method in ("chat.postMessage", "chat.update",
                                                                      "chat.postEphemeral", "response_url")],
                        ensure_ascii=False)
    assert speaker_leaks(posted) == [] and BIDI not in posted
    assert "[email]" in posted and "[phone]" in posted
    assert [m for m in fake.messages(REVIEW) if "Globex" in m["text"]], "the flag was not posted"


def test_turns_typed_in_a_live_thread_are_redacted_speakers_included(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    card = start_live(bot, "Globex")
    messages = [
        "Ana: What budget do you have in mind?",
        f"Jane ({SPEAKER_EMAIL}): We can't share it yet, call {SPEAKER_PHONE}.",
        json.dumps([{"speaker": SPEAKER_EMAIL, "text": "Send the pricing first."},
                    {"speaker": SPEAKER_PHONE, "text": "And the security review."}]),
        f"they went quiet on price {BIDI}ecirp",  # a note: not a transcript
    ]
    for text in messages:
        updates = len(fake.calls_to("chat.update"))
        bot.slack.message(text, thread_ts=card)
        fake.wait_for("chat.update", updates + 1)
    bot.wait_idle()
    session = bot.store.live.find("T0TEAM", "C0SALES", card)
    turns = bot.store.live.turns("T0TEAM", session.id)
    assert [(t.speaker, t.text) for t in turns] == [
        ("Ana", "What budget do you have in mind?"),
        ("Jane ([email])", "We can't share it yet, call [phone]."),
        ("[email]", "Send the pricing first."),
        ("[phone]", "And the security review."),
        ("Notes", "they went quiet on price ecirp"),
    ]
    assert speaker_leaks(database_text(bot)) == []
    posted = json.dumps([c.params for c in fake.calls if c.method in ("chat.postMessage", "chat.update")],
                        ensure_ascii=False)
    assert speaker_leaks(posted) == [] and BIDI not in posted


def test_redaction_can_be_turned_off(start_bot):
    bot = start_bot(redact=False)
    score(bot, TRANSCRIPT + PII_TURN)
    assert EMAIL in database_text(bot)


def test_nothing_unredacted_is_sent_to_openai(start_bot_with, openai_agent, fake_openai):
    """With an OpenAI embedder every turn is embedded by OpenAI, and with a chat model answers are
    phrased there: neither sees the details (the calls' turns, the question)."""
    fake_openai.chat_reply = "Ben wants the contract by mail [call 1, turn 11]."
    bot = start_bot_with(openai_agent, openai_api_key=fake_openai.api_key, openai_base_url=fake_openai.base_url,
                         chat_model="gpt-test")
    fake = bot.fake
    score(bot, TRANSCRIPT + PII_TURN)
    embedded = fake_openai.requests_to("/embeddings")
    assert embedded, "the agent did not embed through OpenAI"
    assert any("[email]" in json.dumps(r.json) for r in embedded)
    card = start_live(bot, "Globex")
    bot.slack.message(PII_TURN.strip(), thread_ts=card)
    fake.wait_for("chat.update")
    bot.slack.message(f"what did Ben say about {EMAIL} and paying with {CARD}?", channel="C0SALES",
                      mention_of=fake.bot_user_id)
    deadline = time.monotonic() + 20
    while not fake_openai.requests_to("/chat/completions"):
        assert time.monotonic() < deadline, "the question never reached the chat model"
        time.sleep(0.05)
    bot.wait_idle()
    bodies = "\n".join(r.body.decode("utf-8") for r in fake_openai.requests)
    assert len(fake_openai.requests_to("/embeddings")) > len(embedded)  # the live turn and the question too
    assert leaked(bodies) == [], "unredacted text reached OpenAI"


def run_salesrl(args: list[str], capsys) -> str:
    """`salesrl ARGS` as a user runs it (the command line's entry point, this process's environment);
    returns what it printed."""
    from salesrl.bot.cli import main

    with pytest.raises(SystemExit) as done:
        main(args)
    out = capsys.readouterr()
    assert not done.value.code, out.err
    return out.out


def test_salesrl_score_sends_openai_and_stores_only_redacted_text(openai_agent, fake_openai, tmp_path, monkeypatch,
                                                                  capsys):
    """`salesrl score FILE --deal NAME` with a model on an OpenAI embedder: every turn is embedded by
    OpenAI, so it is redacted before scoring, speakers included; what is printed and stored too."""
    call = tmp_path / "call.json"
    turns = [{"speaker": who, "text": said} for who, said in transcript_lines(SPEAKER_EMAIL, SPEAKER_PHONE)]
    turns.append({"speaker": SPEAKER_PHONE, "text": BIDI + PII_TURN.split(": ", 1)[1].strip()})
    call.write_text(json.dumps(turns))
    database = f"sqlite:///{tmp_path / 'history.db'}"
    monkeypatch.setenv("OPENAI_API_KEY", fake_openai.api_key)
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    monkeypatch.setenv("SALESRL_DATABASE_URL", database)
    monkeypatch.setenv("COLUMNS", "300")  # the whole text of each turn is printed
    model = str(openai_agent.policy.model_dir)

    printed = run_salesrl(["score", str(call), "--model", model, "--deal", "Globex"], capsys)

    embedded = fake_openai.requests_to("/embeddings")
    assert embedded, "the command line did not embed through OpenAI"
    sent = "\n".join(r.body.decode("utf-8") for r in embedded)
    assert leaked(sent) == [] and speaker_leaks(sent) == [], "unredacted text reached OpenAI"
    assert "[email]" in sent and "[card]" in sent
    assert leaked(printed) == [] and speaker_leaks(printed) == [] and BIDI not in printed
    assert "[email] (rep)" in printed and "[iban]" in printed  # placeholders are printed, not read as markup
    stored = database_text_at(database)
    assert "[email]" in stored and "[phone]" in stored
    assert leaked(stored) == [] and speaker_leaks(stored) == [] and BIDI not in stored

    printed = run_salesrl(["score", str(call), "--model", model, "--format", "json"], capsys)
    assert leaked(printed) == [] and speaker_leaks(printed) == [] and BIDI not in printed

    # SALESRL_REDACT=false is honoured by the command line as by the bot
    monkeypatch.setenv("SALESRL_REDACT", "false")
    printed = run_salesrl(["score", str(call), "--model", model, "--format", "json"], capsys)
    assert SPEAKER_EMAIL in printed and EMAIL in fake_openai.requests_to("/embeddings")[-1].body.decode()


def test_forget_deletes_everything_stored_about_a_deal(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    score(bot, TRANSCRIPT, deal="Acme")
    score(bot, TRANSCRIPT, deal="Acme")
    score(bot, TRANSCRIPT, deal="Umbrella")
    bot.slack.command("flag Acme :: the VP went quiet", response_url=fake.response_url())
    deadline = time.monotonic() + 20
    while not bot.store.flags.list_open("T0TEAM"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    bot.wait_idle()
    acme = bot.store.deals.get("T0TEAM", "Acme")
    bot.store.questions.add("T0TEAM", "who decides?", deal_id=acme.id, asked_by="U0ANA")
    start_live(bot, "Acme")

    asked = bot.slack.command("forget acme", response_url=fake.response_url("ask"))
    assert asked.response.status_code == 200
    reply = bot.reply_at("ask")
    assert "2 calls" in reply["text"] and "forget Acme confirm" in reply["text"]
    assert bot.store.deals.get("T0TEAM", "Acme") is not None  # nothing deleted before the confirmation

    bot.slack.command("forget Acme confirm", response_url=fake.response_url("done"))
    done = bot.reply_at("done")
    assert "Forgot *Acme*" in done["text"] and "2 calls" in done["text"]
    assert bot.store.deals.get("T0TEAM", "Acme") is None
    with engine_of(bot).connect() as conn:
        count = lambda sql: conn.execute(sa.text(sql)).scalar_one()  # noqa: E731
        assert count(f"SELECT count(*) FROM calls WHERE deal_id = {acme.id}") == 0
        assert count("SELECT count(*) FROM turn_scores") == count("SELECT sum(turn_count) FROM calls")
        assert count(f"SELECT count(*) FROM flags WHERE deal_id = {acme.id}") == 0
        assert count(f"SELECT count(*) FROM questions WHERE deal_id = {acme.id}") == 0
        assert count("SELECT count(*) FROM answers") == 0
        assert count("SELECT count(*) FROM live_sessions") == 0 and count("SELECT count(*) FROM live_turns") == 0
    umbrella = bot.store.deals.get("T0TEAM", "Umbrella")
    assert umbrella is not None and umbrella.call_count == 1  # the other deal is untouched


def test_forget_needs_access_to_the_deal(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    score(bot, TRANSCRIPT, deal="Acme")
    fake.set_members("C0SALES", ["U0ANA"])
    bot.slack.command("forget Acme confirm", user_id="U0CARL", response_url=fake.response_url("carl"))
    assert "no deal named “Acme confirm”" in bot.reply_at("carl")["text"]  # as if there were no Acme
    assert bot.store.deals.get("T0TEAM", "Acme").call_count == 1


def test_retention_purges_old_transcripts_and_keeps_the_scores(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    with time_machine.travel(utcnow() - timedelta(days=40)):  # the bot runs in this process: 40 days ago too
        score(bot, TRANSCRIPT + PII_TURN, deal="Old Deal")
        old = bot.store.deals.get("T0TEAM", "Old Deal")
        bot.store.questions.add("T0TEAM", "what about pricing?", deal_id=old.id, asked_by="U0ANA")
    score(bot, TRANSCRIPT, deal="New Deal")
    (old_call,) = bot.store.calls.of_deal("T0TEAM", old.id)
    before = bot.store.calls.get("T0TEAM", old_call.id)

    assert bot.store.retention.purge_transcripts(30) == 1  # what the daily job runs with SALESRL_RETENTION_DAYS=30

    after = bot.store.calls.get("T0TEAM", old_call.id)
    assert after.transcript_text is None and all(t.text is None for t in after.turns)
    assert [t.probability for t in after.turns] == [t.probability for t in before.turns]  # scores kept
    assert after.tips == before.tips and after.call.final_probability == before.call.final_probability
    assert questions(bot.store, "T0TEAM") == []
    new_deal = bot.store.deals.get("T0TEAM", "New Deal")
    new_call = bot.store.calls.get("T0TEAM", bot.store.calls.of_deal("T0TEAM", new_deal.id)[0].id)
    assert new_call.transcript_text  # recent calls keep their text
    # the deal still shows its history over time in Slack
    bot.slack.command("deal Old Deal", response_url=fake.response_url())
    fake.wait_for("files.completeUploadExternal", 3)
    bot.wait_idle()
    assert "Old Deal" in fake.messages("C0SALES")[-2]["text"]
