"""The pipeline digest end to end: `/salesrl digest ...` over signed HTTP requests to the real bot,
`salesrl digest preview | run-due` on the command line, and `salesrl serve` posting a due digest
by itself."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from salesrl.bot.cli import main
from salesrl.bot.slack.block_validation import validate_message
from salesrl.bot.store import Store
from salesrl.bot.store.engine import make_engine
from salesrl.bot.store.tables import DIGEST_SUBSCRIPTIONS, utcnow
from tests.conftest import make_score_result
from tests.e2e.conftest import PROXY_VARIABLES, BotUnderTest
from tests.fakes.slack_server import FakeSlack

SALESRL = Path(sys.executable).parent / "salesrl"
T = "T0TEAM"


def digest(bot: BotUnderTest, args: str, **kw: object) -> dict:
    """Send `/salesrl digest ARGS` and return the private answer sent to its response URL."""
    before = len(bot.fake.calls_to("response_url"))
    sent = bot.slack.command(f"digest {args}", response_url=bot.fake.response_url(), **kw)
    assert sent.response.status_code == 200
    answer = bot.fake.wait_for("response_url", before + 1)[before]
    bot.wait_idle()
    return {"text": answer.params["text"], "blocks": answer.json_param("blocks") or [],
            "response_type": answer.params.get("response_type")}


def seed(store: Store) -> None:
    deal = store.deals.get_or_create(T, "Acme", owner_id="U0ANA")
    store.deals.update(T, "Acme", amount=40000)
    # two calls: a deal moves from where its previous call left it (30%), not from a call's opening guess
    store.calls.save(T, deal.id, make_score_result([0.5, 0.3]), "slash_command", "t", user_id="U0ANA")
    store.calls.save(T, deal.id, make_score_result([0.3, 0.45, 0.7]), "slash_command", "t", user_id="U0ANA")


def make_due_now(database_url: str, subscription_id: int) -> None:
    """Backdate a subscription to yesterday, so today's slot is not before it was made."""
    engine = make_engine(database_url)
    subs = DIGEST_SUBSCRIPTIONS
    with engine.begin() as conn:
        conn.execute(sa.update(subs).where(subs.c.id == subscription_id)
                     .values(created_at=utcnow() - timedelta(days=1)))
    engine.dispose()


def test_subscribe_list_and_unsubscribe_from_slack(running_bot: BotUnderTest):
    bot, fake = running_bot, running_bot.fake
    answer = digest(bot, "subscribe <#C0SALES|sales> weekly fri 17:00 Europe/Paris")
    assert answer["response_type"] == "ephemeral"
    assert "<#C0SALES> gets the pipeline digest weekly on Fridays at 17:00 (Europe/Paris)" in answer["text"]
    (sub,) = bot.store.digests.list_subscriptions(T)
    assert (sub.channel_id, sub.cadence, sub.weekday, sub.hour, sub.timezone, sub.created_by) == (
        "C0SALES", "weekly", 4, 17, "Europe/Paris", "U0ANA")
    (welcome,) = fake.messages("C0SALES")
    assert "set up the *pipeline digest* here, weekly on Fridays at 17:00 (Europe/Paris)" in str(welcome["blocks"])

    answer = digest(bot, "subscribe <#C0SALES|sales> daily 8am UTC")  # again: changes it, no second one
    (sub,) = bot.store.digests.list_subscriptions(T)
    assert (sub.cadence, sub.weekday, sub.hour, sub.timezone) == ("daily", None, 8, "UTC")

    listing = digest(bot, "list")
    assert "• <#C0SALES>: daily at 08:00 (UTC) · next " in str(listing["blocks"])

    answer = digest(bot, "unsubscribe <#C0SALES|sales>")
    assert "<#C0SALES> gets no more pipeline digests." in answer["text"]
    assert bot.store.digests.list_subscriptions(T) == []
    assert "None of your channels gets a pipeline digest." in str(digest(bot, "list")["blocks"])


def test_a_channel_named_as_either_manifest_setting_sends_it(running_bot: BotUnderTest):
    """manifest.yml says should_escape: true, so Slack sends `<#C0SALES|sales>`; a workspace that installed
    an older manifest (should_escape: false) sends the plain `#sales`, found through conversations.list."""
    bot, fake = running_bot, running_bot.fake
    fake.add_channel("C0SALES", "sales")
    fake.add_channel("C0MKT", "marketing")
    fake.add_channel("G0SECRET", "secret", private=True)  # the bot is not in it: Slack does not list it
    assert "<#C0SALES> gets the pipeline digest" in digest(bot, "subscribe <#C0SALES|sales> weekly")["text"]
    assert "<#C0SALES> gets no more pipeline digests." in digest(bot, "unsubscribe #sales")["text"]
    assert "<#C0SALES> gets the pipeline digest" in digest(bot, "subscribe #Sales daily 8am UTC")["text"]
    assert [s.cadence for s in bot.store.digests.list_subscriptions(T)] == ["daily"]
    for unknown in ("#secret", "#nowhere"):
        answer = digest(bot, f"subscribe {unknown} weekly")
        assert f"I can't tell which channel “{unknown}” is" in answer["text"]
    assert len(bot.store.digests.list_subscriptions(T)) == 1


def test_time_zones_as_people_type_them(running_bot: BotUnderTest):
    for typed, zone in (("CET", "Europe/Berlin"), ("new york", "America/New_York"), ("+01:00", "Etc/GMT-1")):
        answer = digest(running_bot, f"subscribe <#C0SALES|sales> weekly mon 9am {typed}")
        assert f"at 09:00 ({zone})" in answer["text"], answer["text"]
        (sub,) = running_bot.store.digests.list_subscriptions(T)
        assert sub.timezone == zone
    assert "write your city instead" in digest(running_bot, "subscribe <#C0SALES|sales> daily +05:30")["text"]


def test_a_list_shows_only_the_digests_of_the_askers_channels(running_bot: BotUnderTest):
    """A private channel's digest (its name, schedule, and whose deals it shows) is for its members."""
    bot, fake = running_bot, running_bot.fake
    fake.member_channels.add("G0BOARD")
    fake.set_members("G0BOARD", ["U0CARL"])
    digest(bot, "subscribe <#G0BOARD|board> daily 8am UTC", user_id="U0CARL")
    digest(bot, "subscribe <#C0SALES|sales> weekly")

    carl = digest(bot, "list", user_id="U0CARL")
    assert "<#G0BOARD>" in str(carl["blocks"]) and "<#C0SALES>" in str(carl["blocks"])
    ana = digest(bot, "list")
    assert "<#C0SALES>" in str(ana["blocks"]) and "G0BOARD" not in str(ana) and ana["text"] == "Pipeline digests: 1"
    answer = digest(bot, "subscribe <#C0SALES|sales> daily 9am UTC")  # the answer lists the same
    assert "<#C0SALES>" in str(answer["blocks"]) and "G0BOARD" not in str(answer)

    fake.set_members("G0BOARD", ["U0CARL", "U0ANA"])  # Ana joins: she sees it at once
    assert "<#G0BOARD>" in str(digest(bot, "list")["blocks"])
    fake.set_members("G0BOARD", ["U0ANA"])  # Carl leaves: he no longer does
    assert "G0BOARD" not in str(digest(bot, "list", user_id="U0CARL"))


def test_subscribe_defaults_to_this_channel_and_the_askers_time_zone(running_bot: BotUnderTest):
    running_bot.fake.add_user("U0NIA", "Nia York", "nia", tz="America/New_York")
    digest(running_bot, "subscribe", user_id="U0NIA")
    (sub,) = running_bot.store.digests.list_subscriptions(T)
    assert (sub.channel_id, sub.cadence, sub.weekday, sub.hour, sub.timezone) == (
        "C0SALES", "weekly", 0, 9, "America/New_York")


def test_a_channel_the_bot_is_not_in_is_refused_and_not_saved(running_bot: BotUnderTest):
    answer = digest(running_bot, "subscribe <#C0PRIVATE|secret> weekly")
    assert "I can't post in that channel (not_in_channel)" in answer["text"]
    assert "/invite @SalesRL" in answer["text"]
    assert running_bot.store.digests.list_subscriptions(T) == []


@pytest.mark.parametrize("args, says", [
    ("subscribe #sales weekly", "pick it from the list Slack offers"),
    ("subscribe <#C0SALES|sales> weekly mon 09:30", "digests go out on the hour"),
    ("subscribe <#C0SALES|sales> fortnightly", "I don't understand “fortnightly”"),
    ("unsubscribe <#C0SALES|sales>", "that channel gets no digest"),
    ("", "usage: /salesrl digest subscribe #channel"),
])
def test_what_cannot_be_done_is_one_private_line(running_bot: BotUnderTest, args: str, says: str):
    answer = digest(running_bot, args)
    assert says in answer["text"] and answer["text"].startswith(":warning:")
    assert running_bot.store.digests.list_subscriptions(T) == []


def test_preview_is_private_and_valid_block_kit(running_bot: BotUnderTest):
    seed(running_bot.store)
    answer = digest(running_bot, "preview")
    validate_message({"text": answer["text"], "blocks": answer["blocks"]})
    assert answer["response_type"] == "ephemeral"
    body = str(answer["blocks"])
    assert "Preview: only you can see this" in body and "*Acme* 30% → 70% (+40 pts)" in body
    assert running_bot.fake.calls_to("chat.postMessage") == []  # nothing posted in the channel
    assert "digest subscribe" in str(running_bot.slack.command("help", response_url="x").json()["blocks"])


@pytest.fixture
def cli(monkeypatch, capsys, tmp_path, fake_slack: FakeSlack):  # type: ignore[no-untyped-def]
    """cli("digest", "preview") -> (exit code, stdout, stderr), on a database of its own."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("SALESRL_DATABASE_URL", url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", fake_slack.bot_token)
    monkeypatch.setenv("SLACK_API_URL", fake_slack.api_url)

    def run(*args: str) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as done:
            main(list(args))
        out = capsys.readouterr()
        return int(done.value.code or 0), out.out, out.err

    run.url = url  # type: ignore[attr-defined]
    return run


def test_cli_preview_prints_the_block_kit_json(cli):
    with Store.open(cli.url) as store:
        seed(store)
        store.digests.add_subscription(T, "C0SALES", cadence="daily", weekday=None, hour=7, timezone="Asia/Tokyo")
    code, out, err = cli("digest", "preview", "--workspace", T, "--channel", "C0SALES")
    assert code == 0 and err == ""
    message = json.loads(out)
    validate_message(message)
    assert message["text"].startswith("Daily pipeline digest, ")
    assert "*Acme* 30% → 70% (+40 pts)" in out
    code, out, err = cli("digest", "preview", "--workspace", T, "--channel", "C0NONE")
    assert code == 0 and "no digest subscription in C0NONE" in err and json.loads(out)["text"].startswith("Weekly")


def test_cli_preview_of_a_channel_names_what_its_digest_would(cli, fake_slack: FakeSlack):
    """A deal of #board, where not everyone in #sales is, is in neither #sales's digest nor its preview."""
    fake_slack.add_user("U0ANA", "Ana Lopez")
    fake_slack.add_user("U0CARL", "Carl Ng")
    fake_slack.set_members("C0BOARD", ["U0CARL"])
    with Store.open(cli.url) as store:
        seed(store)
        board = store.deals.get_or_create(T, "Board Secret", owner_id="U0CARL", channel_id="C0BOARD")
        store.calls.save(T, board.id, make_score_result([0.9, 0.2]), "slash_command", "t", user_id="U0CARL")
        sub = store.digests.add_subscription(T, "C0SALES", cadence="daily", weekday=None, hour=utcnow().hour)
    code, out, _ = cli("digest", "preview", "--workspace", T, "--channel", "C0SALES")
    assert code == 0 and "*Acme*" in out and "Board Secret" not in out
    make_due_now(cli.url, sub.id)
    assert cli("digest", "run-due")[0] == 0
    (posted,) = fake_slack.calls_to("chat.postMessage")  # its period ends at the slot, before these calls
    assert "Board Secret" not in str(posted.params)


def test_cli_run_due_posts_each_due_digest_once(cli, fake_slack: FakeSlack):
    with Store.open(cli.url) as store:
        seed(store)
        sub = store.digests.add_subscription(T, "C0SALES", cadence="daily", weekday=None, hour=utcnow().hour)
    make_due_now(cli.url, sub.id)
    code, out, _ = cli("digest", "run-due")
    assert code == 0 and "1 digest posted, 0 failed" in out
    code, out, _ = cli("digest", "run-due")  # cron runs it again: nothing more
    assert code == 0 and "0 digests posted, 0 failed" in out
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    assert "Daily pipeline digest" in str(fake_slack.messages("C0SALES")[0]["blocks"])
    code, out, _ = cli("digest", "list")
    assert f"{T} C0SALES: daily at {utcnow().hour:02d}:00 (UTC); next " in out


def test_cli_run_due_reports_a_failed_post_and_exits_1(cli, fake_slack: FakeSlack):
    with Store.open(cli.url) as store:
        sub = store.digests.add_subscription(T, "C0GONE", cadence="daily", weekday=None, hour=utcnow().hour)
    make_due_now(cli.url, sub.id)
    code, out, err = cli("digest", "run-due")
    assert code == 1 and "not posted: Slack answered not_in_channel" in err


def test_cli_run_due_without_slack_credentials_says_what_to_set(cli, monkeypatch):
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    code, _, err = cli("digest", "run-due")
    assert code == 2 and "SLACK_BOT_TOKEN" in err and "Traceback" not in err


def test_cli_preview_of_a_channel_without_slack_credentials_is_one_line_saying_what_to_do(cli, monkeypatch):
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    code, out, err = cli("digest", "preview", "--workspace", T, "--channel", "C0SALES")
    assert (code, out) == (2, "") and len(err.strip().splitlines()) == 1
    assert err.startswith("salesrl: previewing the digest of C0SALES asks Slack who is in it: set SLACK_BOT_TOKEN")
    assert "leave out --channel" in err
    code, out, _ = cli("digest", "preview", "--workspace", T)  # every deal of the workspace: no Slack needed
    assert code == 0 and json.loads(out)["text"].startswith("Weekly pipeline digest")


@pytest.mark.slow
def test_salesrl_serve_posts_a_due_digest_at_start_up(fake_slack: FakeSlack, tmp_path):
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    with Store.open(url) as store:
        seed(store)
        sub = store.digests.add_subscription(T, "C0SALES", cadence="daily", weekday=None, hour=utcnow().hour)
    make_due_now(url, sub.id)
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARIABLES and not k.startswith(("SLACK_", "SALESRL_"))
           or k == "SALESRL_MODEL_DIR"}
    env.update(SLACK_BOT_TOKEN=fake_slack.bot_token, SLACK_SIGNING_SECRET="secret", SLACK_API_URL=fake_slack.api_url,
               SALESRL_DATABASE_URL=url)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([str(SALESRL), "serve", "--host", "127.0.0.1", "--port", str(port),
                                "--log-level", "warning"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        (posted,) = fake_slack.wait_for("chat.postMessage", timeout=90)  # no one typed anything
        fake_slack.wait_for("files.completeUploadExternal", timeout=30)
        http = requests.Session()
        http.trust_env = False
        deadline = time.monotonic() + 60
        while True:  # up and serving, so SIGTERM is the graceful stop an operator would send
            try:
                if http.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline and process.poll() is None, "salesrl serve did not come up"
            time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    # uvicorn re-raises the SIGTERM it handled after its graceful shutdown, so -15 is a clean stop too
    assert code in (0, -signal.SIGTERM), process.stdout.read().decode(errors="replace")
    assert posted.json_param("metadata")["event_type"] == "salesrl_digest"
    with Store.open(url) as store:
        (run,) = [store.digests.get_run(T, sub.id, key) for key in (utcnow().date().isoformat(),)]
        assert run is not None and run.state == "posted"
