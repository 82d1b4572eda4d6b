"""A minimal Faust app with a changelog-backed table, run as a worker by the tests.

Counts values seen on ``COUNTER_TOPIC`` in a table; ``GET /counts/`` returns the table.
Its store is in memory, so a restarted worker can only get its counts back from the
table's changelog topic on the broker.
"""

from __future__ import annotations

import os
from typing import Any

import faust

app = faust.App(
    os.environ["COUNTER_APP_ID"],
    broker=f"kafka://{os.environ['COUNTER_BOOTSTRAP']}",
    store="memory://",
    web_host="127.0.0.1",
    web_port=int(os.environ["COUNTER_WEB_PORT"]),
    topic_partitions=1,
    topic_replication_factor=1,
)
events = app.topic(os.environ["COUNTER_TOPIC"], value_serializer="raw")
counts = app.Table("counts", default=int, partitions=1)


@app.agent(events)
async def count(stream: Any) -> None:
    async for value in stream:
        counts[value.decode()] += 1


@app.page("/counts/")
async def get_counts(web: Any, request: Any) -> Any:
    return web.json(dict(counts.items()))


if __name__ == "__main__":
    app.main()
