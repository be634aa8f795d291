"""When a deal needs attention: the workspace's thresholds, its own choice or the defaults.

    below    a call (or a live conversation) at a probability under this is at risk: flag / alert
    drop     a fall of at least this much within `window` turns: flag / alert
"""

from __future__ import annotations

from dataclasses import dataclass

from salesrl.bot.settings import Settings
from salesrl.bot.store import Store

DEFAULT_DROP = 0.15
DROP_WINDOW = 5  # turns


@dataclass(frozen=True)
class Thresholds:
    below: float
    drop: float = DEFAULT_DROP
    window: int = DROP_WINDOW


def thresholds_for(store: Store, settings: Settings, workspace_id: str) -> Thresholds:
    config = store.config.get(workspace_id)
    return Thresholds(
        below=settings.flag_threshold if config.flag_threshold is None else config.flag_threshold,
        drop=DEFAULT_DROP if config.drop_threshold is None else config.drop_threshold,
    )
