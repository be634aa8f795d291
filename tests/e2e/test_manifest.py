"""manifest.yml creates the app the code expects: every command, shortcut, scope and event it uses."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
import yaml

from salesrl.bot.settings import Settings
from salesrl.bot.slack.app import BOT_SCOPES, build_app

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"


@pytest.fixture(scope="module")
def manifest() -> dict:
    return yaml.safe_load(MANIFEST.read_text())


@pytest.fixture
def registered(fake_slack, tmp_path):
    """What the real app registers with Bolt, read from its listeners' matchers."""
    from salesrl.bot.store import Store

    settings = Settings(slack_bot_token=fake_slack.bot_token, slack_signing_secret="s", slack_api_url=fake_slack.api_url)
    store = Store.open(f"sqlite:///{tmp_path / 'm.db'}")
    app, bot = build_app(settings, store, agent=None)  # the agent is not used to register listeners
    found: dict[str, set] = {"command": set(), "callback_id": set(), "event": set()}
    for listener in app._listeners:
        for matcher in listener.matchers:
            closure = inspect.getclosurevars(getattr(matcher, "func", lambda: None)).nonlocals
            if "command" in closure:
                found["command"].add(closure["command"])
            if "callback_id" in closure:
                found["callback_id"].add(closure["callback_id"])
            if "event_type" in closure:
                found["event"].add(closure["event_type"])
            if isinstance(closure.get("constraints"), dict):
                found["event"].add(closure["constraints"].get("type"))
    bot.shutdown()
    store.close()
    return found


def test_every_registered_command_and_shortcut_is_in_the_manifest(manifest, registered):
    assert registered["command"] == {"/salesrl"}
    manifest_commands = {c["command"] for c in manifest["features"]["slash_commands"]}
    assert registered["command"] <= manifest_commands
    shortcut_ids = {s["callback_id"] for s in manifest["features"]["shortcuts"]}
    view_ids = {"score_modal"}  # modal callback ids are not declared in a manifest
    assert registered["callback_id"] - view_ids, "no shortcut found: did the registration change?"
    assert registered["callback_id"] - view_ids <= shortcut_ids
    assert shortcut_ids <= registered["callback_id"]  # and nothing in the manifest is left unhandled


def test_every_subscribed_event_has_a_listener(manifest, registered):
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    types = {e.split(".")[0] for e in events}  # message.im -> message
    assert types <= registered["event"]
    assert {"app_home_opened", "message"} <= types


def test_scopes_match_what_the_code_asks_for(manifest):
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == set(BOT_SCOPES)


def test_urls_point_at_the_served_routes(manifest):
    settings = manifest["settings"]
    for url in (settings["event_subscriptions"]["request_url"], settings["interactivity"]["request_url"],
                manifest["features"]["slash_commands"][0]["url"]):
        assert url.endswith("/slack/events")
    assert manifest["oauth_config"]["redirect_urls"][0].endswith("/slack/oauth_redirect")
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
