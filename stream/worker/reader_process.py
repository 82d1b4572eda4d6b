"""Fetching and decoding the partitioned inputs in a process of their own.

A worker under load is bound by one core: aiokafka's fetch and decoding took about two
thirds of its time with 20k keys, scoring and publishing the rest (docs/PERFORMANCE.md).
With ``reader_process`` on (the default), a child process runs the worker's
:class:`~stream.worker.inputs.InputReader`: it fetches, decodes each fetch into the
core's columns (``Scorer.prepare_fetch``) and sends the prepared batches through a pipe,
each partition's records packed in a :class:`~stream.worker.record_block.RecordBlock` so
that refused and misplaced records can still be dead-lettered or forwarded byte for byte.
The worker's process keeps the group, the states, the home-partition check
(``Scorer.send_home``), scoring, publishing, saving and the web server, and handles only
what the child sends.

- **Assignments.** Every assignment is sent to the child with its generation; the child
  applies it between two fetches and tags each fetch with the generation it was made in.
  The worker drops a fetch of an earlier generation: it was made before the child was
  pointed at the states' new positions, and the child reads those records again.
- **Pace.** The child fetches only when the worker asks for a fetch. The worker asks
  when it wants the next one to handle, and, when the fetch it takes is full (a
  backlog), for two ahead: the child then fetches and decodes while the worker handles.
  A child fetching at its own pace sent small fetches faster than the worker could pay
  their fixed costs at 10k events/s, and records waited behind them
  (docs/PERFORMANCE.md).
- **Memory.** At most four fetches exist at once (one being fetched, one in the pipe,
  one received, one handled), each at most ``batch_max_events`` records.
- **Failures.** The child exits when the worker stops it, closes the pipe, or dies
  (SIGKILL included: the child reads end of file on its command pipe, or a broken pipe
  when it sends). If the child dies, the worker's next fetch raises
  :class:`ReaderProcessError`, which stops the worker: its partitions go to the rest of
  the group, as for any crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import logging
import multiprocessing
import signal
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from aiokafka import TopicPartition

from config.settings import Settings
from stream.errors import StreamError
from stream.worker.inputs import IDLE_S, WAIT_MS, Fetch, InputReader, Positions
from stream.worker.prepared import Prepared
from stream.worker.scorer import Scorer

__all__ = ["ProcessReader", "ReaderProcessError"]

log = logging.getLogger(__name__)

# How long the child's fetch waits for records when none are buffered: how late it may
# see a new assignment while its partitions are idle.
_CHILD_WAIT_MS = 100
_STOP_S = 10.0
_LOG_FORMAT = "[%(asctime)s] [%(process)d] [%(levelname)s] reader: %(message)s"

# What crosses the pipe: the generation, the prepared batches, the high watermarks.
_Message = tuple[int, dict[TopicPartition, Prepared], dict[TopicPartition, int | None]]
# What the worker tells the child: (_ASSIGN, generation, positions), _MORE, _STOP.
_ASSIGN, _MORE, _STOP = "assign", ("more",), ("stop",)
# Fetches asked ahead of the one handled while behind: the next is then received, and the
# one after fetched and decoded, while a fetch is handled.
_AHEAD = 2


class ReaderProcessError(StreamError):
    """The reader process exited while the worker still needed it."""


class ProcessReader:
    """The worker's side of the reader process (the runtime's :class:`Inputs`)."""

    def __init__(self, settings: Settings, bootstrap: str, scorer: Scorer) -> None:
        """``scorer`` takes the misplaced rows out of each received batch
        (``Scorer.send_home``): that check needs no record bytes, and the worker's
        process has more time to spare than the reader's."""
        self._settings = settings
        self._bootstrap = bootstrap
        self._scorer = scorer
        self._full = settings.worker.batch_max_events
        self._process: BaseProcess | None = None
        self._commands: Connection | None = None
        self._fetches: Connection | None = None
        self._receiving: asyncio.Future[_Message] | None = None
        self._asked = 0  # fetches asked of the child and not taken yet
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="supplyrisk-reader")
        self._highwaters: dict[TopicPartition, int | None] = {}
        self._stopping = False
        self.generation = 0

    async def start(self) -> None:
        context = multiprocessing.get_context("spawn")
        commands_in, commands_out = context.Pipe(duplex=False)
        fetches_in, fetches_out = context.Pipe(duplex=False)
        process = context.Process(
            target=_main,
            name="supplyrisk-reader",
            args=(self._settings, self._bootstrap, commands_in, fetches_out, _log_level()),
            daemon=True,
        )  # fmt: skip
        process.start()
        commands_in.close()  # the child's ends: the child's exit then closes the pipes
        fetches_out.close()
        self._process, self._commands, self._fetches = process, commands_out, fetches_in
        log.info("reader process %d started", process.pid)

    async def stop(self) -> None:
        """Stop the child (waiting up to ten seconds before killing it)."""
        self._stopping = True
        process, commands = self._process, self._commands
        if process is None or commands is None:
            self._thread.shutdown(wait=False)
            return
        with contextlib.suppress(OSError):
            commands.send(_STOP)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, process.join, _STOP_S)
        if process.is_alive():
            log.warning("reader process %d did not stop: killed", process.pid)
            process.kill()
            await loop.run_in_executor(None, process.join)
        if self._receiving is not None:  # ended by the child's exit
            with contextlib.suppress(EOFError, OSError, ReaderProcessError):
                await self._receiving
        commands.close()
        if self._fetches is not None:
            self._fetches.close()
        self._thread.shutdown(wait=False)

    async def assign(self, positions: Positions) -> None:
        self.generation += 1
        held = {TopicPartition(tp.topic, tp.partition) for tp in positions}
        self._highwaters = {tp: h for tp, h in self._highwaters.items() if tp in held}
        assert self._commands is not None, "start() first"  # noqa: S101 - programming error
        self._commands.send((_ASSIGN, self.generation, dict(positions)))

    async def rewind(self) -> None:
        """Nothing to do: the child was given the new positions with the new generation,
        and a fetch of an earlier one never moved them."""

    async def fetch(self) -> tuple[int, dict[Any, Prepared]]:
        """The next fetch the child sent, waiting up to a second for it (the runtime's
        periodic work runs between fetches, also empty ones); after a full fetch, the
        next ones are fetched and received meanwhile."""
        if self._fetches is None or self._stopping:
            await asyncio.sleep(IDLE_S)
            return self.generation, {}
        if not self._asked:
            self._ask()
        if self._receiving is None:
            self._receiving = self._receive()
        done, _ = await asyncio.wait((self._receiving,), timeout=WAIT_MS / 1000)
        if not done:
            return self.generation, {}
        receiving, self._receiving = self._receiving, None
        try:
            generation, prepared, highwaters = receiving.result()
        except (EOFError, OSError) as error:
            if self._stopping:
                return self.generation, {}
            raise ReaderProcessError(self._death()) from error
        self._asked -= 1
        if sum(len(p.records) for p in prepared.values()) >= self._full:  # behind
            while self._asked < _AHEAD:
                self._ask()
            self._receiving = self._receive()
        self._highwaters.update(highwaters)
        return generation, {tp: self._scorer.send_home(p) for tp, p in prepared.items()}

    def _ask(self) -> None:
        """Ask the child for one more fetch."""
        assert self._commands is not None  # noqa: S101 - started
        self._commands.send(_MORE)
        self._asked += 1

    def _receive(self) -> asyncio.Future[_Message]:
        """Receive the next fetch the child sends, in a thread."""
        assert self._fetches is not None  # noqa: S101 - started
        return asyncio.get_running_loop().run_in_executor(self._thread, self._fetches.recv)

    def _death(self) -> str:
        process = self._process
        code = None if process is None else process.exitcode
        return f"the reader process exited (exit code {code}); the worker stops"

    def highwater(self, tp: TopicPartition) -> int | None:
        return self._highwaters.get(TopicPartition(tp.topic, tp.partition))


def _log_level() -> int:
    """The worker's log level (``--loglevel``), for the child's log lines."""
    return logging.getLogger().getEffectiveLevel()


def _main(
    settings: Settings, bootstrap: str, commands: Connection, fetches: Connection, level: int
) -> None:
    """The child: fetch, decode and send until told to stop or the worker is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the worker, which stops it
    _reuse_freed_memory()
    logging.basicConfig(level=level, format=_LOG_FORMAT)
    with contextlib.suppress(EOFError, BrokenPipeError, ConnectionResetError):  # worker gone
        asyncio.run(_serve(settings, bootstrap, commands, fetches))


async def _serve(
    settings: Settings, bootstrap: str, commands: Connection, fetches: Connection
) -> None:
    scorer = Scorer.for_settings(settings, lambda: 0.0)  # decodes only: no clock read

    def prepare(fetch: Fetch) -> dict[Any, Prepared]:
        return {tp: p.packed() for tp, p in scorer.prepare_fetch(fetch, homes=False).items()}

    reader = InputReader.for_worker(settings, bootstrap, prepare, wait_ms=_CHILD_WAIT_MS)
    await reader.start()
    loop, sending, generation, wanted = asyncio.get_running_loop(), None, 0, 0
    try:
        while True:
            while commands.poll():  # end of file: recv() raises EOFError
                command = commands.recv()
                if command[0] == _STOP[0]:
                    return
                if command[0] == _MORE[0]:
                    wanted += 1
                    continue
                _, generation, positions = command
                await reader.assign(positions)
            if not wanted:
                await _readable(commands)
                continue
            _, prepared = await reader.fetch()  # one loop: no assignment during a fetch
            if not prepared:
                continue
            wanted -= 1
            highwaters = {tp: reader.highwater(tp) for tp in reader.partitions}
            if sending is not None:
                await sending  # the worker took the previous fetch
            message: _Message = (generation, prepared, highwaters)
            sending = loop.run_in_executor(None, fetches.send, message)
    finally:
        if sending is not None:
            with contextlib.suppress(OSError):
                await sending
        await reader.stop()


async def _readable(connection: Connection) -> None:
    """Wait until ``connection`` has something to read (or its end of file)."""
    loop, fd = asyncio.get_running_loop(), connection.fileno()
    ready: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(fd, wake)
    try:
        await ready
    finally:
        loop.remove_reader(fd)


# glibc's mallopt parameters, and the values set in the child.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_MMAP_ABOVE, _TRIM_ABOVE = 64 << 20, 128 << 20


def _reuse_freed_memory() -> None:
    """Have the C allocator keep freed memory below 64 MB in the heap, at most 128 MB of
    it unused: a fetch's pickle (one to a few MB) was otherwise mapped fresh each time,
    and its page faults made pickling it six times slower (docs/PERFORMANCE.md). Nothing
    changes where the C library is not glibc."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_ABOVE)
        libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_ABOVE)
    except (OSError, AttributeError):  # not glibc
        log.debug("mallopt is not available")
