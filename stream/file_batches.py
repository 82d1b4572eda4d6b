"""Decoded batches of lines of an events file, for ``supplyrisk score``: decoded in this
process, or by worker processes ahead of the engine, in file order either way.

Decoding costs about three times what the engine does per event (docs/PERFORMANCE.md),
and the batches of a file decode independently of each other. With ``jobs`` > 1 this
process reads the file once, block by block, only to find its newlines (numpy), and cuts
it into batches of ``size`` whole lines by byte offset. Each worker process reads its
batch's bytes from the file itself and returns the decoded columns, so no line crosses
the process boundary. The batches hold the same lines as a serial run's and are handed
over in file order, so the engine applies exactly what it would have applied serially
and the scores are the same to the last bit. At most ``jobs + 1`` batches are decoded
ahead by the workers, and while they start (~0.2-0.3 s, importing the decoder) this
process decodes up to ``START_UP_BATCHES`` of the batches after theirs: memory is bounded
by the batch size, not the file's length.
"""

from __future__ import annotations

import io
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import IO

import numpy as np

from config import load_lexicon
from stream.events import DecodedBatch, EventDecoder

__all__ = [
    "FileBatch",
    "Span",
    "default_jobs",
    "line_spans",
    "parallel_batches",
    "serial_batches",
]

_BLOCK_BYTES = 1 << 22
# Below this size a file is decoded in this process when the number of jobs is left to
# the default: starting the worker processes (0.15-0.2 s measured) would cost more than
# they save.
MIN_PARALLEL_BYTES = 8 << 20
_MAX_DEFAULT_JOBS = 8
# Batches decoded in this process while the workers start, at most (memory: ~3 MB each
# for 20k lines of the benchmark's events).
START_UP_BATCHES = 8


@dataclass(frozen=True, slots=True)
class FileBatch:
    """A decoded batch, its number of lines, and the numbers of its blank lines (which
    the decoder rejects and the command skips without reporting)."""

    decoded: DecodedBatch
    lines: int
    blank: frozenset[int]


@dataclass(frozen=True, slots=True)
class Span:
    """Whole lines of a file: bytes ``[start, end)``, the first of them numbered
    ``first_line`` (from 1)."""

    start: int
    end: int
    first_line: int


def default_jobs() -> int:
    """Worker processes by default: the CPUs this process may run on (at most 8)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, _MAX_DEFAULT_JOBS))


def _batch(decoded: DecodedBatch, lines: list[bytes], first_line: int) -> FileBatch:
    blank = (
        frozenset(first_line + i for i, line in enumerate(lines) if not line.strip())
        if decoded.rejects
        else frozenset()
    )
    return FileBatch(decoded, len(lines), blank)


def serial_batches(handle: IO[bytes], decoder: EventDecoder, size: int) -> Iterator[FileBatch]:
    """Batches of ``size`` lines of ``handle``, decoded in this process."""
    first_line = 1
    while lines := list(islice(handle, size)):
        yield _batch(decoder.decode(lines, first_line), lines, first_line)
        first_line += len(lines)


def line_spans(handle: IO[bytes], size: int, block_bytes: int = _BLOCK_BYTES) -> Iterator[Span]:
    """Spans of ``size`` lines each (the last may hold fewer), lines as iterating the
    file gives them: each ends with its newline, a last one may have none.

    >>> [(s.start, s.end, s.first_line) for s in line_spans(io.BytesIO(b"a\\nbb\\n\\nc"), 2, 3)]
    [(0, 5, 1), (5, 7, 3)]
    """
    first_line, start, offset, pending = 1, 0, 0, 0  # pending: whole lines since start
    while block := handle.read(block_bytes):
        ends = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == ord("\n")) + offset + 1
        taken = 0
        while len(ends) - taken >= size - pending:
            taken += size - pending
            end = int(ends[taken - 1])
            yield Span(start, end, first_line)
            start, first_line, pending = end, first_line + size, 0
        pending += len(ends) - taken
        offset += len(block)
    if offset > start:
        yield Span(start, offset, first_line)


# The decoder of a worker process, made once by its initializer.
_worker_decoder: EventDecoder | None = None


def _start_worker(config_dir: Path | None) -> None:
    global _worker_decoder  # noqa: PLW0603 - one decoder per worker process
    _worker_decoder = EventDecoder(load_lexicon(config_dir))


def _decode_span(path: str, span: Span) -> FileBatch:
    """In a worker process: read and decode the lines of ``span``."""
    assert _worker_decoder is not None, "the pool's initializer makes it"  # noqa: S101
    return decode_span(_worker_decoder, path, span)


def decode_span(decoder: EventDecoder, path: str, span: Span) -> FileBatch:
    """Read and decode the lines of ``span`` of the file at ``path``."""
    with open(path, "rb") as handle:  # noqa: PTH123 - one read at an offset
        handle.seek(span.start)
        data = handle.read(span.end - span.start)
    lines = list(io.BytesIO(data))  # split as iterating the file splits it
    return _batch(decoder.decode(lines, span.first_line), lines, span.first_line)


def _context() -> multiprocessing.context.BaseContext:
    """Fork server where the platform has one (workers fork from a process that already
    imported the decoder), else spawn; never a bare fork of this possibly threaded one."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
        return context
    return multiprocessing.get_context("spawn")


def parallel_batches(
    path: Path, config_dir: Path | None, size: int, jobs: int, decoder: EventDecoder
) -> Iterator[FileBatch]:
    """Batches of ``size`` lines of the file at ``path``, decoded by ``jobs`` worker
    processes (with the lexicon of ``config_dir``) and yielded in file order; while the
    workers start, ``decoder`` decodes batches in this process (:func:`in_file_order`).

    A worker that dies raises ``concurrent.futures.process.BrokenProcessPool``.
    """
    with (
        path.open("rb") as handle,
        ProcessPoolExecutor(
            jobs, mp_context=_context(), initializer=_start_worker, initargs=(config_dir,)
        ) as pool,
    ):
        yield from in_file_order(
            line_spans(handle, size),
            lambda span: pool.submit(_decode_span, str(path), span),
            lambda span: decode_span(decoder, str(path), span),
            jobs,
        )


def in_file_order(
    spans: Iterable[Span],
    submit: Callable[[Span], Future[FileBatch]],
    decode_here: Callable[[Span], FileBatch],
    jobs: int,
) -> Iterator[FileBatch]:
    """The batches of ``spans`` in order, ``jobs + 1`` of them in flight in the workers.

    Until a worker has delivered its first batch (the workers start in ~0.2 s, while a
    core is free), the spans after those handed to the workers are decoded here instead,
    at most ``START_UP_BATCHES`` of them, and kept until their turn.

    >>> def submit(span):  # a worker that has delivered already
    ...     future = Future()
    ...     future.set_result(f"worker {span}")
    ...     return future
    >>> list(in_file_order(range(4), submit, lambda span: f"here {span}", jobs=1))
    ['worker 0', 'worker 1', 'worker 2', 'worker 3']
    """
    pending: deque[Future[FileBatch] | FileBatch] = deque()
    starting = True
    try:
        for span in spans:
            futures = [p for p in pending if isinstance(p, Future)]  # at most jobs + 1
            if starting:
                delivered = any(f.done() for f in futures)
                starting = not delivered and len(pending) - len(futures) < START_UP_BATCHES
            if starting and len(futures) > jobs:
                pending.append(decode_here(span))
                continue
            in_flight = len(futures)
            while in_flight > jobs:  # the workers have all they may: wait for the first
                head = pending.popleft()
                in_flight -= isinstance(head, Future)
                yield _ready(head)
            pending.append(submit(span))
        while pending:
            yield _ready(pending.popleft())
    finally:
        for future in pending:  # stopped early: decode nothing more
            if isinstance(future, Future):
                future.cancel()


def _ready(item: Future[FileBatch] | FileBatch) -> FileBatch:
    """The batch, waiting for it when a worker is still decoding it."""
    return item.result() if isinstance(item, Future) else item
