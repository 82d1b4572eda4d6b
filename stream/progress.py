"""A one-line progress bar for terminals (and plain lines when output is not a terminal)."""

from __future__ import annotations

from typing import TextIO

__all__ = ["ProgressBar"]


class ProgressBar:
    """Redraws ``label [#####.....] done/total extra`` in place on a terminal."""

    def __init__(self, total: int, stream: TextIO, label: str = "", width: int = 30) -> None:
        self._total = max(total, 1)
        self._stream = stream
        self._label = label
        self._width = width
        self._tty = stream.isatty()
        self._last_tenth = -1

    def update(self, done: int, extra: str = "") -> None:
        fraction = min(done / self._total, 1.0)
        if not self._tty:  # logs and CI: one line per 10 %
            tenth = int(fraction * 10)
            if tenth != self._last_tenth:
                self._last_tenth = tenth
                self._stream.write(f"{self._label} {fraction:4.0%} {done}/{self._total} {extra}\n")
                self._stream.flush()  # a pipe is block-buffered: a reader would see nothing
            return
        filled = int(fraction * self._width)
        bar = "#" * filled + "." * (self._width - filled)
        self._stream.write(f"\r{self._label} [{bar}] {done}/{self._total} {extra}\x1b[K")
        self._stream.flush()

    def close(self) -> None:
        if self._tty:
            self._stream.write("\n")
        self._stream.flush()
