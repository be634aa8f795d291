"""`python -m bot` is the `salesrl` command."""

from bot.cli import main

main()
