"""Answering questions about a deal from its stored history: what is asked, which turns answer it,
the extractive answer with its citations, and the chat model's phrasing through the real `openai`
client against the fake OpenAI-compatible server."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from salesrl.bot.answers.compose import movement
from salesrl.bot.answers.history import DealHistory, HistoryCall, HistoryTurn, load_history
from salesrl.bot.answers.intent import classify
from salesrl.bot.answers.retrieval import TurnEmbeddings, retrieve
from salesrl.bot.answers.service import Answerer
from salesrl.bot.settings import Settings
from salesrl.bot.slack.templates import Templates
from salesrl.bot.store import Store, save_scored_call
from tests.e2e.conftest import TRANSCRIPT
from tests.fakes.openai_server import FakeOpenAI

SECOND_CALL = """\
Ana: Hi Ben, following up on the pilot. How did your team find it?
Ben: The reps liked it. But honestly it's too expensive for us right now, half would work.
Ana: What budget did you have in mind for the rollout?
Ben: Our CFO wants to look at other vendors before she approves anything.
Ana: Would a smaller first phase help?
Ben: Maybe next quarter. Not now.
"""


@pytest.mark.parametrize("question, intent", [
    ("why is this flagged?", "why_flagged"),
    ("Why did Acme drop?", "why_flagged"),
    ("what's wrong with this deal?", "why_flagged"),
    ("what did they say about pricing?", "said_about"),
    ("did they mention a competitor?", "said_about"),
    ("who decides?", "who_decides"),
    ("Who signs off on this?", "who_decides"),
    ("what should I do next?", "next_step"),
    ("what's next?", "next_step"),
    ("how has it moved since last week?", "movement"),
    ("what is the trend", "movement"),
    ("anything about security", "general"),
])
def test_questions_are_classified_by_what_they_ask(question, intent):
    assert classify(question).intent == intent


def test_the_topic_and_the_period_are_read_from_the_question():
    assert classify("What did Ben say about the timeline?").topic == "the timeline"
    assert classify("how has it moved since last week?").since == timedelta(days=7)
    assert classify("how has it changed this month?").since == timedelta(days=30)


@pytest.fixture(scope="module")
def agent():
    from salesrl.agent.sales_agent import SalesAgent
    from salesrl.bot.settings import get_settings

    return SalesAgent.load(get_settings().model_dir)  # the shipped model, or SALESRL_MODEL_DIR


@pytest.fixture
def history_store(tmp_path, agent):
    """Acme with two scored calls and an automatic flag on the second call's price turn."""
    store = Store.open(f"sqlite:///{tmp_path / 'answers.db'}")
    for text in (TRANSCRIPT, SECOND_CALL):
        save_scored_call(store, "T1", "Acme", agent.score(text, reps=["Ana"]), source="slash_command",
                         transcript_text=text, user_id="U0ANA", channel_id="C0SALES")
    deal = store.deals.get("T1", "Acme")
    second = store.calls.of_deal("T1", deal.id)[1]
    store.flags.add("T1", reason="The call ended at 30%, below the 35% threshold", deal_id=deal.id,
                   call_id=second.id, turn_index=1)
    yield store, deal
    store.close()


def ask(agent, store, deal, question):
    return Answerer(store, agent.embedder, Settings(openai_api_key=None)).answer("T1", deal, question)


def test_what_they_said_about_pricing_cites_the_price_turns(agent, history_store):
    store, deal = history_store
    answer = ask(agent, store, deal, "what did they say about pricing?")
    cited = {(c.call_number, c.turn) for c in answer.citations}
    assert (1, 6) in cited and (2, 2) in cited  # "the price has to work", "too expensive for us"
    assert "the price has to work, our budget for this is tight" in answer.text
    assert answer.model_id == "extractive"


def test_why_flagged_gives_the_flags_reason_and_the_turn_it_rests_on(agent, history_store):
    store, deal = history_store
    answer = ask(agent, store, deal, "why is this flagged?")
    assert answer.text.startswith("Flagged automatically on ")
    assert "below the 35% threshold." in answer.text and "too expensive for us" in answer.text
    assert (answer.citations[0].call_number, answer.citations[0].turn) == (2, 2)


def test_why_flagged_quotes_a_turn_once_when_the_reason_quotes_it_already(agent, history_store):
    store, deal = history_store
    second = store.calls.of_deal("T1", deal.id)[1]
    turn = store.calls.get("T1", second.id).turns[1]
    for flag in store.flags.list_open("T1", deal.id):
        store.flags.clear("T1", flag.id, None)
    store.flags.add("T1", reason=f"The probability dropped 20 pts, mostly at turn 2, {turn.speaker}: “{turn.text}”.",
                    deal_id=deal.id, call_id=second.id, turn_index=1)
    answer = ask(agent, store, deal, "why is this flagged?")
    assert answer.text.count(" ".join(turn.text.split())[:40]) == 1
    assert (answer.citations[0].call_number, answer.citations[0].turn) == (2, 2)


def test_who_decides_comes_from_what_the_prospect_said(agent, history_store):
    store, deal = history_store
    answer = ask(agent, store, deal, "who decides?")
    assert "CFO" in answer.text or "VP" in answer.text
    assert all(c.turn is not None for c in answer.citations)


def test_who_decides_quotes_what_the_tracker_missed_instead_of_claiming_nobody_said(agent, tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'owners.db'}")
    text = ("Ana: Thanks for the tour of the depot last week.\n"
            "Ben: Honestly the owners have the last word on anything like this.\nAna: Thanks.\nBen: Sure.\n")
    result = agent.score(text, reps=["Ana"])
    assert result.tracker["items"]["decision"]["state"] == "not_raised"  # words no pattern or reader settles
    save_scored_call(store, "T1", "Depot", result, source="slash_command", transcript_text=text, user_id="U0ANA",
                     channel_id="C0SALES")
    answer = ask(agent, store, store.deals.get("T1", "Depot"), "who decides?")
    assert "the owners have the last word" in answer.text and "No one has said" not in answer.text
    assert [(c.call_number, c.turn) for c in answer.citations] == [(1, 2)]
    store.close()


def test_what_next_rests_on_the_latest_calls_tips(agent, history_store):
    store, deal = history_store
    answer = ask(agent, store, deal, "what should I do next?")
    assert "Next:" in answer.text and "call 2" in answer.text
    assert all(c.call_number == 2 for c in answer.citations)


def test_a_deal_nobody_discussed_a_topic_of_says_so(agent, history_store):
    store, deal = history_store
    answer = ask(agent, store, deal, "what did they say about the weather in Lisbon?")
    assert answer.citations == () and "Nothing in Acme's stored calls" in answer.text


def test_retrieval_embeds_a_deals_turns_once(agent, history_store):
    store, deal = history_store
    history = load_history(store, "T1", deal)
    embeddings = TurnEmbeddings(agent.embedder)
    retrieve(classify("what about pricing?"), history, embeddings)
    first = embeddings.embedded_turns
    retrieve(classify("who decides?"), history, embeddings)
    assert first == 16 and embeddings.embedded_turns == first


def _call(number: int, day: datetime, first: float, final: float, moved: float = 0.0) -> HistoryCall:
    turns = (HistoryTurn(number, number, day, 0, "Ben", "prospect", f"turn of call {number}", False, first, 0.0),
             HistoryTurn(number, number, day, 1, "Ben", "prospect", f"the big move in call {number}", False, final,
                         moved))
    return HistoryCall(number, number, day, "slash_command", first, final, turns, ())


def test_movement_since_last_week_compares_with_the_call_before_the_week():
    from salesrl.bot.store import Deal

    now = datetime(2026, 11, 26, 12, tzinfo=timezone.utc)
    calls = (_call(1, now - timedelta(days=20), 0.5, 0.62), _call(2, now - timedelta(days=9), 0.6, 0.55, -0.05),
             _call(3, now - timedelta(days=2), 0.55, 0.38, -0.17))
    deal = Deal(1, "T1", "Acme", None, "C0SALES", None, None, "open", None, 3, 0.38, -0.17, now, now, now)
    answer = movement(DealHistory(deal, calls, (), {}), classify("how has it moved since last week?"), [], now=now)
    assert answer.text.startswith("Acme moved from 55% (call 2 (Nov 17)) to 38% after call 3 (Nov 24): −17 pts over 1 call.")
    assert "Call by call: 62% → 55% → 38%." in answer.text
    assert "The biggest move: −17 pts at call 3 (Nov 24), turn 2" in answer.text
    quiet = movement(DealHistory(deal, calls[:1], (), {}), classify("how has it moved since last week?"), [], now=now)
    assert quiet.text.startswith("No calls since then: the latest is call 1 (Nov 6)")


# ------------------------------------------------------------------------------------ chat model

@pytest.fixture
def fake_openai(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    with FakeOpenAI() as fake:
        yield fake


def phrased(agent, store, deal, fake, question):
    settings = Settings(openai_api_key=fake.api_key, openai_base_url=fake.base_url, chat_model="gpt-test")
    return Answerer(store, agent.embedder, settings).answer("T1", deal, question)


def test_the_chat_model_sees_only_the_retrieved_turns_redacted_and_its_citations_are_kept(agent, history_store,
                                                                                       fake_openai):
    store, deal = history_store
    save_scored_call(store, "T1", "Acme", agent.score("Ben: the price is steep, write to ben@globex.example\n"
                                                      "Ana: noted, thanks", reps=["Ana"]),
                     transcript_text="x", user_id="U0ANA", channel_id="C0SALES")
    fake_openai.chat_reply = lambda body: "Price came up twice [call 2 (Nov 26), turn 2] and [call 9, turn 1]."
    answer = phrased(agent, store, deal, fake_openai, "what did they say about pricing?")
    assert answer.text.startswith("Price came up twice") and answer.model_id == "openai:gpt-test"
    assert [(c.call_number, c.turn) for c in answer.citations] == [(2, 2)]  # call 9 was never offered
    (request,) = fake_openai.requests_to("/chat/completions")
    prompt = "\n".join(m["content"] for m in request.json["messages"])
    assert "[email]" in prompt and "ben@globex.example" not in prompt
    assert "thanks for making time today" not in prompt and "[call 1 (" in prompt
    assert request.json["model"] == "gpt-test"


def test_any_chat_model_failure_falls_back_to_the_extractive_answer(agent, history_store, fake_openai):
    store, deal = history_store
    fake_openai.fail_next(401, "bad key")
    answer = phrased(agent, store, deal, fake_openai, "what did they say about pricing?")
    assert answer.model_id == "extractive" and "the price has to work" in answer.text
    fake_openai.chat_reply = "   "
    assert phrased(agent, store, deal, fake_openai, "who decides?").model_id == "extractive"


def test_an_answer_quoting_a_mention_pings_nobody(agent, history_store):
    store, deal = history_store
    answer = ask(agent, store, deal, "what did they say about pricing?")
    answer = replace(answer, text=answer.text + "\nBen: <!channel> & <@U0CARL> see <https://x.example|this>")
    message = Templates().message("slack/answer.json.j2", answer=answer, asked_by="U0ANA", phrased_by=None)
    body = json.dumps(message.as_kwargs(), ensure_ascii=False)
    assert "<!channel>" not in body and "<@U0CARL>" not in body and "&lt;!channel&gt;" in body
    assert "<@U0ANA>" in body  # the asker, mentioned on purpose


def test_who_decides_and_what_next_read_the_same_tracker_across_the_deals_calls(agent, tmp_path):
    """Issue 30: "who decides?" cited the VP while "what should I do next?" said no decision maker was discussed."""
    store = Store.open(f"sqlite:///{tmp_path / 'tracker.db'}")
    later = "Ana: Quick check-in on the pilot.\nBen: Going fine so far.\nAna: Great, talk soon.\nBen: Bye.\n"
    for text in (TRANSCRIPT, later):
        save_scored_call(store, "T1", "Acme", agent.score(text, reps=["Ana"]), source="slash_command",
                         transcript_text=text, user_id="U0ANA", channel_id="C0SALES")
    deal = store.deals.get("T1", "Acme")
    who = ask(agent, store, deal, "who decides?")
    assert "Our VP of sales signs off" in who.text
    assert (who.citations[0].call_number, who.citations[0].turn) == (1, 8)
    # the latest call alone has no decision maker, so its own tips name the gap; the deal's answer does not
    assert any(t.kind == "gap" and "decision maker" in t.text for t in load_history(store, "T1", deal).latest.tips)
    assert "decision maker" not in ask(agent, store, deal, "what should I do next?").text
    store.close()


# ------------------------------------------------------------------ what a turn must carry to answer

OPS_CALL = """\
Rui: Hi Carla, hi Mo. I know your time is expensive, so I'll keep this short.
Carla: Thanks. Our warehouse team re-keys every order into two systems by hand.
Rui: How long does that take them?
Carla: Most of the afternoon, every day, and errors slip through.
Mo: From IT's side, we need single sign-on through Azure AD, no exceptions.
Rui: That's supported. What does the rollout look like for you?
Mo: Rollout would be region by region, starting with Porto.
Carla: For the rollout I'd want the night shift trained first.
Rui: Understood. And on the money side?
Carla: We can put sixty-five thousand euros toward this next year.
Rui: Great. Shall we meet again with both of you?
Carla: Wednesday the 3rd at two suits me.
"""


@pytest.fixture
def ops_deal(tmp_path, agent):
    store = Store.open(f"sqlite:///{tmp_path / 'ops.db'}")
    save_scored_call(store, "T1", "Lusoware", agent.score(OPS_CALL, reps=["Rui"]), source="slash_command",
                     transcript_text=OPS_CALL, user_id="U0RUI", channel_id="C0SALES")
    yield store, store.deals.get("T1", "Lusoware")
    store.close()


def quoted(answer) -> set[str]:
    return {line.split(": “", 1)[1].rstrip("”") for line in answer.text.split("\n") if ": “" in line}


def test_a_question_nothing_in_the_calls_is_about_says_so_instead_of_quoting_the_closest_turns(agent, ops_deal):
    store, deal = ops_deal
    for question in ("do they work weekends?", "what ERP are they on?", "did they bring up GDPR?",
                     "what did they think of the demo?"):
        answer = ask(agent, store, deal, question)
        assert answer.text.startswith("Nothing in Lusoware's stored calls") and answer.citations == (), question


def test_the_reps_small_talk_is_not_the_buyers_budget(agent, tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'talk.db'}")
    call = ("Rui: I know your time is expensive, thanks for joining.\nCarla: Sure. Our order entry is all manual.\n"
            "Rui: Tell me more.\nCarla: Two people do nothing else all day.\n")
    save_scored_call(store, "T1", "Lusoware", agent.score(call, reps=["Rui"]), transcript_text=call)
    answer = ask(agent, store, store.deals.get("T1", "Lusoware"), "how much can they spend?")
    assert answer.text.startswith("Nothing in Lusoware's stored calls")
    store.close()


def test_a_buyer_turn_with_the_kind_of_fact_asked_for_answers_without_sharing_its_words(agent, ops_deal):
    store, deal = ops_deal
    assert "We can put sixty-five thousand euros toward this next year." in quoted(
        ask(agent, store, deal, "any budget talk?"))
    assert "Wednesday the 3rd at two suits me." in quoted(ask(agent, store, deal, "when are we seeing them again?"))


def test_a_question_naming_someone_is_answered_from_their_turns(agent, ops_deal):
    store, deal = ops_deal
    answer = ask(agent, store, deal, "what did Carla say about the rollout?")
    assert "For the rollout I'd want the night shift trained first." in quoted(answer)
    assert all("Carla: “" in line for line in answer.text.split("\n"))  # not Mo's rollout turn


def test_a_short_form_finds_the_words_the_call_spells_out(agent, ops_deal):
    store, deal = ops_deal
    assert "From IT's side, we need single sign-on through Azure AD, no exceptions." in quoted(
        ask(agent, store, deal, "did anyone raise SSO?"))


@pytest.mark.parametrize("question", ["what are the odds on this one?", "where does it stand", "how likely is a win?",
                                      "will they sign?", "chances we close by Q1?"])
def test_how_likely_questions_are_read_as_such(question):
    assert classify(question).intent == "likelihood"


@pytest.mark.parametrize("question", ["who gets the final word?", "who makes the decision over there?"])
def test_more_ways_of_asking_who_decides(question):
    assert classify(question).intent == "who_decides"


def test_how_likely_gives_the_models_probability_after_the_latest_call(agent, history_store):
    store, deal = history_store
    latest = store.calls.of_deal("T1", deal.id)[-1]
    answer = ask(agent, store, deal, "what are our chances here?")
    assert answer.intent == "likelihood"
    assert answer.text.startswith(f"The model puts Acme at {round(100 * latest.final_probability)}% after call 2 (")
    assert "Call by call: " in answer.text and "It has 1 open flag." in answer.text
    assert answer.citations[0].call_number == 2


# ------------------------------------------------------------------ relevance, who decides, what next

def _one_call_deal(agent, tmp_path, name, text, rep):
    store = Store.open(f"sqlite:///{tmp_path / 'deal.db'}")
    save_scored_call(store, "T1", name, agent.score(text, reps=[rep]), source="slash_command", transcript_text=text,
                     user_id="U0REP", channel_id="C0SALES")
    return store, store.deals.get("T1", name)


def test_a_turn_that_only_names_the_topic_asked_about_is_not_an_answer(agent, tmp_path):
    text = ("Ivo: Thanks for having me at the mill.\nLena: Our saws sit idle whenever a blade order is late.\n"
            "Ivo: Could you point me to suppliers you'd trust?\nLena: I can't recommend any supplier or vendor, "
            "that's against our policy.\nIvo: Understood.\nLena: Send the sizing sheet when you can.\n")
    store, deal = _one_call_deal(agent, tmp_path, "Sawmill", text, "Ivo")
    answer = ask(agent, store, deal, "who's the incumbent vendor?")
    assert answer.text.startswith("Nothing in Sawmill's stored calls") and answer.citations == ()
    store.close()


def test_who_decides_quotes_the_buyer_after_the_rep_only_raised_it(agent, tmp_path):
    text = ("Ivo: I gather you run procurement for the district.\nLena: I do, for all nine schools.\n"
            "Ivo: What happens after the pilot?\nLena: The board awards the contract at its June session.\n")
    store, deal = _one_call_deal(agent, tmp_path, "District", text, "Ivo")
    answer = ask(agent, store, deal, "who decides?")
    assert "The board awards the contract at its June session." in answer.text
    assert "nobody has said" not in answer.text
    store.close()


def test_who_decides_quotes_the_buyers_reply_to_the_reps_question_about_it(agent, tmp_path):
    text = ("Ivo: How is the new warehouse coming along?\nLena: Slowly, but we open in March.\n"
            "Ivo: Who will own the scanners once you move to the new site?\n"
            "Lena: Probably somebody at head office, no idea who yet.\n")
    store, deal = _one_call_deal(agent, tmp_path, "Scanners", text, "Ivo")
    answer = ask(agent, store, deal, "who's the decision maker these days?")
    assert "Probably somebody at head office" in answer.text
    store.close()


def test_what_next_names_the_flag_and_drops_a_move_an_earlier_call_settled(agent, tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'next.db'}")
    first = ("Ivo: What's hurting most on the floor?\nLena: We lose two shifts a week to manual stock counts.\n"
             "Ivo: Could we walk the floor together on Friday the 9th?\nLena: Friday the 9th works.\n")
    second = "Ivo: Thanks for the walk.\nLena: Sure.\nIvo: Talk soon.\nLena: Bye.\n"
    for text in (first, second):
        save_scored_call(store, "T1", "Floorco", agent.score(text, reps=["Ivo"]), source="slash_command",
                         transcript_text=text, user_id="U0IVO", channel_id="C0SALES")
    deal = store.deals.get("T1", "Floorco")
    store.flags.add("T1", reason="Their plant manager is retiring in spring", deal_id=deal.id, flagged_by="U0LEAD")
    answer = ask(agent, store, deal, "what should we do next?")
    assert "Their plant manager is retiring in spring" in answer.text
    assert "no pain has been named" not in answer.text  # the first call named it
    store.close()


def test_a_step_the_rep_proposed_with_its_date_answers_when_it_is(agent, tmp_path):
    text = ("Ivo: How are the night shifts going?\nLena: Better since we hired two people.\n"
            "Ivo: Let's start the trial on Monday the 9th. Can you add Dana to the invite?\nLena: Will do.\n")
    store, deal = _one_call_deal(agent, tmp_path, "Shifts", text, "Ivo")
    assert "Let's start the trial on Monday the 9th. Can you add Dana to the invite?" in quoted(
        ask(agent, store, deal, "when's the trial?"))
    store.close()


def test_the_deals_own_name_in_a_question_is_not_what_it_asks_about(agent, tmp_path):
    text = ("Ivo: Granite is a great name for a bank, by the way.\nLena: Ha, thanks.\n"
            "Ivo: Is there a date you are working toward?\nLena: It has to be live by the end of June.\n")
    store, deal = _one_call_deal(agent, tmp_path, "Granite Bank", text, "Ivo")
    answer = quoted(ask(agent, store, deal, "did granite bank mention a deadline?"))
    assert "It has to be live by the end of June." in answer
    assert not any("great name" in q for q in answer)
    store.close()


def test_who_decides_quotes_an_owner_saying_they_own_it(agent, tmp_path):
    text = ("Ivo: How many trucks do you run?\nLena: Twelve, and I own the company, so that part is simple.\n"
            "Ivo: Great.\nLena: Send me the numbers.\n")
    store, deal = _one_call_deal(agent, tmp_path, "Fleetco", text, "Ivo")
    assert "I own the company" in ask(agent, store, deal, "who decides?").text
    store.close()


def test_a_turn_the_deals_tracker_reads_as_the_pain_answers_a_question_about_it(agent, tmp_path):
    text = ("Ivo: Thanks for the tour.\nLena: Sure. Month-end close is a bottleneck for the whole team.\n"
            "Ivo: Understood.\nLena: Talk next week.\n")
    store, deal = _one_call_deal(agent, tmp_path, "Ledgerly", text, "Ivo")
    assert "Sure. Month-end close is a bottleneck for the whole team." in quoted(
        ask(agent, store, deal, "what's their main problem?"))
    store.close()


def test_the_buyers_reply_to_have_you_looked_at_other_options_answers_who_else_is_in_the_running(agent, tmp_path):
    text = ("Ivo: How do you schedule the crews now?\nLena: On a whiteboard, mostly.\n"
            "Ivo: Have you looked at other options?\nLena: Fieldly gave us a demo in May, too pricey.\n"
            "Ivo: Fair.\nLena: Send me a proposal.\n")
    store, deal = _one_call_deal(agent, tmp_path, "Crewco", text, "Ivo")
    assert "Fieldly gave us a demo in May, too pricey." in quoted(ask(agent, store, deal, "are other vendors in play?"))
    store.close()


# ------------------------------------------------------------------ other people's ways of asking

_GREENHOUSE = (
    "Tess: Hi Arjun, thanks for the time. How do your growers log the irrigation schedule at the moment?\n"
    "Arjun: On a laminated sheet by the pump house, and whoever forgets to tick it floods a bay.\n"
    "Tess: And across the sites, how bad did the flooding get this spring?\n"
    "Arjun: We flooded nine bays in April and lost most of the basil.\n"
    "Tess: Sorry to hear the flooding hit you. When would you want sensors in?\n"
    "Arjun: Honestly my main worry is the signal in the far tunnels, there's no coverage out there.\n"
    "Tess: We can use a mesh relay there.\n"
    "Arjun: Fine. I got a quote from Hydrowise as well, a bit cheaper.\n"
    "Arjun: Thanks for the proposal. The sensors look right and the price of nine hundred a month works for me. "
    "Before anything is signed our agronomist wants a week of readings from one tunnel. If that goes well we can "
    "install across all three sites from the 14th of May.\n"
)


@pytest.fixture
def greenhouse(agent, tmp_path):
    store, deal = _one_call_deal(agent, tmp_path, "Verdant Glasshouses", _GREENHOUSE, "Tess")
    yield store, deal
    store.close()


def test_the_buyers_reply_to_the_reps_question_answers_a_question_in_its_words(agent, greenhouse):
    store, deal = greenhouse
    answer = ask(agent, store, deal, "how are they logging irrigation now?")
    assert any(q.startswith("On a laminated sheet by the pump house") for q in quoted(answer))
    assert answer.citations[0].turn == 2  # the reply first, before the rep's question


def test_the_buyers_account_comes_before_the_reps_summary_of_it(agent, greenhouse):
    store, deal = greenhouse
    answer = ask(agent, store, deal, "how bad was the flooding")
    assert answer.citations[0].turn == 4  # "we flooded nine bays", not "sorry to hear the flooding hit you"


def test_a_long_turn_is_quoted_at_the_sentences_about_the_question(agent, greenhouse):
    store, deal = greenhouse
    answer = ask(agent, store, deal, "when can they install?")
    assert "14th of May" in answer.text


@pytest.mark.parametrize("question, quote", [
    ("what's stopping them?", "my main worry is the signal in the far tunnels"),
    ("are they shopping around", "I got a quote from Hydrowise as well"),
    ("can they pay for it?", "nine hundred a month"),
])
def test_indirect_ways_of_asking_find_the_topic(agent, greenhouse, question, quote):
    store, deal = greenhouse
    assert quote in ask(agent, store, deal, question).text


@pytest.mark.parametrize("question", ["whos signing this?", "anyone else at the table?", "who's got the last word"])
def test_who_decides_with_typos_and_indirect_wording(question):
    assert classify(question).intent == "who_decides"


def test_the_embedder_reads_an_intent_no_rule_lists_and_leaves_questions_about_what_was_said(agent):
    from salesrl.bot.answers.intent import IntentReader

    reader = IntentReader(agent.embedder)
    for question, intent in (("how do we get this moving again", "next_step"), ("do we win this", "likelihood")):
        assert classify(question).intent == "general"  # no rule reads it
        assert reader.classify(question).intent == intent
    assert reader.classify("what tools are they on today?").intent == "general"


def test_what_slows_them_down_finds_the_buyers_pain_in_its_own_words(agent, tmp_path):
    text = ("Nils: How does month end go for your team?\nAda: Every supplier invoice gets retyped into the ledger, "
            "twenty minutes each, and typos slip through to the auditors.\nNils: Got it.\n"
            "Ada: Send me something in writing.\n")
    store, deal = _one_call_deal(agent, tmp_path, "Fjord Freight", text, "Nils")
    assert "twenty minutes each" in ask(agent, store, deal, "whats slowing them down?").text
    store.close()


def test_chat_shorthand_is_not_a_word_to_find():
    from salesrl.bot.answers.retrieval import content_words

    assert content_words("wht r they using rn for payroll pls") == {"using", "payroll"}


def test_a_typo_is_read_as_the_word_of_the_deal_or_the_rules_it_is_one_letter_from(agent, greenhouse):
    store, deal = greenhouse
    assert "We flooded nine bays in April" in ask(agent, store, deal, "what did they say about the flodding?").text
    assert ask(agent, store, deal, "who aproves it?").intent == "who_decides"
    assert ask(agent, store, deal, "did they mention hydrowize?").text.startswith("call 1")  # Hydrowise's turn


def test_what_holds_them_back_is_a_worry_not_a_plan_for_next_year(agent, tmp_path):
    text = ("Ines: How is the business doing?\nBo: Growing, we open two more depots next year.\n"
            "Ines: And the drivers?\nBo: My concern is that the older drivers won't use a new app.\n"
            "Ines: Anyone else you're speaking with?\nBo: We're also looking at Routific, they pitched last week.\n")
    store, deal = _one_call_deal(agent, tmp_path, "Depotline", text, "Ines")
    held_back = quoted(ask(agent, store, deal, "what's holding them back?"))
    assert "My concern is that the older drivers won't use a new app." in held_back
    assert "Growing, we open two more depots next year." not in held_back
    assert "We're also looking at Routific, they pitched last week." in quoted(
        ask(agent, store, deal, "who else are they looking at?"))
    store.close()
