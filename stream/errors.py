"""The stream package's exceptions: one root, specific subclasses."""

from __future__ import annotations

__all__ = ["DecodeError", "StreamError", "UsageError"]


class StreamError(Exception):
    """Root of every error raised by :mod:`stream`."""


class DecodeError(StreamError, ValueError):
    """Bytes that are not the JSON, or the time, the contract expects."""


class UsageError(StreamError):
    """A command was given arguments it cannot act on (missing file, bad option value)."""
