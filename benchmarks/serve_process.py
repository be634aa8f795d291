"""A `salesrl serve` process that a benchmark started: waiting for it to answer on /healthz, and stopping it."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import requests


def wait_healthy(base: str, process: subprocess.Popen, timeout: float = 120) -> None:
    http = requests.Session()
    http.trust_env = False  # loopback only: never through a proxy
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"salesrl serve exited with {process.returncode}")
        try:
            if http.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise SystemExit("salesrl serve did not come up")


@contextmanager
def serving(process: subprocess.Popen, log: Path) -> Iterator[None]:
    """Stops `process` (SIGTERM) when the block ends; if the block failed, first prints the end of the server's
    log (its stderr), which is where the reason usually is."""
    try:
        yield
    except BaseException:
        print(log.read_text()[-3000:], file=sys.stderr)
        raise
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
