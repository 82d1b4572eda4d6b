"""The windows, ``for:`` durations and thresholds of the rules in :mod:`monitoring.rules`."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["RUNBOOK_URL", "Thresholds"]

# Published location of docs/runbooks.md; each alert links to its own anchor there.
RUNBOOK_URL = "https://github.com/supplyrisk/supplyrisk/blob/main/docs/runbooks.md"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Windows, ``for:`` durations and thresholds of the rules (PromQL duration strings)."""

    job: str = "supplyrisk"
    rate_window: str = "5m"
    material_critical_for: str = "5m"
    rise_window: str = "1h"
    rise_min_keys: int = 10
    rise_factor: float = 1.5
    rise_for: str = "10m"
    dead_letter_ratio: float = 0.05
    dead_letter_min_rate: float = 0.1
    dead_letter_for: str = "10m"
    forwarded_ratio: float = 0.05
    forwarded_min_rate: float = 0.1
    forwarded_for: str = "30m"
    lag_window: str = "10m"
    lag_min_messages: int = 1000
    lag_for: str = "15m"
    stall_window: str = "15m"
    stall_for: str = "5m"
    absent_for: str = "5m"
    unsaved_max_s: int = 300  # 30 snapshot intervals at the default 10 s
    unsaved_for: str = "5m"
    runbook_url: str = RUNBOOK_URL
    extra_labels: dict[str, str] = field(default_factory=dict)
