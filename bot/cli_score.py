"""`salesrl score`: score a transcript (or a dataset file with --batch) without Slack."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from salesrl.agent.dataset import iter_dataset
from salesrl.agent.head import range_text
from salesrl.agent.redact import redact_transcript
from salesrl.agent.types import ScoreResult, Transcript
from salesrl.bot.calls import read_transcript
from salesrl.bot.cli_app import PendingFile, app, check_input_file, fail
from salesrl.bot.settings import get_settings
from salesrl.bot.sparkline import sparkline


def _read_source(path: str) -> tuple[bytes, str | None]:
    if path == "-":
        return sys.stdin.buffer.read(), None
    p = Path(path)
    check_input_file(p, what="a transcript file")
    try:
        return p.read_bytes(), p.name
    except OSError as e:
        fail(f"{path}: cannot read ({e.strerror})")
    raise AssertionError  # fail() exits


def _load_agent(model: Optional[Path]):
    from salesrl.agent.sales_agent import SalesAgent

    settings = get_settings()
    # One job at a time: let the embedder use every core.
    return SalesAgent.load(model or settings.model_dir, threads=os.cpu_count() or 1)


def print_result(result: ScoreResult, console: Console) -> None:
    # What comes from the transcript is Text, never markup: "[email]" stays visible, and "[link=...]"
    # or "[bold]" typed in a call are printed as typed.
    table = Table(title=Text(f"{result.transcript.format} transcript — roles: {result.transcript.roles_decided_by}"),
                  show_lines=False, expand=True)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("speaker", no_wrap=True, max_width=18)
    table.add_column("p", justify="right", no_wrap=True)
    table.add_column("80% range", justify="right", no_wrap=True)
    table.add_column("text", ratio=1, overflow="ellipsis", no_wrap=True)
    for p in result.points:
        style = "yellow" if p.in_distribution < 0.1 else None
        table.add_row(str(p.index + 1), Text(f"{p.speaker} ({p.role})"), f"{p.probability:.0%}",
                      range_text(p.probability, p.uncertainty), Text(p.text), style=style)
    console.print(table)
    f = result.final
    console.print(f"curve  {sparkline(result.probabilities)}")
    likely = range_text(f.probability, f.uncertainty)
    console.print(f"[bold]final probability {f.probability:.0%} (80% range {likely})[/bold] — {result.status}"
                  f" (in-distribution {f.in_distribution:.2f})")
    last = result.points[-1]
    if result.ended is not None and f"{f.probability:.0%}" != f"{last.probability:.0%}":  # else nothing to explain
        console.print(f"  scored as a finished call (turn by turn, its last turn read {last.probability:.0%})")
    for tip in result.tips:
        console.print(f"• [{tip.kind}] {tip.text}", markup=False, highlight=False)


@app.command()
def score(
    file: Optional[str] = typer.Argument(
        None, help="Transcript file (VTT, SRT, JSON, Gong export, 'Name: text'), or - for stdin."),
    rep: list[str] = typer.Option([], "--rep", help="Name of a rep on the call (repeatable); everyone else is the prospect."),
    model: Optional[Path] = typer.Option(None, "--model", help="Model directory (default: the shipped model)."),
    fmt: str = typer.Option("text", "--format", help="text, json, or jsonl (with --batch)."),
    png: Optional[Path] = typer.Option(None, "--png", help="Also write the probability curve as a PNG."),
    batch: Optional[Path] = typer.Option(None, "--batch", help="Score every conversation of a dataset JSONL file."),
    deal: Optional[str] = typer.Option(None, "--deal", help="Save the scored call under this deal in the history database."),
) -> None:
    """Score a sales conversation turn by turn: probability, uncertainty, and coaching."""
    if fmt not in ("text", "json", "jsonl"):
        fail(f"--format must be text, json or jsonl, not {fmt!r}")
    if batch is not None:
        extra = [name for name, given in (("the transcript file", file is not None), ("--rep", bool(rep)),
                                          ("--png", png is not None), ("--deal", deal is not None)) if given]
        if extra:
            fail(f"--batch scores a dataset file's conversations as they are; leave out {', '.join(extra)}")
        _score_batch(batch, model, fmt)
        return
    if file is None:
        fail("give a transcript file, - for stdin, or --batch FILE")
    data, name = _read_source(file)
    settings = get_settings()
    with contextlib.ExitStack() as stack:
        # the curve's file is checked before the call is scored: a path that cannot be written fails
        # before anything is saved with --deal, and a failure leaves no partial file
        curve = stack.enter_context(PendingFile(png, "--png")) if png is not None else None
        agent = _load_agent(model)
        if deal:  # the one path to a saved call, as from Slack (bot.calls)
            from salesrl.bot.calls import score_and_save
            from salesrl.bot.store import LOCAL_WORKSPACE, Store

            with Store.open() as store:
                result = score_and_save(store, agent, settings, LOCAL_WORKSPACE, data, origin="cli", reps=rep,
                                        filename=name, deal_name=deal).result
        else:
            result = agent.score(read_transcript(data, settings, reps=rep, filename=name))
        if curve is not None:
            from salesrl.bot.chart import render_curve_png

            curve.commit(render_curve_png(result))
    if fmt == "text":
        print_result(result, Console())
    else:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False))


def _score_batch(path: Path, model: Optional[Path], fmt: str) -> None:
    if fmt != "jsonl":
        fail("--batch prints one JSON object per conversation: use --format jsonl")
    # every line is read before any is scored: a bad line fails the run before it prints anything
    convs = list(iter_dataset(path))
    if not convs:
        fail(f"{path}: no conversations")
    agent = _load_agent(model)
    redact = get_settings().redact
    for conv in convs:
        transcript = Transcript(conv.turns, "dataset", "given by the file")
        result = agent.score(redact_transcript(transcript) if redact else transcript)
        out = {"id": conv.id, **result.to_dict()}
        if conv.outcome is not None:
            out["outcome"] = conv.outcome
        typer.echo(json.dumps(out, ensure_ascii=False))
