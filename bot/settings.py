"""The one configuration object of SalesRL, read from environment variables.

Project settings use the ``SALESRL_`` prefix (``SALESRL_DATABASE_URL``, ``SALESRL_DATA_DIR``...).
Slack and OpenAI credentials keep the names those platforms document (``SLACK_BOT_TOKEN``,
``OPENAI_API_KEY``...), without the prefix. Every field carries a description; the README's
configuration table is written from them.

Keep this flat: one field per variable, a type, a default and a description.
"""

from __future__ import annotations

import sys
from pathlib import Path

import platformdirs
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DATABASE_FILE_NAME = "salesrl.db"


def default_data_dir() -> Path:
    """The per-user data directory of the platform: where the default SQLite database lives
    (~/.local/share/salesrl or $XDG_DATA_HOME/salesrl on Linux, ~/Library/Application Support/SalesRL
    on macOS, %LOCALAPPDATA%\\SalesRL on Windows)."""
    # each platform's habit for a folder's name, as SalesRL has always used
    name = "SalesRL" if sys.platform in ("win32", "darwin") else "salesrl"
    return Path(platformdirs.user_data_dir(name, appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SALESRL_",
        populate_by_name=True,  # Settings(slack_bot_token=...) works as well as the env alias
        extra="ignore",
    )

    # --- storage -------------------------------------------------------------------------------
    database_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL of the database that keeps scored calls, deals, flags and digests. "
            "Unset: a SQLite file salesrl.db in SALESRL_DATA_DIR. For several bot processes use "
            "PostgreSQL, e.g. postgresql+psycopg://user@host/db, and run `salesrl db upgrade`."
        ),
    )
    data_dir: Path = Field(
        default_factory=default_data_dir,
        description=(
            "Directory for the default SQLite database and other local state. Default: the "
            "user data directory (~/.local/share/salesrl on Linux)."
        ),
    )
    retention_days: int | None = Field(
        default=None,
        ge=1,
        description=(
            "Transcript texts older than this many days are deleted (with questions and answers about "
            "them, and idle live sessions); scores, tips and outcomes are kept. Unset: transcripts are kept."
        ),
    )

    # --- agent ---------------------------------------------------------------------------------
    redact: bool = Field(
        default=True,
        description=(
            "Redact e-mail addresses, phone numbers, card numbers and IBANs, in the text and the speakers' names, "
            "before a transcript or a question is scored, stored, logged or sent to OpenAI, in Slack and by "
            "`salesrl score`."
        ),
    )
    model_dir: Path | None = Field(
        default=None,
        description=(
            "Directory of the policy model (ONNX + metadata). Unset: the model shipped in models/. "
            "The embedder is the one the model was trained with (its metadata names it; for OpenAI "
            "embedders set OPENAI_API_KEY / OPENAI_BASE_URL or the AZURE_OPENAI_* variables)."
        ),
    )
    max_chars: int = Field(
        default=200_000,
        ge=1,
        description="Longest transcript accepted, in characters; longer input is refused with a clear message.",
    )
    max_turns: int = Field(
        default=2000,
        ge=1,
        description="Most turns accepted in one transcript.",
    )
    flag_threshold: float = Field(
        default=0.35,
        ge=0.0,
        le=1.0,
        description="A call whose final probability is below this is marked at risk.",
    )

    # --- digests -------------------------------------------------------------------------------
    digest_scheduler: bool = Field(
        default=True,
        description=(
            "Run the digest jobs of `salesrl serve`'s scheduler: due digests every minute, the retention purge daily. "
            "Set false when cron runs `salesrl digest run-due` (and `salesrl db purge`) instead."
        ),
    )
    digest_grace_hours: float = Field(
        default=6.0,
        ge=0.0,
        le=24.0 * 6,
        description=(
            "A digest missed while no bot was running is still posted this many hours after its time; "
            "later, it is skipped and logged."
        ),
    )

    # --- CRM sync (bot.crm; each workspace's credentials: README, "CRM sync") ----------------------
    crm_sync_minutes: float = Field(
        default=15.0,
        ge=1.0,
        le=24.0 * 60,
        description=(
            "How often `salesrl serve` syncs each connected workspace with its CRM (HubSpot, Salesforce), in minutes; "
            "several bot processes sync each once."
        ),
    )
    hubspot_api_url: str | None = Field(
        default=None,
        description="Base URL of HubSpot's API. Unset: https://api.hubapi.com (tests point it at a fake).",
    )

    # --- Slack (names as Slack documents them) -------------------------------------------------
    slack_bot_token: str | None = Field(
        default=None,
        validation_alias="SLACK_BOT_TOKEN",
        repr=False,
        description="Bot user OAuth token (xoxb-...) for a single-workspace install.",
    )
    slack_signing_secret: str | None = Field(
        default=None,
        validation_alias="SLACK_SIGNING_SECRET",
        repr=False,
        description="Signing secret used to verify requests from Slack.",
    )
    slack_app_token: str | None = Field(
        default=None,
        validation_alias="SLACK_APP_TOKEN",
        repr=False,
        description="App-level token (xapp-...) for Socket Mode.",
    )
    slack_client_id: str | None = Field(
        default=None,
        validation_alias="SLACK_CLIENT_ID",
        description="OAuth client id, for installing the app in several workspaces.",
    )
    slack_client_secret: str | None = Field(
        default=None,
        validation_alias="SLACK_CLIENT_SECRET",
        repr=False,
        description="OAuth client secret, for installing the app in several workspaces.",
    )
    bot_workers: int = Field(
        default=2,
        ge=1,
        le=64,
        description=(
            "Threads per `salesrl serve` process that score calls and draw charts (about one per CPU core). "
            "Slack's acknowledgements never wait for them."
        ),
    )
    max_request_bytes: int = Field(
        default=1_000_000,
        ge=1024,
        le=100_000_000,
        description=(
            "Longest request body `salesrl serve` accepts on /slack/events, in bytes; a longer one is refused "
            "(HTTP 413) before it is read. Slack's requests are far shorter."
        ),
    )
    slack_api_url: str | None = Field(
        default=None,
        validation_alias="SLACK_API_URL",
        description=(
            "Base URL of the Slack Web API. Unset: https://slack.com/api/ (tests point it at a fake; the bot "
            "token then also goes to file links on exactly its scheme, host and port)."
        ),
    )

    # --- Zoom (optional: transcripts of recorded meetings; names as Zoom's app settings show them) ------
    zoom_secret_token: str | None = Field(
        default=None,
        validation_alias="ZOOM_SECRET_TOKEN",
        repr=False,
        description=(
            "Secret token of the Zoom app's event subscription (its Features page): it signs Zoom's webhooks. "
            "Unset: POST /zoom/events answers 404."
        ),
    )
    zoom_account_id: str | None = Field(
        default=None,
        validation_alias="ZOOM_ACCOUNT_ID",
        description="Account ID of the Zoom Server-to-Server OAuth app, which downloads transcripts.",
    )
    zoom_client_id: str | None = Field(
        default=None,
        validation_alias="ZOOM_CLIENT_ID",
        description="Client ID of the Zoom Server-to-Server OAuth app.",
    )
    zoom_client_secret: str | None = Field(
        default=None,
        validation_alias="ZOOM_CLIENT_SECRET",
        repr=False,
        description=(
            "Client secret of the Zoom Server-to-Server OAuth app. Without the three ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID "
            "and ZOOM_CLIENT_SECRET, transcripts are downloaded with the download token Zoom puts in each event."
        ),
    )
    zoom_oauth_url: str = Field(
        default="https://zoom.us/",
        validation_alias="ZOOM_OAUTH_URL",
        description=(
            "Base URL of Zoom's OAuth server (POST oauth/token). Transcripts are downloaded only from its host, its "
            "subdomains and ZOOM_API_URL's host (tests point both at a fake)."
        ),
    )
    zoom_api_url: str = Field(
        default="https://api.zoom.us/v2/",
        validation_alias="ZOOM_API_URL",
        description="Base URL of Zoom's REST API.",
    )
    zoom_workspace: str | None = Field(
        default=None,
        description=(
            "The Slack workspace (team id, T...) whose deals Zoom's calls are filed under and whose people "
            "their hosts are. Required with ZOOM_SECRET_TOKEN."
        ),
    )

    # --- OpenAI-compatible chat model (optional: questions about a call) ----------------------
    openai_api_key: str | None = Field(
        default=None,
        validation_alias="OPENAI_API_KEY",
        repr=False,
        description="API key of an OpenAI-compatible service. Unset: questions are answered without a chat model.",
    )
    openai_base_url: str | None = Field(
        default=None,
        validation_alias="OPENAI_BASE_URL",
        description="Base URL of the OpenAI-compatible service. Unset: the OpenAI default.",
    )
    chat_model: str = Field(
        default="gpt-4o-mini",
        description="Chat model used to answer questions about a call.",
    )

    @field_validator("database_url")
    @classmethod
    def _blank_url_is_unset(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            return None
        return value.strip() if value else value

    def effective_database_url(self) -> str:
        """SALESRL_DATABASE_URL, or the SQLite file in the data directory when it is unset."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / DATABASE_FILE_NAME).expanduser()}"


def get_settings() -> Settings:
    """Settings from the current environment (read afresh on every call; cheap)."""
    return Settings()
