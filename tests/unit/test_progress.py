"""The replay's progress: redrawn in place on a terminal, a flushed line per 10 % elsewhere."""

from __future__ import annotations

import io

from stream.progress import ProgressBar


class Pipe(io.StringIO):
    """Not a terminal; records what a reader at the other end has been given."""

    def __init__(self) -> None:
        super().__init__()
        self.delivered = ""

    def isatty(self) -> bool:
        return False

    def flush(self) -> None:
        self.delivered = self.getvalue()


class Terminal(Pipe):
    def isatty(self) -> bool:
        return True


def test_off_a_terminal_each_tenth_is_a_line_given_to_the_reader_at_once() -> None:
    pipe = Pipe()
    bar = ProgressBar(200, pipe, label="replay")
    for done in range(0, 201, 5):
        bar.update(done)
        assert pipe.delivered == pipe.getvalue()  # nothing waits in a buffer
    lines = pipe.getvalue().splitlines()
    assert [line.split()[1] for line in lines] == [f"{10 * i}%" for i in range(11)]
    assert lines[-1].startswith("replay 100% 200/200")


def test_on_a_terminal_the_line_is_redrawn_in_place() -> None:
    terminal = Terminal()
    bar = ProgressBar(4, terminal, label="replay", width=4)
    bar.update(2)
    bar.update(4)
    bar.close()
    assert terminal.getvalue().count("\r") == 2
    assert "[####] 4/4" in terminal.delivered
    assert terminal.delivered.endswith("\n")
