"""Scheduled pipeline digests: what managers see in Slack every week without anyone typing anything.

- `periods`: when a subscription is due and what each digest covers (pure; the clock is an argument);
- `content`: what a digest says, from the store; `calibration`: forecasts against outcomes;
- `rendering`: Block Kit through the shared templates; `chart`: the PNG posted in its thread;
- `runner`: posting each (subscription, period) exactly once (bot.scheduler runs it every minute);
- `schedule_spec`: the schedule words of `/salesrl digest subscribe`; `slack_clients`: which token posts.
"""
