"""supplyrisk's scoring core: a pure numpy supply-risk index per (company, material).

Imports numpy and the standard library only (checked by ``tests/unit/test_purity.py``).
"""

from scoring.catalogue import Catalogue, Material
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
from scoring.engine import Engine
from scoring.params import ScoringParams
from scoring.results import COMPONENTS, LEVELS, ApplyResult, Rejections, ScoreTable
from scoring.snapshot import Capture

__all__ = [
    "COMPONENTS",
    "LEVELS",
    "ApplyResult",
    "Capture",
    "Catalogue",
    "Decision",
    "Engine",
    "EventBatch",
    "LicenceDecisions",
    "Material",
    "NewsCategory",
    "PolicySignals",
    "ProfileShares",
    "Profiles",
    "Rejections",
    "ScoreTable",
    "ScoringParams",
    "ShipmentStatus",
    "Shipments",
]
