"""manifest.yml creates the app the code expects: every command, shortcut, scope and event it uses."""

from __future__ import annotations

import urllib.parse
from pathlib import Path

import pytest
import yaml

from salesrl.bot.slack.app import BOT_SCOPES
from tests.e2e.conftest import BotUnderTest

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"


@pytest.fixture(scope="module")
def manifest() -> dict:
    return yaml.safe_load(MANIFEST.read_text())


def command(bot: BotUnderTest, name: str, text: str = "help") -> int:
    """Slack sends slash command `name`; the bot's HTTP status (Bolt answers 404 to what no listener takes)."""
    form = {"team_id": "T0TEAM", "channel_id": "C0SALES", "user_id": "U0ANA", "command": name, "text": text,
            "api_app_id": "A0SALESRL", "response_url": bot.fake.response_url(), "trigger_id": bot.fake.new_trigger_id()}
    return bot.slack.post(urllib.parse.urlencode(form).encode(), "application/x-www-form-urlencoded").response.status_code


def shortcut(bot: BotUnderTest, kind: str, callback_id: str) -> int:
    """Slack sends the shortcut (`kind` as in the manifest: message or global)."""
    payload = {"type": "message_action" if kind == "message" else "shortcut", "callback_id": callback_id,
               "trigger_id": bot.fake.new_trigger_id(), "team": {"id": "T0TEAM"},
               "user": {"id": "U0ANA", "team_id": "T0TEAM"}, "response_url": bot.fake.response_url()}
    if kind == "message":
        payload |= {"channel": {"id": "C0SALES"}, "message": {"type": "message", "user": "U0ANA", "text": "Ana: hi",
                                                              "ts": "1700000300.000300"}}
    return bot.slack.interaction(payload).response.status_code


def event(bot: BotUnderTest, subscription: str) -> int:
    """Slack sends an event of a subscription in the manifest (message.im is a message in a DM)."""
    kind, _, where = subscription.partition(".")
    channel_types = {"channels": ("C0SALES", "channel"), "groups": ("G0PRIVATE", "group"), "im": ("D0ANA", "im")}
    channel, channel_type = channel_types.get(where, ("C0SALES", "channel"))
    body = {"type": kind, "user": "U0ANA", "channel": channel, "channel_type": channel_type, "text": "hello",
            "ts": "1700000400.000400", "event_ts": "1700000400.000400"}
    if kind == "app_home_opened":
        body["tab"] = "home"
    return bot.slack.event(body).response.status_code


def test_every_command_shortcut_and_event_in_the_manifest_is_handled(manifest, running_bot: BotUnderTest):
    """Each is sent to the served app over signed HTTP, as Slack would: none is left unhandled (404)."""
    bot = running_bot
    features = manifest["features"]
    handled = {c["command"]: command(bot, c["command"]) for c in features["slash_commands"]}
    handled |= {s["callback_id"]: shortcut(bot, s["type"], s["callback_id"]) for s in features["shortcuts"]}
    handled |= {e: event(bot, e) for e in manifest["settings"]["event_subscriptions"]["bot_events"]}
    bot.wait_idle()
    assert handled == dict.fromkeys(handled, 200)
    assert {"/salesrl", "score_message", "app_home_opened", "message.im"} <= set(handled)


def test_what_the_manifest_does_not_declare_is_not_handled(running_bot: BotUnderTest):
    """The check above can tell: a command, shortcut or event the app never registered gets a 404. (The
    other way round, a listener the manifest lacks, is dead code that only Bolt's private listener list
    shows: not checked.)"""
    bot = running_bot
    assert command(bot, "/salesrl-unknown") == 404
    assert shortcut(bot, "message", "no_such_shortcut") == 404
    assert event(bot, "reaction_added") == 404
    bot.wait_idle()


def test_scopes_match_what_the_code_asks_for(manifest):
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == set(BOT_SCOPES)


def test_the_command_text_escapes_channels_and_people(manifest):
    """Slack then sends `<#C123|sales>` and `<@U123>`, the forms the subcommands read (and unescape)."""
    (slash,) = manifest["features"]["slash_commands"]
    assert slash["should_escape"] is True


def test_urls_point_at_the_served_routes(manifest):
    settings = manifest["settings"]
    for url in (settings["event_subscriptions"]["request_url"], settings["interactivity"]["request_url"],
                manifest["features"]["slash_commands"][0]["url"]):
        assert url.endswith("/slack/events")
    assert manifest["oauth_config"]["redirect_urls"][0].endswith("/slack/oauth_redirect")
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
