"""The worker pool that scores calls, apart from the threads that acknowledge Slack's requests.

Bolt runs ack functions and lazy listeners in its own thread pool. Scoring a long call takes CPU
time; if it ran in those threads, a burst of calls would leave later requests waiting for a thread
and miss Slack's 3-second ack. So a lazy listener only hands the job to this pool and returns, and
the pool runs at most `workers` jobs at a time (about one per core), queueing the rest.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable

log = logging.getLogger(__name__)


class WorkerPool:
    def __init__(self, workers: int, name: str = "salesrl-worker") -> None:
        if workers < 1:
            raise ValueError("a worker pool needs at least one worker")
        self.workers = workers
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        self._pending = 0
        self._lock = threading.Lock()

    def submit(self, job: Callable[[], None]) -> Future[None]:
        """Run `job` in the pool. The job reports its own errors to the user; anything that still
        escapes it is logged here, never lost."""
        with self._lock:
            self._pending += 1
        return self._executor.submit(self._run, job)

    def _run(self, job: Callable[[], None]) -> None:
        try:
            job()
        except Exception:
            log.exception("a worker job failed without reporting it")
        finally:
            with self._lock:
                self._pending -= 1

    @property
    def pending(self) -> int:
        """Jobs queued or running."""
        with self._lock:
            return self._pending

    def shutdown(self, wait: bool = True) -> None:
        """Stop taking jobs; with `wait`, finish the ones already queued (a graceful restart)."""
        self._executor.shutdown(wait=wait, cancel_futures=not wait)
