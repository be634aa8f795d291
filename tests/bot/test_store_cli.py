"""The command line's history: `salesrl deals`, `deal`, `outcome`, `export`, and the save behind
`salesrl score FILE --deal NAME`."""

from __future__ import annotations

import json

import pytest

from salesrl.agent.dataset import read_dataset
from salesrl.bot.cli import main
from salesrl.bot.cli_deals import save_cli_call
from salesrl.bot.sparkline import BARS
from salesrl.bot.store import LOCAL_WORKSPACE, Store


@pytest.fixture
def cli(database_url, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    """cli("deals") -> (exit code, stdout, stderr) of `salesrl deals` on the test database."""
    monkeypatch.setenv("SALESRL_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "120")

    def run(*args: str) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as done:
            main(list(args))
        out = capsys.readouterr()
        return int(done.value.code or 0), out.out, out.err

    return run


def test_deals_lists_latest_probability_and_trend(cli, score_result):
    assert "No deals yet" in cli("deals")[1]
    save_cli_call("Acme Corp", score_result([0.30, 0.45]), "Ana: hi")
    save_cli_call("acme corp", score_result([0.45, 0.62]), "Ana: hi again")
    save_cli_call("Globex", score_result([0.5, 0.2]), "Ana: hello")
    code, out, _ = cli("deals")
    assert code == 0
    acme = next(line for line in out.splitlines() if "Acme Corp" in line)
    assert "62%" in acme and "▲ +17 pts" in acme and " 2 " in acme
    globex = next(line for line in out.splitlines() if "Globex" in line)
    assert "20%" in globex and "▼ -30 pts" in globex


def test_deals_of_a_status_none_has_says_so_not_that_there_are_no_deals(cli, score_result):
    save_cli_call("Acme", score_result([0.3, 0.6]), "Ana: hi")
    code, out, _ = cli("deals", "--status", "won")
    assert code == 0 and out.strip() == "No won deals (`salesrl deals` lists them all)."
    assert "Acme" in cli("deals", "--status", "open")[1]


def test_deal_shows_calls_and_the_last_curve(cli, score_result):
    save_cli_call("Acme", score_result([0.10, 0.30]), "a")
    save_cli_call("Acme", score_result([0.20, 0.55, 0.95]), "b")
    code, out, _ = cli("deal", "ACME")
    assert code == 0
    assert out.count("cli") == 2  # two calls, both from the command line
    curve = next(line for line in out.splitlines() if line.startswith("Latest call"))
    assert "20%" in curve and "95%" in curve
    assert BARS[1] in curve and BARS[-1] in curve  # low start, high end on the 0-100 % scale


def test_outcome_records_and_unknown_deals_fail_in_one_line(cli, score_result, database_url):
    save_cli_call("Acme", score_result([0.4, 0.7]), "a")
    with Store.open(database_url) as store:
        acme = store.deals.get(LOCAL_WORKSPACE, "Acme")
        store.flags.add(LOCAL_WORKSPACE, reason="stalled", deal_id=acme.id, channel_id="C1", thread_ts="1.1")
    code, out, _ = cli("outcome", "acme", "won")
    assert code == 0 and "Acme: won" in out and "70%" in out
    assert "1 open flag cleared, their Slack threads not told" in out  # only the bot posts in Slack
    with Store.open(database_url) as store:
        assert store.deals.get(LOCAL_WORKSPACE, "Acme").status == "won"
    code, _, err = cli("outcome", "Nope", "lost")
    assert code == 2
    assert err.strip().splitlines() == ["salesrl: no deal named 'Nope'; `salesrl deals` lists them"]
    code, _, err = cli("deal", "Nope")
    assert code == 2 and err.startswith("salesrl: no deal named")


def test_export_writes_closed_deals_in_the_dataset_format(cli, score_result, tmp_path):
    save_cli_call("Won", score_result([0.4, 0.7], texts=["We can start Monday.", "Send the contract."]), "a")
    save_cli_call("Lost", score_result([0.4, 0.1]), "b")
    save_cli_call("Open", score_result([0.4, 0.5]), "c")
    cli("outcome", "Won", "won")
    cli("outcome", "Lost", "lost")
    target = tmp_path / "history.jsonl"
    code, _, err = cli("export", "--format", "jsonl", "-o", str(target))
    assert code == 0 and "exported 2 calls from 2 closed deals" in err
    conversations = read_dataset(target, labelled=True)
    assert sorted((c.meta["deal"], c.outcome) for c in conversations) == [("Lost", 0), ("Won", 1)]
    won = next(c for c in conversations if c.outcome == 1)
    assert [t.text for t in won.turns] == ["We can start Monday.", "Send the contract."]
    # without -o the lines go to stdout
    code, out, _ = cli("export", "--format", "jsonl")
    assert len([json.loads(line) for line in out.splitlines()]) == 2


def test_the_cli_saves_redacted_text(cli, score_result, database_url, monkeypatch):
    result = score_result([0.4, 0.6], texts=["Mail me at ana@example.com", "Call +44 20 7946 0958"])
    saved = save_cli_call("Acme", result, "Ana: Mail me at ana@example.com")
    with Store.open(database_url) as store:
        detail = store.calls.get(LOCAL_WORKSPACE, saved.call_id)
    stored = detail.transcript_text + " ".join(t.text for t in detail.turns)
    assert "ana@example.com" not in stored and "7946" not in stored
    monkeypatch.setenv("SALESRL_REDACT", "false")
    kept = save_cli_call("Acme", result, "Ana: Mail me at ana@example.com")
    with Store.open(database_url) as store:
        assert "ana@example.com" in store.calls.get(LOCAL_WORKSPACE, kept.call_id).transcript_text


def test_forget_deletes_the_deal(cli, score_result):
    save_cli_call("Acme", score_result([0.4, 0.6]), "a")
    code, out, _ = cli("forget", "acme", "--yes")
    assert code == 0 and "its 1 call" in out
    assert "No deals yet" in cli("deals")[1]


def test_db_purge_follows_the_retention_setting(cli, score_result, database_url, monkeypatch):
    saved = save_cli_call("Acme", score_result([0.4, 0.6]), "the words")
    code, _, err = cli("db", "purge")
    assert code == 2 and "SALESRL_RETENTION_DAYS" in err
    monkeypatch.setenv("SALESRL_RETENTION_DAYS", "30")
    assert cli("db", "purge")[1].startswith("deleted the transcripts of 0 calls")
    code, out, _ = cli("db", "purge", "--older-than-days", "0")
    assert code == 0 and "of 1 call " in out
    with Store.open(database_url) as store:
        detail = store.calls.get(LOCAL_WORKSPACE, saved.call_id)
    assert detail.transcript_text is None and detail.probabilities == [0.4, 0.6]


def test_deal_amount_stage_and_close_date_are_set_from_the_command_line(cli, database_url):
    with Store.open(database_url) as store:
        store.deals.get_or_create(LOCAL_WORKSPACE, "Acme")
    code, out, _ = cli("deal", "acme", "--amount", "40k", "--stage", "negotiation", "--close", "2027-01-31")
    assert code == 0 and "stage negotiation" in out and "amount 40,000" in out and "closes 31 Jan 2027" in out
    with Store.open(database_url) as store:
        deal = store.deals.get(LOCAL_WORKSPACE, "Acme")
    assert (deal.amount, deal.stage, str(deal.close_date)) == (40000, "negotiation", "2027-01-31")
    code, _, err = cli("deal", "Acme", "--close", "someday")
    assert code == 2 and err.strip() == "salesrl: “someday” is not a date: write e.g. 2027-01-31 or 31 Jan 2027"


def test_ingest_tokens_are_made_listed_and_revoked_from_the_command_line(cli, database_url):
    code, out, err = cli("ingest", "token", "create", "--workspace", "T0TEAM", "--label", "zapier")
    token = out.strip()
    assert code == 0 and token.startswith("srl_") and "not shown again" in err
    with Store.open(database_url) as store:
        assert store.ingest_tokens.workspace_of(token) == "T0TEAM"
    code, out, _ = cli("ingest", "token", "list", "--workspace", "T0TEAM")
    assert code == 0 and "live  zapier" in out and token not in out
    assert cli("ingest", "token", "revoke", "1", "--workspace", "T0TEAM")[0] == 0
    with Store.open(database_url) as store:
        assert store.ingest_tokens.workspace_of(token) is None
    code, _, err = cli("ingest", "token", "revoke", "1", "--workspace", "T0TEAM")
    assert code == 2 and err.startswith("salesrl: no live ingest token 1")


def test_score_with_a_deal_and_a_png_that_cannot_be_written_saves_nothing(cli, tmp_path):
    """Failing after the save would leave a call the user saves again when they retry: the --png path is
    checked first."""
    from pathlib import Path

    call = Path(__file__).resolve().parents[2] / "examples" / "strong_call.txt"
    code, out, err = cli("score", str(call), "--deal", "Acme", "--png", str(tmp_path / "no such dir" / "c.png"))
    assert (code, out) == (2, "") and len(err.strip().splitlines()) == 1 and "cannot write" in err
    assert "No deals yet" in cli("deals")[1]


def test_changing_a_recorded_outcome_asks_for_force_and_open_reopens(cli, score_result, database_url):
    save_cli_call("Acme Corp", score_result([0.4, 0.7]), "a")
    assert cli("outcome", "acme corp", "won")[0] == 0
    code, out, _ = cli("outcome", "Acme Corp", "won")
    assert code == 0 and out.strip() == "Acme Corp is already recorded as won"
    code, _, err = cli("outcome", "Acme Corp", "lost")
    assert code == 2
    assert err.strip().splitlines() == [
        "salesrl: Acme Corp is recorded as won; to change that: salesrl outcome 'Acme Corp' lost --force"]
    with Store.open(database_url) as store:
        assert store.deals.get(LOCAL_WORKSPACE, "Acme Corp").status == "won"  # nothing changed
    code, out, _ = cli("outcome", "Acme Corp", "lost", "--force")
    assert code == 0 and "Acme Corp: lost" in out
    code, out, _ = cli("outcome", "Acme Corp", "open", "--force")
    assert code == 0 and "Acme Corp: open" in out
    with Store.open(database_url) as store:
        assert store.deals.get(LOCAL_WORKSPACE, "Acme Corp").status == "open"
    assert cli("outcome", "Acme Corp", "open")[1].strip() == "Acme Corp is already open"
