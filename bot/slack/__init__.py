"""The Slack app (Bolt for Python): everything a rep does in Slack.

- `app.build_app(settings, store, agent)` builds the Bolt app; `bot.server` serves it (HTTP or Socket Mode).
- `listeners/`: one module per area, each with `register(app, ctx)`; they ack at once and work lazily.
- `dispatch` + `subcommands/`: `/salesrl <subcommand>`; adding one is a line in `subcommands/__init__.py`.
- `scoring`: a call from Slack read, redacted, scored, saved and answered, in the `workers` pool.
- `templates` + `block_validation`: every message from `templates/slack/*.json.j2`, escaped, clipped, checked.
"""
