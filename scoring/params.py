"""Every tunable of the scoring math, as one frozen dataclass of flat fields.

The config loader builds it as ``ScoringParams(**toml["scoring"])`` from
``config/scoring.toml``, which lists every field with its meaning and unit. The defaults
here equal that file; ``docs/SCORING.md`` gives the rationale of each value.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, fields

__all__ = ["DAY_S", "ScoringParams"]

DAY_S = 86_400.0


@dataclass(frozen=True, slots=True)
class ScoringParams:
    """Weights, half-lives, thresholds and limits of the supply-risk index.

    Raises ``ValueError`` when a value is out of range (weights must sum to 1, the level
    thresholds must increase, half-lives must be positive, ...). Lists are accepted for
    tuple fields so a parsed TOML table can be passed as keyword arguments.

    Examples
    --------
    >>> p = ScoringParams()
    >>> round(p.weights()[0] + sum(p.weights()[1:]), 12)
    1.0
    >>> ScoringParams(level_thresholds=[10, 20, 30, 40]).level_thresholds
    (10.0, 20.0, 30.0, 40.0)
    """

    # Component weights (sum to 1); score = 100 * sum(weight * component).
    weight_concentration: float = 0.20
    weight_flow_disruption: float = 0.20
    weight_licence_pressure: float = 0.20
    weight_policy: float = 0.25
    weight_criticality: float = 0.15
    # Score at or above threshold i means level i+1 ("moderate", "elevated", "high", "critical").
    level_thresholds: tuple[float, float, float, float] = (25.0, 45.0, 60.0, 75.0)

    # Concentration: recency of observed origin shares; SR scale that maps to 1.0.
    share_half_life_s: float = 120 * DAY_S
    concentration_scale: float = 6.0
    criticality_scale: float = 10.0

    # Flow disruption: recent vs baseline inflow, and disrupted shipment weights.
    flow_short_half_life_s: float = 14 * DAY_S
    flow_long_half_life_s: float = 180 * DAY_S
    shortfall_tolerance: float = 0.15
    delayed_weight: float = 0.5
    held_weight: float = 1.0
    cancelled_weight: float = 1.0

    # Licence pressure: Beta prior, recency, company vs country weight, long pending.
    licence_half_life_s: float = 30 * DAY_S
    licence_prior_denials: float = 0.25
    licence_prior_approvals: float = 2.25
    licence_company_weight: float = 3.0
    licence_country_weight: float = 2.0
    pending_denial_weight: float = 0.5
    long_pending_days: float = 63.0

    # Policy / news: recency and per-category weights (easing subtracts).
    policy_half_life_s: float = 120 * DAY_S
    export_control_weight: float = 1.0
    sanction_weight: float = 1.0
    easing_weight: float = 1.0
    disaster_weight: float = 0.5
    logistics_weight: float = 0.3
    other_news_weight: float = 0.0

    # Inventory cover damps near-term components by cover / (cover + inventory_days).
    inventory_cover_days: float = 365.0

    # Limits: dedupe memory, timestamp sanity, string lengths, quantities (a shipment of
    # 1e308 kg, a finite JSON number, overflowed the flow sums to inf and scored NaN).
    dedupe_capacity: int = 1_000_000
    max_future_s: float = 300.0
    max_event_id_len: int = 128
    max_company_len: int = 200
    max_quantity_kg: float = 1e12

    def __post_init__(self) -> None:
        thresholds = tuple(float(v) for v in self.level_thresholds)
        object.__setattr__(self, "level_thresholds", thresholds)
        if len(thresholds) != 4 or any(b <= a for a, b in itertools.pairwise(thresholds)):
            raise ValueError("level_thresholds: four strictly increasing scores")
        if not (thresholds[0] > 0.0 and thresholds[-1] < 100.0):
            raise ValueError("level_thresholds must lie strictly inside (0, 100)")
        for f in fields(self):
            if f.name != "level_thresholds":
                _check_number(f.name, getattr(self, f.name))
        if abs(sum(self.weights()) - 1.0) > 1e-9:
            raise ValueError(f"component weights must sum to 1, got {sum(self.weights())}")
        for name in _POSITIVE:
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0")
        for name in _FRACTIONS:
            if getattr(self, name) > 1.0:
                raise ValueError(f"{name} must be in [0, 1]")
        if self.flow_short_half_life_s >= self.flow_long_half_life_s:
            raise ValueError("flow_short_half_life_s must be shorter than flow_long_half_life_s")
        if self.shortfall_tolerance >= 1.0:
            raise ValueError("shortfall_tolerance must be in [0, 1)")
        if not isinstance(self.dedupe_capacity, int) or self.dedupe_capacity < 1:
            raise ValueError("dedupe_capacity must be a positive integer")

    def weights(self) -> tuple[float, float, float, float, float]:
        """Component weights in the order of ``scoring.engine.COMPONENTS``.

        Examples
        --------
        >>> ScoringParams().weights()
        (0.2, 0.2, 0.2, 0.25, 0.15)
        """
        return (
            self.weight_concentration,
            self.weight_flow_disruption,
            self.weight_licence_pressure,
            self.weight_policy,
            self.weight_criticality,
        )


_POSITIVE = (
    "share_half_life_s",
    "flow_short_half_life_s",
    "flow_long_half_life_s",
    "licence_half_life_s",
    "policy_half_life_s",
    "concentration_scale",
    "criticality_scale",
    "inventory_cover_days",
    "long_pending_days",
    "licence_prior_denials",
    "licence_prior_approvals",
    "max_event_id_len",
    "max_company_len",
    "max_quantity_kg",
)
_FRACTIONS = ("pending_denial_weight", "delayed_weight", "held_weight", "cancelled_weight")


def _check_number(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name}: expected a number, got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name}: must be finite and >= 0, got {value!r}")
