"""`salesrl digest preview | run-due | list`: the pipeline digest from the command line.

`run-due` is for cron-style deployments (SALESRL_DIGEST_SCHEDULER=false): run it every few
minutes; it posts each due digest once, however often and from however many machines it runs,
because every (subscription, period) is claimed in the database first (see bot.digest.runner).
"""

from __future__ import annotations

import json
from datetime import timedelta
from enum import Enum
from typing import Optional

import typer

from salesrl.bot.cli_app import app, fail, workspace_id
from salesrl.bot.digest.content import build_digest
from salesrl.bot.digest.periods import describe_schedule, describe_slot, next_slot, preview_period
from salesrl.bot.digest.rendering import render_digest
from salesrl.bot.digest.errors import DigestConfigError
from salesrl.bot.digest.runner import channel_digest, run_due
from salesrl.bot.digest.slack_clients import clients_from_settings
from salesrl.bot.settings import get_settings
from salesrl.bot.slack.templates import Templates
from salesrl.bot.store import LOCAL_WORKSPACE, Store
from salesrl.bot.store.tables import utcnow

digest_app = typer.Typer(help="Pipeline digests posted to Slack channels on a schedule.", no_args_is_help=True)
app.add_typer(digest_app, name="digest")


class Cadence(str, Enum):
    weekly = "weekly"
    daily = "daily"


@digest_app.command("preview")
def preview(
    workspace: str = typer.Option(LOCAL_WORKSPACE, "--workspace", "-w",
                                  help="Slack team id (T...), or 'local' for the command line's own deals.",
                                  callback=workspace_id),
    channel: Optional[str] = typer.Option(None, "--channel", "-c",
                                          help="Preview the digest of this channel's subscription (its cadence, "
                                               "time zone and rep)."),
    cadence: Optional[Cadence] = typer.Option(None, "--cadence", help="weekly (last 7 days) or daily (last 24 h)."),
) -> None:
    """Print the digest as it would be posted now: Block Kit JSON, {"text": ..., "blocks": [...]}."""
    settings = get_settings()
    client = None
    if channel and workspace != LOCAL_WORKSPACE:
        # exactly what the channel's digest would name: the deals every member of it may see, asked of Slack
        try:
            clients = clients_from_settings(settings)
        except DigestConfigError:
            fail(f"previewing the digest of {channel} asks Slack who is in it: set SLACK_BOT_TOKEN (or "
                 "SLACK_CLIENT_ID for OAuth installs), or leave out --channel for every deal of the workspace")
        client = clients(workspace)
        if client is None:
            raise DigestConfigError(f"SalesRL is not installed in {workspace}: cannot tell who is in {channel}")
    with Store.open() as store:
        sub = None
        if channel:
            found = [s for s in store.digests.list_subscriptions(workspace) if s.channel_id == channel]
            sub = found[0] if found else None
            if sub is None:
                typer.echo(f"salesrl: no digest subscription in {channel}; previewing a weekly digest in UTC", err=True)
        period = preview_period((cadence.value if cadence else None) or (sub.cadence if sub else "weekly"),
                                sub.timezone if sub else "UTC", utcnow())
        owner = sub.owner_id if sub else None
        if client is not None:
            content = channel_digest(store, client, workspace, channel, period, owner_id=owner,
                                     at_risk_below=settings.flag_threshold)
        else:
            content = build_digest(store, workspace, period, owner_id=owner, at_risk_below=settings.flag_threshold)
    message = render_digest(Templates(), content)
    typer.echo(json.dumps({"text": message.text, "blocks": message.blocks}, indent=2, ensure_ascii=False))


@digest_app.command("run-due")
def run_due_command(
    grace_hours: Optional[float] = typer.Option(
        None, "--grace-hours", min=0.0,
        help="Post digests missed by up to this many hours (default SALESRL_DIGEST_GRACE_HOURS, 6)."),
) -> None:
    """Post the digests that are due now, once each; exit 1 if a post failed (it is retried next run)."""
    settings = get_settings()
    clients = clients_from_settings(settings)
    grace = timedelta(hours=settings.digest_grace_hours if grace_hours is None else grace_hours)
    with Store.open() as store:
        report = run_due(store, clients, utcnow(), grace=grace, at_risk_below=settings.flag_threshold)
    for run in report.posted:
        typer.echo(f"posted {run.period_key} in {run.channel_id} ({run.workspace_id}, subscription {run.subscription_id})")
    for run in report.skipped:
        typer.echo(f"skipped {run.period_key} in {run.channel_id} ({run.workspace_id}): missed by more than "
                   f"{grace.total_seconds() / 3600:g} h")
    for run in report.failed:
        typer.echo(f"salesrl: {run.period_key} in {run.channel_id} ({run.workspace_id}) not posted: {run.error}",
                   err=True)
    typer.echo(report.summary())
    if report.failed:
        raise typer.Exit(1)


@digest_app.command("list")
def list_subscriptions(
    workspace: Optional[str] = typer.Option(None, "--workspace", "-w", help="Only this Slack team id.",
                                            callback=workspace_id),
) -> None:
    """The channels that get a digest, their schedule and next slot (all workspaces by default)."""
    now = utcnow()
    with Store.open() as store:
        workspaces = [workspace] if workspace else [w.id for w in store.workspaces.list()]
        subs = [s for w in workspaces for s in store.digests.list_subscriptions(w)]
    if not subs:
        typer.echo("No digest subscriptions.")
        return
    for s in subs:
        owner = f", deals of {s.owner_id} only" if s.owner_id else ""
        typer.echo(f"{s.workspace_id} {s.channel_id}: {describe_schedule(s)}{owner}; "
                   f"next {describe_slot(next_slot(s, now), s.timezone)}")
