"""The `salesrl` Typer app that each command module (bot.cli_*) adds its commands to, `fail`, and the checks
of the files commands read (`check_input_file`) and write (`PendingFile`).

Command modules import this; bot.cli imports the command modules and runs the app, so the imports
go one way."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from types import TracebackType

import typer

from salesrl.bot.store import LOCAL_WORKSPACE

app = typer.Typer(
    name="salesrl",
    help="Score sales conversations turn by turn, train the agent, and run the Slack bot.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def fail(message: str) -> None:
    """Print one clear line on stderr and exit with code 2."""
    typer.echo(f"salesrl: {message}", err=True)
    raise typer.Exit(2)


def workspace_id(value: str | None) -> str | None:
    """The --workspace options' callback: the command line's own workspace is `local` in any case (the README's
    CRM variables spell it LOCAL, so people type --workspace LOCAL); a Slack team id (T0123...) is kept as given."""
    if value is not None and value.strip().casefold() == LOCAL_WORKSPACE:
        return LOCAL_WORKSPACE
    return value


def check_input_file(path: Path, option: str | None = None, what: str = "a file") -> None:
    """Fail (one line, exit 2) unless `path` is a file that exists; `option` names it in the message, `what` says
    what to give instead of a directory."""
    name = f"{option} {path}" if option else str(path)
    if path.is_dir():
        fail(f"{name} is a directory; give {what}")
    if not path.is_file():
        fail(f"{name}: no such file")


class PendingFile:
    """A file a command writes, checked before the work that fills it and put in place in one step.

    Entering makes its partial file beside it (`.NAME.partial`), so a path that cannot be written fails there,
    in one line and before any work; `commit` moves it into place; leaving without a commit (a failure, an
    interrupt) deletes it: `path` is whole or untouched, never half written."""

    def __init__(self, path: Path, option: str) -> None:
        self.path = path
        self.option = option
        self.partial = path.with_name(f".{path.name}.partial")

    def __enter__(self) -> "PendingFile":
        if self.path.is_dir():
            fail(f"{self.option} {self.path} is a directory; give a file name")
        try:
            self.partial.open("wb").close()
        except OSError as e:
            fail(f"{self.option} {self.path}: cannot write ({e.strerror})")
        return self

    def commit(self, data: bytes | None = None) -> None:
        """Put `data` (or what was written to `partial`) in place at `path`."""
        try:
            if data is not None:
                self.partial.write_bytes(data)
            os.replace(self.partial, self.path)
        except OSError as e:
            fail(f"{self.option} {self.path}: cannot write ({e.strerror})")

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        with contextlib.suppress(OSError):
            self.partial.unlink(missing_ok=True)
