"""Which workspaces sync with which CRM, and with which credentials: environment variables named after
the Slack team id (upper case; the command line's workspace is LOCAL), read when a sync starts and
never stored, logged or shown.

    SALESRL_HUBSPOT_TOKEN_T0TEAM                 a HubSpot private app's access token
    SALESRL_SALESFORCE_INSTANCE_URL_T0TEAM       https://yourorg.my.salesforce.com
    SALESRL_SALESFORCE_ACCESS_TOKEN_T0TEAM       an OAuth access token, or instead:
    SALESRL_SALESFORCE_USERNAME_T0TEAM, ..._PASSWORD_T0TEAM, ..._SECURITY_TOKEN_T0TEAM
    SALESRL_SALESFORCE_LOGIN_URL_T0TEAM          where the username logs in: https://login.salesforce.com (default),
                                                 https://test.salesforce.com, or your My Domain URL
    SALESRL_SALESFORCE_MULTICURRENCY_T0TEAM      true when the org has multiple currencies on

The base URL of HubSpot is a setting (SALESRL_HUBSPOT_API_URL); Salesforce's are the instance and login URLs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Mapping

from salesrl.bot.crm.errors import CrmError

HUBSPOT_TOKEN = "SALESRL_HUBSPOT_TOKEN_"
SALESFORCE = "SALESRL_SALESFORCE_"
_SF_KEYS = ("INSTANCE_URL", "ACCESS_TOKEN", "USERNAME", "PASSWORD", "SECURITY_TOKEN", "LOGIN_URL", "MULTICURRENCY")
LOCAL = "local"
CRM_NAMES = {"hubspot": "HubSpot", "salesforce": "Salesforce"}  # as people write them


def env_suffix(workspace_id: str) -> str:
    return workspace_id.upper()


def workspace_of(suffix: str) -> str:
    return LOCAL if suffix == "LOCAL" else suffix


@dataclass(frozen=True)
class HubSpotConnection:
    workspace_id: str
    token: str = field(repr=False)
    api_url: str | None = None
    crm: str = "hubspot"


@dataclass(frozen=True)
class SalesforceConnection:
    workspace_id: str
    instance_url: str | None
    access_token: str | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    security_token: str | None = field(default=None, repr=False)
    login_url: str = "https://login.salesforce.com"
    multicurrency: bool = False
    crm: str = "salesforce"

    @property
    def can_log_in(self) -> bool:
        return bool(self.username and self.password)


Connection = HubSpotConnection | SalesforceConnection


def connections(environ: Mapping[str, str] | None = None, *, hubspot_api_url: str | None = None,
                workspace: str | None = None) -> list[Connection]:
    """Every connection the environment sets up (only `workspace`'s, when given), HubSpot first."""
    env = os.environ if environ is None else environ
    out: list[Connection] = []
    for name, value in sorted(env.items()):
        if name.startswith(HUBSPOT_TOKEN) and value.strip():
            out.append(HubSpotConnection(workspace_of(name[len(HUBSPOT_TOKEN):]), value.strip(), hubspot_api_url))
    suffixes = sorted({name.rsplit("_", 1)[-1] for name in env if name.startswith(SALESFORCE)
                       and any(name.startswith(f"{SALESFORCE}{k}_") for k in _SF_KEYS)})
    for suffix in suffixes:
        out.append(_salesforce(env, suffix))
    if workspace is not None:
        out = [c for c in out if c.workspace_id == workspace]
    return out


def _salesforce(env: Mapping[str, str], suffix: str) -> SalesforceConnection:
    def get(key: str) -> str | None:
        return (env.get(f"{SALESFORCE}{key}_{suffix}") or "").strip() or None

    conn = SalesforceConnection(
        workspace_of(suffix), get("INSTANCE_URL"), get("ACCESS_TOKEN"), get("USERNAME"), get("PASSWORD"),
        get("SECURITY_TOKEN"), (get("LOGIN_URL") or SalesforceConnection.login_url).rstrip("/"),
        (get("MULTICURRENCY") or "").lower() in ("1", "true", "yes"),
    )
    if conn.access_token and not conn.instance_url:
        raise CrmError(f"{SALESFORCE}ACCESS_TOKEN_{suffix} needs {SALESFORCE}INSTANCE_URL_{suffix}")
    if not conn.access_token and not conn.can_log_in:
        raise CrmError(f"Salesforce for {conn.workspace_id}: set {SALESFORCE}ACCESS_TOKEN_{suffix} (with the instance "
                       f"URL) or {SALESFORCE}USERNAME_{suffix} and {SALESFORCE}PASSWORD_{suffix}")
    return conn
