"""One lane per live thread: the messages of a thread are handled one at a time, oldest first.

Bolt hands each event to its own listener thread, so two notes typed a second apart may reach the
agent in either order. A lane queues them by their Slack timestamp, and whichever thread holds the
lane runs every queued job, oldest first. (Across processes the database keeps the order of appends; see bot.store.live_sessions.)
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections import OrderedDict
from typing import Callable, Hashable

MAX_LANES = 1024  # idle lanes beyond this are forgotten, least recently used first


class _Lane:
    def __init__(self) -> None:
        self.running = threading.Lock()  # held by the thread running this lane's jobs
        self.queued: list[tuple[float, int, Callable[[], None]]] = []


class Lanes:
    def __init__(self, max_lanes: int = MAX_LANES) -> None:
        self._lanes: OrderedDict[Hashable, _Lane] = OrderedDict()
        self._mutex = threading.Lock()
        self._order = itertools.count()
        self._max = max_lanes

    def run(self, key: Hashable, ts: str, job: Callable[[], None]) -> None:
        """Queue `job` in the lane of `key` at Slack timestamp `ts`, and run the lane unless another
        thread runs it: jobs queued while a thread runs the lane are run by that thread, oldest first,
        and this thread finds the queue empty when its turn comes. Jobs must handle their own errors."""
        try:
            when = float(ts)
        except ValueError:
            when = float("inf")
        with self._mutex:
            lane = self._lanes.get(key)
            if lane is None:
                lane = self._lanes[key] = _Lane()
                self._forget_idle()
            self._lanes.move_to_end(key)
            heapq.heappush(lane.queued, (when, next(self._order), job))
        with lane.running:
            while True:
                with self._mutex:
                    if not lane.queued:
                        return
                    _, _, next_job = heapq.heappop(lane.queued)
                next_job()

    def _forget_idle(self) -> None:
        while len(self._lanes) > self._max:
            for key, lane in self._lanes.items():
                if not lane.queued and not lane.running.locked():
                    del self._lanes[key]
                    break
            else:
                return
