"""Live sessions: a conversation scored as it happens, in a Slack thread.

- `thread_text`: what one thread message adds (turns of named speakers, or a note);
- `sessions`: the agent's incremental state per session, kept in step with the database so any bot
  process can carry a session on; `lanes`: one message of a thread at a time, oldest first;
- `alerts`: when a live conversation needs the rep now (a sharp drop, or below the threshold);
- `slack_thread`: the card, the thread's messages, the alerts and the end, in Slack.
"""
