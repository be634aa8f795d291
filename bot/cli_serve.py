"""`salesrl serve`: run the Slack bot (HTTP for production, `--socket` for development)."""

from __future__ import annotations

import logging

import typer

from salesrl.bot.cli_app import app, fail
from salesrl.bot.settings import get_settings


@app.command("serve")
def serve(
    socket: bool = typer.Option(False, "--socket", help="Socket Mode (needs SLACK_APP_TOKEN): no public URL, for development."),
    host: str = typer.Option("0.0.0.0", "--host", help="Interface to listen on (HTTP mode)."),
    port: int = typer.Option(3000, "--port", envvar="PORT", help="Port to listen on (HTTP mode)."),
    log_level: str = typer.Option("info", "--log-level", help="debug, info, warning or error."),
) -> None:
    """Run the Slack bot. Slack sends commands, interactivity and events to POST /slack/events."""
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    if socket and not settings.slack_app_token:
        fail("--socket needs SLACK_APP_TOKEN (an app-level token, xapp-..., with connections:write)")

    from salesrl.agent.sales_agent import SalesAgent
    from salesrl.bot.server import run_http, run_socket_mode
    from salesrl.bot.slack.app import build_app, check_credentials
    from salesrl.bot.store import Store

    check_credentials(settings)  # before the slow part: say what is missing at once

    store = Store.open()
    agent = SalesAgent.load(settings.model_dir)  # once per process; every worker shares it
    slack_app, ctx = build_app(settings, store, agent)
    try:  # either way the server runs the process's scheduler (bot.scheduler) while it serves
        if socket:
            run_socket_mode(slack_app, ctx, settings.slack_app_token or "")
        else:
            run_http(slack_app, ctx, host, port, log_level.lower())
    finally:
        store.close()
