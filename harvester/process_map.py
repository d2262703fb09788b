"""Map a function over items in worker processes, results in the items' order, memory bounded.

For CPU-bound pure work (parsing) beside work that must stay in this process
(writing the database). The workers are started fresh ("spawn"), not forked, so
they inherit no open SQLite connection (SQLite forbids carrying one across a
fork). At most ``ahead`` items per worker are in flight: when this process is the
slower side, the workers wait instead of piling up results, so memory stays flat
however many items there are.

``fn`` and its results must pickle (a module-level function, plain records).
With ``jobs=1`` the map runs in this process.
"""

from __future__ import annotations

import os
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

__all__ = ["ordered_map"]

_PR_SET_PDEATHSIG = 1  # linux/prctl.h

T = TypeVar("T")
R = TypeVar("R")


def ordered_map(
    fn: Callable[[T], R],
    items: Iterable[T],
    jobs: int,
    *,
    initializer: Callable[..., Any] | None = None,
    initargs: tuple = (),
    ahead: int = 4,
) -> Iterator[R]:
    """``fn(item)`` for each item, in order, computed by ``jobs`` worker processes."""
    if jobs <= 1:
        if initializer is not None:
            initializer(*initargs)
        yield from map(fn, items)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    start = (os.getpid(), initializer, initargs)
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_worker, initargs=start) as pool:
        pending: deque = deque()
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) >= jobs * ahead:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _start_worker(parent: int, initializer: Callable[..., Any] | None, initargs: tuple) -> None:
    """Tie the worker's life to this process's, then run the caller's initializer.

    A parent killed outright (SIGKILL, SIGTERM) runs no cleanup; on Linux the
    kernel then stops the worker instead of leaving it waiting forever.
    """
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the worker ends when its queue breaks
        pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
    if initializer is not None:
        initializer(*initargs)
