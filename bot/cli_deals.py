"""`salesrl deals`, `deal` and `outcome`: the command line's deals, their calls, and how they ended.

The command line keeps its deals in the workspace "local" of the database that
SALESRL_DATABASE_URL names (default: a SQLite file in the user data directory).
`salesrl score FILE --deal NAME` saves calls there through bot.calls.score_and_save.
"""

from __future__ import annotations

import dataclasses
import shlex
from datetime import datetime
from enum import Enum
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from salesrl.agent.redact import redact, redact_transcript
from salesrl.agent.types import ScoreResult
from salesrl.bot.deal_fields import UNSET, DealFieldError, DealFields, parse_amount, parse_close_date, parse_stage
from salesrl.bot.cli_app import app, fail
from salesrl.bot.settings import get_settings
from salesrl.bot.sparkline import sparkline
from salesrl.bot.store import LOCAL_WORKSPACE, Deal, SavedCall, Store, save_scored_call


class Outcome(str, Enum):
    won = "won"
    lost = "lost"
    open = "open"  # reopens a closed deal


def save_cli_call(deal_name: str, result: ScoreResult, transcript_text: str) -> SavedCall:
    """Save a result scored elsewhere, and its transcript text, under a deal of the workspace "local",
    redacted unless SALESRL_REDACT=false. (`salesrl score FILE --deal NAME` reads, scores and saves
    through bot.calls.score_and_save; only the tests save a result they made up this way.)"""
    if get_settings().redact:
        result = redacted_result(result)
        transcript_text = redact(transcript_text)
    with Store.open() as store:
        return save_scored_call(store, LOCAL_WORKSPACE, deal_name, result, source="cli", transcript_text=transcript_text)


def redacted_result(result: ScoreResult) -> ScoreResult:
    """The same result with everything that quotes the transcript redacted (e-mails, phone numbers,
    cards, IBANs): turns, speakers, how roles were decided, and the tips."""
    points = tuple(dataclasses.replace(p, speaker=redact(p.speaker), text=redact(p.text)) for p in result.points)
    tips = tuple(dataclasses.replace(t, text=redact(t.text)) for t in result.tips)
    return dataclasses.replace(result, transcript=redact_transcript(result.transcript), points=points, tips=tips)


def _percent(p: float | None) -> str:
    return "–" if p is None else f"{p * 100:.0f}%"


def _trend(t: float | None) -> str:
    if t is None:
        return "–"
    points = t * 100
    if abs(points) < 0.5:
        return "= 0 pts"
    return f"{'▲' if points > 0 else '▼'} {points:+.0f} pts"


def _when(t: datetime | None) -> str:
    """A stored UTC time in the local time zone."""
    return "–" if t is None else f"{t.astimezone():%Y-%m-%d %H:%M}"


def _status(deal: Deal) -> str:
    if deal.status == "open":
        return "open"
    when = f" {deal.closed_at.astimezone():%Y-%m-%d}" if deal.closed_at else ""
    return f"{deal.status}{when}"


def _console() -> Console:
    return Console(highlight=False)


@app.command("deals")
def deals_command(
    status: Optional[str] = typer.Option(None, help="Only deals in this status: open, won or lost."),
) -> None:
    """List deals with their latest probability and trend."""
    if status is not None and status not in ("open", "won", "lost"):
        fail(f"unknown status {status!r}; use open, won or lost")
    with Store.open() as store:
        deals = store.deals.list(LOCAL_WORKSPACE, status=status)
    console = _console()
    if not deals:
        console.print(f"No {status} deals (`salesrl deals` lists them all)." if status else
                      "No deals yet. Save a call with `salesrl score FILE --deal NAME`.")
        return
    table = Table(title=f"{len(deals)} deal{'s' if len(deals) != 1 else ''}")
    table.add_column("Deal")
    table.add_column("Status", no_wrap=True)
    table.add_column("Calls", justify="right")
    table.add_column("Win %", justify="right", no_wrap=True)
    table.add_column("Trend", justify="right", no_wrap=True)
    table.add_column("Last call", no_wrap=True)
    for d in deals:
        table.add_row(
            d.name, _status(d), str(d.call_count), _percent(d.latest_probability), _trend(d.trend),
            _when(d.last_call_at),
        )
    console.print(table)


@app.command("deal")
def deal_command(
    name: str = typer.Argument(..., help="The deal's name (case and spacing ignored)."),
    amount: Optional[str] = typer.Option(None, help="Set its amount: 40000, 40k, 1.2M (none clears it)."),
    stage: Optional[str] = typer.Option(None, help="Set its stage, e.g. negotiation (none clears it)."),
    close: Optional[str] = typer.Option(None, help="Set its expected close date: 2027-01-31 (none clears it)."),
) -> None:
    """Show a deal: its calls and the curve of the latest call; or set its amount, stage or close date."""
    try:
        fields = DealFields(amount=UNSET if amount is None else parse_amount(amount),
                            stage=UNSET if stage is None else parse_stage(stage),
                            close_date=UNSET if close is None else parse_close_date(close))
    except DealFieldError as e:
        fail(str(e))
    with Store.open() as store:
        deal = store.deals.get(LOCAL_WORKSPACE, name)
        if deal is None:
            fail(f"no deal named {name!r}; `salesrl deals` lists them")
        assert deal is not None
        if fields.as_update():
            deal = store.deals.update(LOCAL_WORKSPACE, deal.name, **fields.as_update())
        calls = store.calls.of_deal(LOCAL_WORKSPACE, deal.id)
        last = store.calls.get(LOCAL_WORKSPACE, calls[-1].id) if calls else None
    console = _console()
    facts = [f"[bold]{deal.name}[/bold]", _status(deal)]
    if deal.stage:
        facts.append(f"stage {deal.stage}")
    if deal.amount is not None:
        facts.append(f"amount {deal.amount:,}")
    if deal.close_date is not None:
        facts.append(f"closes {deal.close_date:%d %b %Y}")
    facts.append(f"probability {_percent(deal.latest_probability)} ({_trend(deal.trend)})")
    console.print(" · ".join(facts))
    if not calls:
        console.print("No calls saved for this deal yet.")
        return
    table = Table()
    table.add_column("#", justify="right")
    table.add_column("Date", no_wrap=True)
    table.add_column("Source")
    table.add_column("Turns", justify="right")
    table.add_column("Start", justify="right")
    table.add_column("Final", justify="right")
    table.add_column("Status")
    for i, c in enumerate(calls, start=1):
        table.add_row(
            str(i), _when(c.created_at), c.source, str(c.turn_count),
            _percent(c.first_probability), _percent(c.final_probability), c.status or "",
        )
    console.print(table)
    if last is not None and last.turns:
        probabilities = last.probabilities
        console.print(
            f"Latest call, turn by turn: {_percent(probabilities[0])} {sparkline(probabilities, width=40)} "
            f"{_percent(probabilities[-1])}"
        )


@app.command("outcome")
def outcome_command(
    name: str = typer.Argument(..., help="The deal's name."),
    result: Outcome = typer.Argument(..., help="won, lost, or open to reopen it"),
    force: bool = typer.Option(False, "--force", help="Change an outcome already recorded."),
) -> None:
    """Record how a deal ended (used for retraining and for the digest's calibration), or reopen it."""
    with Store.open() as store:
        deal = store.deals.get(LOCAL_WORKSPACE, name)
        if deal is None:
            fail(f"no deal named {name!r}; `salesrl deals` lists them")
        if deal.status == result.value:
            typer.echo(f"{deal.name} is already {'open' if result is Outcome.open else 'recorded as ' + result.value}")
            return
        if deal.is_closed and not force:  # a recorded outcome is a fact the digest and training rely on
            fail(f"{deal.name} is recorded as {deal.status}; to change that: "
                 f"salesrl outcome {shlex.quote(deal.name)} {result.value} --force")
        won = None if result is Outcome.open else result is Outcome.won
        recorded = store.deals.record_outcome(LOCAL_WORKSPACE, deal.name, won=won)
    deal, cleared = recorded.deal, len(recorded.cleared_flags)
    typer.echo(
        f"{deal.name}: {deal.status} (the agent's last probability was {_percent(deal.latest_probability)}, "
        f"over {deal.call_count} call{'s' if deal.call_count != 1 else ''})"
        + (f"; {cleared} open flag{'s' if cleared != 1 else ''} cleared, their Slack threads not told "
           "(/salesrl outcome in Slack tells them)" if cleared else "")
    )
