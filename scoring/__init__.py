"""supplyrisk's scoring core: a pure numpy supply-risk index per (company, material).

Imports numpy and the standard library only (checked by ``tests/unit/test_purity.py``).
"""

from scoring.columns import (
    Decision,
    EventBatch,
    LicenceDecisions,
    NewsCategory,
    PolicySignals,
    Profiles,
    ProfileShares,
    Shipments,
    ShipmentStatus,
)

__all__ = [
    "Decision",
    "EventBatch",
    "LicenceDecisions",
    "NewsCategory",
    "PolicySignals",
    "ProfileShares",
    "Profiles",
    "ShipmentStatus",
    "Shipments",
]
