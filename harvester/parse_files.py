"""``harvester parse`` over many files: every core works, the output keeps the order given.

The files are parsed by forked worker processes (the parsers are pure, so a fork
shares the imported modules and compiled patterns for free), each writing its
JSON lines to a pipe; this process reads the pipes and writes the lines in the
order of the paths. Files come in batches of bounded total size, so the lines
waiting for their turn never hold more than about one batch's output. Within a
batch each worker gets about the same number of bytes (parse time follows page
size). The smallest file of a batch is parsed here before the workers fork, so they
inherit its parser already imported. A worker that dies leaves its files to this
process, which parses them itself, so no file is lost.

Without ``fork`` (or with ``jobs=1``, or for a handful of files) it all runs in
this process.
"""

from __future__ import annotations

import json
import os
import select
from collections.abc import Callable, Iterator

from .errors import ParseError

__all__ = ["default_jobs", "parse_file", "parse_files"]

_BATCH_BYTES = 64 << 20  # input bytes per batch: bounds the buffered output
_BATCH_FILES = 2048
_MIN_PARALLEL_BYTES = 1 << 20  # below this a fork costs more than it saves


def default_jobs() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def parse_file(path: str, court: str | None, parse_page: Callable[..., dict]) -> dict:
    """The output record of one file: ``source``, ``kind`` and fields, or ``error``."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        return {"source": path, "kind": "unreadable", "error": f"cannot read file: {exc.strerror or exc}"}
    try:
        record = parse_page(data, court_id=court)
    except ParseError as exc:
        return {"source": path, "kind": getattr(exc, "kind", "unknown"), "error": str(exc)}
    except Exception as exc:  # a parser bug must not stop the other files
        return {"source": path, "kind": "unknown", "error": f"parser failure: {type(exc).__name__}: {exc}"}
    return {"source": path, **record}


def _line(path: str, court: str | None, parse_page: Callable[..., dict]) -> bytes:
    # json escapes every control character, so b"\n" ends each line and nothing else.
    return (json.dumps(parse_file(path, court, parse_page), ensure_ascii=False) + "\n").encode("utf-8")


def parse_files(
    paths: list[str], court: str | None, parse_page: Callable[..., dict], jobs: int
) -> Iterator[bytes]:
    """The JSON line (UTF-8, newline-terminated) of each path, in the order of ``paths``."""
    sizes = [_size(p) for p in paths]
    start = 0
    while start < len(paths):
        end, total = start, 0
        while end < len(paths) and end - start < _BATCH_FILES and (total < _BATCH_BYTES or end == start):
            total += sizes[end]
            end += 1
        batch = list(range(start, end))
        if jobs > 1 and hasattr(os, "fork") and len(batch) > 1 and total >= _MIN_PARALLEL_BYTES:
            yield from _parallel(paths, sizes, batch, court, parse_page, jobs)
        else:
            for i in batch:
                yield _line(paths[i], court, parse_page)
        start = end


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _shares(sizes: list[int], batch: list[int], jobs: int) -> list[list[int]]:
    """Split ``batch`` into ``jobs`` shares of about equal bytes, each in path order."""
    shares: list[list[int]] = [[] for _ in range(min(jobs, len(batch)))]
    loads = [0] * len(shares)
    for i in sorted(batch, key=lambda i: -sizes[i]):  # biggest first onto the lightest share
        k = loads.index(min(loads))
        shares[k].append(i)
        loads[k] += sizes[i] + 4096  # a file costs something however small
    return [sorted(share) for share in shares]


def _parallel(
    paths: list[str],
    sizes: list[int],
    batch: list[int],
    court: str | None,
    parse_page: Callable[..., dict],
    jobs: int,
) -> Iterator[bytes]:
    # The smallest file is parsed here before forking: its parser module is then
    # imported once, here, instead of once in every worker.
    first = min(batch, key=sizes.__getitem__)
    done: dict[int, bytes] = {first: _line(paths[first], court, parse_page)}
    workers: dict[int, tuple[int, list[int], list[bytes]]] = {}  # fd -> (pid, share, partial line)
    for share in _shares(sizes, [i for i in batch if i != first], jobs):
        fd, pid = _fork_worker(paths, share, court, parse_page)
        workers[fd] = (pid, share, [])
    position = {fd: 0 for fd in workers}
    next_out = batch[0]
    while workers:
        ready, _, _ = select.select(list(workers), [], [])
        for fd in ready:
            pid, share, partial = workers[fd]
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                os.close(fd)
                os.waitpid(pid, 0)
                del workers[fd]
                for i in share[position[fd] :]:  # a worker that died: parse its rest here
                    done[i] = _line(paths[i], court, parse_page)
                continue
            *lines, rest = chunk.split(b"\n")
            if lines:
                lines[0] = b"".join(partial) + lines[0]
                partial.clear()
                for line in lines:
                    done[share[position[fd]]] = line + b"\n"
                    position[fd] += 1
            if rest:
                partial.append(rest)
        while next_out in done:
            yield done.pop(next_out)
            next_out += 1
    while next_out in done:
        yield done.pop(next_out)
        next_out += 1


def _fork_worker(
    paths: list[str], share: list[int], court: str | None, parse_page: Callable[..., dict]
) -> tuple[int, int]:
    """Start a process that writes the lines of ``share`` to a pipe; (read end, pid)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write_fd)
        return read_fd, pid
    status = 1
    try:
        os.close(read_fd)
        with os.fdopen(write_fd, "wb", buffering=1 << 16) as out:
            for i in share:
                out.write(_line(paths[i], court, parse_page))
        status = 0
    finally:
        os._exit(status)  # never run the parent's cleanup (atexit, buffered stdout) here
