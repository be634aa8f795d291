"""agent.tracker and the coaching built on it (issue 30): who established what, speaker-aware, and tips that
never disagree with it. The cases are the ones the issue quotes from real walkthroughs."""

import numpy as np

from salesrl.agent.coach import coach, next_move
from salesrl.agent.tracker import ITEMS, ItemState, PhraseBank, Tracker, merge, track
from salesrl.agent.types import ScorePoint, Turn


def call(*lines: str) -> list[Turn]:
    """Alternating lines, the rep first; a line starting with '>' is a note."""
    out = []
    for i, line in enumerate(lines):
        if line.startswith(">"):
            out.append(Turn("Notes", "other", line[1:].strip(), is_note=True))
        else:
            out.append(Turn("Rep" if i % 2 == 0 else "Buyer", "rep" if i % 2 == 0 else "prospect", line))
    return out


def states(turns: list[Turn]) -> dict[str, str]:
    return {k: v.state for k, v in track(turns).items.items()}


def test_a_cfo_approving_settles_budget_and_decision_with_the_turn_and_speaker():
    t = track(call("That's one hundred eighty thousand for the first year.",
                   "I'm comfortable approving this. Tell legal to start the paperwork."))
    assert t.items["budget"] == ItemState("agreed", 1, "Buyer", t.items["budget"].evidence)
    assert t.items["decision"].state == "agreed" and t.items["next_step"].state == "agreed"
    assert "budget" not in t.gaps() and "decision" not in t.gaps()


def test_an_accepted_price_is_an_agreed_budget_and_next_step():
    s = states(call("With forty seats the total comes to one hundred thirty-two thousand a year.", "Sounds good. Send it over."))
    assert s["budget"] == "agreed" and s["next_step"] == "agreed"


def test_an_accepted_meeting_is_a_next_step_but_a_refused_one_is_not():
    assert states(call("How about Thursday at ten, with Rosa?", "Yes, let's do Thursday. I'll send an invite."))[
        "next_step"] == "agreed"
    refused = track(call("Hi, this is Jordan. Did I catch you at a bad moment?", "Who is this? Did I sign up for something?",
                         "We track equipment for construction firms.", "I'm not really interested.",
                         "Could I schedule a demo for next week?", "I really don't have time for this."))
    assert refused.items["next_step"].state == "negative" and "next_step" in refused.gaps()
    assert refused.items["decision"].state == "not_raised"  # "sign up" is not a signature
    assert refused.items["objection"].state == "open" and refused.open_objections()[0].turn == 3


def test_a_reps_assertion_is_not_the_buyers_answer():
    s = states(call("I see you're the VP of Data, and I know you've got budget for this, right?",
                    "I wouldn't say that. We haven't talked about money internally yet."))
    assert s["decision"] == "not_raised" and s["budget"] == "asked"


def test_notes_are_read_as_the_buyers_side_unless_they_report_the_rep():
    t = track(call("> Ben wants to start next month on the expanded seats",
                   "> Agreed next step: we send a revised quote by Friday",
                   "> asked about budget, he dodged", "> suggested a call next week, he said he'd check his calendar"))
    assert t.items["timeline"].state == "answered" and t.items["budget"].state == "asked"
    assert t.items["next_step"].state == "agreed" and t.items["next_step"].turn == 1


def test_a_note_lines_heading_names_the_item_its_value_settles():
    t = track(call("> EB: Marguerite, head of finance", "> next steps -> onsite walkthrough wed 2pm w/ their ops leads",
                   "> timing: TBD", "> Competition: a spreadsheet their controller built",
                   "> budget: none mentioned", "> blockers: union sign-off on any new scanning hardware"))
    assert {k: v.state for k, v in t.items.items()} == {
        "budget": "not_raised", "decision": "answered", "timeline": "asked", "next_step": "agreed",
        "pain": "not_raised", "competitor": "answered", "champion": "not_raised", "objection": "open"}
    assert t.items["next_step"].turn == 1 and t.items["decision"].evidence.startswith("EB: Marguerite")
    assert track(call("> next: Dana will get back to us")).items["next_step"].state == "asked"
    assert track(call("> follow-up: they want the ROI sheet first")).items["next_step"].state == "answered"
    assert states(call("> budget: none this fiscal", "> objections: none"))["budget"] == "negative"
    assert states(call("> objections: none"))["objection"] == "not_raised"
    assert states(call("Shall I try you again on Monday?", "Stop calling us, we're sorted."))["next_step"] == "negative"


def test_a_note_packs_several_headings_and_reports_replies_after_an_arrow():
    t = track(call("> qual: B = 45k approved by the CFO, A = Ingrid (EB), T = before the busy season",
                   "> floated a pilot -> she'll think about it",
                   "> asked for a call with their CTO => \"we'll keep you in mind\""))
    assert {k: t.items[k].state for k in ("budget", "decision", "timeline")} == {
        "budget": "agreed", "decision": "answered", "timeline": "answered"}
    assert t.items["next_step"].state == "negative"  # the deferred pilot, then a polite no
    assert states(call("> $ = none until the new fiscal year"))["budget"] == "negative"


def test_a_question_answered_with_a_question_or_a_deferral_is_not_settled():
    s = states(call("Roughly what budget have you got for this?", "What do teams like ours normally spend?",
                    "When would you want it running?", "Let me check with the team and come back on that."))
    assert s["budget"] == "asked" and s["timeline"] == "asked"
    dodged = states(call("Who else signs off on a purchase like this?", "Honestly I don't really know yet."))
    assert dodged["decision"] == "asked"


def test_the_buyers_own_dated_invitation_is_an_agreed_next_step_and_money_can_be_named_without_budget():
    s = states(call("Thanks for walking me through the plant.",
                    "Why don't you come by our Leeds depot on Thursday and show the shift leads.",
                    "Great. How would you pay for it?", "Finance signed off on it in March, it's in our forecast."))
    assert s["next_step"] == "agreed" and s["budget"] == "agreed"
    assert states(call("Could we look at this in the new year?", "There's no money left, full stop."))["budget"] == "negative"


def test_an_objection_stays_open_until_the_buyer_says_it_is_answered():
    t = track(call("Processing is real time.", "The worry is it slows down the checkout line.",
                   "It takes under two seconds per return.", "Under two seconds is fine. That was my main concern."))
    assert t.items["objection"].state == "resolved" and t.items["objection"].turn == 3 and not t.open_objections()


def test_the_embedder_catches_an_objection_no_pattern_spells_out():
    class Bank(PhraseBank):
        def similarity(self, kind, embedding):
            return float(embedding[0]) if kind == "objection" else 0.0

    bank = Bank("test", {}, {"objection": 0.6, "pain": 0.6})
    turn = Turn("Buyer", "prospect", "Hmm, we will pass on this one.")
    assert Tracker(bank).add(turn, np.array([0.7]))[0].item == "objection"
    assert Tracker(bank).add(turn, np.array([0.5])) == []


def test_a_deal_keeps_what_an_earlier_call_settled():
    first = track(call("Is there budget set aside?", "Yes, we have ninety thousand in the operations budget.")).items
    second = track(call("Is the budget still there?", "Hmm.")).items  # asked again, not answered
    merged = merge([first, second])
    assert merged["budget"].state == "answered" and merged["budget"].call == 0
    assert set(merged) == set(ITEMS)


def _points(turns, values=()):
    return [ScorePoint(i, t.speaker, t.role, t.text, 0.5, 0.05, 1.0, values) for i, t in enumerate(turns)]


def test_the_next_move_fits_the_moment_and_cites_its_turn():
    closing = call("The quote is two hundred ten thousand including installation.",
                   "Send the contract and we'll get it signed today.")
    cold = call("Could I schedule a demo for next week?", "I'm not really interested, I really don't have time for this.")
    early = call("Thanks for the time. Tell me about your team.", "We're twelve engineers.")
    moves = {next_move(track(c), c).key for c in (closing, cold, early)}
    assert moves == {"close", "declined", "discovery"}
    tip = [t for t in coach(closing, _points(closing)) if t.kind == "next_best_action"][0]
    assert tip.turn == 1 and "turn 2" in tip.text and "discovery" not in tip.text.lower()


def test_a_qualifying_next_move_reads_as_one_sentence_after_its_label():
    turns = call("We spoke about the rollout.", "It would help our dispatchers a lot, they lose hours every week.")
    move = next_move(track(turns), turns)
    assert move.key.startswith("qualify_")
    (tip,) = [t for t in coach(turns, _points(turns)) if t.kind == "next_best_action"]
    assert tip.text.startswith("Next: Ask ") and "Next, " not in tip.text


def test_a_dated_yes_after_a_first_sentence_agrees_the_step_but_an_undated_one_or_a_pleasantry_does_not():
    ask = "Could we start the pilot next week?"
    agreed = ("Ana, the budget is approved, 40k. Let us start on the 12th.",
              "Thanks for the numbers. Yes, Thursday at 10 works.", "Got your note. Let's kick off on Monday the 3rd.")
    for reply in agreed:
        assert track(call(ask, reply)).items["next_step"].state == "agreed", reply
    for reply in ("I need to run it by finance first. Sure, send the deck meanwhile.",
                  "Honestly I don't think so. Great talking though."):
        assert track(call(ask, reply)).items["next_step"].state != "agreed", reply


def test_with_the_spend_approved_another_meeting_first_is_prepared_not_closed():
    review = call("Could we book the integration review with your architect for the 14th?",
                  "Yes, the 14th works. The money is there, budget was approved last week.")
    signing = call("I'll send the order form tonight so you can sign before Friday.",
                   "Sounds good. The budget is approved, I'll sign it tomorrow.")
    assert track(review).items["budget"].state == track(signing).items["budget"].state == "agreed"
    assert next_move(track(review), review).key == "prepare" and next_move(track(signing), signing).key == "close"


def test_no_discovery_question_is_suggested_once_the_buyer_has_approved():
    turns = call("The annual plan is thirty-six thousand.", "That's acceptable, the price is accepted on our side.")
    assert track(turns).items["budget"].state == "agreed" and next_move(track(turns), turns).key != "discovery"


def test_no_gap_is_claimed_for_what_the_call_settled_and_swing_reasons_come_from_the_tracker():
    turns = call("Where did you land after the pilot?", "The team liked it and I have budget approved.")
    points = _points(turns)
    points[1] = ScorePoint(1, "Buyer", "prospect", turns[1].text, 0.3, 0.05, 1.0)  # a drop the words do not explain
    tips = coach(turns, points)
    assert not any(t.kind == "gap" and "budget" in t.text for t in tips)
    swing = [t for t in tips if t.kind == "swing"][0]
    assert swing.text.endswith("— the buyer approved the spend.")


def test_the_models_value_is_quoted_only_when_the_chosen_move_stands_out():
    turns = call("Thanks for the time. Tell me about your team.", "We're twelve engineers.")
    flat = [t for t in coach(turns, _points(turns, (0.5,) * 9)) if t.kind == "next_best_action"][0].text
    ahead = [t for t in coach(turns, _points(turns, (0.5, 0.62) + (0.5,) * 7)) if t.kind == "next_best_action"][0].text
    assert "model expects" not in flat and "The model expects 62% after it (+12 pts from now)" in ahead


def test_a_reply_settles_the_questions_items_in_the_same_order_whatever_the_hash_seed():
    # The order of a turn's settled items was a frozenset's, so it changed from one process to the next.
    import os
    import subprocess
    import sys

    program = ("from salesrl.agent.tracker import track; from salesrl.agent.types import Turn; "
               "t = track([Turn('Ana', 'rep', 'What is your budget, when do you need it live, and who signs off?'), "
               "Turn('Ben', 'prospect', 'Sure, happy to walk you through all of that.')]); "
               "print([(e.item, e.state) for e in t.events_at(1)])")
    outputs = {subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True,
                              env={**os.environ, "PYTHONHASHSEED": str(seed)}).stdout
               for seed in range(6)}
    assert len(outputs) == 1 and "answered" in outputs.pop()


def test_a_reply_is_read_as_the_answer_to_the_question_the_rep_asked_in_other_words():
    # Questions about who decides, what they would spend and what they compare against, asked without the usual
    # words: the buyer's short reply only means something with the question before it.
    s = states(call("How does your team usually make that decision?", "Priya and I, over coffee."))
    assert s["decision"] == "answered"
    assert states(call("Who gets a say when you pick a supplier?", "Mostly our plant lead."))["decision"] == "answered"
    assert states(call("What were you hoping to put toward this?", "Somewhere near thirty."))["budget"] == "answered"
    assert states(call("And how much could you invest in it?", "Not a penny until spring."))["budget"] == "negative"
    assert states(call("What are you comparing us against?", "Mostly Tallybook."))["competitor"] == "answered"


def test_a_concern_the_buyer_says_they_are_now_comfortable_with_is_resolved_and_a_customers_complaint_is_a_pain():
    concern = ("Our concern is the rollout eating the whole summer.",
               "We phase it by site, and each site takes a week.")
    assert track(call("Any worries so far?", *concern, "Right, we're comfortable with that.")).items[
        "objection"].state == "resolved"
    assert track(call("Any worries so far?", *concern, "That's a fair answer, thanks.")).items[
        "objection"].state == "resolved"
    assert track(call("Any worries so far?", *concern, "Honestly I'm not comfortable with that.")).items[
        "objection"].state == "open"
    assert track(call("What brought you to us?", "The complaints we get from tenants are all about slow repairs.")).items[
        "objection"].state == "not_raised"
    assert track(call("How is the tool doing?", "Fine, our one complaint is the export speed.")).items[
        "objection"].state == "open"


def test_a_price_stays_on_the_table_while_the_buyer_asks_about_it_but_a_bare_okay_before_a_question_is_no_yes():
    price = ("It's $1,900 a month for the three sites.", "Does that cover setup?", "Setup is free in the first year.")
    assert states(call(*price, "Alright then, that's acceptable for us."))["budget"] == "agreed"
    assert states(call(*price, "Okay. And who trains the night staff?"))["budget"] != "agreed"
    moved_on = states(call("It's $1,900 a month.", "Hmm.", "Could we book a demo with your team on Thursday?", "Sure."))
    assert moved_on["budget"] != "agreed" and moved_on["next_step"] == "agreed"  # the yes was to the demo
    asked_back = states(call("Could we book a pilot for next month?", "Okay. What would the pilot need from us?"))
    assert asked_back["next_step"] == "asked"
    assert states(call("Could we book a pilot for next month?", "Okay, that works. Who do I send the access list to?"))[
        "next_step"] == "agreed"


def test_offers_that_would_help_and_the_buyers_own_invitations_in_other_words():
    s = states(call("Would it help to try it on last month's data?", "Well yes, if you can have it ready by Tuesday."))
    assert s["next_step"] == "agreed"
    material = states(call("Would it help if I put together a comparison of the two plans?", "Yes please."))
    assert material["next_step"] == "answered"  # something to read, not a meeting
    invited = states(call("Thanks for the tour.", "Why don't you come over to the Hull office on the twenty-third?"))
    assert invited["next_step"] == "agreed"
    assert states(call("What's driving the timing?", "We open the new wing on the fourth of March."))[
        "timeline"] == "answered"


def test_who_decides_what_they_spend_and_when_nothing_happens_in_other_words():
    assert states(call("Tell me about the team.", "She makes all the buying decisions here."))["decision"] == "answered"
    assert states(call("Tell me about the team.", "Anything above twenty grand has to go to the board."))[
        "decision"] == "answered"
    assert states(call("How did the last rollout go?", "Our finance head overruled it."))["decision"] == "answered"
    assert states(call("How did the last rollout go?", "The owners voted against it."))["decision"] == "answered"
    assert states(call("What does it cost you today?", "We pay our current vendor around nine hundred a quarter."))[
        "budget"] == "answered"
    assert states(call("Tell me about the project.", "We have sixty thousand for the whole project."))[
        "budget"] == "answered"
    assert states(call("Tell me about the project.", "The CFO signed off on the spend last month."))[
        "budget"] == "agreed"
    assert states(call("Tell me about the project.", "The money for it is already approved."))["budget"] == "agreed"
    assert states(call("Tell me about next year.", "We won't be buying any new tools this year."))[
        "timeline"] == "negative"
    assert states(call("Tell me about next year.", "Procurement is closed for the year."))["timeline"] == "negative"
    assert track(call("That's forty a seat.", "That's more than we planned for.")).items["objection"].state == "open"


def test_short_replies_to_who_has_the_last_word_when_and_a_stated_price_settle_them():
    assert states(call("Does anyone else have the last word on purchases?", "No, I do."))["decision"] == "answered"
    assert states(call("Is it you who's approving the order?", "Mm-hm, yeah."))["decision"] == "answered"
    assert states(call("What sort of timeframe are we talking?", "Before the autumn intake."))["timeline"] == "answered"
    assert states(call("How soon would the crews need it?", "Honestly whenever."))["timeline"] == "answered"
    assert states(call("That's $7,400 for the year, support included.", "That's roughly what we planned for."))[
        "budget"] in ("answered", "agreed")
    assert states(call("It'd be 900 a month for both branches.", "Close to what I'd expected, to be fair."))[
        "budget"] == "answered"


def test_satisfaction_said_the_other_way_round_neither_resolves_nor_accepts():
    concern = ("I'm worried about the data move.", "We migrate it for you, over a weekend.")
    assert track(call("Anything holding you back?", *concern, "I'm still not reassured, to be honest.")).items[
        "objection"].state == "open"
    assert track(call("Anything holding you back?", *concern, "Good, I feel reassured.")).items[
        "objection"].state == "resolved"
    assert states(call("It's 3,000 a year, so 15% off list.", "Sorry, that's not acceptable."))["budget"] != "agreed"
    # making the decisions names who decides; not being able to make one does not
    assert states(call("Tell me about the team.", "I can't make that call today."))["decision"] == "not_raised"


def test_an_okay_that_only_takes_the_turn_before_a_condition_does_not_accept_the_step():
    demo = "Could we do a quick demo on Friday?"
    assert states(call(demo, "Okay, one thing first: we can't take on new vendors mid-audit."))["next_step"] == "asked"
    assert states(call(demo, "Okay, Friday works, but keep it short."))["next_step"] == "agreed"
