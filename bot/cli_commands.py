"""Imports every module that adds commands to the `salesrl` CLI."""

# Each module below does `from bot.cli import app` and decorates its commands.
