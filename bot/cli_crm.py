"""`salesrl crm sync [--workspace T]`, `salesrl crm link DEAL hubspot|salesforce ID` and `salesrl crm writeback
on|off --workspace T` (bot.crm)."""

from __future__ import annotations

from datetime import timedelta

import typer

from salesrl.bot.cli_app import app, workspace_id
from salesrl.bot.crm.errors import CrmError
from salesrl.bot.crm.sync import CrmSync
from salesrl.bot.settings import get_settings
from salesrl.bot.store import LOCAL_WORKSPACE, Store
from salesrl.bot.store.deals import no_deal
from salesrl.bot.store.tables import CRMS

crm_app = typer.Typer(help="Deals and outcomes from HubSpot and Salesforce; scores written back.", no_args_is_help=True)
app.add_typer(crm_app, name="crm")


@crm_app.command("sync")
def sync(workspace: str | None = typer.Option(None, "--workspace", "-w",
                                               help="Only this Slack team id (T...); default: every connected one.",
                                               callback=workspace_id)) -> None:
    """Sync now (the bot also syncs every SALESRL_CRM_SYNC_MINUTES); exits 1 when a sync failed."""
    settings = get_settings()
    with Store.open() as store:
        crm_sync = CrmSync(store, every=timedelta(minutes=settings.crm_sync_minutes),
                           hubspot_api_url=settings.hubspot_api_url)
        found = crm_sync.connections(workspace)
        if not found:
            raise CrmError("no CRM is connected" + (f" for {workspace}" if workspace else "")
                           + ": set SALESRL_HUBSPOT_TOKEN_<TEAM> or SALESRL_SALESFORCE_* (README, CRM sync)")
        failed = False
        for conn in found:
            report = crm_sync.sync(conn, force=True)
            if report is None:
                typer.echo(f"{conn.crm} for {conn.workspace_id}: another process is syncing it now")
                continue
            failed |= report.error is not None
            typer.echo(report.summary(), err=report.error is not None)
    if failed:
        raise typer.Exit(1)


@crm_app.command("link")
def link(deal: str = typer.Argument(..., help="The SalesRL deal's name."),
         crm: str = typer.Argument(..., help="hubspot or salesforce"),
         crm_id: str = typer.Argument(..., help="The CRM deal's id (in its URL)."),
         workspace: str = typer.Option(LOCAL_WORKSPACE, "--workspace", "-w", help="The Slack team id (T...).",
                                       callback=workspace_id)) -> None:
    """Link a deal to its CRM deal by hand (names equal once normalised are linked by the sync itself)."""
    if crm.lower() not in CRMS:
        raise CrmError(f"a CRM is one of {', '.join(CRMS)}")
    with Store.open() as store:
        found = store.deals.get(workspace, deal)
        if found is None:
            raise no_deal(deal)
        done = store.crm.link(workspace, found.id, crm.lower(), crm_id)
    cleared = len(done.cleared_flags)
    typer.echo(f"{found.name} is linked to {crm.lower()} deal {done.crm_deal.crm_id} ({done.crm_deal.name})"
               + (f"; its {done.crm_deal.status} outcome cleared {cleared} open flag{'s' if cleared != 1 else ''}, "
                  "their Slack threads not told (linking in Slack tells them)" if cleared else ""))


@crm_app.command("writeback")
def writeback(state: str = typer.Argument(..., help="on or off"),
              workspace: str = typer.Option(..., "--workspace", "-w", help="The Slack team id (T...).",
                                            callback=workspace_id)) -> None:
    """Turn writing the latest score and open gaps into the CRM on or off (also /salesrl config crm-writeback)."""
    if state.lower() not in ("on", "off"):
        raise CrmError("say on or off")
    with Store.open() as store:
        store.config.update(workspace, crm_writeback=state.lower() == "on")
    typer.echo(f"write-back {state.lower()} for {workspace}")
