"""The local broker's one error type."""

from __future__ import annotations

__all__ = ["LocalKafkaError"]


class LocalKafkaError(RuntimeError):
    """The local broker could not be resolved, started, reached or stopped.

    The message is a single line meant for a terminal.
    """
