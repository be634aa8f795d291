"""Flags: deals that need the team's attention.

- `thresholds`: the workspace's flag and drop thresholds, or the defaults; `drops`: sharp drops in a curve;
- `reasons`: why a finished call flags its deal;
- `flagging`: raising (by hand, automatically) and clearing flags; `review`: posting them to the review channel.
"""
