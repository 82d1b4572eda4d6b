"""``supplyrisk score``: score a JSONL file of events offline, one line per key.

Streams the file in batches (memory grows with the number of keys, not of events),
applies each batch to one :class:`scoring.Engine`, then writes every key's score at
``--as-of`` (default: the latest event time in the input), highest score first. Worker
processes decode batches ahead of the engine (``--jobs``; :mod:`stream.file_batches`):
the scores are the same as with one.
Rejected lines go to stderr as ``line N: reason``; a summary line ends the run.
Exit status: 0 if any line was valid, 1 if none, 2 on usage errors, 130 when interrupted
(Ctrl-C: the decoding processes stop with it, nothing is written).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from config import ConfigError, load_catalogue, load_lexicon, load_scoring_params
from scoring import ApplyResult, Engine
from stream.codec import parse_time
from stream.errors import DecodeError, UsageError
from stream.events import EventDecoder
from stream.file_batches import (
    MIN_PARALLEL_BYTES,
    FileBatch,
    default_jobs,
    parallel_batches,
    serial_batches,
)
from stream.scores import encode_scores

__all__ = ["register", "run"]

DEFAULT_BATCH_SIZE = 20_000


def register(subparsers: Any) -> None:
    """Add the ``score`` subcommand to the ``supplyrisk`` parser."""
    parser = subparsers.add_parser(
        "score",
        help="score a JSONL file of events offline",
        description=(
            "Score a JSONL file of events offline and write one score line per "
            "(company, material), highest first. Rejected lines are reported on stderr."
        ),
    )
    parser.add_argument(
        "--events", required=True, type=Path, metavar="FILE.jsonl", help="one event per line"
    )
    parser.add_argument("--as-of", metavar="TIME", help="RFC 3339 time (default: latest event)")
    parser.add_argument("--out", type=Path, metavar="FILE.jsonl", help="default: stdout")
    parser.add_argument("--config", type=Path, metavar="DIR", help="default: the config package")
    parser.add_argument(
        "--batch-size",
        type=_positive_int,
        default=DEFAULT_BATCH_SIZE,
        metavar="N",
        help=f"events decoded and applied at a time (default: {DEFAULT_BATCH_SIZE})",
    )
    parser.add_argument(
        "--jobs",
        type=_positive_int,
        metavar="N",
        help=(
            "processes decoding ahead of the engine; 1 decodes in this process, as does a "
            "pipe (default: the CPUs available, at most 8; 1 for files under "
            f"{MIN_PARALLEL_BYTES >> 20} MiB)"
        ),
    )
    parser.set_defaults(handler=run)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


@dataclass(slots=True)
class Tally:
    """Counts for the summary line."""

    events: int = 0
    rejected: int = 0
    duplicates: int = 0


def run(args: argparse.Namespace) -> int:
    """Handler of ``supplyrisk score``; returns the exit status."""
    try:
        as_of_s = None if args.as_of is None else _as_of(args.as_of)
        engine, decoder = _setup(args.config)
        handle = _open_events(args.events)
    except (UsageError, ConfigError) as exc:
        print(f"supplyrisk score: error: {exc}", file=sys.stderr)
        return 2
    tally = Tally()
    try:
        with handle:
            for batch in _batches(args, handle, decoder):
                _report(batch, engine.apply(batch.decoded.batch), tally)
    except BrokenProcessPool:
        print("supplyrisk score: error: a decoding process stopped unexpectedly", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("supplyrisk score: interrupted", file=sys.stderr)
        return 130
    if tally.events == tally.rejected:
        print(f"no valid events in {args.events}", file=sys.stderr)
        _summary(0, tally)
        return 1
    table = engine.scores(as_of_s=engine.latest_time_s if as_of_s is None else as_of_s)
    order = np.lexsort((table.material, table.company, -table.score))
    lines_out = encode_scores(table)
    try:
        _write(args.out, (lines_out[i] for i in order.tolist()))
    except OSError as exc:
        print(f"supplyrisk score: error: cannot write {args.out}: {exc.strerror}", file=sys.stderr)
        return 2
    _summary(len(table), tally)
    return 0


def _as_of(text: str) -> float:
    try:
        return parse_time(text)
    except DecodeError:
        raise UsageError(f"--as-of is not an RFC 3339 time: {text!r}") from None


def _setup(config_dir: Path | None) -> tuple[Engine, EventDecoder]:
    if config_dir is not None and not config_dir.is_dir():
        raise UsageError(f"config directory not found: {config_dir}")
    engine = Engine(load_catalogue(config_dir), load_scoring_params(config_dir))
    return engine, EventDecoder(load_lexicon(config_dir))


def _open_events(path: Path) -> IO[bytes]:
    try:
        return path.open("rb")
    except OSError as exc:
        raise UsageError(f"cannot read events file {str(path)!r}: {exc.strerror}") from None


def _batches(
    args: argparse.Namespace, handle: IO[bytes], decoder: EventDecoder
) -> Iterator[FileBatch]:
    """The file's decoded batches: by worker processes when there is work for them."""
    path: Path = args.events
    if path.is_file():  # not a pipe: workers can read their batches at an offset
        jobs = args.jobs
        if jobs is None:
            jobs = default_jobs() if path.stat().st_size >= MIN_PARALLEL_BYTES else 1
        if jobs > 1:
            return parallel_batches(path, args.config, args.batch_size, jobs, decoder)
    return serial_batches(handle, decoder, args.batch_size)


def _report(batch: FileBatch, result: ApplyResult, tally: Tally) -> None:
    """Print rejected lines (edge and engine) and update the tally."""
    # A blank line is skipped, not reported; it is always among the decoder's rejects.
    decoded, blank = batch.decoded, batch.blank
    rejected: dict[int, str] = {}
    for line_no, _event_id, reason in decoded.rejects:
        if line_no not in blank:
            rejected.setdefault(line_no, reason)
    refused = result.rejected
    for kind, index, reason in zip(
        refused.kind.tolist(), refused.index.tolist(), refused.reason.tolist(), strict=True
    ):
        positions = decoded.positions.get(kind)
        if positions is not None and 0 <= index < len(positions):
            rejected.setdefault(int(positions[index]), reason)
    out = sys.stderr
    for line_no in sorted(rejected):
        out.write(f"line {line_no}: {rejected[line_no]}\n")
    tally.events += batch.lines - len(blank)
    tally.rejected += len(rejected)
    tally.duplicates += result.duplicates


def _write(path: Path | None, records: Iterator[bytes]) -> None:
    if path is None:
        _write_to(sys.stdout.buffer if hasattr(sys.stdout, "buffer") else None, records)
        return
    with path.open("wb") as handle:
        _write_to(handle, records)


def _write_to(handle: IO[bytes] | None, records: Iterator[bytes]) -> None:
    if handle is None:  # a text-only stdout (tests capturing text): decode once per line
        for record in records:
            sys.stdout.write(record.decode() + "\n")
        return
    for record in records:
        handle.write(record + b"\n")
    handle.flush()


def _summary(keys: int, tally: Tally) -> None:
    print(
        f"scored {keys} keys from {tally.events} events; {tally.rejected} rejected; "
        f"{tally.duplicates} duplicates",
        file=sys.stderr,
    )
