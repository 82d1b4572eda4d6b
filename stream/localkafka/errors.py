"""The local broker's error type."""

from __future__ import annotations

from stream.errors import StreamError

__all__ = ["LocalKafkaError"]


class LocalKafkaError(StreamError):
    """The local broker could not be resolved, started, reached or stopped.

    The message is a single line meant for a terminal.
    """
