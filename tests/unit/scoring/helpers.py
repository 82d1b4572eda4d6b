"""Running event streams through the engine and reading scores by key."""

from __future__ import annotations

import numpy as np

from scoring import Engine, ScoringParams
from tests.unit.scoring.events import Event, catalogue, to_batch


def run(batches: list[list[Event]], params: ScoringParams | None = None) -> Engine:
    """An engine after applying each batch in turn."""
    engine = Engine(catalogue(), params or ScoringParams())
    for batch in batches:
        result = engine.apply(to_batch(batch))
        assert len(result.rejected) == 0, result.rejected.reason
    return engine


def latest(events: list[Event]) -> float:
    return float(max(e["time_s"] for e in events))


def components_by_key(engine: Engine, as_of_s: float) -> dict[tuple[str, str], np.ndarray]:
    """Components of every key, keyed by (company, material)."""
    table = engine.scores(as_of_s=as_of_s)
    return {
        (str(c), str(m)): table.components[i]
        for i, (c, m) in enumerate(zip(table.company, table.material, strict=True))
    }


def assert_same(a: dict[tuple[str, str], np.ndarray], b: dict[tuple[str, str], np.ndarray]) -> None:
    """The same keys, with components equal within 1e-9 (relative) of each other."""
    assert set(a) == set(b)
    for key, values in a.items():
        np.testing.assert_allclose(values, b[key], rtol=1e-9, atol=1e-12, err_msg=str(key))
