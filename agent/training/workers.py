"""Training work split over forked processes, one a core.

The parts of training that are Python turn by turn (building the states, fitting the lexical score) use one
core; the machine may have more. `fork_map(fn, items)` runs `fn` on each item in forked workers, which inherit
everything `fn` refers to, so only the items and the results are pickled; `fn` may be a closure. `start_forked(fn)`
runs one such job beside the rest of the work. An array from
`shared_zeros` is shared with the workers, so they can write their parts of a large result straight into it.
"""

from __future__ import annotations

import mmap
import multiprocessing as mp
import os
from contextlib import contextmanager
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Callable, Iterator, Sequence

import numpy as np

_TASK: Callable[[Any], Any] | None = None  # what the forked workers run: set just before they start


def cores() -> int:
    return os.cpu_count() or 1


def can_fork() -> bool:
    return "fork" in mp.get_all_start_methods()


def fork_map(fn: Callable[[Any], Any], items: Sequence[Any], workers: int | None = None) -> list:
    """[fn(item) for item in items], in `workers` forked processes (default: one a core); in this process when
    there is one worker, one item, or no fork. A worker's error is raised here."""
    workers = min(workers or cores(), len(items))
    if workers <= 1 or not can_fork():
        return [fn(item) for item in items]
    _claim(fn)
    try:
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as pool:
            return list(pool.map(_run, items))
    finally:
        _release()


def start_forked(fn: Callable[[], Any]) -> Callable[[], Any]:
    """Starts fn() in a forked process now, beside whatever this process does next; returns a function that
    waits for its result (and raises its error). Without fork, fn() runs when that function is called. No
    fork_map may run until the result is taken."""
    if not can_fork():
        return fn
    _claim(lambda _: fn())
    pool = ProcessPoolExecutor(1, mp_context=mp.get_context("fork"))
    try:
        future = pool.submit(_run, None)  # forks here, while _TASK is set
    except BaseException:
        pool.shutdown()
        _release()
        raise

    def result() -> Any:
        try:
            return future.result()
        finally:
            pool.shutdown()
            _release()

    return result


def _claim(task: Callable[[Any], Any]) -> None:
    global _TASK
    if _TASK is not None:
        raise RuntimeError("fork_map does not nest")
    _TASK = task


def _release() -> None:
    global _TASK
    _TASK = None


def _run(item: Any) -> Any:
    """In a worker: one thread for every native thread pool (OpenMP, BLAS). A worker is one core's share, and
    GNU OpenMP cannot start threads in a process forked from one that already ran them."""
    from threadpoolctl import threadpool_limits

    assert _TASK is not None
    with threadpool_limits(1):
        return _TASK(item)


def shared_zeros(shape: tuple[int, ...], dtype: Any = np.float32) -> np.ndarray:
    """A zero array in memory that processes forked after it share: what a worker writes, the parent sees."""
    dtype = np.dtype(dtype)
    n = int(np.prod(shape))
    return np.frombuffer(mmap.mmap(-1, max(1, n * dtype.itemsize)), dtype=dtype, count=n).reshape(shape)


@contextmanager
def one_torch_thread_each() -> Iterator[None]:
    """Torch on one thread in this process, for work that shares the cores with other threads or a forked job."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
