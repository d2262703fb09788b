"""``harvester parse`` over many files: every core works, the output keeps the order given.

The files are parsed by forked worker processes (the parsers are pure, so a fork
shares the imported modules and compiled patterns for free), each writing its
JSON lines to a pipe; this process reads the pipes and writes the lines in the
order of the paths. Files come in batches of bounded total size, so the lines
waiting for their turn never hold more than about one batch's output. Within a
batch the workers take files one at a time from a shared queue, biggest first, so
they finish together however the work or the machine's load falls (a split fixed
in advance left one worker idle for a tenth of the run). The smallest file of a
batch is parsed here before the workers fork, so they inherit its parser already
imported. A file whose line never came (its worker died) is parsed here, so no
file is lost.

Without ``fork`` (or with ``jobs=1``, or for a handful of files) it all runs in
this process.
"""

from __future__ import annotations

import gc
import json
import os
import select
import sys
from collections.abc import Callable, Iterator

from .errors import ParseError

__all__ = ["default_jobs", "parse_file", "parse_files", "write_parsed"]

_BATCH_BYTES = 64 << 20  # input bytes per batch: bounds the buffered output
_BATCH_FILES = 2048
_MIN_PARALLEL_BYTES = 1 << 20  # below this a fork costs more than it saves
_OUTPUT_CHUNK = 1 << 20  # a worker's output buffer, and its pipe's size (Linux's default maximum)


def default_jobs() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def write_parsed(paths: list[str], court: str | None, jobs: int | None) -> None:
    """``harvester parse``: the JSON line of each path to stdout, in the order given."""
    from .parsers import parse_page

    # Bytes, so a non-UTF-8 locale cannot make a court's accented name fatal.
    out = sys.stdout.buffer
    out.flush()  # nothing buffered may be copied into the worker processes
    for line in parse_files(paths, court, parse_page, jobs or default_jobs()):
        out.write(line)
        out.flush()
    # The work is done and written. Frozen, the objects left are not walked again by
    # the garbage collector's passes at the interpreter's exit (~20 ms, a 30th of a
    # corpus run); nothing they hold needs finalising (the output is flushed).
    gc.freeze()


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


# json escapes every control character, so b"\n" ends each line and nothing else.
# A record is a fresh tree of dicts and lists (no cycles): no need to track them.
# (One encoder for every line: json.dumps with options makes a new one each call.)
_to_json = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode


def _line(path: str, court: str | None, parse_page: Callable[..., dict]) -> bytes:
    return (_to_json(parse_file(path, court, parse_page)) + "\n").encode("utf-8")


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
    tasks = _task_pipe(sorted((i for i in batch if i != first), key=lambda i: -sizes[i]))
    workers: dict[int, tuple[int, list[bytes]]] = {}  # read end -> (pid, partial line)
    for _ in range(min(jobs, len(batch) - 1)):
        fd, pid = _fork_worker(paths, tasks, court, parse_page)
        workers[fd] = (pid, [])
    os.close(tasks)
    next_out = batch[0]
    while workers:
        ready, _, _ = select.select(list(workers), [], [])
        for fd in ready:
            pid, partial = workers[fd]
            chunk = os.read(fd, _OUTPUT_CHUNK)
            if not chunk:  # (a line cut short by a dying worker is dropped: its file is redone below)
                os.close(fd)
                os.waitpid(pid, 0)
                del workers[fd]
                continue
            *lines, rest = chunk.split(b"\n")
            if lines:
                lines[0] = b"".join(partial) + lines[0]
                partial.clear()
                for line in lines:
                    index, _, record = line.partition(b"\t")
                    done[int(index)] = record + b"\n"
            if rest:
                partial.append(rest)
        while next_out in done:
            yield done.pop(next_out)
            next_out += 1
    for i in range(next_out, batch[-1] + 1):  # files a worker took and died on, or left
        yield done.pop(i) if i in done else _line(paths[i], court, parse_page)


def _task_pipe(order: list[int]) -> int:
    """The read end of a pipe holding the indices to parse, 4 bytes each, then closed.

    The workers take the next index as each finishes a file, so a worker held up
    (a big file, a busy core) does not leave the other idle. Written whole before
    any worker starts: a batch's indices fit the pipe's buffer (64 KiB on Linux).
    """
    read_fd, write_fd = os.pipe()
    os.write(write_fd, b"".join(i.to_bytes(4, "little") for i in order))
    os.close(write_fd)
    return read_fd


def _output_pipe() -> tuple[int, int]:
    """A pipe for a worker's lines, holding a whole output chunk where the system allows.

    A worker's lines then reach this process in a few big writes, each taken in one
    read, instead of a wake-up of both sides for every 64 KiB (the default pipe
    size): nearly half this process's CPU during a run, taken from the workers' cores.
    """
    read_fd, write_fd = os.pipe()
    try:
        import fcntl

        fcntl.fcntl(write_fd, fcntl.F_SETPIPE_SZ, _OUTPUT_CHUNK)
    except (ImportError, AttributeError, OSError):  # not Linux, or above the system's pipe-max-size
        pass
    return read_fd, write_fd


def _fork_worker(
    paths: list[str], tasks: int, court: str | None, parse_page: Callable[..., dict]
) -> tuple[int, int]:
    """Start a process that parses the files whose indices it reads from ``tasks``,
    writing "index<TAB>line" to a pipe; (read end, pid). Reads of 4 bytes from a
    pipe are whole and go to one reader, so no file is taken twice."""
    read_fd, write_fd = _output_pipe()
    pid = os.fork()
    if pid:
        os.close(write_fd)
        return read_fd, pid
    status = 1
    try:
        os.close(read_fd)
        with os.fdopen(write_fd, "wb", buffering=_OUTPUT_CHUNK) as out:
            while task := os.read(tasks, 4):
                i = int.from_bytes(task, "little")
                out.write(b"%d\t" % i + _line(paths[i], court, parse_page))
        status = 0
    finally:
        os._exit(status)  # never run the parent's cleanup (atexit, buffered stdout) here
