"""The history store on SQLite and PostgreSQL: what is kept, what is scoped, what is atomic."""

from __future__ import annotations

import inspect
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from salesrl.agent.dataset import parse_conversation
from salesrl.agent.types import Tip
from salesrl.bot.store import InvalidValue, NotFound, Store, save_scored_call
from salesrl.bot.store.engine import make_engine
from salesrl.bot.store.models import utcnow

A, B = "T0AAA", "T0BBB"


@pytest.fixture
def count(database_url):  # type: ignore[no-untyped-def]
    """count("turn_scores") -> rows in that table, read with a connection of its own."""
    engine = make_engine(database_url)

    def rows(table: str, where: str = "") -> int:
        with engine.connect() as conn:
            return conn.exec_driver_sql(f"SELECT count(*) FROM {table} {where}").scalar_one()

    yield rows
    engine.dispose()


def test_a_saved_call_comes_back_with_its_turns_scores_and_tips(store, score_result):
    result = score_result(
        [0.30, 0.42, 0.55, 0.61],
        tips=(Tip("swing", 2, "Ben warmed up when you quantified hours saved."), Tip("gap", None, "No next step.")),
        notes=(3,),
    )
    deal = store.get_or_create_deal(A, "Acme Corp", owner_id="U1", channel_id="C1")
    call_id = store.save_call(A, deal.id, result, "slash_command", "Ana: hi\nBen: hello", user_id="U1", channel_id="C1")

    detail = store.get_call(A, call_id)
    assert detail is not None
    assert detail.transcript_text == "Ana: hi\nBen: hello"
    assert detail.probabilities == [0.30, 0.42, 0.55, 0.61]
    assert [t.speaker for t in detail.turns] == ["Ana", "Ben", "Ana", "Ben"]
    assert [t.role for t in detail.turns] == ["rep", "prospect", "rep", "prospect"]
    assert detail.turns[1].text == result.points[1].text
    assert detail.turns[2].start == 20.0
    assert [t.is_note for t in detail.turns] == [False, False, False, True]
    assert detail.turns[0].action_values == pytest.approx(result.points[0].action_values)
    assert [(t.kind, t.turn, t.text) for t in detail.tips] == [(t.kind, t.turn, t.text) for t in result.tips]
    assert detail.call.source == "slash_command"
    assert detail.call.model_id == "test-model"
    assert detail.call.final_probability == 0.61
    assert detail.call.turn_count == 4
    assert detail.roles_decided_by == "names given with --rep"


def test_deal_names_ignore_case_and_spacing(store):
    first = store.get_or_create_deal(A, "  Acme   Corp ")
    again = store.get_or_create_deal(A, "acme corp")
    assert first.id == again.id
    assert first.name == "Acme Corp"
    assert [d.name for d in store.list_deals(A)] == ["Acme Corp"]
    assert store.get_deal(A, "ACME CORP").id == first.id
    with pytest.raises(InvalidValue):
        store.get_or_create_deal(A, "   ")


def test_owner_and_channel_fill_in_but_never_replace(store):
    store.get_or_create_deal(A, "Acme")
    filled = store.get_or_create_deal(A, "Acme", owner_id="U1", channel_id="C1")
    kept = store.get_or_create_deal(A, "Acme", owner_id="U2", channel_id="C2")
    assert (filled.owner_id, filled.channel_id) == ("U1", "C1")
    assert (kept.owner_id, kept.channel_id) == ("U1", "C1")
    updated = store.update_deal(A, "Acme", owner_id="U2", stage="proposal", amount=12000)
    assert (updated.owner_id, updated.stage, int(updated.amount)) == ("U2", "proposal", 12000)


def test_latest_probability_and_trend_follow_the_calls(store, score_result):
    deal = store.get_or_create_deal(A, "Acme")
    store.save_call(A, deal.id, score_result([0.30, 0.50]), "cli", "t")
    one = store.get_deal(A, "Acme")
    # one call: the trend is the move within it
    assert one.latest_probability == pytest.approx(0.50)
    assert one.trend == pytest.approx(0.20)
    store.save_call(A, deal.id, score_result([0.60, 0.35]), "cli", "t")
    two = store.list_deals(A)[0]
    # two calls: the change between their final probabilities
    assert two.latest_probability == pytest.approx(0.35)
    assert two.trend == pytest.approx(-0.15)
    assert two.call_count == 2
    calls = store.list_calls(A, deal.id)
    assert [c.final_probability for c in calls] == pytest.approx([0.50, 0.35])


def test_save_scored_call_creates_the_deal_and_reports_it(store, score_result):
    saved = save_scored_call(store, "local", "Initech", score_result([0.2, 0.7]), transcript_text="x")
    assert saved.deal.name == "Initech"
    assert saved.deal.call_count == 1
    assert saved.deal.latest_probability == pytest.approx(0.7)
    assert store.get_call("local", saved.call_id).call.source == "cli"


def test_a_failure_mid_save_leaves_nothing_half_written(store, score_result, count):
    deal = store.get_or_create_deal(A, "Acme")
    # The tip is written after the call and its turns; its missing text violates NOT NULL.
    broken = score_result([0.3, 0.4, 0.5], tips=(Tip("gap", None, "fine"), Tip("gap", None, None)))  # type: ignore[arg-type]
    with pytest.raises(sa.exc.IntegrityError):
        store.save_call(A, deal.id, broken, "cli", "the transcript")
    assert count("calls") == 0
    assert count("turn_scores") == 0
    assert count("tips") == 0
    after = store.get_deal(A, "Acme")
    assert after.call_count == 0 and after.latest_probability is None
    # and the store is still usable afterwards
    store.save_call(A, deal.id, score_result([0.3, 0.4]), "cli", "t")
    assert count("calls") == 1 and count("turn_scores") == 2


def test_a_failed_statement_keeps_its_parameters_out_of_the_error(store, score_result):
    """A traceback in the log carries the exception's message: SQLAlchemy would put the statement's
    parameters there, transcript text included."""
    deal = store.get_or_create_deal(A, "Acme")
    broken = score_result([0.3, 0.4], tips=(Tip("gap", None, None),))  # type: ignore[arg-type]
    with pytest.raises(sa.exc.IntegrityError) as failed:
        store.save_call(A, deal.id, broken, "cli", "Ben-confides-budget-41k")
    assert "Ben-confides-budget-41k" not in str(failed.value) and "hidden" in str(failed.value)


def test_bad_scores_are_refused_before_anything_is_written(store, score_result, count):
    deal = store.get_or_create_deal(A, "Acme")
    with pytest.raises(InvalidValue, match="turn 1"):
        store.save_call(A, deal.id, score_result([0.3, float("nan")]), "cli", "t")
    with pytest.raises(InvalidValue, match="source"):
        store.save_call(A, deal.id, score_result([0.3]), "telepathy", "t")
    assert count("calls") == 0


def test_record_outcome(store, score_result):
    deal = store.get_or_create_deal(A, "Acme")
    store.save_call(A, deal.id, score_result([0.4, 0.8]), "cli", "t")
    won = store.record_outcome(A, "acme", won=True)
    assert won.status == "won" and won.closed_at is not None
    lost = store.record_outcome(A, "ACME", won=False)  # correcting it
    assert lost.status == "lost"
    with pytest.raises(NotFound, match="no deal named 'Nope'"):
        store.record_outcome(A, "Nope", won=True)


def test_another_workspace_sees_none_of_it(store, score_result):
    deal = store.get_or_create_deal(A, "Acme", owner_id="U1", channel_id="C1")
    call_id = store.save_call(A, deal.id, score_result([0.3, 0.6]), "cli", "secret transcript", user_id="U1")
    flag = store.add_flag(A, reason="pricing pushback", call_id=call_id, channel_id="C1", thread_ts="1.1")
    question = store.add_question(A, "Why did it drop?", call_id=call_id)
    sub = store.add_digest_subscription(A, "C1")
    assert store.claim_digest_run(A, sub.id, "2026-W48")
    assert store.mark_event_processed(A, "Ev1")
    store.record_outcome(A, "Acme", won=True)
    since = utcnow() - timedelta(days=7)

    store.ensure_workspace(B)
    assert store.get_deal(B, "Acme") is None
    assert store.get_deal_by_id(B, deal.id) is None
    assert store.list_deals(B) == []
    assert store.list_calls(B, deal.id) == []
    assert store.get_call(B, call_id) is None
    assert store.find_call_by_thread(B, "C1", "1.1") is None
    assert store.get_flag(B, flag.id) is None
    assert store.find_flag_by_thread(B, "C1", "1.1") is None
    assert store.list_open_flags(B) == []
    assert store.get_question(B, question.id) is None
    assert store.list_questions(B) == []
    assert store.get_digest_subscription(B, sub.id) is None
    assert store.list_digest_subscriptions(B) == []
    assert store.get_digest_run(B, sub.id, "2026-W48") is None
    assert store.export_closed_deals(B) == []
    assert store.calls_between(B, since) == []
    assert store.deal_movers(B, since) == []
    assert store.calls_per_rep(B, since) == []
    assert store.stale_deals(B, 0, now=utcnow() + timedelta(days=1)) == []
    assert store.closed_deal_forecasts(B, since) == []
    assert store.user_names(B, ["U1"]) == {}
    # writes through another workspace's ids fail as if the ids did not exist
    with pytest.raises(NotFound):
        store.save_call(B, deal.id, score_result([0.5]), "cli", "t")
    with pytest.raises(NotFound):
        store.add_flag(B, reason="x", call_id=call_id)
    with pytest.raises(NotFound):
        store.add_flag(B, reason="x", deal_id=deal.id)
    with pytest.raises(NotFound):
        store.clear_flag(B, flag.id)
    with pytest.raises(NotFound):
        store.set_flag_thread(B, flag.id, "C9", "9.9")
    with pytest.raises(NotFound):
        store.set_call_thread(B, call_id, "C9", "9.9")
    with pytest.raises(NotFound):
        store.add_answer(B, question.id, "because")
    with pytest.raises(NotFound):
        store.add_question(B, "?", call_id=call_id)
    with pytest.raises(NotFound):
        store.claim_digest_run(B, sub.id, "2026-W49")
    with pytest.raises(NotFound):
        store.update_digest_subscription(B, sub.id, hour=3)
    assert store.delete_digest_subscription(B, sub.id) is False
    assert store.release_digest_run(B, sub.id, "2026-W48") is False
    with pytest.raises(NotFound):
        store.mark_digest_posted(B, sub.id, "2026-W48")
    with pytest.raises(NotFound):
        store.record_outcome(B, "Acme", won=False)
    with pytest.raises(NotFound):
        store.update_deal(B, "Acme", stage="x")
    with pytest.raises(NotFound):
        store.forget_deal(B, "Acme")
    # the same names and event ids are independent per workspace
    assert store.mark_event_processed(B, "Ev1") is True
    assert store.get_or_create_deal(B, "Acme").id != deal.id

    # and A's rows are untouched by all of the above
    kept = store.get_deal(A, "Acme")
    assert (kept.status, kept.call_count) == ("won", 1)
    assert store.get_flag(A, flag.id).cleared_at is None
    assert store.get_call(A, call_id).call.thread_ts is None
    assert store.get_digest_subscription(A, sub.id).hour == 9
    assert store.get_digest_run(A, sub.id, "2026-W48").state == "claimed"


MAINTENANCE = {"open", "close", "purge_transcripts", "prune_processed_events", "list_workspaces",
               "touch_pending_calls", "ping", "first_time_request", "forget_request", "prune_seen_requests"}


def test_every_store_method_requires_a_workspace():
    """The workspace is a required first argument of every method that reads or writes a
    workspace's rows; the few exceptions are maintenance that returns only counts."""
    for name, fn in inspect.getmembers(Store, inspect.isfunction):
        if name.startswith("_") or name in MAINTENANCE:
            continue
        params = list(inspect.signature(fn).parameters.values())
        assert params[1].name == "workspace_id", name
        assert params[1].default is inspect.Parameter.empty, name


def test_a_missing_workspace_is_refused(store):
    with pytest.raises(InvalidValue, match="workspace"):
        store.list_deals(None)  # type: ignore[arg-type]
    with pytest.raises(InvalidValue, match="workspace"):
        store.get_or_create_deal("", "Acme")


def test_forget_deal_deletes_everything_about_it(store, score_result, count):
    keep = store.get_or_create_deal(A, "Keep")
    kept_call = store.save_call(A, keep.id, score_result([0.5, 0.6]), "cli", "keep me")
    store.add_flag(A, reason="keep", call_id=kept_call)
    deal = store.get_or_create_deal(A, "Gone")
    c1 = store.save_call(A, deal.id, score_result([0.1, 0.2, 0.3]), "cli", "one")
    store.save_call(A, deal.id, score_result([0.4, 0.5]), "file", "two")
    store.add_flag(A, reason="by call", call_id=c1)
    store.add_flag(A, reason="by deal", deal_id=deal.id)
    q = store.add_question(A, "What went wrong?", call_id=c1)
    store.add_answer(A, q.id, "No budget.", model_id="gpt")
    store.add_question(A, "And the deal?", deal_id=deal.id)

    assert store.forget_deal(A, "gone") == 2
    assert store.get_deal(A, "Gone") is None
    assert store.get_call(A, c1) is None
    assert count("calls") == 1
    assert count("turn_scores") == 2
    assert count("tips") == 1
    assert count("flags") == 1
    assert count("questions") == 0
    assert count("answers") == 0
    assert store.get_call(A, kept_call).transcript_text == "keep me"


def test_purge_removes_text_and_keeps_scores(store, score_result):
    deal = store.get_or_create_deal(A, "Acme")
    call_id = store.save_call(A, deal.id, score_result([0.3, 0.5, 0.7]), "cli", "all the words")
    store.record_outcome(A, "Acme", won=True)

    assert store.purge_transcripts(30) == 0  # nothing is old yet
    assert store.get_call(A, call_id).transcript_text == "all the words"

    assert store.purge_transcripts(30, now=utcnow() + timedelta(days=31)) == 1
    detail = store.get_call(A, call_id)
    assert detail.transcript_text is None
    assert detail.call.transcript_purged
    assert [t.text for t in detail.turns] == [None, None, None]
    assert detail.probabilities == [0.3, 0.5, 0.7]
    assert [t.speaker for t in detail.turns] == ["Ana", "Ben", "Ana"]
    assert len(detail.tips) == 1
    assert store.get_deal(A, "Acme").latest_probability == pytest.approx(0.7)
    assert store.export_closed_deals(A) == []  # no text left to train on
    assert store.purge_transcripts(30, now=utcnow() + timedelta(days=31)) == 0


def test_export_writes_closed_deals_as_valid_dataset_lines(store, score_result):
    won = store.get_or_create_deal(A, "Won deal")
    store.save_call(A, won.id, score_result([0.3, 0.6]), "cli", "t")
    store.save_call(A, won.id, score_result([0.6, 0.8, 0.9], notes=(2,)), "cli", "t")
    lost = store.get_or_create_deal(A, "Lost deal")
    store.save_call(A, lost.id, score_result([0.5, 0.2]), "cli", "t")
    open_deal = store.get_or_create_deal(A, "Open deal")
    store.save_call(A, open_deal.id, score_result([0.5, 0.5]), "cli", "t")
    store.record_outcome(A, "Won deal", won=True)
    store.record_outcome(A, "Lost deal", won=False)

    conversations = store.export_closed_deals(A)
    assert sorted((c.meta["deal"], c.outcome) for c in conversations) == [
        ("Lost deal", 0), ("Won deal", 1), ("Won deal", 1),
    ]
    for i, conv in enumerate(conversations):
        line = json.dumps(conv.to_json())
        parsed = parse_conversation(json.loads(line), where=f"line {i + 1}")
        assert parsed.outcome == conv.outcome
        assert all(t.text and t.role in ("rep", "prospect") for t in parsed.turns)
    # the note turn of the second call is left out
    assert max(len(c.turns) for c in conversations) == 2


def test_flags_open_thread_and_clear(store, score_result):
    deal = store.get_or_create_deal(A, "Acme")
    call_id = store.save_call(A, deal.id, score_result([0.6, 0.3]), "cli", "t")
    flag = store.add_flag(A, reason="  prospect went quiet ", call_id=call_id, turn_index=1, flagged_by="U1")
    assert flag.deal_id == deal.id and flag.deal_name == "Acme"  # the call's deal
    assert flag.reason == "prospect went quiet"
    store.set_flag_thread(A, flag.id, "C1", "1700000000.000100")
    assert store.find_flag_by_thread(A, "C1", "1700000000.000100").id == flag.id
    assert [f.id for f in store.list_open_flags(A)] == [flag.id]
    assert store.clear_flag(A, flag.id, cleared_by="U2") is True
    assert store.clear_flag(A, flag.id) is False
    assert store.list_open_flags(A) == []
    assert store.get_flag(A, flag.id).cleared_by == "U2"
    with pytest.raises(InvalidValue):
        store.add_flag(A, reason="no target")


def test_questions_and_answers(store, score_result):
    deal = store.get_or_create_deal(A, "Acme")
    call_id = store.save_call(A, deal.id, score_result([0.6, 0.3]), "cli", "t")
    q = store.add_question(A, "Why the drop at turn 2?", call_id=call_id, asked_by="U1", channel_id="C1", thread_ts="5.5")
    store.add_answer(A, q.id, "Pricing came up before value.", model_id="gpt-4o-mini")
    store.add_answer(A, q.id, "Follow-up: ask about budget.")
    [got] = store.list_questions(A, call_id=call_id)
    assert got.deal_id == deal.id
    assert [a.text for a in got.answers] == ["Pricing came up before value.", "Follow-up: ask about budget."]
    assert store.list_questions(A, deal_id=deal.id)[0].id == q.id


def test_digest_subscriptions(store):
    sub = store.add_digest_subscription(A, "C1", weekday=4, hour=16, timezone="Europe/Paris", created_by="U1")
    assert (sub.cadence, sub.weekday, sub.hour, sub.timezone, sub.active) == ("weekly", 4, 16, "Europe/Paris", True)
    daily = store.update_digest_subscription(A, sub.id, cadence="daily")
    assert daily.weekday is None
    off = store.update_digest_subscription(A, sub.id, active=False)
    assert store.list_digest_subscriptions(A) == []
    assert store.list_digest_subscriptions(A, active_only=False) == [off]
    with pytest.raises(InvalidValue, match="hour"):
        store.add_digest_subscription(A, "C1", hour=24)
    with pytest.raises(InvalidValue, match="time zone"):
        store.add_digest_subscription(A, "C1", timezone="Mars/Olympus")
    with pytest.raises(InvalidValue, match="weekday"):
        store.add_digest_subscription(A, "C1", weekday=7)
    assert store.delete_digest_subscription(A, sub.id) is True
    assert store.get_digest_subscription(A, sub.id) is None


def test_a_digest_run_is_claimed_once_and_retried_after_a_crash(store):
    sub = store.add_digest_subscription(A, "C1")
    t0 = utcnow()
    assert store.claim_digest_run(A, sub.id, "2026-W48", now=t0) is True
    assert store.claim_digest_run(A, sub.id, "2026-W48", now=t0 + timedelta(minutes=5)) is False
    # the claimant died before posting: after the lease another process takes over, once
    later = t0 + timedelta(minutes=16)
    assert store.claim_digest_run(A, sub.id, "2026-W48", now=later) is True
    assert store.claim_digest_run(A, sub.id, "2026-W48", now=later) is False
    store.mark_digest_posted(A, sub.id, "2026-W48", message_ts="123.456", now=later)
    run = store.get_digest_run(A, sub.id, "2026-W48")
    assert (run.state, run.claim_count, run.message_ts) == ("posted", 2, "123.456")
    # posted is final, however long ago
    assert store.claim_digest_run(A, sub.id, "2026-W48", now=later + timedelta(days=30)) is False
    assert store.release_digest_run(A, sub.id, "2026-W48") is False
    # a failed post gives the claim back at once; the next period is its own run
    assert store.claim_digest_run(A, sub.id, "2026-W49") is True
    assert store.release_digest_run(A, sub.id, "2026-W49") is True
    assert store.claim_digest_run(A, sub.id, "2026-W49") is True


def test_slack_event_retries_are_recognised(store):
    assert store.mark_event_processed(A, "Ev0001") is True
    assert store.mark_event_processed(A, "Ev0001") is False
    assert store.mark_event_processed(A, "Ev0002") is True
    assert store.prune_processed_events(timedelta(days=7), now=utcnow() + timedelta(days=8)) == 2
    assert store.mark_event_processed(A, "Ev0001") is True


def test_copies_of_signed_requests_are_recognised(store):
    copied, other = "a" * 64, "b" * 64  # SHA-256 digests of two signatures
    assert store.first_time_request(copied) is True
    assert store.first_time_request(copied) is False
    assert store.first_time_request(other) is True
    store.forget_request(copied)  # it failed: Slack's retry of it must get through
    assert store.first_time_request(copied) is True
    assert store.prune_seen_requests(timedelta(minutes=10), now=utcnow() + timedelta(minutes=9)) == 0
    assert store.prune_seen_requests(timedelta(minutes=10), now=utcnow() + timedelta(minutes=11)) == 2
    assert store.first_time_request(copied) is True


def test_ping_answers_while_the_database_does(store):
    store.ping()


def test_users_and_workspaces(store):
    store.ensure_workspace(A, "Acme Sales")
    store.ensure_workspace(A)  # no name given: the stored one stays
    assert [(w.id, w.name) for w in store.list_workspaces()] == [(A, "Acme Sales")]
    store.ensure_user(A, "U1", "Ana")
    store.ensure_user(A, "U1")
    assert store.user_names(A, ["U1", "U2"]) == {"U1": "Ana"}
    assert store.forget_workspace(A) is True
    assert store.list_workspaces() == []


def test_what_people_type_is_stored_without_bidi_controls(store, score_result):
    """A right-to-left override reorders what a reader sees ("Trojan Source"): gone from deal names,
    flag reasons and questions, as from transcripts."""
    deal = store.get_or_create_deal(A, "Acme \u202eevil\u202c deal")
    assert deal.name == "Acme evil deal" and store.get_deal(A, "acme evil deal").id == deal.id
    flag = store.add_flag(A, reason="price \u2066objection\u2069\nsee call", deal_id=deal.id)
    assert flag.reason == "price objection\nsee call"
    question = store.add_question(A, "who \u202edecides\u202c?", deal_id=deal.id)
    assert question.text == "who decides?"
