"""Which Slack WebClient posts a workspace's digests.

Installed with one bot token (SLACK_BOT_TOKEN), one client posts everything. Installed through
OAuth in many workspaces, each workspace's bot token is looked up in slack-sdk's installation
store, kept in the project's database by the Slack app (bot.slack.app).
"""

from __future__ import annotations

import logging
from typing import Callable

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import InstallationStore
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore

from salesrl.bot.digest.errors import DigestConfigError
from salesrl.bot.settings import Settings
from salesrl.bot.slack.web_client import slack_client
from salesrl.bot.store.engine import make_engine

log = logging.getLogger(__name__)

ClientLookup = Callable[[str], "WebClient | None"]  # workspace id -> client, None when not installed there


def one_client(client: WebClient) -> ClientLookup:
    """Every workspace through the same client (a single-workspace install)."""
    return lambda workspace_id: client


def installed_clients(installations: InstallationStore, base_url: str = WebClient.BASE_URL) -> ClientLookup:
    """Each workspace (or Enterprise Grid org) through the bot token of its installation."""

    def lookup(workspace_id: str) -> WebClient | None:
        try:
            found = installations.find_installation(enterprise_id=None, team_id=workspace_id)
            if found is None and workspace_id.startswith("E"):
                found = installations.find_installation(enterprise_id=workspace_id, team_id=None,
                                                        is_enterprise_install=True)
        except Exception as e:  # the installation table may not exist yet
            log.warning("cannot look up the Slack installation of %s (%s)", workspace_id, type(e).__name__)
            return None
        if found is None or not found.bot_token:
            return None
        return slack_client(found.bot_token, base_url)

    return lookup


def clients_of_app(app: App) -> ClientLookup:
    """The clients the running Slack app itself would use."""
    if app.installation_store is not None:
        return installed_clients(app.installation_store, app.client.base_url)
    return one_client(app.client)


def clients_from_settings(settings: Settings) -> ClientLookup:
    """For `salesrl digest run-due`: SLACK_CLIENT_ID means OAuth installs kept in the database,
    else SLACK_BOT_TOKEN. Raises DigestConfigError when neither is set."""
    base_url = settings.slack_api_url or WebClient.BASE_URL
    if not base_url.endswith("/"):
        base_url += "/"
    if settings.slack_client_id:
        engine = make_engine(settings.effective_database_url())
        return installed_clients(
            SQLAlchemyInstallationStore(client_id=settings.slack_client_id, engine=engine, logger=log), base_url
        )
    if settings.slack_bot_token:
        return one_client(slack_client(settings.slack_bot_token, base_url))
    raise DigestConfigError("set SLACK_BOT_TOKEN (or SLACK_CLIENT_ID for OAuth installs) to post digests")
