"""The history store on SQLite and PostgreSQL: what is kept, what is scoped, what is atomic."""

from __future__ import annotations

import inspect
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from salesrl.agent.dataset import parse_conversation
from salesrl.agent.types import Tip
from salesrl.bot.digest import queries
from salesrl.bot.store import InvalidValue, NotFound, save_scored_call
from salesrl.bot.store.engine import make_engine
from salesrl.bot.store.tables import utcnow
from tests.stored import questions

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
    deal = store.deals.get_or_create(A, "Acme Corp", owner_id="U1", channel_id="C1")
    call_id = store.calls.save(A, deal.id, result, "slash_command", "Ana: hi\nBen: hello", user_id="U1", channel_id="C1")

    detail = store.calls.get(A, call_id)
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
    first = store.deals.get_or_create(A, "  Acme   Corp ")
    again = store.deals.get_or_create(A, "acme corp")
    assert first.id == again.id
    assert first.name == "Acme Corp"
    assert [d.name for d in store.deals.list(A)] == ["Acme Corp"]
    assert store.deals.get(A, "ACME CORP").id == first.id
    with pytest.raises(InvalidValue):
        store.deals.get_or_create(A, "   ")


def test_owner_and_channel_fill_in_but_never_replace(store):
    store.deals.get_or_create(A, "Acme")
    filled = store.deals.get_or_create(A, "Acme", owner_id="U1", channel_id="C1")
    kept = store.deals.get_or_create(A, "Acme", owner_id="U2", channel_id="C2")
    assert (filled.owner_id, filled.channel_id) == ("U1", "C1")
    assert (kept.owner_id, kept.channel_id) == ("U1", "C1")
    updated = store.deals.update(A, "Acme", owner_id="U2", stage="proposal", amount=12000)
    assert (updated.owner_id, updated.stage, int(updated.amount)) == ("U2", "proposal", 12000)


def test_latest_probability_and_trend_follow_the_calls(store, score_result):
    deal = store.deals.get_or_create(A, "Acme")
    store.calls.save(A, deal.id, score_result([0.30, 0.50]), "cli", "t")
    one = store.deals.get(A, "Acme")
    # one call: the trend is the move within it
    assert one.latest_probability == pytest.approx(0.50)
    assert one.trend == pytest.approx(0.20)
    store.calls.save(A, deal.id, score_result([0.60, 0.35]), "cli", "t")
    two = store.deals.list(A)[0]
    # two calls: the change between their final probabilities
    assert two.latest_probability == pytest.approx(0.35)
    assert two.trend == pytest.approx(-0.15)
    assert two.call_count == 2
    calls = store.calls.of_deal(A, deal.id)
    assert [c.final_probability for c in calls] == pytest.approx([0.50, 0.35])


def test_save_scored_call_creates_the_deal_and_reports_it(store, score_result):
    saved = save_scored_call(store, "local", "Initech", score_result([0.2, 0.7]), transcript_text="x")
    assert saved.deal.name == "Initech"
    assert saved.deal.call_count == 1
    assert saved.deal.latest_probability == pytest.approx(0.7)
    assert store.calls.get("local", saved.call_id).call.source == "cli"


def test_a_failure_mid_save_leaves_nothing_half_written(store, score_result, count):
    deal = store.deals.get_or_create(A, "Acme")
    # The tip is written after the call and its turns; its missing text violates NOT NULL.
    broken = score_result([0.3, 0.4, 0.5], tips=(Tip("gap", None, "fine"), Tip("gap", None, None)))  # type: ignore[arg-type]
    with pytest.raises(sa.exc.IntegrityError):
        store.calls.save(A, deal.id, broken, "cli", "the transcript")
    assert count("calls") == 0
    assert count("turn_scores") == 0
    assert count("tips") == 0
    after = store.deals.get(A, "Acme")
    assert after.call_count == 0 and after.latest_probability is None
    # and the store is still usable afterwards
    store.calls.save(A, deal.id, score_result([0.3, 0.4]), "cli", "t")
    assert count("calls") == 1 and count("turn_scores") == 2


def test_a_failed_statement_keeps_its_parameters_out_of_the_error(store, score_result):
    """A traceback in the log carries the exception's message: SQLAlchemy would put the statement's
    parameters there, transcript text included."""
    deal = store.deals.get_or_create(A, "Acme")
    broken = score_result([0.3, 0.4], tips=(Tip("gap", None, None),))  # type: ignore[arg-type]
    with pytest.raises(sa.exc.IntegrityError) as failed:
        store.calls.save(A, deal.id, broken, "cli", "Ben-confides-budget-41k")
    assert "Ben-confides-budget-41k" not in str(failed.value) and "hidden" in str(failed.value)


def test_bad_scores_are_refused_before_anything_is_written(store, score_result, count):
    deal = store.deals.get_or_create(A, "Acme")
    with pytest.raises(InvalidValue, match="turn 1"):
        store.calls.save(A, deal.id, score_result([0.3, float("nan")]), "cli", "t")
    with pytest.raises(InvalidValue, match="source"):
        store.calls.save(A, deal.id, score_result([0.3]), "telepathy", "t")
    assert count("calls") == 0


def test_record_outcome(store, score_result):
    deal = store.deals.get_or_create(A, "Acme")
    store.calls.save(A, deal.id, score_result([0.4, 0.8]), "cli", "t")
    won = store.deals.record_outcome(A, "acme", won=True).deal
    assert won.status == "won" and won.closed_at is not None
    lost = store.deals.record_outcome(A, "ACME", won=False).deal  # correcting it
    assert lost.status == "lost"
    with pytest.raises(NotFound, match="no deal named 'Nope'"):
        store.deals.record_outcome(A, "Nope", won=True)


def test_closing_a_deal_names_exactly_the_flags_it_cleared(store):
    deal = store.deals.get_or_create(A, "Acme")
    other = store.deals.get_or_create(A, "Initech")
    kept, done, elsewhere = (store.flags.add(A, reason=r, deal_id=d.id)
                             for r, d in (("pricing", deal), ("timing", deal), ("budget", other)))
    assert store.flags.clear(A, done.id, "U2")  # cleared before: not this outcome's to announce
    recorded = store.deals.record_outcome(A, "Acme", won=True, cleared_by="U1")
    assert recorded.cleared_flags == (kept.id,)
    assert store.flags.list_open(A, deal.id) == [] and [f.id for f in store.flags.list_open(A, other.id)] == [elsewhere.id]
    assert store.deals.record_outcome(A, "Acme", won=None).cleared_flags == ()  # reopening clears nothing


def test_another_workspace_sees_none_of_it(store, score_result):
    deal = store.deals.get_or_create(A, "Acme", owner_id="U1", channel_id="C1")
    call_id = store.calls.save(A, deal.id, score_result([0.3, 0.6]), "cli", "secret transcript", user_id="U1")
    store.deals.record_outcome(A, "Acme", won=True)  # (before the flag: closing a deal clears its flags)
    flag = store.flags.add(A, reason="pricing pushback", call_id=call_id, channel_id="C1", thread_ts="1.1")
    question = store.questions.add(A, "Why did it drop?", call_id=call_id)
    sub = store.digests.add_subscription(A, "C1")
    assert store.digests.claim_run(A, sub.id, "2026-W48")
    assert store.events.mark_processed(A, "Ev1")
    since = utcnow() - timedelta(days=7)

    assert store.deals.get(B, "Acme") is None
    assert store.deals.get_by_id(B, deal.id) is None
    assert store.deals.list(B) == []
    assert store.calls.of_deal(B, deal.id) == []
    assert store.calls.get(B, call_id) is None
    assert store.calls.find_by_thread(B, "C1", "1.1") is None
    assert store.flags.get(B, flag.id) is None
    assert store.flags.find_by_thread(B, "C1", "1.1") is None
    assert store.flags.list_open(B) == []
    assert store.questions.get(B, question.id) is None
    assert questions(store, B) == []
    assert store.digests.get_subscription(B, sub.id) is None
    assert store.digests.list_subscriptions(B) == []
    assert store.digests.get_run(B, sub.id, "2026-W48") is None
    assert store.calls.export_closed_deals(B) == []
    assert queries.calls_between(store, B, since) == []
    assert queries.deal_movers(store, B, since) == []
    assert queries.calls_per_rep(store, B, since) == []
    assert store.workspaces.user_names(B, ["U1"]) == {}
    # writes through another workspace's ids fail as if the ids did not exist
    with pytest.raises(NotFound):
        store.calls.save(B, deal.id, score_result([0.5]), "cli", "t")
    with pytest.raises(NotFound):
        store.flags.add(B, reason="x", call_id=call_id)
    with pytest.raises(NotFound):
        store.flags.add(B, reason="x", deal_id=deal.id)
    with pytest.raises(NotFound):
        store.flags.clear(B, flag.id)
    with pytest.raises(NotFound):
        store.flags.set_thread(B, flag.id, "C9", "9.9")
    with pytest.raises(NotFound):
        store.calls.set_thread(B, call_id, "C9", "9.9")
    with pytest.raises(NotFound):
        store.questions.add_answer(B, question.id, "because")
    with pytest.raises(NotFound):
        store.questions.add(B, "?", call_id=call_id)
    with pytest.raises(NotFound):
        store.digests.claim_run(B, sub.id, "2026-W49")
    with pytest.raises(NotFound):
        store.digests.update_subscription(B, sub.id, hour=3)
    assert store.digests.delete_subscription(B, sub.id) is False
    assert store.digests.release_run(B, sub.id, "2026-W48") is False
    with pytest.raises(NotFound):
        store.digests.mark_posted(B, sub.id, "2026-W48")
    with pytest.raises(NotFound):
        store.deals.record_outcome(B, "Acme", won=False)
    with pytest.raises(NotFound):
        store.deals.update(B, "Acme", stage="x")
    with pytest.raises(NotFound):
        store.deals.forget(B, "Acme")
    # the same names and event ids are independent per workspace
    assert store.events.mark_processed(B, "Ev1") is True
    assert store.deals.get_or_create(B, "Acme").id != deal.id

    # and A's rows are untouched by all of the above
    kept = store.deals.get(A, "Acme")
    assert (kept.status, kept.call_count) == ("won", 1)
    assert store.flags.get(A, flag.id).cleared_at is None
    assert store.calls.get(A, call_id).call.thread_ts is None
    assert store.digests.get_subscription(A, sub.id).hour == 9
    assert store.digests.get_run(A, sub.id, "2026-W48").state == "claimed"


# Maintenance that works across workspaces and returns only counts, the workspaces themselves (for
# the scheduler), the signatures of signed requests, which belong to no workspace, and the lookup of
# an API token, which is how a request says its workspace.
ACROSS_WORKSPACES = {"retention.purge_transcripts", "events.prune_processed", "workspaces.list", "pending.touch",
                     "events.first_time_request", "events.forget_request", "events.prune_seen_requests",
                     "ingest_tokens.workspace_of"}


def test_every_repository_method_requires_a_workspace(store):
    """The workspace is a required first argument of every method that reads or writes a
    workspace's rows; the few exceptions are maintenance that returns only counts."""
    checked = 0
    for repository, instance in vars(store).items():
        if repository.startswith("_") or repository == "database":
            continue
        for name, fn in inspect.getmembers(type(instance), inspect.isfunction):
            if name.startswith("_") or f"{repository}.{name}" in ACROSS_WORKSPACES:
                continue
            params = list(inspect.signature(fn).parameters.values())
            assert params[1].name == "workspace_id", f"{repository}.{name}"
            assert params[1].default is inspect.Parameter.empty, f"{repository}.{name}"
            checked += 1
    assert checked > 40


def test_a_missing_workspace_is_refused(store):
    with pytest.raises(InvalidValue, match="workspace"):
        store.deals.list(None)  # type: ignore[arg-type]
    with pytest.raises(InvalidValue, match="workspace"):
        store.deals.get_or_create("", "Acme")


def test_forget_deal_deletes_everything_about_it(store, score_result, count):
    keep = store.deals.get_or_create(A, "Keep")
    kept_call = store.calls.save(A, keep.id, score_result([0.5, 0.6]), "cli", "keep me")
    store.flags.add(A, reason="keep", call_id=kept_call)
    deal = store.deals.get_or_create(A, "Gone")
    c1 = store.calls.save(A, deal.id, score_result([0.1, 0.2, 0.3]), "cli", "one")
    store.calls.save(A, deal.id, score_result([0.4, 0.5]), "file", "two")
    store.flags.add(A, reason="by call", call_id=c1)
    store.flags.add(A, reason="by deal", deal_id=deal.id)
    q = store.questions.add(A, "What went wrong?", call_id=c1)
    store.questions.add_answer(A, q.id, "No budget.", model_id="gpt")
    store.questions.add(A, "And the deal?", deal_id=deal.id)

    assert store.deals.forget(A, "gone") == 2
    assert store.deals.get(A, "Gone") is None
    assert store.calls.get(A, c1) is None
    assert count("calls") == 1
    assert count("turn_scores") == 2
    assert count("tips") == 1
    assert count("flags") == 1
    assert count("questions") == 0
    assert count("answers") == 0
    assert store.calls.get(A, kept_call).transcript_text == "keep me"


def test_purge_removes_text_and_keeps_scores(store, score_result):
    deal = store.deals.get_or_create(A, "Acme")
    call_id = store.calls.save(A, deal.id, score_result([0.3, 0.5, 0.7]), "cli", "all the words")
    store.deals.record_outcome(A, "Acme", won=True)

    assert store.retention.purge_transcripts(30) == 0  # nothing is old yet
    assert store.calls.get(A, call_id).transcript_text == "all the words"

    assert store.retention.purge_transcripts(30, now=utcnow() + timedelta(days=31)) == 1
    detail = store.calls.get(A, call_id)
    assert detail.transcript_text is None
    assert detail.call.transcript_purged
    assert [t.text for t in detail.turns] == [None, None, None]
    assert detail.probabilities == [0.3, 0.5, 0.7]
    assert [t.speaker for t in detail.turns] == ["Ana", "Ben", "Ana"]
    assert len(detail.tips) == 1
    assert store.deals.get(A, "Acme").latest_probability == pytest.approx(0.7)
    assert store.calls.export_closed_deals(A) == []  # no text left to train on
    assert store.retention.purge_transcripts(30, now=utcnow() + timedelta(days=31)) == 0


def test_export_writes_closed_deals_as_valid_dataset_lines(store, score_result):
    won = store.deals.get_or_create(A, "Won deal")
    store.calls.save(A, won.id, score_result([0.3, 0.6]), "cli", "t")
    store.calls.save(A, won.id, score_result([0.6, 0.8, 0.9], notes=(2,)), "cli", "t")
    lost = store.deals.get_or_create(A, "Lost deal")
    store.calls.save(A, lost.id, score_result([0.5, 0.2]), "cli", "t")
    open_deal = store.deals.get_or_create(A, "Open deal")
    store.calls.save(A, open_deal.id, score_result([0.5, 0.5]), "cli", "t")
    store.deals.record_outcome(A, "Won deal", won=True)
    store.deals.record_outcome(A, "Lost deal", won=False)

    conversations = store.calls.export_closed_deals(A)
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
    deal = store.deals.get_or_create(A, "Acme")
    call_id = store.calls.save(A, deal.id, score_result([0.6, 0.3]), "cli", "t")
    flag = store.flags.add(A, reason="  prospect went quiet ", call_id=call_id, turn_index=1, flagged_by="U1")
    assert flag.deal_id == deal.id and flag.deal_name == "Acme"  # the call's deal
    assert flag.reason == "prospect went quiet"
    store.flags.set_thread(A, flag.id, "C1", "1700000000.000100")
    assert store.flags.find_by_thread(A, "C1", "1700000000.000100").id == flag.id
    assert [f.id for f in store.flags.list_open(A)] == [flag.id]
    assert store.flags.clear(A, flag.id, cleared_by="U2") is True
    assert store.flags.clear(A, flag.id) is False
    assert store.flags.list_open(A) == []
    assert store.flags.get(A, flag.id).cleared_by == "U2"
    with pytest.raises(InvalidValue):
        store.flags.add(A, reason="no target")


def test_questions_and_answers(store, score_result):
    deal = store.deals.get_or_create(A, "Acme")
    call_id = store.calls.save(A, deal.id, score_result([0.6, 0.3]), "cli", "t")
    q = store.questions.add(A, "Why the drop at turn 2?", call_id=call_id, asked_by="U1", channel_id="C1", thread_ts="5.5")
    store.questions.add_answer(A, q.id, "Pricing came up before value.", model_id="gpt-4o-mini")
    store.questions.add_answer(A, q.id, "Follow-up: ask about budget.")
    [got] = questions(store, A, call_id=call_id)
    assert got.deal_id == deal.id
    assert [a.text for a in got.answers] == ["Pricing came up before value.", "Follow-up: ask about budget."]
    assert questions(store, A, deal_id=deal.id)[0].id == q.id


def test_digest_subscriptions(store):
    sub = store.digests.add_subscription(A, "C1", weekday=4, hour=16, timezone="Europe/Paris", created_by="U1")
    assert (sub.cadence, sub.weekday, sub.hour, sub.timezone, sub.active) == ("weekly", 4, 16, "Europe/Paris", True)
    daily = store.digests.update_subscription(A, sub.id, cadence="daily")
    assert daily.weekday is None
    off = store.digests.update_subscription(A, sub.id, active=False)
    assert store.digests.list_subscriptions(A) == []
    assert store.digests.list_subscriptions(A, active_only=False) == [off]
    with pytest.raises(InvalidValue, match="hour"):
        store.digests.add_subscription(A, "C1", hour=24)
    with pytest.raises(InvalidValue, match="time zone"):
        store.digests.add_subscription(A, "C1", timezone="Mars/Olympus")
    with pytest.raises(InvalidValue, match="weekday"):
        store.digests.add_subscription(A, "C1", weekday=7)
    assert store.digests.delete_subscription(A, sub.id) is True
    assert store.digests.get_subscription(A, sub.id) is None


def test_a_digest_run_is_claimed_once_and_retried_after_a_crash(store):
    sub = store.digests.add_subscription(A, "C1")
    t0 = utcnow()
    assert store.digests.claim_run(A, sub.id, "2026-W48", now=t0) is True
    assert store.digests.claim_run(A, sub.id, "2026-W48", now=t0 + timedelta(minutes=5)) is False
    # the claimant died before posting: after the lease another process takes over, once
    later = t0 + timedelta(minutes=16)
    assert store.digests.claim_run(A, sub.id, "2026-W48", now=later) is True
    assert store.digests.claim_run(A, sub.id, "2026-W48", now=later) is False
    store.digests.mark_posted(A, sub.id, "2026-W48", message_ts="123.456", now=later)
    run = store.digests.get_run(A, sub.id, "2026-W48")
    assert (run.state, run.claim_count, run.message_ts) == ("posted", 2, "123.456")
    # posted is final, however long ago
    assert store.digests.claim_run(A, sub.id, "2026-W48", now=later + timedelta(days=30)) is False
    assert store.digests.release_run(A, sub.id, "2026-W48") is False
    # a failed post gives the claim back at once; the next period is its own run
    assert store.digests.claim_run(A, sub.id, "2026-W49") is True
    assert store.digests.release_run(A, sub.id, "2026-W49") is True
    assert store.digests.claim_run(A, sub.id, "2026-W49") is True


def test_slack_event_retries_are_recognised(store):
    assert store.events.mark_processed(A, "Ev0001") is True
    assert store.events.mark_processed(A, "Ev0001") is False
    assert store.events.mark_processed(A, "Ev0002") is True
    assert store.events.prune_processed(timedelta(days=7), now=utcnow() + timedelta(days=8)) == 2
    assert store.events.mark_processed(A, "Ev0001") is True


def test_copies_of_signed_requests_are_recognised(store):
    copied, other = "a" * 64, "b" * 64  # SHA-256 digests of two signatures
    assert store.events.first_time_request(copied) is True
    assert store.events.first_time_request(copied) is False
    assert store.events.first_time_request(other) is True
    store.events.forget_request(copied)  # it failed: Slack's retry of it must get through
    assert store.events.first_time_request(copied) is True
    assert store.events.prune_seen_requests(timedelta(minutes=10), now=utcnow() + timedelta(minutes=9)) == 0
    assert store.events.prune_seen_requests(timedelta(minutes=10), now=utcnow() + timedelta(minutes=11)) == 2
    assert store.events.first_time_request(copied) is True


def test_ping_answers_while_the_database_does(store):
    store.ping()


def test_users_and_workspaces(store):
    assert store.workspaces.list() == []
    store.workspaces.ensure_user(A, "U1", "Ana")  # a workspace's first write creates it
    store.workspaces.ensure_user(A, "U1")  # no name given: the stored one stays
    assert [w.id for w in store.workspaces.list()] == [A]
    assert store.workspaces.user_names(A, ["U1", "U2"]) == {"U1": "Ana"}


def test_what_people_type_is_stored_without_bidi_controls(store, score_result):
    """A right-to-left override reorders what a reader sees ("Trojan Source"): gone from deal names,
    flag reasons and questions, as from transcripts."""
    deal = store.deals.get_or_create(A, "Acme \u202eevil\u202c deal")
    assert deal.name == "Acme evil deal" and store.deals.get(A, "acme evil deal").id == deal.id
    flag = store.flags.add(A, reason="price \u2066objection\u2069\nsee call", deal_id=deal.id)
    assert flag.reason == "price objection\nsee call"
    question = store.questions.add(A, "who \u202edecides\u202c?", deal_id=deal.id)
    assert question.text == "who decides?"
