"""What a digest says, checked against a seeded database (SQLite and PostgreSQL), and that every
rendered digest is a message Slack accepts."""

from __future__ import annotations

import json

import struct
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine

from salesrl.bot.digest.calibration import Calibration, CalibrationBin
from salesrl.bot.digest.chart import render_digest_chart_png
from salesrl.bot.digest.content import (LIST_SHOWN, DigestContent, FlaggedDeal, Moment, Mover, Pipeline, StageMove,
                                        build_digest)
from salesrl.bot.digest.periods import Period
from salesrl.bot.digest.rendering import render_digest
from salesrl.bot.slack.templates import compact_amount
from salesrl.bot.slack.block_validation import validate_message
from salesrl.bot.slack.templates import Templates
from salesrl.bot.digest.queries import RepActivity
from salesrl.bot.store import Deal
from salesrl.bot.store.tables import utcnow

W = "T0DIGEST"


def days_ago(days: float) -> time_machine.travel:
    """The clock `days` ago, for rows the store stamps with 'now'."""
    return time_machine.travel(utcnow() - timedelta(days=days), tick=False)


def this_week() -> Period:
    now = utcnow() + timedelta(seconds=1)
    return Period(key="2026-W49", cadence="weekly", start=now - timedelta(days=7), end=now, timezone="UTC")


@pytest.fixture
def seeded(store, score_result):  # type: ignore[no-untyped-def]
    """A week of a small team's pipeline."""
    store.workspaces.ensure_user(W, "U1", "Ana Lopez")
    acme = store.deals.get_or_create(W, "Acme", owner_id="U1")
    store.deals.update(W, "Acme", amount=Decimal("100000"))
    with days_ago(10):
        store.calls.save(W, acme.id, score_result([0.5, 0.40]), "cli", "t")
    store.calls.save(W, acme.id, score_result(
        [0.40, 0.45, 0.70, 0.72],
        texts=["Hi Ben.", "We lose hours on reports.", "Budget is approved for Q1, we can sign.", "Great."],
    ), "slash_command", "t", user_id="U1")

    beta = store.deals.get_or_create(W, "Beta", owner_id="U2")
    store.deals.update(W, "Beta", amount=50000)
    with days_ago(10):
        store.calls.save(W, beta.id, score_result([0.5, 0.60]), "cli", "t")
    store.calls.save(W, beta.id, score_result([0.60, 0.55, 0.25, 0.20]), "slash_command", "t", user_id="U2")
    store.flags.add(W, reason="pricing pushback", deal_id=beta.id)
    store.flags.add(W, reason="no <!channel> champion", deal_id=beta.id)

    with days_ago(21):  # quiet for three weeks
        gamma = store.deals.get_or_create(W, "Gamma", owner_id="U1")
        store.calls.save(W, gamma.id, score_result([0.5, 0.5]), "cli", "t")

    now = utcnow()
    for name, p, won, closed_days_ago in (("Delta", 0.9, True, 2), ("Epsilon", 0.3, False, 3),
                                          ("Zeta", 0.25, True, 100), ("Ancient", 0.9, False, 400)):
        deal = store.deals.get_or_create(W, name, owner_id="U2")
        with days_ago(closed_days_ago + 20):
            store.calls.save(W, deal.id, score_result([0.5, p]), "cli", "t")
        store.deals.record_outcome(W, name, won, closed_at=now - timedelta(days=closed_days_ago))
    return store


def test_digest_content_from_a_seeded_week(seeded):
    d = build_digest(seeded, W, this_week())
    assert (d.calls, d.deals_called) == (2, 2)
    assert (d.won, d.lost) == (1, 1)  # Delta and Epsilon closed this week; Zeta and Ancient before

    assert d.pipeline == Pipeline(open_deals=3, scored_deals=3, priced_deals=2, total_amount=150_000.0,
                                  weighted_amount=pytest.approx(0.72 * 100_000 + 0.20 * 50_000))
    assert sorted(d.probabilities) == pytest.approx([0.2, 0.5, 0.72])

    (up,) = d.movers_up
    assert (up.deal_name, up.before, up.after) == ("Acme", pytest.approx(0.40), pytest.approx(0.72))
    assert up.moment is not None and up.moment.turn == 2 and up.moment.change == pytest.approx(0.25)
    assert up.moment.text == "Budget is approved for Q1, we can sign."
    (down,) = d.movers_down
    assert (down.deal_name, down.before, down.after) == ("Beta", pytest.approx(0.60), pytest.approx(0.20))
    assert down.moment is not None and down.moment.turn == 2 and down.moment.change == pytest.approx(-0.30)

    assert [x.name for x in d.at_risk] == ["Beta"] and d.at_risk_count == 1
    (flagged,) = d.flagged
    assert (flagged.deal_name, flagged.flags, flagged.reason) == ("Beta", 2, "no <!channel> champion")
    assert [x.name for x in d.idle] == ["Gamma"]
    assert [(r.display_name, r.user_id, r.calls) for r in d.reps] == [("Ana Lopez", "U1", 1), (None, "U2", 1)]

    c = d.calibration
    assert c is not None
    assert c.deals == 3  # Ancient closed more than a year ago
    assert [(b.forecast, b.deals, b.won) for b in c.bins] == [(0.3, 2, 1), (0.9, 1, 1)]
    assert c.period_deals == 2 and c.period_brier == pytest.approx(((0.9 - 1) ** 2 + 0.3 ** 2) / 2)
    assert c.brier == pytest.approx(((0.9 - 1) ** 2 + 0.3 ** 2 + 0.75 ** 2) / 3)


def test_rendered_digest_says_it_in_words(seeded):
    message = render_digest(Templates(), build_digest(seeded, W, this_week()))
    validate_message(message.__dict__)
    text = "\n".join(b["text"]["text"] for b in message.blocks if b["type"] == "section" and "text" in b)
    fields = [f["text"] for b in message.blocks for f in b.get("fields", [])]
    assert "*Calls scored*\n2 calls on 2 deals" in fields
    assert "*Weighted pipeline*\n82k of 150k (2 deals with an amount)" in fields
    assert "*Closed*\n1 won, 1 lost" in fields
    assert "↗ *Acme* 40% → 72% (+32 pts)" in text
    assert "_turn 3, Ana (+25 pts):_ “Budget is approved for Q1, we can sign.”" in text
    assert "↘ *Beta* 60% → 20% (−40 pts)" in text
    assert "no &lt;!channel&gt; champion" in text and "<!channel>" not in text  # pings nobody
    assert "*Gamma* 50% · idle 21 days" in text
    assert "• Ana Lopez: 1 call, average 72%" in text and "• <@U2>: 1 call, average 20%" in text
    # three closed deals are too few for a calibration table: it says how many it needs
    context = json.dumps(message.blocks, ensure_ascii=False)
    assert "*Calibration* appears once 20 deals SalesRL scored have closed (3 so far" in context
    assert "Deals we called about" not in context
    assert message.text.startswith("Weekly pipeline digest, ")


def test_a_digest_for_one_reps_deals(seeded):
    d = build_digest(seeded, W, this_week(), owner_id="U1")
    assert (d.calls, d.pipeline.open_deals) == (1, 2)
    assert [m.deal_name for m in d.movers_up] == ["Acme"] and d.movers_down == ()
    assert d.flagged == () and d.at_risk == ()
    message = render_digest(Templates(), d)
    assert any("Deals owned by <@U1> only." in str(b) for b in message.blocks)
    fields = [f["text"] for b in message.blocks for f in b.get("fields", [])]
    assert "*Open pipeline*\n2 deals, 2 scored" in fields and ", 2 open deals, " in message.text


def test_one_open_deal_is_one_deal_not_one_deals(store, score_result):
    acme = store.deals.get_or_create(W, "Acme", owner_id="U1")
    store.calls.save(W, acme.id, score_result([0.5, 0.6]), "cli", "t")
    message = render_digest(Templates(), build_digest(store, W, this_week()))
    fields = [f["text"] for b in message.blocks for f in b.get("fields", [])]
    assert "*Open pipeline*\n1 deal, 1 scored" in fields
    assert ", 1 open deal, 0 at risk" in message.text and "deals" not in message.text.split(": ", 1)[1]


def test_an_empty_workspace_renders_a_digest_that_says_so(store):
    d = build_digest(store, W, this_week())
    assert d.calibration is None and d.calls == 0
    message = render_digest(Templates(), d)
    text = str(message.blocks)
    assert "No deal moved up this period." in text and "No calls scored this period." in text
    assert "no amounts recorded" in text and "Calibration" not in text
    png = render_digest_chart_png(d)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


def _deal(i: int, name: str) -> Deal:
    now = utcnow()
    return Deal(id=i, workspace_id=W, name=name, owner_id="U1", channel_id=None, stage=None,
                amount=Decimal("123456789.5"), status="open", closed_at=None, call_count=3, latest_probability=0.1,
                trend=-0.2, last_call_at=now, created_at=now, updated_at=now - timedelta(days=40))


def test_the_largest_possible_digest_stays_within_slacks_limits():
    """Every list at its longest, every name and reason at its longest, text full of Slack markup."""
    nasty = "<!channel> & <@U999> *bold* " * 20
    name = ("Ünïcode & <Co> " * 20)[:200]
    moment = Moment(call_id=1, turn=998, speaker=nasty[:200], text=nasty * 50, before=0.1, after=0.9)
    movers = tuple(Mover(i, name, "U1", 0.05, 0.95, 40, moment) for i in range(5))
    d = DigestContent(
        workspace_id=W, owner_id="U1", period=this_week(), calls=10**6, deals_called=10**5, won=10**4, lost=10**4,
        pipeline=Pipeline(10**5, 10**5, 10**5, 1e15, 5e14), probabilities=tuple(i / 1000 for i in range(1000)),
        movers_up=movers, movers_down=tuple(replace(m, before=0.95, after=0.05) for m in movers),
        moved_up=5000, moved_down=5000, at_risk_below=0.35,
        at_risk=tuple(_deal(i, name) for i in range(LIST_SHOWN)), at_risk_count=9000,
        flagged=tuple(FlaggedDeal(i, name, 0.1, 30, nasty * 40, "U1") for i in range(LIST_SHOWN)), flagged_count=900,
        idle_days=14, idle=tuple(_deal(i, name) for i in range(LIST_SHOWN)), idle_count=9000,
        reps=tuple(RepActivity(f"U{i}", nasty, 99, 0.5) for i in range(15)), rep_count=400,
        calibration=Calibration(bins=tuple(CalibrationBin(k / 10, 1000, 300) for k in range(11)), deals=11000,
                                brier=0.2, period_deals=100, period_brier=0.19, window_days=365),
        stage_moves=tuple(StageMove(i, name, (nasty[:100], None) * 20) for i in range(LIST_SHOWN)),
        stage_move_count=900,
    )
    for preview in (False, True):
        message = render_digest(Templates(), d, preview=preview)  # validates, or raises BlockKitError
        validate_message({"text": message.text, "blocks": message.blocks})
        assert "<!channel>" not in str(message.blocks)
        assert "Deals we called about 0% closed 30% of the time (1000 deals)" in str(message.blocks)  # enough
        assert "*Stage changes this week*" in str(message.blocks)
    assert render_digest_chart_png(d).startswith(b"\x89PNG")


def test_chart_is_a_png_of_readable_size(seeded):
    png = render_digest_chart_png(build_digest(seeded, W, this_week()))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1000, 400)


@pytest.mark.parametrize("value, text", [(None, "–"), (950, "950"), (82_000, "82k"), (1_250_000, "1.2M"),
                                         (999_400, "999k"), (999_500, "1M"), (12_345, "12.3k"), (250_000_000, "250M"),
                                         (3.4e9, "3.4B")])
def test_amounts_are_compact(value, text):
    assert compact_amount(value) == text


def crm_page(store, modified_days_ago: float, **stages: str) -> None:  # type: ignore[no-untyped-def]
    """A page of the CRM sync: a HubSpot deal per name, at these stages, modified that many days ago."""
    from salesrl.bot.crm.matching import match_key
    from salesrl.bot.store.crm import CrmDeal

    when = utcnow() - timedelta(days=modified_days_ago)
    deals = [CrmDeal("hubspot", f"hs-{name}", name, None, None, stage, None, None, "open", when)
             for name, stage in stages.items()]
    store.crm.apply_page(W, "hubspot", deals, match_key, when)


@time_machine.travel("2026-12-07T08:00:00+00:00", tick=False)  # a Monday morning: last week's digest
def test_the_weeks_crm_stage_changes_are_in_the_digest_one_line_per_deal(store):
    for name in ("Acme", "Beta", "Gamma"):
        store.deals.get_or_create(W, name, owner_id="U1" if name != "Beta" else "U2")
    crm_page(store, 20, Acme="Discovery", Beta="Discovery", Gamma="Discovery", Unlinked="Discovery")
    crm_page(store, 9, Gamma="Qualified")  # the week before
    crm_page(store, 5, Acme="Proposal", Unlinked="Proposal")
    crm_page(store, 3, Beta="Negotiation")
    crm_page(store, 1, Acme="Negotiation")
    crm_page(store, 0.5, Acme="Negotiation")  # read again, unchanged: no change
    week = Period(key="2026-W49", cadence="weekly", start=utcnow() - timedelta(days=7), end=utcnow(), timezone="UTC")

    d = build_digest(store, W, week)
    assert [(m.deal_name, m.stages) for m in d.stage_moves] == [
        ("Acme", ("Discovery", "Proposal", "Negotiation")), ("Beta", ("Discovery", "Negotiation"))]
    message = render_digest(Templates(), d)
    validate_message(message.__dict__)
    (block,) = [b for b in message.blocks if b.get("block_id") == "stage_changes"]
    assert block["text"]["text"] == ("*Stage changes this week*\n• *Acme*: Discovery → Proposal → Negotiation\n"
                                     "• *Beta*: Discovery → Negotiation")
    assert [m.deal_name for m in build_digest(store, W, week, owner_id="U2").stage_moves] == ["Beta"]
    assert build_digest(store, W, week, shown=lambda deal: deal.name == "Gamma").stage_moves == ()


def test_a_digest_without_stage_changes_has_no_such_section(seeded):
    message = render_digest(Templates(), build_digest(seeded, W, this_week()))
    assert not [b for b in message.blocks if b.get("block_id") == "stage_changes"]
