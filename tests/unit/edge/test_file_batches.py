"""Batches of an events file decoded by worker processes: the same lines, the same
decoding and the same scores as decoding them in this process."""

from __future__ import annotations

import io
from collections.abc import Iterator
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from pathlib import Path
from typing import Any
from unittest import mock

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stream.cli import main
from stream.file_batches import START_UP_BATCHES, FileBatch, in_file_order, line_spans
from tests.unit.edge.conftest import LICENCE, NEWS, PROFILE, SHIPMENT, event

_LINE = st.lists(st.sampled_from([b"a", b"\n", b"\r", b" ", b"{}"]), max_size=8).map(b"".join)


@settings(max_examples=300, deadline=None)
@given(
    data=st.lists(_LINE, max_size=30).map(b"".join),
    size=st.integers(1, 7),
    block_bytes=st.integers(1, 40),
)
def test_spans_hold_the_lines_of_iterating_the_file(
    data: bytes, size: int, block_bytes: int
) -> None:
    expected, handle = [], io.BytesIO(data)
    while lines := list(islice(handle, size)):
        expected.append(lines)
    spans = list(line_spans(io.BytesIO(data), size, block_bytes))
    assert [list(io.BytesIO(data[s.start : s.end])) for s in spans] == expected
    assert [s.first_line for s in spans] == [1 + size * i for i in range(len(expected))]


class _Worker(Future[Any]):
    """A worker's batch: delivered when it is asked for, unless delivered before."""

    def __init__(self, span: int) -> None:
        super().__init__()
        self.span = span

    def result(self, timeout: float | None = None) -> Any:
        if not self.done():
            self.set_result(f"worker {self.span}")
        return super().result(timeout)


def _in_order(spans: int, jobs: int, delivered_at: int | None) -> tuple[list[Any], list[int]]:
    """The batches in_file_order yields, and the spans decoded here; the first worker
    delivers while this process decodes span ``delivered_at``. Checks the bound on the
    batches in flight in the workers at every hand-over."""
    workers: dict[int, _Worker] = {}
    here: list[int] = []
    out: list[Any] = []

    def submit(span: int) -> _Worker:
        taken = sum(1 for batch in out if batch.startswith("worker"))
        assert len(workers) - taken < jobs + 1  # in flight once this one is
        workers[span] = _Worker(span)
        return workers[span]

    def decode_here(span: int) -> str:
        if span == delivered_at:
            workers[0].result()
        here.append(span)
        return f"here {span}"

    out.extend(in_file_order(range(spans), submit, decode_here, jobs))  # type: ignore[arg-type]
    return out, here


def test_spans_are_decoded_here_until_a_worker_delivers() -> None:
    out, here = _in_order(30, jobs=2, delivered_at=None)
    assert here == list(range(3, 3 + START_UP_BATCHES))
    assert out == [f"{'here' if s in here else 'worker'} {s}" for s in range(30)]
    out, here = _in_order(30, jobs=2, delivered_at=4)
    assert here == [3, 4]
    assert out == [f"{'here' if s in here else 'worker'} {s}" for s in range(30)]
    out, here = _in_order(2, jobs=3, delivered_at=None)  # fewer spans than workers
    assert (out, here) == (["worker 0", "worker 1"], [])


def _mixed_file(path: Path) -> Path:
    """Good events of every kind with bad, blank, duplicate and CRLF lines among them,
    the last line without a newline."""
    rows: list[bytes] = []
    for i in range(400):
        company = f"Firm {i % 37}"
        rows.append(orjson.dumps(event("shipment", event_id=f"s-{i}", company=company)))
        if i % 11 == 0:
            rows.append(orjson.dumps(event("licence_decision", event_id=f"l-{i}", company=company)))
        if i % 13 == 0:
            rows.append(b'{"type": "shipment", "event_id": ')  # cut short
        if i % 17 == 0:
            rows.append(orjson.dumps(event("shipment", event_id=f"x-{i}", material="Xx")))
        if i % 19 == 0:
            rows.extend([b"", b"  \t", rows[-1]])  # blank lines, a duplicate
        if i % 23 == 0:
            rows.append(orjson.dumps(PROFILE | {"event_id": f"p-{i}"}) + b"\r")
    rows += [orjson.dumps(NEWS), orjson.dumps(LICENCE), orjson.dumps(SHIPMENT)]
    path.write_bytes(b"\n".join(rows))
    return path


def _score(events: Path, out: Path, *options: str) -> tuple[int, bytes, str]:
    with mock.patch("sys.stderr", new=io.StringIO()) as err:
        code = main(["score", "--events", str(events), "--out", str(out), *options])
    return code, out.read_bytes() if out.exists() else b"", err.getvalue()


def test_worker_processes_score_as_this_process_does(tmp_path: Path) -> None:
    events = _mixed_file(tmp_path / "in.jsonl")
    serial = _score(events, tmp_path / "one.jsonl", "--jobs", "1", "--batch-size", "97")
    parallel = _score(events, tmp_path / "three.jsonl", "--jobs", "3", "--batch-size", "97")
    assert serial[0] == 0
    assert "rejected" in serial[2]
    assert serial[2].count("\nline ") > 20
    assert parallel == serial


def test_small_files_are_decoded_in_this_process(tmp_path: Path) -> None:
    events = _mixed_file(tmp_path / "in.jsonl")
    with mock.patch("stream.commands.score.parallel_batches") as parallel:
        code, _, _ = _score(events, tmp_path / "out.jsonl")
    assert code == 0
    parallel.assert_not_called()


def test_a_dead_decoding_process_is_an_error(tmp_path: Path) -> None:
    def broken(*_args: object) -> Iterator[FileBatch]:
        raise BrokenProcessPool("a process in the pool was terminated abruptly")
        yield  # a generator, as the real one

    events = _mixed_file(tmp_path / "in.jsonl")
    with mock.patch("stream.commands.score.parallel_batches", broken):
        code, out, err = _score(events, tmp_path / "out.jsonl", "--jobs", "2")
    assert code == 2
    assert "a decoding process stopped unexpectedly" in err
    assert out == b""


def test_ctrl_c_stops_quietly(tmp_path: Path) -> None:
    events = _mixed_file(tmp_path / "in.jsonl")
    with mock.patch("stream.commands.score.Engine.apply", side_effect=KeyboardInterrupt):
        code, out, err = _score(events, tmp_path / "out.jsonl", "--jobs", "2")
    assert code == 130
    assert err == "supplyrisk score: interrupted\n"
    assert out == b""


@pytest.mark.parametrize("jobs", ["0", "-1", "two"])
def test_bad_jobs_is_an_argparse_error(jobs: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["score", "--events", "x.jsonl", "--jobs", jobs])
    assert exit_info.value.code == 2
    assert "--jobs" in capsys.readouterr().err
