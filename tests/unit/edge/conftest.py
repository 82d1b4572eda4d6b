"""Shared helpers of the edge tests: example events of every kind."""

from __future__ import annotations

import copy
from typing import Any

import pytest

SHIPMENT: dict[str, Any] = {
    "type": "shipment",
    "event_id": "s-1",
    "event_time": "2026-01-08T09:30:00Z",
    "company": "Hoshino Magnetics",
    "material": "Dy",
    "origin_country": "CN",
    "destination_country": "JP",
    "quantity_kg": 1250.5,
    "status": "delivered",
}
LICENCE: dict[str, Any] = {
    "type": "licence_decision",
    "event_id": "l-1",
    "event_time": "2026-01-08T18:30:00+09:00",
    "exporting_country": "CN",
    "destination_country": "JP",
    "material": "Tb",
    "decision": "denied",
    "company": "Hoshino Magnetics",
    "processing_days": 63,
}
NEWS: dict[str, Any] = {
    "type": "news",
    "event_id": "n-1",
    "event_time": "2026-01-08T09:00:00+08:00",
    "headline": "China freezes heavy rare earth licences for Japanese companies",
}
PROFILE: dict[str, Any] = {
    "type": "profile",
    "event_id": "p-1",
    "event_time": "2024-10-01T00:00:00Z",
    "company": "Hoshino Magnetics",
    "material": "Dy",
    "home_country": "JP",
    "annual_demand_kg": 42000,
    "inventory_days": 60,
    "origin_shares": {"CN": 0.9, "AU": 0.1},
}
EXAMPLES = {"shipment": SHIPMENT, "licence_decision": LICENCE, "news": NEWS, "profile": PROFILE}


def event(kind: str, **changes: Any) -> dict[str, Any]:
    """A deep copy of the example of ``kind`` with fields changed (``None`` removes one)."""
    result = copy.deepcopy(EXAMPLES[kind])
    for name, value in changes.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = value
    return result


@pytest.fixture
def make_event() -> Any:
    return event
