"""`python -m salesrl` is the `salesrl` command."""

from salesrl.bot.cli import main

main()
