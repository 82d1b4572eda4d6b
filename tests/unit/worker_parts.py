"""What the worker's unit tests share: fake records, a scorer, empty partition states."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from config.loader import load_catalogue, load_lexicon, load_scoring_params
from config.settings import load_settings
from stream.events import EventDecoder
from stream.worker.partition_state import PartitionState
from stream.worker.scorer import Scorer

SETTINGS = load_settings({})
TOPICS = SETTINGS.topics
NOW_S = 1_770_000_000.0  # 2026-02-02, after every event the tests use


@dataclass
class FakeRecord:
    """The parts of a consumed Kafka record the worker reads."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: int = 1_770_000_000_000


def new_scorer() -> Scorer:
    """A scorer with the default settings, its clock stopped at ``NOW_S``."""
    params = load_scoring_params()
    return Scorer(
        EventDecoder(load_lexicon()), TOPICS, SETTINGS.worker, params.level_thresholds,
        lambda: NOW_S,
    )  # fmt: skip


def empty_state(partition: int = 0) -> PartitionState:
    return PartitionState.empty(partition, load_catalogue(), load_scoring_params())


async def settle() -> None:
    """Let ready tasks run a few steps."""
    for _ in range(10):
        await asyncio.sleep(0)


async def eventually(condition: Callable[[], object], timeout_s: float = 10.0) -> None:
    """Wait until ``condition()`` holds (work handed to a thread finishes in its own time),
    then let ready tasks run a few steps."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not reached in {timeout_s} s")
        await asyncio.sleep(0.001)
    await settle()
