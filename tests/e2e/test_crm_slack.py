"""CRM sync as people meet it in Slack: a deal linked to its HubSpot deal by hand, write-back turned on by an
admin, an outcome typed in Slack recorded as manual, a flagged deal closed in the CRM, and a deal without an owner
given its HubSpot owner's Slack user by the bot's own sync."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from salesrl.bot.crm.sync import CrmSync
from salesrl.bot.digest.content import build_digest
from salesrl.bot.digest.periods import Period
from salesrl.bot.digest.slack_clients import clients_from_settings
from salesrl.bot.flags.flagging import crm_flag_notes
from salesrl.bot.store import Store
from salesrl.bot.store.tables import utcnow
from tests.e2e import test_flags as flagging
from tests.e2e.conftest import TRANSCRIPT, BotUnderTest
from tests.e2e.test_flags import REVIEW, posts_in, score, set_review_channel
from tests.fakes.hubspot_server import FakeHubSpot
from tests.waiting import wait_until

TEAM = "T0TEAM"


def command(bot: BotUnderTest, text: str) -> dict:
    name = f"r{len(bot.fake.calls)}"
    bot.slack.command(text, channel_id="C0SALES", user_id="U0ANA", response_url=bot.fake.response_url(name))
    return bot.reply_at(name)


@pytest.fixture
def hubspot(monkeypatch):  # type: ignore[no-untyped-def]
    with FakeHubSpot() as fake:
        monkeypatch.setenv(f"SALESRL_HUBSPOT_TOKEN_{TEAM}", fake.token)
        yield fake


def test_a_deal_is_linked_by_hand_and_write_back_turned_on(running_bot: BotUnderTest, hubspot: FakeHubSpot):
    bot = running_bot
    posts = len(bot.fake.calls_to("chat.postMessage"))
    bot.slack.command(f"score Acme Corp :: {TRANSCRIPT}", response_url=bot.fake.response_url())
    bot.fake.wait_for("chat.postMessage", posts + 2)
    bot.wait_idle()
    hubspot.add_deal("555", "Acme Holdings", amount="64000", stage="contractsent")
    crm_sync = CrmSync(bot.store, hubspot_api_url=hubspot.url)
    (conn,) = crm_sync.connections(TEAM)
    assert crm_sync.sync(conn, force=True).linked == 0  # "Acme Holdings" is not "Acme Corp": no guess

    hubspot.add_deal("556", "Globex", amount="1")
    crm_sync.sync(conn, force=True)
    offered = command(bot, "deal Acme Corp link hubspot")["text"]  # no id: the closest by name, for a person to pick
    assert "“Acme Holdings”: `/salesrl deal Acme Corp link hubspot 555`" in offered and "Globex" not in offered
    assert bot.store.crm.links_of_deal(TEAM, bot.store.deals.get(TEAM, "Acme Corp").id) == []
    assert "has been synced yet" in command(bot, "deal Acme Corp link hubspot 999")["text"]
    reply = command(bot, "deal Acme Corp link hubspot 555")["text"]
    assert "*Acme Corp* is linked to HubSpot deal 555 “Acme Holdings”" in reply and "Amount 64k" in reply
    assert bot.store.deals.get(TEAM, "Acme Corp").stage == "Contract Sent"  # as HubSpot shows it

    assert "crm-writeback" in json.dumps(command(bot, "config"))
    assert "CRM write-back on" in command(bot, "config crm-writeback on")["text"]
    assert bot.store.config.get(TEAM).crm_writeback
    assert "usage" in command(bot, "config crm-writeback maybe")["text"]

    command(bot, "outcome Acme Corp won")
    deal = bot.store.deals.get(TEAM, "Acme Corp")
    assert (deal.status, deal.outcome_source) == ("won", "manual")


def flagged_deal(bot: BotUnderTest, name: str) -> dict:
    """A scored deal flagged by hand, its flag posted in the review channel; returns that post."""
    bot.fake.member_channels.add(REVIEW)
    set_review_channel(bot, automatic_flags=False)
    score(bot, name)
    flagging.command(bot, f"flag {name} :: stalled since the pilot")
    (flag_post,) = posts_in(bot, REVIEW)
    return flag_post


def test_a_flagged_deal_the_crm_closes_has_no_open_flag_and_its_thread_says_why(running_bot: BotUnderTest,
                                                                               hubspot: FakeHubSpot):
    bot = running_bot
    flag_post = flagged_deal(bot, "Acme Corp")
    hubspot.add_deal("555", "Acme Corp", amount="64000", stage="contractsent")
    crm_sync = CrmSync(bot.store, hubspot_api_url=hubspot.url,
                       flags_cleared=crm_flag_notes(bot.bot, clients_from_settings(bot.settings)))
    (conn,) = crm_sync.connections(TEAM)
    assert crm_sync.sync(conn, force=True).linked == 1
    assert len(bot.store.flags.list_open(TEAM)) == 1  # an open deal keeps its flag

    hubspot.add_deal("555", "Acme Corp", amount="64000", stage="closedwon", closed="won")
    assert crm_sync.sync(conn, force=True).outcomes == 1
    deal = bot.store.deals.get(TEAM, "Acme Corp")
    assert (deal.status, deal.outcome_source) == ("won", "hubspot")
    assert bot.store.flags.list_open(TEAM) == []
    bot.wait_idle()  # the note goes through the worker pool, as for an outcome typed in Slack
    notes = [m["text"] for m in bot.fake.thread(REVIEW, flag_post["ts"])]
    assert any("Flag cleared: the deal was won in HubSpot" in n for n in notes), notes
    assert "has no open flag" in flagging.command(bot, "unflag Acme Corp")["text"]
    posts = len(bot.fake.calls_to("chat.postMessage"))
    bot.slack.command("deal Acme Corp", response_url=bot.fake.response_url())
    bot.fake.wait_for("chat.postMessage", posts + 1)
    bot.wait_idle()
    assert not any("Open flag" in json.dumps(m.get("blocks", [])) for m in posts_in(bot, "C0SALES"))


def test_linking_a_flagged_deal_by_hand_to_a_closed_crm_deal_tells_the_flags_thread(running_bot: BotUnderTest,
                                                                                   hubspot: FakeHubSpot):
    bot = running_bot
    flag_post = flagged_deal(bot, "Acme Corp")
    hubspot.add_deal("777", "Acme Holdings", amount="64000", stage="closedlost", closed="lost")
    crm_sync = CrmSync(bot.store, hubspot_api_url=hubspot.url)
    (conn,) = crm_sync.connections(TEAM)
    assert crm_sync.sync(conn, force=True).linked == 0  # another name: only a person links them

    reply = command(bot, "deal Acme Corp link hubspot 777")["text"]
    assert "is linked to HubSpot deal 777" in reply
    assert bot.store.deals.get(TEAM, "Acme Corp").status == "lost" and bot.store.flags.list_open(TEAM) == []
    bot.wait_idle()
    notes = [m["text"] for m in bot.fake.thread(REVIEW, flag_post["ts"])]
    assert any("Flag cleared: the deal was lost in HubSpot" in n for n in notes), notes


def test_the_bots_own_sync_gives_a_linked_deal_without_an_owner_its_crm_owners_slack_user(
        start_bot, hubspot: FakeHubSpot, sqlite_url_in, tmp_path):  # type: ignore[no-untyped-def]
    url = sqlite_url_in(tmp_path)
    with Store.open(url) as store:
        store.deals.get_or_create(TEAM, "Acme Corp")  # as `salesrl score` or /ingest without a rep make it: no owner
        store.deals.get_or_create(TEAM, "Globex", owner_id="U0ANA")
    hubspot.add_owner("9001", "carl@example.com")  # Carl's e-mail in the fake Slack
    hubspot.add_deal("555", "Acme Corp", amount="64000", owner="9001")
    hubspot.add_deal("556", "Globex", owner="9001")

    bot = start_bot(database_url=url, hubspot_api_url=hubspot.url)  # its scheduler syncs at start-up

    wait_until(lambda: bot.store.deals.get(TEAM, "Acme Corp").owner_id == "U0CARL", 30, "the start-up sync")
    assert bot.store.deals.get(TEAM, "Globex").owner_id == "U0ANA"  # an owner someone set stays
    assert [c.params["email"] for c in bot.fake.calls_to("users.lookupByEmail")] == ["carl@example.com"]
    now = utcnow()
    week = Period(key="2026-W49", cadence="weekly", start=now - timedelta(days=7), end=now, timezone="UTC")
    assert build_digest(bot.store, TEAM, week, owner_id="U0CARL").pipeline.open_deals == 1  # Carl's digest has it
