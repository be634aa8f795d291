"""The Bolt app factory. Every dependency comes in as an argument, so tests build the real app
against a fake Slack API, a temporary database and the shipped model.

    app, bot = build_app(settings, store, agent)   # agent loaded ONCE per process

Two ways to be installed:
- one workspace: SLACK_BOT_TOKEN (+ SLACK_SIGNING_SECRET);
- any number of workspaces: SLACK_CLIENT_ID + SLACK_CLIENT_SECRET. Installations are kept by
  slack-sdk's SQLAlchemy installation store in the project's database (so every process behind the
  load balancer sees them); /slack/install starts the OAuth flow, /slack/oauth_redirect ends it.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

from salesrl.agent.errors import SalesRLError
from salesrl.bot.answers.service import Answerer
from salesrl.bot.live.sessions import LiveSessions
from salesrl.bot.settings import Settings
from salesrl.bot.slack.context import BotContext
from salesrl.bot.slack.listeners import register_all
from salesrl.bot.slack.membership import Membership
from salesrl.bot.slack.oauth_pages import callback_options
from salesrl.bot.slack.pending import PendingCalls
from salesrl.bot.slack.subcommands import build_subcommands
from salesrl.bot.slack.templates import Templates
from salesrl.bot.slack.web_client import slack_client
from salesrl.bot.slack.workers import WorkerPool
from salesrl.bot.store import Store
from salesrl.bot.store.engine import make_engine

if TYPE_CHECKING:
    from salesrl.agent.sales_agent import SalesAgent

log = logging.getLogger(__name__)

# Keep in step with manifest.yml (tests/e2e/test_manifest.py checks both ways).
BOT_SCOPES = (
    "app_mentions:read", "channels:history", "channels:read", "chat:write", "commands", "files:read",
    "files:write", "groups:history", "groups:read", "im:history", "users:read", "users:read.email",
)
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
EVENTS_PATH = "/slack/events"
LISTENER_THREADS = 32  # Bolt's threads for acks and lazy listeners; scoring has its own pool
OAUTH_STATE_SECONDS = 600


class SlackConfigError(SalesRLError):
    """Slack credentials are missing or contradictory."""


def check_credentials(settings: Settings) -> None:
    """Refuse, with what to set, a configuration the app cannot run with (before loading anything)."""
    if not settings.slack_signing_secret:
        raise SlackConfigError("SLACK_SIGNING_SECRET is not set: copy it from the app's Basic Information page")
    if bool(settings.slack_client_id) != bool(settings.slack_client_secret):
        raise SlackConfigError("set both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for OAuth installs, or neither")
    if not settings.slack_client_id and not settings.slack_bot_token:
        raise SlackConfigError("set SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET "
                               "(installable in many)")
    if settings.zoom_secret_token and not settings.zoom_workspace:
        raise SlackConfigError("ZOOM_SECRET_TOKEN is set without SALESRL_ZOOM_WORKSPACE: set it to the id (T…) of the "
                               "Slack workspace whose deals Zoom's calls belong to")


def build_app(settings: Settings, store: Store, agent: "SalesAgent", *, api_url: str | None = None,
              templates: Templates | None = None, workers: WorkerPool | None = None) -> tuple[App, BotContext]:
    """The Bolt app with every listener registered, and the parts it shares with them."""
    check_credentials(settings)
    base_url = api_url or settings.slack_api_url or WebClient.BASE_URL
    if not base_url.endswith("/"):
        base_url += "/"
    templates = templates or Templates()
    listener_threads = ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="salesrl-listener")
    ctx = BotContext(settings=settings, store=store, agent=agent, templates=templates,
                     workers=workers or WorkerPool(settings.bot_workers), listener_threads=listener_threads,
                     live=LiveSessions(store, agent), membership=Membership(),
                     pending=PendingCalls(store, templates),
                     answerer=Answerer(store, agent.embedder, settings) if agent is not None else None)
    common: dict[str, Any] = dict(
        signing_secret=settings.slack_signing_secret,
        listener_executor=listener_threads,
        # The ack function runs in the request thread and its answer goes straight back; lazy
        # listeners still start afterwards in the listener threads (this avoids Bolt polling for
        # the ack every 10 ms from a second thread, which costs latency under load).
        process_before_response=True,
    )
    # Bolt hands every request a copy of app.client, retry handlers included (bot.slack.web_client).
    if settings.slack_client_id:
        app = App(client=slack_client(base_url=base_url), oauth_settings=_oauth_settings(settings), **common)
        log.info("Slack app in OAuth mode: installs at %s", INSTALL_PATH)
    else:
        app = App(client=slack_client(settings.slack_bot_token, base_url), **common)
    register_all(app, ctx, build_subcommands())
    return app, ctx


def _oauth_settings(settings: Settings) -> OAuthSettings:
    engine = make_engine(settings.effective_database_url())
    installations = SQLAlchemyInstallationStore(client_id=settings.slack_client_id, engine=engine, logger=log)
    states = SQLAlchemyOAuthStateStore(expiration_seconds=OAUTH_STATE_SECONDS, engine=engine, logger=log)
    # create_all checks first: harmless when the tables exist (another process made them)
    installations.create_tables()
    states.create_tables()
    return OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(BOT_SCOPES),
        installation_store=installations,
        state_store=states,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        callback_options=callback_options(),
    )
