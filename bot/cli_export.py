"""`salesrl export`: the calls of the command line's won and lost deals, as training data."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from salesrl.bot.cli_app import app, fail
from salesrl.bot.store import LOCAL_WORKSPACE, Store


class ExportFormat(str, Enum):
    jsonl = "jsonl"


@app.command("export")
def export_command(
    format: ExportFormat = typer.Option(ExportFormat.jsonl, "--format", help="Output format."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="File to write (default: stdout)."),
) -> None:
    """Write the calls of won and lost deals in the training dataset format."""
    with Store.open() as store:
        conversations = store.calls.export_closed_deals(LOCAL_WORKSPACE)
    lines = [json.dumps(c.to_json(), ensure_ascii=False) for c in conversations]
    if output is None:
        for line in lines:
            sys.stdout.write(line + "\n")
    else:
        try:
            with output.open("w", encoding="utf-8") as fh:
                fh.writelines(line + "\n" for line in lines)
        except OSError as e:
            fail(f"cannot write {output} ({e.strerror})")
    deals = {c.meta.get("deal_id") for c in conversations}
    typer.echo(
        f"exported {len(conversations)} call{'s' if len(conversations) != 1 else ''} "
        f"from {len(deals)} closed deal{'s' if len(deals) != 1 else ''}"
        + (f" to {output}" if output else ""),
        err=True,
    )
