"""The CRM sync's smaller parts: name matching, its configuration from the environment, `salesrl crm`, the
scheduler's job, and what happens without the [crm] extra."""

from __future__ import annotations

import os
import sys

import pytest

from salesrl.bot.cli import main
from salesrl.bot.crm.config import HubSpotConnection, SalesforceConnection, connections
from salesrl.bot.crm.errors import CrmError
from salesrl.bot.crm.matching import match_key
from salesrl.bot.crm.sync import CrmSync
from salesrl.bot.scheduler import CRM_JOB_ID, start_scheduler, stop_scheduler
from salesrl.bot.settings import Settings
from salesrl.bot.store import Store
from tests.fakes.hubspot_server import FakeHubSpot
from tests.waiting import wait_until


@pytest.mark.parametrize("a, b", [("Acme, Inc.", "acme"), ("ACME Corp", "Acme Corporation"), ("Acme Co., Ltd.", "Acme"),
                                  ("Müller GmbH", "müller"), ("Smith & Sons", "Smith and Sons LLC"),
                                  ("Nestlé S.A.", "Nestlé")])
def test_names_match_once_case_punctuation_and_legal_forms_are_set_aside(a, b):
    assert match_key(a) == match_key(b)


@pytest.mark.parametrize("a, b", [("Acme", "Acme Labs"), ("Acme", "Acne"), ("Inc", "Acme Inc"), ("Globex", "Globex 2")])
def test_other_names_do_not_match(a, b):
    assert match_key(a) != match_key(b)


def test_connections_come_from_variables_named_after_the_team():
    env = {"SALESRL_HUBSPOT_TOKEN_T1": "pat-1", "SALESRL_HUBSPOT_TOKEN_LOCAL": "pat-2",
           "SALESRL_SALESFORCE_INSTANCE_URL_T2": "https://x.my.salesforce.com", "SALESRL_SALESFORCE_ACCESS_TOKEN_T2": "00D!x",
           "SALESRL_SALESFORCE_USERNAME_T3": "ana@x", "SALESRL_SALESFORCE_PASSWORD_T3": "pw", "UNRELATED": "1"}
    found = connections(env, hubspot_api_url="http://127.0.0.1:1")
    assert [(c.crm, c.workspace_id) for c in found] == [("hubspot", "local"), ("hubspot", "T1"), ("salesforce", "T2"),
                                                        ("salesforce", "T3")]
    assert isinstance(found[1], HubSpotConnection) and found[1].api_url == "http://127.0.0.1:1"
    assert isinstance(found[3], SalesforceConnection) and found[3].login_url == "https://login.salesforce.com"
    assert "pat-1" not in repr(found) and "pw" not in repr(found) and "00D!x" not in repr(found)
    assert [c.workspace_id for c in connections(env, workspace="T2")] == ["T2"]
    with pytest.raises(CrmError, match="SALESRL_SALESFORCE_ACCESS_TOKEN_T4 .* or SALESRL_SALESFORCE_USERNAME_T4"):
        connections({"SALESRL_SALESFORCE_INSTANCE_URL_T4": "https://x"})


def test_salesrl_crm_sync_and_writeback(database_url, monkeypatch, capsys):
    monkeypatch.setenv("SALESRL_DATABASE_URL", database_url)

    def run(*args: str) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as done:
            main(list(args))
        out = capsys.readouterr()
        return int(done.value.code or 0), out.out, out.err

    assert run("crm", "sync") == (2, "", "salesrl: no CRM is connected: set SALESRL_HUBSPOT_TOKEN_<TEAM> or "
                                         "SALESRL_SALESFORCE_* (README, CRM sync)\n")
    with FakeHubSpot() as fake:
        fake.add_deal("1", "Acme")
        monkeypatch.setenv("SALESRL_HUBSPOT_TOKEN_T0CLI", fake.token)
        monkeypatch.setenv("SALESRL_HUBSPOT_API_URL", fake.url)
        assert run("crm", "sync", "--workspace", "T0CLI") == (
            0, "hubspot for T0CLI: 1 deals read, 0 linked by name, 0 outcomes, 0 written back\n", "")
        with Store.open(database_url) as store:
            store.deals.get_or_create("T0CLI", "Acme Holdings")
        assert run("crm", "link", "acme holdings", "hubspot", "1", "-w", "T0CLI")[:2] == (
            0, "Acme Holdings is linked to hubspot deal 1 (Acme)\n")
        assert "no hubspot deal 2 has been synced yet" in run("crm", "link", "Acme Holdings", "hubspot", "2", "-w", "T0CLI")[2]
        assert "no deal named 'Nope'" in run("crm", "link", "Nope", "hubspot", "1", "-w", "T0CLI")[2]
        # a deal closed in the CRM and linked by hand from the command line: its flags are cleared, and it says
        # that their Slack threads were not told
        fake.add_deal("3", "Initech Global", closed="lost")
        assert run("crm", "sync", "--workspace", "T0CLI")[0] == 0
        with Store.open(database_url) as store:
            initech = store.deals.get_or_create("T0CLI", "Initech")
            store.flags.add("T0CLI", reason="stalled", deal_id=initech.id)
        assert run("crm", "link", "Initech", "hubspot", "3", "-w", "T0CLI")[:2] == (
            0, "Initech is linked to hubspot deal 3 (Initech Global); its lost outcome cleared 1 open flag, their "
               "Slack threads not told (linking in Slack tells them)\n")
        monkeypatch.setenv("SALESRL_HUBSPOT_TOKEN_T0CLI", "pat-wrong")
        code, _, err = run("crm", "sync")
        assert code == 1 and "HubSpot refused the token of T0CLI (401)" in err
    assert run("crm", "writeback", "on", "--workspace", "T0CLI")[:2] == (0, "write-back on for T0CLI\n")


def test_the_command_lines_workspace_is_local_in_any_case_and_a_team_id_as_given(database_url, monkeypatch, capsys):
    # The README names the command line's variables with LOCAL (SALESRL_HUBSPOT_TOKEN_LOCAL), so people type
    # --workspace LOCAL; the workspace is `local`.
    monkeypatch.setenv("SALESRL_DATABASE_URL", database_url)
    for name in [n for n in os.environ if n.startswith(("SALESRL_HUBSPOT_TOKEN_", "SALESRL_SALESFORCE_"))]:
        monkeypatch.delenv(name)

    def run(*args: str) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as done:
            main(list(args))
        out = capsys.readouterr()
        return int(done.value.code or 0), out.out, out.err

    with FakeHubSpot() as fake:
        fake.add_deal("1", "Acme")
        monkeypatch.setenv("SALESRL_HUBSPOT_TOKEN_LOCAL", fake.token)
        monkeypatch.setenv("SALESRL_HUBSPOT_TOKEN_T0CLI", fake.token)
        monkeypatch.setenv("SALESRL_HUBSPOT_API_URL", fake.url)
        for spelt in ("LOCAL", "Local", "local"):
            assert run("crm", "sync", "--workspace", spelt) == (
                0, "hubspot for local: 1 deals read, 0 linked by name, 0 outcomes, 0 written back\n", "")
        with Store.open(database_url) as store:
            store.deals.get_or_create("local", "Acme Holdings")
        assert run("crm", "link", "Acme Holdings", "hubspot", "1", "-w", "LOCAL")[:2] == (
            0, "Acme Holdings is linked to hubspot deal 1 (Acme)\n")
        # a Slack team id is not folded: t0cli is not T0CLI
        assert run("crm", "sync", "--workspace", "t0cli")[0] == 2
    assert run("crm", "writeback", "on", "--workspace", "LOCAL")[:2] == (0, "write-back on for local\n")
    assert run("crm", "writeback", "on", "--workspace", "T0CLI")[:2] == (0, "write-back on for T0CLI\n")


def test_the_scheduler_syncs_only_when_a_crm_is_connected(store, database_url, monkeypatch):
    settings = Settings(database_url=database_url, digest_scheduler=False)
    for name in [n for n in os.environ if n.startswith(("SALESRL_HUBSPOT_TOKEN_", "SALESRL_SALESFORCE_"))]:
        monkeypatch.delenv(name)
    scheduler = start_scheduler(settings, store, lambda _: None)
    assert scheduler.get_job(CRM_JOB_ID) is None
    stop_scheduler(scheduler)
    with FakeHubSpot() as fake:
        fake.add_deal("1", "Acme")
        monkeypatch.setenv("SALESRL_HUBSPOT_TOKEN_T0JOB", fake.token)
        scheduler = start_scheduler(settings.model_copy(update={"hubspot_api_url": fake.url}), store, lambda _: None)
        try:
            job = scheduler.get_job(CRM_JOB_ID)
            assert job is not None and job.args[0].every.total_seconds() == 15 * 60
            wait_until(lambda: store.crm.get("T0JOB", "hubspot", "1") is not None, 30, "the start-up sync")
        finally:
            stop_scheduler(scheduler)


def test_without_the_crm_extra_the_sync_fails_in_one_line(store, monkeypatch):
    monkeypatch.setitem(sys.modules, "hubspot", None)  # as if hubspot-api-client were not installed
    monkeypatch.delitem(sys.modules, "salesrl.bot.crm.hubspot", raising=False)
    crm_sync = CrmSync(store)
    report = crm_sync.sync(HubSpotConnection("T0X", "pat-x"), force=True)
    assert report is not None and report.error == "CRM sync needs the hubspot-api-client package: pip install 'salesrl[crm]'"


def test_a_page_is_applied_whole_or_not_at_all(store):
    from datetime import datetime, timezone
    from decimal import Decimal

    import sqlalchemy as sa

    from salesrl.bot.store.crm import CrmDeal

    store.deals.get_or_create("T0P", "Acme")
    at = datetime(2026, 11, 1, tzinfo=timezone.utc)
    good = CrmDeal("hubspot", "1", "Acme", Decimal("10"), "USD", "won", None, None, "won", at)
    bad = CrmDeal("hubspot", "2", "Beta", None, None, None, None, None, "pending", at)  # no such status
    with pytest.raises(sa.exc.IntegrityError):  # the database refuses the second deal, after the first was written
        store.crm.apply_page("T0P", "hubspot", [good, bad], match_key, at)
    assert store.crm.get("T0P", "hubspot", "1") is None and store.crm.cursor("T0P", "hubspot") is None
    assert store.deals.get("T0P", "Acme").status == "open"  # the good deal's outcome went with the page
    store.crm.apply_page("T0P", "hubspot", [good], match_key, at)
    assert store.deals.get("T0P", "Acme").status == "won" and store.crm.cursor("T0P", "hubspot") == at


def test_the_closest_crm_deals_are_offered_by_name_never_linked():
    from salesrl.bot.slack.subcommands.crm_link import closest

    candidates = [("1", "Globex"), ("2", "Acme Holdings"), ("3", "ACME, Inc."), ("4", "Acne Ltd"), ("5", "Initech")]
    assert closest("Acme Corp", candidates) == [("3", "ACME, Inc."), ("2", "Acme Holdings"), ("4", "Acne Ltd")]
    assert closest("Umbrella", candidates) == []
