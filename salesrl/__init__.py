"""SalesRL: sales-conversation intelligence for Slack, with a fast RL agent at its core.

One import name for everything installed: `salesrl.agent` (the ML core, from the repository's
agent/ folder), `salesrl.bot` (the Slack app, storage, scheduling and the CLI, from bot/), and the
package data the wheel carries, `salesrl.models` (shipped models, from models/) and
`salesrl.templates` (the Slack messages, from templates/). pyproject.toml maps the folders.
"""
