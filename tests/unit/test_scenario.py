"""The calibrated defaults on the rare-earths 2025-2026 scenario (acceptance criteria).

Replays ``scenarios/rare-earths-2025-2026.jsonl`` through the edge decoder and the
engine day by day, with the catalogue and parameters of ``config/``.
"""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "rare-earths-2025-2026.jsonl"
DAY = 86_400.0

if not SCENARIO.exists():
    pytest.skip("scenario file not committed yet", allow_module_level=True)
for module in ("stream.events", "config.loader"):
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} (decoder / config loader) not available", allow_module_level=True)

from config import load_catalogue, load_scoring_params  # noqa: E402 - after the skips
from scoring import LEVELS, Engine, EventBatch, ScoreTable  # noqa: E402
from stream.events import decode_lines  # noqa: E402

JP_CHINA_DY = [
    "Hoshino Magnetics",
    "Kurobe Magnet Works",
    "Mikawa Motors",
    "Kanto Aerospace Components",
    "Shonan Hybrid Systems",
]
NON_CHINA_DY = ["Sanuki Rare Metals", "Izumo Motor Components", "Appalachian Magnetics"]
US_NO18 = [
    ("Great Lakes Motors", "NdFeB"),
    ("Sonoran EV", "NdFeB"),
    ("Cascade Drives", "Dy"),
    ("Cascade Drives", "Tb"),
    ("Ridgeway Defense", "SmCo"),
    ("Ridgeway Defense", "Sm"),
]
US_GA_GE_SB = [
    ("Bayou Semiconductors", "Ga"),
    ("Bayou Semiconductors", "Ge"),
    ("Mesa Optics", "Ge"),
    ("Liberty Munitions", "Sb"),
]


def ts(day: str) -> float:
    return datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp()


@pytest.fixture(scope="module")
def daily() -> dict[float, ScoreTable]:
    """Scores of every key at 00:00 UTC of each day, events applied up to that instant."""
    batch, rejects = decode_lines(SCENARIO.read_bytes().splitlines())
    assert rejects == []
    engine = Engine(load_catalogue(), load_scoring_params())
    s, d, n, p, ps = (
        batch.shipments, batch.licences, batch.signals, batch.profiles, batch.profile_shares
    )  # fmt: skip
    tables = {}
    previous = -np.inf
    for t in np.arange(ts("2024-10-02"), ts("2026-04-01"), DAY):
        window = EventBatch(
            s.take((s.time_s >= previous) & (s.time_s < t)),
            d.take((d.time_s >= previous) & (d.time_s < t)),
            n.take((n.time_s >= previous) & (n.time_s < t)),
            p.take((p.time_s >= previous) & (p.time_s < t)),
            ps.take((ps.time_s >= previous) & (ps.time_s < t)),
        )
        result = engine.apply(window)
        assert len(result.rejected) == 0
        previous = t
        tables[float(t)] = engine.scores(as_of_s=float(t))
    return tables


def score(table: ScoreTable, company: str, material: str) -> float:
    hit = np.flatnonzero((table.company == company) & (table.material == material))
    assert len(hit) == 1, (company, material)
    return float(table.score[hit[0]])


def test_every_key_is_low_or_moderate_before_2025_04_04(daily: dict[float, ScoreTable]) -> None:
    moderate = LEVELS.index("moderate")
    for t, table in daily.items():
        if t < ts("2025-04-04"):
            assert table.level.max() <= moderate, (t, table.score.max())


def test_a_japanese_china_sourced_dy_buyer_is_high_within_14_days_of_the_freeze(
    daily: dict[float, ScoreTable],
) -> None:
    high = load_scoring_params().level_thresholds[LEVELS.index("high") - 1]
    window = [t for t in daily if ts("2026-01-08") <= t <= ts("2026-01-22")]
    best = max(score(daily[t], c, "Dy") for t in window for c in JP_CHINA_DY)
    assert best >= high
    before = max(score(daily[ts("2026-01-07")], c, "Dy") for c in JP_CHINA_DY)
    assert before < high


def test_china_sourced_dy_stays_30_points_above_dy_sourced_elsewhere(
    daily: dict[float, ScoreTable],
) -> None:
    for t, table in daily.items():
        if t >= ts("2026-01-08"):
            china = min(score(table, c, "Dy") for c in JP_CHINA_DY)
            elsewhere = max(score(table, c, "Dy") for c in NON_CHINA_DY)
            assert china - elsewhere >= 30, (t, china, elsewhere)


def test_us_buyers_rise_after_no_18_and_fall_after_the_november_suspension(
    daily: dict[float, ScoreTable],
) -> None:
    def mean(keys: list[tuple[str, str]], day: str) -> float:
        return float(np.mean([score(daily[ts(day)], c, m) for c, m in keys]))

    for company, material in US_NO18:
        assert score(daily[ts("2025-05-15")], company, material) > score(
            daily[ts("2025-04-03")], company, material
        ), company
    assert mean(US_NO18, "2025-05-15") - mean(US_NO18, "2025-04-03") > 10
    everyone = US_NO18 + US_GA_GE_SB
    assert mean(everyone, "2025-12-06") < mean(everyone, "2025-11-06")
    for company, material in US_GA_GE_SB:  # the lifted Ga / Ge / Sb ban
        assert score(daily[ts("2025-12-06")], company, material) < score(
            daily[ts("2025-11-06")], company, material
        ), (company, material)
