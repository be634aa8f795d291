"""Waiting for a `salesrl serve` process that a benchmark started to answer on /healthz."""

from __future__ import annotations

import subprocess
import time

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
