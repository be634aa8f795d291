"""Every Slack message comes from a template, is escaped, clipped and within Slack's limits."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesrl.agent.types import Tip
from salesrl.bot.slack.block_validation import BlockKitError, validate_message, validate_view
from salesrl.bot.slack.dispatch import Subcommand, Subcommands
from salesrl.bot.slack.subcommands import build_subcommands
from salesrl.bot.slack.templates import ELLIPSIS, Templates, quote
from salesrl.bot.digest.content import DigestContent, FlaggedDeal, Mover, Pipeline
from salesrl.bot.digest.periods import Period
from salesrl.bot.digest.queries import RepActivity
from salesrl.bot.store import Call, Deal, Flag
from tests.conftest import make_score_result

NOW = datetime(2025, 3, 3, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def templates() -> Templates:
    return Templates()


def deal(name: str = "Acme", i: int = 1, **kw) -> Deal:
    values = dict(id=i, workspace_id="T1", name=name, owner_id="U1", channel_id="C1", stage=None, amount=Decimal("0"),
                  status="open", closed_at=None, call_count=2, latest_probability=0.62, trend=0.08,
                  last_call_at=NOW, created_at=NOW, updated_at=NOW)
    values.update(kw)
    return Deal(**values)


def call(i: int, p: float) -> Call:
    return Call(id=i, workspace_id="T1", deal_id=1, source="file", user_id="U1", channel_id="C1", thread_ts=None,
                format="vtt", model_id="m", status="toss-up", turn_count=30, first_probability=0.5,
                final_probability=p, final_uncertainty=0.05, final_in_distribution=0.8,
                created_at=NOW + timedelta(days=i), transcript_purged=False)


def render_score(templates: Templates, result, **kw):
    context = dict(result=result, deal=None, trend=0.1, trend_basis="over the call", user_id="U1",
                   source="pasted text", fallback_channel=None)
    context.update(kw)
    return templates.message("slack/score_result.json.j2", **context)


def render_coaching(templates: Templates, result):
    swings = [{"text": t.text, "up": True} for t in result.tips if t.kind == "swing"]
    tips = [t for t in result.tips if t.kind not in ("swing", "warning")]
    return templates.message("slack/score_coaching.json.j2", swings=swings, tips=tips)


def all_text(message) -> str:
    return json.dumps({"text": message.text, "blocks": message.blocks}, ensure_ascii=False)


def strings(obj):
    """Every string value in a rendered message."""
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from strings(v)


# --- escaping ---------------------------------------------------------------------------------------

def test_a_transcript_that_says_channel_pings_nobody(templates):
    nasty = "Hey <!channel> & <@U999> — see <https://evil.example|this>"
    result = make_score_result([0.4, 0.7, 0.8], texts=[nasty] * 3, tips=(
        Tip("swing", 1, f"Lift of 30 pts (20% → 50%) at turn 2, Ben: “{nasty}”"),
        Tip("gap", None, f"ask about budget {nasty}"),
    ))
    summary = render_score(templates, result, deal=deal(name="Acme <!here> & Co"))
    coaching = render_coaching(templates, result)
    for message in (summary, coaching):
        for s in strings({"text": message.text, "blocks": message.blocks}):
            assert "<!channel>" not in s and "<!here>" not in s and "<@U999>" not in s
            assert "<https://evil" not in s
    text = all_text(coaching)
    assert "&lt;!channel&gt; &amp; &lt;@U999&gt;" in text  # shown as typed, not double-escaped
    assert "&amp;lt;" not in text
    assert "Acme &lt;!here&gt; &amp; Co" in summary.text


def test_plain_text_fields_are_escaped_once(templates):
    result = make_score_result([0.5, 0.6])
    summary = render_score(templates, result, deal=deal(name="R&D <team>"))
    header = summary.blocks[0]
    assert header["type"] == "header"
    assert header["text"]["text"].startswith("R&amp;D &lt;team&gt; · ")


def test_values_that_are_not_text_are_kept_as_they_are(templates):
    modal = templates.view("slack/score_modal.json.j2", deals=[], rep_name="Ana & Bo", max_text=3000,
                           metadata='{"channel_id": "C1", "response_url": "https://x/?a=1&b=2"}',
                           filetypes=("txt",))
    assert json.loads(modal["private_metadata"])["response_url"] == "https://x/?a=1&b=2"
    rep = next(b for b in modal["blocks"] if b.get("block_id") == "rep")
    assert rep["element"]["initial_value"] == "Ana & Bo"


def test_our_own_mentions_survive(templates):
    summary = render_score(templates, make_score_result([0.5, 0.6]), user_id="U42", fallback_channel="C77")
    text = all_text(summary)
    assert "<@U42>" in text and "<#C77>" in text


# --- limits -----------------------------------------------------------------------------------------

def test_long_texts_are_clipped_to_the_field_limits(templates):
    huge = "word & " * 5000
    tips = tuple(Tip("swing", i + 1, huge) for i in range(8)) + tuple(Tip("gap", None, huge) for i in range(40))
    result = make_score_result([0.5] * 50, texts=[huge] * 50, tips=tips)
    for message in (render_score(templates, result, deal=deal(name="x" * 200), source=huge), render_coaching(templates, result)):
        validate_message({"text": message.text, "blocks": message.blocks})
        assert len(message.blocks) <= 50
        for block in message.blocks:
            if block["type"] == "section" and "text" in block:
                assert len(block["text"]["text"]) <= 3000
                if "word" in block["text"]["text"]:
                    assert block["text"]["text"].endswith(ELLIPSIS)


def team_of(deals: list[Deal]) -> DigestContent:
    """The team's part of App Home at its largest: every list as long as the digest shows."""
    now = datetime(2026, 12, 6, tzinfo=timezone.utc)
    moves = tuple(Mover(d.id, d.name, "U0ANA", 0.2, 0.7, 2, None) for d in deals[:5])
    return DigestContent(
        workspace_id="T1", owner_id=None, period=Period("home", "weekly", now - timedelta(days=7), now, "UTC"),
        calls=len(deals), deals_called=len(deals), won=0, lost=0,
        pipeline=Pipeline(len(deals), len(deals), len(deals), 1e6, 4e5), probabilities=(),
        movers_up=moves, movers_down=moves, moved_up=len(moves), moved_down=len(moves), at_risk_below=0.35,
        at_risk=tuple(deals[:8]), at_risk_count=len(deals),
        flagged=tuple(FlaggedDeal(d.id, d.name, 0.2, 2, "r" * 300, "U0ANA") for d in deals[:8]),
        flagged_count=len(deals), idle_days=14, idle=(), idle_count=0,
        reps=tuple(RepActivity(f"U{i}", f"Rep {i}", 3, 0.4) for i in range(15)), rep_count=40, calibration=None)


def test_two_hundred_deals_stay_within_the_block_limits(templates):
    deals = [deal(name=f"Deal {i} " + "n" * 190, i=i) for i in range(200)]
    message = templates.message("slack/deals.json.j2", deals=deals)
    assert len(message.blocks) <= 50
    assert "and 160 more" in all_text(message)
    home = templates.view("slack/app_home.json.j2", deals=deals, shown=30, team=team_of(deals), team_days=7,
                          links={d.id: f"https://x.slack.com/archives/C1/p{d.id}" for d in deals})
    assert len(home["blocks"]) <= 100 and "and 170 more" in json.dumps(home)
    validate_view(home)
    modal = templates.view("slack/score_modal.json.j2", deals=deals, rep_name="Ana", metadata="{}", max_text=3000,
                           filetypes=("txt", "vtt", "srt", "json"))
    options = modal["blocks"][0]["element"]["options"]
    assert len(options) == 100
    assert all(len(o["text"]["text"]) <= 75 for o in options)


def test_deal_history_with_many_calls(templates):
    calls = [call(i, 0.3 + i / 200) for i in range(90)]
    message = templates.message("slack/deal_detail.json.j2", deal=deal(), calls=calls, flags=[], fallback_channel=None)
    assert len(message.blocks) <= 50
    assert "The latest 30 of 90 calls" in all_text(message)
    assert "Open flag" not in all_text(message)


def flag(i: int, reason: str, by: str | None = "U1") -> Flag:
    return Flag(id=i, workspace_id="T1", deal_id=1, deal_name="Acme", call_id=None, turn_index=None, reason=reason,
                flagged_by=by, channel_id=None, thread_ts=None, created_at=NOW, cleared_at=None, cleared_by=None)


def test_deal_history_lists_its_open_flags_escaped_and_within_limits(templates):
    flags = [flag(1, "the VP went quiet <!channel> & stalled", by=None)] + [flag(i, "x" * 900) for i in range(2, 40)]
    message = templates.message("slack/deal_detail.json.j2", deal=deal(), calls=[call(1, 0.4)], flags=flags,
                                fallback_channel=None)
    text = all_text(message)
    assert "Open flags (39)" in text
    assert text.count("x" * 150) == 10  # the ten latest are listed, each reason clipped
    assert "<!channel>" not in text  # the reason cannot ping anyone
    one = templates.message("slack/deal_detail.json.j2", deal=deal(), calls=[], flags=flags[:1], fallback_channel=None)
    assert "*Open flag*" in all_text(one) and "the VP went quiet &lt;!channel&gt; &amp; stalled · automatic" in all_text(one)


@pytest.mark.parametrize("channel_id, where", [("C1", "<#C1>"), ("D1", "<@U1>")])
def test_a_flag_post_for_a_wider_audience_leaves_the_call_out(templates, channel_id, where):
    context = dict(deal=deal("<!everyone> deal", channel_id=channel_id), reasons=["“a quoted turn” dropped"],
                   flagged_by="U2", command="/salesrl", fallback_note=None,
                   swings=[{"label": "call 1, turn 3", "speaker": "Ben", "text": "a swing quote", "change": -0.2}],
                   curve="▁▂▃", deal_curve=[{"label": "Mar 3", "probability": 0.4}, {"label": "Mar 4", "probability": 0.3}])
    full = all_text(templates.message("slack/flag_post.json.j2", full=True, **context))
    assert "a quoted turn" in full and "a swing quote" in full and "▁▂▃" in full
    short = templates.message("slack/flag_post.json.j2", full=False, **context)
    text = all_text(short)
    assert "a quoted turn" not in text and "a swing quote" not in text and "▁" not in text and "Mar 4" not in text
    assert f"see {where}" in text and "&lt;!everyone&gt; deal" in text and "<@U2>" in text and "62%" in text
    assert "<!everyone>" not in text


def test_no_deals_says_how_to_start(templates):
    message = templates.message("slack/deals.json.j2", deals=[])
    assert "/salesrl score" in all_text(message)
    home = templates.view("slack/app_home.json.j2", deals=[], shown=30, team=team_of([]), team_days=7, links={})
    assert "No deals of yours yet" in json.dumps(home) and "None." in json.dumps(home)


def test_unfamiliar_conversation_warns(templates):
    result = make_score_result([0.5, 0.6], status="unfamiliar")
    assert "unlike the calls the model was trained on" in all_text(render_score(templates, result))
    familiar = render_score(templates, make_score_result([0.5, 0.6], status="likely"))
    assert "unlike the calls" not in all_text(familiar)


def test_help_lists_every_registered_subcommand(templates):
    table = build_subcommands()
    table.add(Subcommand("snooze", "snooze DEAL days", "Hide a deal from digests for a while"))  # one more, as a new module would
    message = templates.message("slack/help.json.j2", command="/salesrl", subcommands=list(table))
    text = all_text(message)
    for sub in table:
        assert f"/salesrl {sub.usage}".replace("<", "&lt;") in text


def test_a_subcommand_registered_twice_is_refused():
    table = Subcommands()
    table.add(Subcommand("flag", "flag", "x"))
    with pytest.raises(ValueError):
        table.add(Subcommand("FLAG", "flag", "y"))


# --- the validator catches what slack-sdk does not ---------------------------------------------------

def section(text: str = "hi") -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


@pytest.mark.parametrize("message, reason", [
    ({"text": "x", "blocks": [section()] * 51}, "51 blocks"),
    ({"text": "x", "blocks": [section("a" * 3001)]}, "3001 characters"),
    ({"text": "x", "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}]}, "151"),
    ({"text": "x", "blocks": [{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}]}, "plain_text"),
    ({"text": "", "blocks": [section()]}, "fallback text"),
    ({"text": "x", "blocks": [section("")]}, "empty"),
    ({"text": "x", "blocks": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}]}, "11 fields"),
    ({"text": "x", "blocks": [{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}]}, "11 elements"),
    ({"text": "x", "blocks": [{"type": "tablet"}]}, "unknown block type"),
    ({"text": "x", "blocks": [dict(section(), block_id="a"), dict(section(), block_id="a")]}, "duplicate"),
])
def test_validator_refuses_what_slack_would(message, reason):
    with pytest.raises(BlockKitError, match=reason):
        validate_message(message)


def test_validator_refuses_a_long_modal_title():
    view = {"type": "modal", "title": {"type": "plain_text", "text": "t" * 25}, "blocks": []}
    with pytest.raises(BlockKitError, match="25 characters"):
        validate_view(view)


def test_a_template_bug_is_an_error_not_a_bad_message(tmp_path):
    (tmp_path / "bad.json.j2").write_text('{"text": "x", "blocks": [' + ",".join(['{"type": "divider"}'] * 51) + "]}")
    (tmp_path / "broken.json.j2").write_text('{"text": {{ text }}')
    (tmp_path / "typo.json.j2").write_text('{"text": {{ txet }}}')
    broken = Templates(tmp_path)
    with pytest.raises(BlockKitError, match="51 blocks"):
        broken.message("bad.json.j2")
    with pytest.raises(BlockKitError, match="invalid JSON"):
        broken.message("broken.json.j2", text="hi")
    with pytest.raises(BlockKitError, match="undefined"):
        broken.message("typo.json.j2", text="hi")


# --- properties -------------------------------------------------------------------------------------

@given(text=st.text(min_size=0, max_size=400), limit=st.integers(min_value=2, max_value=300))
def test_quote_stays_within_its_limit_and_never_cuts_an_entity(text, limit):
    out = quote(text, limit)
    assert len(out) <= limit
    assert "<" not in out and ">" not in out
    # every & starts a whole entity
    assert re.fullmatch(r"(?:[^&]|&amp;|&lt;|&gt;)*", out, flags=re.S)
    collapsed = " ".join(text.split())
    if len(collapsed.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")) <= limit:
        assert out == collapsed.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    else:
        assert out.endswith(ELLIPSIS)


_slacky = st.text(alphabet=st.sampled_from(list("ab <>&!@#*_~`\n\"\\|:") + ["é", "😀", "\u202e"]), max_size=3000)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(_slacky, min_size=1, max_size=6), name=_slacky.filter(lambda s: s.strip()),
       tip_count=st.integers(min_value=0, max_value=30))
def test_any_transcript_renders_valid_blocks_without_raw_mentions(templates, texts, name, tip_count):
    tips = tuple(Tip("swing" if i % 3 == 0 else "gap", i % len(texts), texts[i % len(texts)]) for i in range(tip_count))
    result = make_score_result([0.5] * len(texts), texts=texts, tips=tips)
    for message in (render_score(templates, result, deal=deal(name=name[:200]), source=name),
                    render_coaching(templates, result)):
        validate_message({"text": message.text, "blocks": message.blocks})
        for s in strings({"text": message.text, "blocks": message.blocks}):
            # the only angle brackets are the bot's own mentions
            assert not re.search(r"<(?!@U1>|#C\w+>)", s), s


def test_formatting_characters_in_a_deal_name_do_not_break_its_bold(templates):
    """Slack cannot escape * _ ~ `: inside a bold name they would end the bold ("*Acme *VIP* deal*")."""
    tricky = deal(name="Acme *VIP* _new_ ~old~ `x` & Sons")
    listed = json.dumps(templates.message("slack/deals.json.j2", deals=[tricky]).blocks, ensure_ascii=False)
    assert "*Acme ∗VIP∗ ˍnewˍ ∼old∼ ˋxˋ &amp; Sons*" in listed
