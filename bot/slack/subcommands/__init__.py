"""The subcommands of `/salesrl`, in the order `/salesrl help` lists them.

To add one, write its step function(s) in a module here (see bot.slack.dispatch for what `ack` and
`run` may do) and add ONE line below, e.g.:

    table.add(Subcommand("flag", "flag DEAL reason", "Flag a deal for your manager", run=flag.run))

`/salesrl help` and the dispatcher pick it up from this table.
"""

from __future__ import annotations

from salesrl.bot.slack.dispatch import Subcommand, Subcommands
from salesrl.bot.slack.subcommands import config, deals, digest, flag, forget, live, outcome, score
from salesrl.bot.slack.subcommands import help as help_command


def build_subcommands() -> Subcommands:
    table = Subcommands()
    table.add(Subcommand("score", "score [deal name ::] transcript",
                         "Score a pasted call; alone, opens a form that also takes files", ack=score.ack))
    table.add(Subcommand("deals", "deals", "Your deals and their latest probability", run=deals.list_mine))
    table.add(Subcommand("deal", "deal NAME [link hubspot|salesforce [ID]]",
                         "A deal's calls over time, with a chart (link: to its CRM deal, or the closest offered)",
                         run=deals.show))
    table.add(Subcommand("outcome", "outcome NAME won|lost|open", "Record how a deal ended (open: reopen it)", run=outcome.run))
    table.add(Subcommand("forget", "forget DEAL", "Delete everything stored about a deal (asks to confirm)", run=forget.run))
    table.add(Subcommand("live", "live DEAL", "A live card: notes in its thread are scored as the call goes", run=live.run))
    table.add(Subcommand("flag", "flag DEAL :: reason", "Flag a deal for review in the review channel", run=flag.flag))
    table.add(Subcommand("unflag", "unflag DEAL", "Clear a deal's flags", run=flag.unflag))
    table.add(Subcommand("config", "config [review-channel here | flag-threshold 30% | drop-threshold 15% | "
                         "admins add|remove @person]",
                         "Where flags go and when they and live alerts are raised (admins change them)", run=config.run))
    table.add(digest.subcommand())
    table.add(Subcommand("help", "help", "What SalesRL can do", ack=help_command.for_table(table)))
    return table
