"""Training work in forked processes (agent.training.workers): results come back in order, a worker's error
reaches the caller, and what a worker writes into a shared array the parent sees."""

import os

import numpy as np
import pytest

from salesrl.agent.training.workers import can_fork, fork_map, shared_zeros, start_forked

pytestmark = pytest.mark.skipif(not can_fork(), reason="needs fork")


def test_fork_map_runs_a_closure_in_other_processes_and_keeps_the_order():
    offset = 10
    results = fork_map(lambda i: (i + offset, os.getpid()), list(range(6)), workers=2)
    assert [r for r, _ in results] == list(range(10, 16))
    assert os.getpid() not in {pid for _, pid in results}


def test_workers_write_into_a_shared_array():
    out = shared_zeros((4, 3))

    def fill(i: int) -> None:
        out[i] = i + 1

    fork_map(fill, [0, 1, 2, 3], workers=2)
    np.testing.assert_array_equal(out[:, 0], [1, 2, 3, 4])


def test_a_job_beside_the_work_returns_its_result_or_its_error():
    pending = start_forked(lambda: os.getpid())
    assert pending() != os.getpid()

    def fail() -> None:
        raise ValueError("bad line 3")

    pending = start_forked(fail)
    with pytest.raises(ValueError, match="bad line 3"):
        pending()
    assert fork_map(lambda i: i * 2, [1, 2], workers=2) == [2, 4]  # the slot is free again


def test_fork_map_does_not_run_while_a_job_is_pending():
    pending = start_forked(lambda: 1)
    with pytest.raises(RuntimeError, match="does not nest"):
        fork_map(lambda i: i, [1, 2], workers=2)
    assert pending() == 1
