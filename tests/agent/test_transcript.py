"""Transcript ingestion: every format a rep pastes becomes the right turns, speakers, roles and times."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest

from salesrl.agent.errors import TranscriptError
from salesrl.agent.transcript import NO_TURNS, parse_transcript, require_conversation

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def example(name: str):
    path = EXAMPLES / name
    return parse_transcript(path.read_bytes(), filename=name)


def speakers(t):
    return [turn.speaker for turn in t.turns]


def roles(t):
    return {turn.speaker: turn.role for turn in t.turns}


# --- the shipped examples -------------------------------------------------------------------------

@pytest.mark.parametrize(
    "name, fmt, rep, prospects, n_min, n_max",
    [
        ("discovery_call.vtt", "vtt", "Priya Shah", {"Tom Becker", "Dana Ruiz"}, 25, 35),
        ("teams_call.vtt", "vtt", "Marcus Bell", {"Elena Novak", "Raj Patel (Guest)"}, 20, 30),
        ("pricing_call.srt", "srt", "Sofia Marin", {"Greg Holt", "Nina Okafor"}, 20, 30),
        ("gong_export.txt", "gong", "Jordan Lee", {"Aisha Khan", "Sam Ortiz"}, 18, 26),
        ("renewal_call.json", "json", "Hannah Cole", {"Owen Price"}, 20, 20),
        ("strong_call.txt", "plain", "Ana Lopez", {"Ben Ito", "Rachel Stone"}, 25, 35),
        ("weak_call.txt", "plain", "Kyle Dunn", {"Maria Chen"}, 15, 25),
    ],
)
def test_each_example_parses_with_the_rep_found_by_the_heuristic(name, fmt, rep, prospects, n_min, n_max):
    t = example(name)
    assert t.format == fmt
    assert n_min <= len(t.turns) <= n_max
    assert roles(t) == {rep: "rep", **{p: "prospect" for p in prospects}}
    assert t.roles_decided_by == f"heuristic: {rep} asked the most questions"
    # merged: never two turns in a row from one speaker
    assert all(a.speaker != b.speaker for a, b in zip(t.turns, t.turns[1:]))
    assert all(turn.text and turn.text == " ".join(turn.text.split()) for turn in t.turns)


def test_zoom_vtt_merges_consecutive_cues_of_one_speaker_and_keeps_the_first_start():
    t = example("discovery_call.vtt")
    first = t.turns[0]
    assert first.speaker == "Priya Shah" and first.start == pytest.approx(1.2)
    # the opening turn is two cues in the file
    assert first.text.startswith("Hi Tom, hi Dana, thanks for making the time. I've got us down for 30 minutes.")
    assert t.turns[-1].text == "Thanks, Priya. Talk Tuesday."
    starts = [turn.start for turn in t.turns]
    assert starts == sorted(starts)


def test_teams_vtt_reads_voice_tags_including_unclosed_ones_and_skips_the_note_block():
    t = example("teams_call.vtt")
    assert "Transcript exported" not in " ".join(turn.text for turn in t.turns)
    assert not any("<v" in turn.text or "</v>" in turn.text for turn in t.turns)
    assert t.turns[0].text.startswith("Good morning, Elena, Raj.")


def test_srt_example_has_times_in_seconds():
    t = example("pricing_call.srt")
    assert t.turns[1].speaker == "Greg Holt"
    assert t.turns[1].start == pytest.approx(14.538)


def test_gong_example_skips_the_title_lines_and_joins_the_text_lines():
    t = example("gong_export.txt")
    assert t.turns[0].speaker == "Jordan Lee" and t.turns[0].start == 4
    assert t.turns[0].text.endswith("What made you take the meeting?")
    assert t.turns[1].start == 19
    assert "Recorded call" not in t.turns[0].text


def test_json_example_keeps_start_times():
    t = example("renewal_call.json")
    assert [turn.start for turn in t.turns[:3]] == [3, 14, 29]


def test_huddle_notes_are_note_turns_of_no_speaker():
    t = example("huddle_notes.md")
    assert t.format == "notes"
    assert all(turn.is_note and turn.role == "other" and turn.speaker == "Notes" for turn in t.turns)
    texts = [turn.text for turn in t.turns]
    assert 'Ben says budget is approved: $70,000 for "AP automation" in this fiscal year' in texts
    # an indented continuation line belongs to its bullet; the heading is not a note
    assert ("Missing 2% early-payment discount on ~$9M fuel spend (half of it captured would be ~$90,000 a year)"
            in texts)
    assert not any(x.startswith("#") or "Deal huddle" in x for x in texts)
    assert texts[-1] == "Target signature by the 20th; go-live before quarter end"


# --- plain and timestamped lines -----------------------------------------------------------------

def test_plain_lines_merge_continuations_and_ignore_colons_that_are_not_labels():
    t = parse_transcript(
        "Ana: Hi Ben, what brings you here?\n"
        "Ben: We need a better CRM.\n"
        "The old one is slow, see https://example.com/report\n"
        "Note: we meet again at 10:30 tomorrow\n"
        "\n"
        "Ben: Also, budget is tight.\n"
        "Ana: Understood."
    )
    assert t.format == "plain"
    assert speakers(t) == ["Ana", "Ben", "Ana"]
    assert t.turns[1].text == ("We need a better CRM. The old one is slow, see https://example.com/report "
                               "Note: we meet again at 10:30 tomorrow Also, budget is tight.")
    assert all(turn.start is None for turn in t.turns)


def test_a_phrase_with_a_colon_inside_a_turn_is_not_a_new_speaker():
    t = parse_transcript(
        "Ana: How do you close the books today?\n"
        "Ben: By hand, mostly.\n"
        "The bottom line: it takes nine days.\n"
        "Ana: And what would five days be worth?\n"
        "Ben: A lot.\n"
        "Long story short: the board wants it.\n"
        "Cara Diaz: I agree."
    )
    assert speakers(t) == ["Ana", "Ben", "Ana", "Ben", "Cara Diaz"]
    assert t.turns[1].text == "By hand, mostly. The bottom line: it takes nine days."


def test_text_before_the_first_label_is_a_title_not_a_turn():
    t = parse_transcript("Call with Acme, May 3\n\nAna: Hello?\nBen: Hi.")
    assert speakers(t) == ["Ana", "Ben"]


def test_speaker_names_are_matched_case_insensitively_and_keep_the_first_spelling():
    t = parse_transcript("Ana Lopez: one?\nANA LOPEZ: two\nBen: three")
    assert speakers(t) == ["Ana Lopez", "Ben"]
    assert t.turns[0].text == "one? two"


def test_label_on_its_own_line_takes_the_following_lines():
    t = parse_transcript("Ana:\nHow are you?\nBen:\nFine, thanks.")
    assert [(x.speaker, x.text) for x in t.turns] == [("Ana", "How are you?"), ("Ben", "Fine, thanks.")]


def test_markdown_bold_labels_and_generic_speaker_numbers():
    t = parse_transcript("**Ana:** Hi?\n**Ben**: Hello.\nSpeaker 1: What now?\nSpeaker 2: Lunch.")
    assert speakers(t) == ["Ana", "Ben", "Speaker 1", "Speaker 2"]
    assert t.turns[0].text == "Hi?"


@pytest.mark.parametrize(
    "line, start",
    [
        ("[00:01:23] Ana: Hello?", 83),
        ("00:01:23 Ana: Hello?", 83),
        ("Ana (00:01:23): Hello?", 83),
        ("[01:23] Ana: Hello?", 83),
        ("(1:02:03) Ana: Hello?", 3723),
        ("Ana [00:00:05.5]: Hello?", 5.5),
    ],
)
def test_timestamped_line_styles(line, start):
    t = parse_transcript(f"{line}\n[00:09:00] Ben: Hi.")
    assert t.format == "timestamped"
    assert [(x.speaker, x.start) for x in t.turns] == [("Ana", start), ("Ben", 540)]
    assert t.turns[0].text == "Hello?"


def test_timestamped_turns_of_one_speaker_merge_and_keep_the_first_time():
    t = parse_transcript("[00:00:01] Ana: Hi\n[00:00:04] Ana: there\n[00:00:09] Ben: Yo")
    assert [(x.speaker, x.text, x.start) for x in t.turns] == [("Ana", "Hi there", 1), ("Ben", "Yo", 9)]


# --- VTT and SRT ---------------------------------------------------------------------------------

def test_vtt_with_settings_note_style_empty_cues_and_an_unterminated_end():
    vtt = (
        "WEBVTT - exported\nKind: captions\n\n"
        "STYLE\n::cue { color: lime }\n\n"
        "NOTE this is\na comment\n\n"
        "1\n00:00:01.000 --> 00:00:04.000 align:start position:10%\nAna: Hello &amp; welcome?\n\n"
        "2\n00:00:04.500 --> 00:00:05.000\n\n"
        "3\n00:00:05.000 --> 00:00:08.000\n<v.loud Ben Ito>We <b>need</b> help</v>\n\n"
        "4\n00:00:08.000 --> 00:00:09.000\n<v Ben Ito>with onboarding\n\n"
        "5\n00:01:10.250 --> 00:01:12.000\n<v Ana>Cut off mid-sen"
    )
    t = parse_transcript(vtt)
    assert t.format == "vtt"
    assert [(x.speaker, x.text, x.start) for x in t.turns] == [
        ("Ana", "Hello & welcome?", 1.0),
        ("Ben Ito", "We need help with onboarding", 5.0),
        ("Ana", "Cut off mid-sen", 70.25),
    ]


def test_vtt_file_cut_inside_a_timing_line_keeps_what_it_has():
    t = parse_transcript("WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nAna: Hi?\n\n2\n00:00:03.000 --> 00:0")
    assert [(x.speaker, x.text) for x in t.turns] == [("Ana", "Hi?")]


def test_srt_without_names_gives_unknown_turns_that_are_not_merged():
    srt = "1\n00:00:01,000 --> 00:00:04,000\nHello there.\n\n2\n00:00:05,000 --> 00:00:06,500\nHi!\n"
    t = parse_transcript(srt)
    assert t.format == "srt"
    assert [(x.speaker, x.role, x.text, x.start) for x in t.turns] == [
        ("Unknown", "other", "Hello there.", 1.0), ("Unknown", "other", "Hi!", 5.0)]
    assert t.roles_decided_by == "no speaker names in the file"


def test_srt_cue_without_a_name_continues_the_last_named_speaker():
    srt = ("1\n00:00:01,000 --> 00:00:02,000\nAna: How is it going?\n\n"
           "2\n00:00:02,000 --> 00:00:03,000\n<i>And what's new?</i>\n\n"
           "3\n00:00:03,000 --> 00:00:04,000\nBen: Fine.\n")
    t = parse_transcript(srt)
    assert [(x.speaker, x.text) for x in t.turns] == [("Ana", "How is it going? And what's new?"), ("Ben", "Fine.")]


# --- Gong -----------------------------------------------------------------------------------------

def test_gong_header_styles():
    t = parse_transcript("Ana Lopez | 0:05\nHow can we help?\nBen Ito 00:01:05\nWe need reports.\nMore reports.\n"
                         "Ana Lopez - 1:30\nWhich ones?\n")
    assert t.format == "gong"
    assert [(x.speaker, x.start, x.text) for x in t.turns] == [
        ("Ana Lopez", 5, "How can we help?"), ("Ben Ito", 65, "We need reports. More reports."),
        ("Ana Lopez", 90, "Which ones?")]


# --- JSON -----------------------------------------------------------------------------------------

def test_json_openai_messages_skip_system_and_leave_the_rep_to_the_role_rules():
    doc = {"messages": [
        {"role": "system", "content": "You are a transcript."},
        {"role": "user", "content": "What are you using today? How many users?"},
        {"role": "assistant", "content": [{"type": "text", "text": "Spreadsheets, 40 people."}]},
    ]}
    t = parse_transcript(json.dumps(doc))
    assert t.format == "json"
    assert [(x.speaker, x.role, x.text) for x in t.turns] == [
        ("user", "rep", "What are you using today? How many users?"),
        ("assistant", "prospect", "Spreadsheets, 40 people."),
    ]
    assert t.roles_decided_by == "heuristic: user asked the most questions"


def test_json_list_with_name_and_message_keys_merges_one_speaker():
    items = [{"name": "Ana", "message": "Hi"}, {"name": "Ana", "message": "there?"}, {"name": "Ben", "message": "Hey"}]
    t = parse_transcript(json.dumps(items), reps=["ana"])
    assert [(x.speaker, x.role, x.text) for x in t.turns] == [("Ana", "rep", "Hi there?"), ("Ben", "prospect", "Hey")]


def test_json_turns_with_explicit_roles_keep_them():
    doc = {"turns": [{"speaker": "Zed", "role": "prospect", "text": "What does it cost? Why?"},
                     {"speaker": "Yan", "role": "rep", "text": "Ten."}]}
    t = parse_transcript(json.dumps(doc))
    assert roles(t) == {"Zed": "prospect", "Yan": "rep"}
    assert t.roles_decided_by == "given by the file"


def test_dataset_conversation_keeps_its_roles_and_turns_unmerged():
    conv = {"id": "c1", "outcome": 1, "turns": [
        {"speaker": "Ana", "role": "rep", "text": "Hi.", "action": "rapport"},
        {"speaker": "Ana", "role": "rep", "text": "What do you need?"},
        {"speaker": "Ben", "role": "prospect", "text": "Reports."}]}
    t = parse_transcript(json.dumps(conv))
    assert t.format == "dataset"
    assert [(x.speaker, x.role) for x in t.turns] == [("Ana", "rep"), ("Ana", "rep"), ("Ben", "prospect")]
    assert t.roles_decided_by == "given by the file"


def test_json_turns_follow_the_same_role_rules():
    items = [{"speaker": "Ana", "text": "How is churn?"}, {"role": "Ben", "content": "High."}]
    t = parse_transcript(json.dumps(items), known_reps=["Ana"])
    assert [(x.speaker, x.role) for x in t.turns] == [("Ana", "rep"), ("Ben", "prospect")]
    assert t.roles_decided_by == "known reps: Ana"
    with pytest.raises(TranscriptError, match="no turns found in the JSON"):
        parse_transcript(json.dumps([{"speaker": "Ana"}]))


# --- roles ----------------------------------------------------------------------------------------

CALL = "Ben Ito: Hi, what is this about? What do you sell?\nAna Lopez: Invoices.\nCara: And how much is it?\n"


def test_rep_option_wins_and_matches_a_first_name_case_insensitively():
    t = parse_transcript(CALL, reps=["ana"], known_reps=["Ben Ito"])
    assert roles(t) == {"Ben Ito": "prospect", "Ana Lopez": "rep", "Cara": "prospect"}
    assert t.roles_decided_by == "the rep named: ana"


def test_rep_option_with_a_full_name_matches_a_first_name_speaker():
    t = parse_transcript(CALL, reps=["Cara Diaz"])
    assert roles(t)["Cara"] == "rep"


def test_rep_option_prefers_an_exact_name_over_first_names():
    t = parse_transcript("Ana Lopez: Hi?\nAna: Hello.\nBen: Yo.", reps=["Ana"])
    assert roles(t) == {"Ana Lopez": "prospect", "Ana": "rep", "Ben": "prospect"}


def test_rep_option_that_matches_nobody_is_an_error_naming_the_speakers():
    with pytest.raises(TranscriptError) as e:
        parse_transcript(CALL, reps=["Zoe"])
    assert str(e.value) == "the rep named Zoe matches no speaker; the speakers are Ben Ito, Ana Lopez, Cara"


def test_rep_option_overrides_roles_in_the_file():
    doc = [{"speaker": "Zed", "role": "prospect", "text": "Hi"}, {"speaker": "Yan", "role": "rep", "text": "Yo"}]
    t = parse_transcript(json.dumps(doc), reps=["Zed"])
    assert roles(t) == {"Zed": "rep", "Yan": "prospect"}


def test_speakers_named_by_their_role_keep_that_role():
    t = parse_transcript("Customer: Hi, what is this? Why now?\nRep: Invoices.\nCustomer: Ok.", known_reps=["Zed"])
    assert roles(t) == {"Customer": "prospect", "Rep": "rep"}
    assert t.roles_decided_by == "given by the speaker labels: Customer, Rep"


def test_a_single_rep_name_given_as_a_string_is_one_name():
    assert roles(parse_transcript(CALL, reps="Cara"))["Cara"] == "rep"


def test_known_reps_decide_when_no_rep_is_given():
    t = parse_transcript(CALL, known_reps=["Someone Else", "cara"])
    assert roles(t) == {"Ben Ito": "prospect", "Ana Lopez": "prospect", "Cara": "rep"}
    assert t.roles_decided_by == "known reps: Cara"


def test_heuristic_picks_the_speaker_asking_the_most_questions():
    t = parse_transcript(CALL, known_reps=["Nobody"])
    assert roles(t) == {"Ben Ito": "rep", "Ana Lopez": "prospect", "Cara": "prospect"}
    assert t.roles_decided_by == "heuristic: Ben Ito asked the most questions"


def test_heuristic_counts_question_openers_without_question_marks():
    t = parse_transcript("Ben: We are fine.\nAna: Walk me through your process. Tell me about the team.\nBen: Sure.")
    assert roles(t) == {"Ben": "prospect", "Ana": "rep"}


def test_heuristic_tie_goes_to_who_spoke_first():
    t = parse_transcript("Ben: Hello.\nAna: Hi.\nBen: Bye.")
    assert roles(t) == {"Ben": "rep", "Ana": "prospect"}
    assert t.roles_decided_by == "heuristic: Ben spoke first (nobody asked questions)"


def test_heuristic_only_looks_at_the_first_part_of_the_call():
    early = "".join(f"Ana: Question {i}?\nBen: Answer {i}.\n" for i in range(20))  # the first half
    late = "".join("Ben: Why? How? What? Really?\nAna: Yes.\n" for _ in range(10))
    assert roles(parse_transcript(early + late))["Ana"] == "rep"


def test_single_speaker_and_unknown_speakers():
    t = parse_transcript("Ana: Just me talking.\nUnknown: someone coughs")
    assert roles(t) == {"Ana": "rep", "Unknown": "other"}
    assert t.roles_decided_by == "heuristic: Ana is the only speaker"


# --- normalisation --------------------------------------------------------------------------------

def test_invisible_and_control_characters_are_removed_but_rtl_and_emoji_kept():
    text = "\ufeffAna:\u200b Hi\x07   there 👋🏽\r\n\u200fسارة: مرحبا، كيف حالك؟\rBen: 👨\u200d👩\u200d👧 family\tplan"
    t = parse_transcript(text)
    assert [(x.speaker, x.text) for x in t.turns] == [
        ("Ana", "Hi there 👋🏽"), ("سارة", "مرحبا، كيف حالك؟"), ("Ben", "👨\u200d👩\u200d👧 family plan")]


def test_a_joiner_hidden_between_latin_letters_does_not_hide_a_speaker():
    text = "Ana: How is the quarter?\nBe\u200dn: Busy.\nAna: And the re\u200cnewal?\nBen: Signed."
    t = parse_transcript(text)
    assert [(x.speaker, x.text) for x in t.turns] == [
        ("Ana", "How is the quarter?"), ("Ben", "Busy."), ("Ana", "And the renewal?"), ("Ben", "Signed.")]


BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


@pytest.mark.parametrize("fmt", ["plain", "json", "vtt"])
def test_bidi_embeddings_overrides_and_isolates_are_removed(fmt):
    """They reorder what a reader sees ("Trojan Source"): "Ben\u202e gnp.exe" shows as "Ben exe.png"."""
    ana, ben = "An\u202ea\u2066", "Ben\u2067 Ito\u2069"
    said = "We will pay\u202e 000,05$\u202c on\u2068 Monday\u2069, \u202dsign here\u202a now\u202b."
    if fmt == "plain":
        text = f"{ana}: What is the budget?\n{ben}: {said}"
    elif fmt == "json":
        text = json.dumps([{"speaker": ana, "text": "What is the budget?"}, {"speaker": ben, "text": said}])
    else:
        text = f"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v {ana}>What is the budget?\n\n" \
               f"00:00:03.000 --> 00:00:04.000\n<v {ben}>{said}\n"
    t = parse_transcript(text)
    assert [(x.speaker, x.text) for x in t.turns] == [
        ("Ana", "What is the budget?"), ("Ben Ito", "We will pay 000,05$ on Monday, sign here now.")]
    assert not any(ch in t.roles_decided_by for ch in BIDI_CONTROLS)


def test_cjk_labels_with_a_full_width_colon():
    t = parse_transcript("李雷：你好，你们现在用什么系统？\n韩梅梅：我们用表格。")
    assert speakers(t) == ["李雷", "韩梅梅"]
    assert t.roles_decided_by == "heuristic: 李雷 asked the most questions"


# --- bytes and encodings --------------------------------------------------------------------------

CALL_TEXT = "Ana: Olá, ça va? Naïve café.\nBen: Très bien."


@pytest.mark.parametrize(
    "data",
    [
        CALL_TEXT.encode("utf-8"),
        codecs.BOM_UTF8 + CALL_TEXT.encode("utf-8"),
        codecs.BOM_UTF16_LE + CALL_TEXT.encode("utf-16-le"),
        codecs.BOM_UTF16_BE + CALL_TEXT.encode("utf-16-be"),
        CALL_TEXT.encode("latin-1"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-le", "utf-16-be", "latin-1"],
)
def test_bytes_in_common_encodings_decode_to_the_same_turns(data):
    t = parse_transcript(data)
    assert [(x.speaker, x.text) for x in t.turns] == [("Ana", "Olá, ça va? Naïve café."), ("Ben", "Très bien.")]


def test_windows_1252_curly_quotes_decode():
    t = parse_transcript("Ana: It’s “great” – really.\nBen: Ok.".encode("cp1252"))
    assert t.turns[0].text == "It’s “great” – really."


# --- bad input ------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "source, kwargs, message",
    [
        ("", {}, "transcript is empty"),
        (" \n\t\u200b\n ", {}, "transcript is empty"),
        (b"", {}, "transcript is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", {}, "this looks like a binary file"),
        (bytes(range(256)) * 4, {}, "this looks like a binary file"),
        ("Ana: hi\x00there", {}, "this looks like a binary file"),
        ("Ana: " + "x" * 249_995, {}, "transcript is 250,000 characters; the limit is 200,000"),
        ("Ana: hi\nBen: ho\n", {"max_chars": 10}, "transcript is 16 characters; the limit is 10"),
        ("".join(f"{'Ana' if i % 2 else 'Ben'}: turn {i}\n" for i in range(2_001)), {},
         "transcript has 2,001 turns; the limit is 2,000"),
        ("just some words\nwithout any speaker labels", {}, NO_TURNS),
        ("https://example.com/a\nat 10:30 we met", {}, NO_TURNS),
        ('{"turns": "nope"', {}, "not valid JSON: "),
        ("[1, 2, 3]", {}, "no turns found in the JSON"),
        ('{"id": "x", "turns": [{"role": "rep", "text": " "}]}', {}, "the conversation: turn 0 has no 'text'"),
        ('{"id": 1, "turns": []}\n{"id": 2, "turns": []}\n', {}, "this looks like a JSONL dataset"),
        ("Ana: hi", {"filename": "call.json"}, "not valid JSON"),
    ],
)
def test_bad_input_gives_one_clear_line(source, kwargs, message):
    with pytest.raises(TranscriptError) as e:
        parse_transcript(source, **kwargs)
    text = str(e.value)
    assert text.startswith(message)
    assert "\n" not in text and "Traceback" not in text


def test_notes_written_as_sentences_titled_with_a_colon_or_under_headings_lose_nothing():
    prose = parse_transcript("Spoke with Ines at Corvo Bikes. She runs three shops and hates the stock counts.\n\n"
                             "Her partner signs anything over 5k. They want a trial in March!\n")
    assert prose.format == "notes" and [t.text for t in prose.turns] == [
        "Spoke with Ines at Corvo Bikes. She runs three shops and hates the stock counts.",
        "Her partner signs anything over 5k. They want a trial in March!"]
    titled = parse_transcript("Churn watch: Corvo Bikes (3 shops)\n- renewal on the 1st\n- unhappy with sync errors\n")
    assert titled.format == "notes" and [t.text for t in titled.turns] == ["renewal on the 1st", "unhappy with sync errors"]
    headed = parse_transcript("# Corvo huddle\n## Account\nthree shops, renewal on the 1st\n## Notes\n- wants a discount\n")
    assert [t.text for t in headed.turns] == ["three shops, renewal on the 1st", "wants a discount"]


def test_notes_that_quote_the_buyer_once_or_are_slack_lines_are_notes_line_by_line():
    slack = parse_transcript("corvo bikes -> went ok\nines wants it before spring\npartner signs >5k\n")
    assert slack.format == "notes" and len(slack.turns) == 3
    fields = parse_transcript("Attendees: Ines, Marc\nBudget: 5k from the shop fund\nNext: trial in March\n"
                              'Ines: "the counts take us a whole Sunday"\n')
    assert fields.format == "notes" and [t.text for t in fields.turns] == [
        "Attendees: Ines, Marc", "Budget: 5k from the shop fund", "Next: trial in March",
        'Ines: "the counts take us a whole Sunday"']
    headed = parse_transcript("# Corvo\nThey run three shops.\nMain worry: sync errors at month end.\n"
                              'Ines: "we lose a Sunday to it"\nWe agreed a trial.\n')
    assert headed.format == "notes" and len(headed.turns) == 4


def test_bracketed_timestamps_are_not_mistaken_for_json():
    t = parse_transcript("[00:00:01] Ana: Hi?\n[00:00:02] Ben: Hello.")
    assert t.format == "timestamped"


def test_a_heading_line_before_the_bullets_is_the_notes_title_not_a_note():
    t = parse_transcript("Huddle notes — Acme Corp renewal (call with Ben)\n- Ben happy with the rollout\n"
                         "- Agreed next step: we send a revised quote by Friday\n")
    assert [turn.text for turn in t.turns] == ["Ben happy with the rollout",
                                               "Agreed next step: we send a revised quote by Friday"]
    # a heading written as a label ("Call notes: ...") is a title too, not a speaker whose turn holds the bullets
    t = parse_transcript("Call notes: Acme Corp, pricing call\n* Ben confirmed $40k is within budget\n"
                         "* contract out today\n")
    assert t.format == "notes" and [turn.text for turn in t.turns] == ["Ben confirmed $40k is within budget",
                                                                      "contract out today"]
    # a sentence before the bullets is a note about the call
    t = parse_transcript("Talked to Ben today, he is keen.\n- budget approved\n")
    assert [turn.text for turn in t.turns] == ["Talked to Ben today, he is keen.", "budget approved"]


# --- one speaker: nothing to score -----------------------------------------------------------------

MONOLOGUE = ("Ana: Hi Ben, thanks for your time. Our plan starts at $20 a seat.\n"
             "Ana: The enterprise plan adds SSO. I'll send the contract over today.\n")
VOICEMAIL = ("WEBVTT\n\n00:00:01.000 --> 00:00:05.000\nAna Lopez: Hi Ben, it's Ana from Acme, following up.\n\n"
             "00:00:05.000 --> 00:00:09.000\nAna Lopez: Call me back when you can. Thanks!\n")
EMAIL = ("From: Ana Lopez <ana@acme.example>\nTo: Ben Ito <ben@kestrel.example>\nSubject: Pricing follow-up\n\n"
         "Hi Ben,\n\nOur enterprise plan is $40 per seat per month.\nCould we book the review for Thursday?\n\n"
         "Best regards,\nAna\n")


@pytest.mark.parametrize("text, who, verb", [(MONOLOGUE, "Ana", "speaks"), (VOICEMAIL, "Ana Lopez", "speaks"),
                                             (EMAIL, "Ana Lopez", "writes")])
def test_text_where_one_person_alone_speaks_reads_but_is_not_a_conversation_to_score(text, who, verb):
    t = parse_transcript(text)  # a live call's message, or a stored call, may have one speaker
    assert speakers(t) == [who] * len(t.turns)
    with pytest.raises(TranscriptError) as e:
        require_conversation(t)
    assert str(e.value).startswith(f"only {who} {verb} in this text, so there is no conversation to score")
    assert "\n" not in str(e.value)


def test_notes_by_one_person_and_calls_are_conversations_to_score():
    for t in (example("huddle_notes.md"), example("strong_call.txt"), parse_transcript("Ana: Hi?\nBen: Hello.")):
        assert require_conversation(t) is t


def test_a_pasted_email_thread_is_one_turn_per_message_oldest_first_without_its_headers():
    newer = ("From: Ben Ito <ben@kestrel.example>\nSent: Tuesday, March 3, 2026 10:14 AM\nTo: Ana Lopez\n"
             "Subject: RE: Pricing follow-up\n\n$40 a seat works if legal signs off by the 20th.\n\n"
             "-----Original Message-----\n")
    t = parse_transcript(newer + EMAIL)
    assert t.format == "email" and speakers(t) == ["Ana Lopez", "Ben Ito"]
    assert t.turns[0].text.startswith("Hi Ben, Our enterprise plan") and t.turns[0].text.endswith("Best regards, Ana")
    assert t.turns[1].text == "$40 a seat works if legal signs off by the 20th."
    assert require_conversation(t) is t
    # a "From:" line in a call, with no other header after it, is a speaker's words as before
    assert parse_transcript("From: the finance team\nAna: Who signs?\nBen: Rachel.").format != "email"
