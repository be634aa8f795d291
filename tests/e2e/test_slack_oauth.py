"""Installing into several workspaces with OAuth; installations kept in the project's database."""

from __future__ import annotations

import re
import urllib.parse

from tests.e2e.conftest import TRANSCRIPT


def test_install_then_serve_a_new_workspace(start_bot, database_url):
    """Installations live in the project's database: SQLite, or PostgreSQL shared by several processes."""
    bot = start_bot(slack_bot_token=None, slack_client_id="111.222", slack_client_secret="fake-client-secret",
                    database_url=database_url)
    fake, http = bot.fake, bot.slack.http

    page = http.get(bot.url + "/slack/install", allow_redirects=False)
    assert page.status_code in (200, 302)
    link = page.headers.get("Location") or re.search(r'href="([^"]+oauth/v2/authorize[^"]+)"', page.text).group(1)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(link.replace("&amp;", "&")).query)
    assert query["client_id"] == ["111.222"] and "commands" in query["scope"][0]
    state = query["state"][0]

    code = fake.new_oauth_code("T0NEW")
    # the state cookie is Secure, so a client over plain http would not send it back by itself
    cookie = page.headers["Set-Cookie"].split(";")[0]
    done = http.get(bot.url + "/slack/oauth_redirect", params={"code": code, "state": state},
                    headers={"Cookie": cookie}, allow_redirects=False)
    assert done.status_code == 200, done.text
    (exchange,) = fake.calls_to("oauth.v2.access")
    new_token = next(t for t, team in fake.tokens.items() if team == "T0NEW")

    # the new workspace can use the bot at once, with its own token
    bot.slack.command(f"score Pied Piper :: {TRANSCRIPT}", team_id="T0NEW", response_url=fake.response_url())
    fake.wait_for("files.completeUploadExternal")
    bot.wait_idle()
    post = fake.calls_to("chat.postMessage")[0]
    assert post.headers["Authorization"] == f"Bearer {new_token}"
    assert bot.store.deals.get("T0NEW", "Pied Piper").call_count == 1
    assert bot.store.deals.get("T0TEAM", "Pied Piper") is None  # workspaces stay apart


def test_a_workspace_that_never_installed_is_not_served(start_bot, tmp_path):
    bot = start_bot(slack_bot_token=None, slack_client_id="111.222", slack_client_secret="fake-client-secret",
                    database_url=f"sqlite:///{tmp_path / 'oauth.db'}")
    sent = bot.slack.command(f"score Hooli :: {TRANSCRIPT}", team_id="T0STRANGER",
                             response_url=bot.fake.response_url())
    assert sent.response.status_code == 200
    (told,) = bot.fake.wait_for("response_url")  # Bolt tells the user to (re)install; nothing runs
    assert "reinstall" in told.params["text"]
    bot.wait_idle()
    assert not bot.fake.calls_to("chat.postMessage")
    assert bot.store.deals.get("T0STRANGER", "Hooli") is None
