"""Imports every module that adds commands to the `salesrl` CLI."""

# Each module below does `from bot.cli import app` and decorates its commands.
from salesrl.bot import cli_score  # noqa: F401
from salesrl.bot import cli_train  # noqa: F401
from salesrl.bot import cli_eval  # noqa: F401
from salesrl.bot import cli_history  # noqa: F401
from salesrl.bot import cli_synth  # noqa: F401
from salesrl.bot import cli_serve  # noqa: F401
from salesrl.bot import cli_digest  # noqa: F401
