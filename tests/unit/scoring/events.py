"""Test events as plain dicts, and their column batches (the contract's explosion rules)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from scoring import (
    Catalogue,
    EventBatch,
    LicenceDecisions,
    Material,
    PolicySignals,
    Profiles,
    ProfileShares,
    Shipments,
)

Event = dict[str, Any]
DAY = 86_400.0
T0 = 1_735_689_600.0  # 2025-01-01T00:00:00Z


def catalogue() -> Catalogue:
    """A small hand-made catalogue (EU CRM 2023 figures)."""
    return Catalogue(
        materials=(
            Material("Dy", "Dysprosium", 5.6, 7.8, 0.99, 0.01, 1.0),
            Material("Gd", "Gadolinium", 3.3, 3.3, 0.59, 0.01, 1.0),
            Material("Ga", "Gallium", 3.9, 3.7, 0.98, 0.0, 0.98),
            Material("Nd", "Neodymium", 4.5, 7.2, 0.99, 0.01, 0.8),
        ),
        wgi={"CN": 5.72, "JP": 1.98, "US": 2.42, "AU": 1.6, "MY": 3.9},
        default_wgi=5.0,
    )


def shipment(eid: str, t: float, company: str, material: str, origin: str, **kw: Any) -> Event:
    return {
        "type": "shipment",
        "event_id": eid,
        "time_s": t,
        "company": company,
        "material": material,
        "origin": origin,
        "destination": kw.get("destination", "JP"),
        "quantity_kg": kw.get("quantity_kg", 100.0),
        "status": kw.get("status", 1),
    }


def licence(eid: str, t: float, exporter: str, destination: str, material: str, **kw: Any) -> Event:
    return {
        "type": "licence_decision",
        "event_id": eid,
        "time_s": t,
        "exporter": exporter,
        "destination": destination,
        "material": material,
        "decision": kw.get("decision", 1),
        "company": kw.get("company", ""),
        "quantity_kg": kw.get("quantity_kg", math.nan),
        "processing_days": kw.get("processing_days", math.nan),
    }


def news(eid: str, t: float, **kw: Any) -> Event:
    return {
        "type": "news",
        "event_id": eid,
        "time_s": t,
        "actor": kw.get("actor", "CN"),
        "materials": list(kw.get("materials", [])),
        "targets": list(kw.get("targets", [])),
        "companies": list(kw.get("companies", [])),
        "category": kw.get("category", 0),
        "severity": kw.get("severity", 0.5),
    }


def profile(eid: str, t: float, company: str, material: str, **kw: Any) -> Event:
    return {
        "type": "profile",
        "event_id": eid,
        "time_s": t,
        "company": company,
        "material": material,
        "home_country": kw.get("home_country", ""),
        "annual_demand_kg": kw.get("annual_demand_kg", math.nan),
        "inventory_days": kw.get("inventory_days", math.nan),
        "origin_shares": dict(kw.get("origin_shares", {})),
    }


def news_rows(e: Event) -> list[tuple[str, str, str]]:
    """(material, target, company) rows of a news event, in part order."""
    rows = []
    for m in e["materials"] or [""]:
        rows += [(m, t, "") for t in e["targets"]]
        rows += [(m, "", c) for c in e["companies"]]
        if not e["targets"] and not e["companies"]:
            rows.append((m, "", ""))
    return rows


def _s(values: list[Any]) -> np.ndarray[Any, Any]:
    return np.array(values, dtype=str) if values else np.empty(0, dtype="<U1")


def _f(values: list[Any]) -> np.ndarray[Any, Any]:
    return np.array(values, dtype=np.float64)


def to_batch(events: list[Event]) -> EventBatch:
    """Columns of ``events`` (news exploded, profile shares split out)."""
    by: dict[str, list[Event]] = {"shipment": [], "licence_decision": [], "news": [], "profile": []}
    for e in events:
        by[e["type"]].append(e)
    s, d = by["shipment"], by["licence_decision"]
    shipments = Shipments(
        _s([e["event_id"] for e in s]),
        _f([e["time_s"] for e in s]),
        _s([e["company"] for e in s]),
        _s([e["material"] for e in s]),
        _s([e["origin"] for e in s]),
        _s([e["destination"] for e in s]),
        _f([e["quantity_kg"] for e in s]),
        np.array([e["status"] for e in s], dtype=np.int8),
    )
    licences = LicenceDecisions(
        _s([e["event_id"] for e in d]),
        _f([e["time_s"] for e in d]),
        _s([e["exporter"] for e in d]),
        _s([e["destination"] for e in d]),
        _s([e["material"] for e in d]),
        np.array([e["decision"] for e in d], dtype=np.int8),
        _s([e["company"] for e in d]),
        _f([e["quantity_kg"] for e in d]),
        _f([e["processing_days"] for e in d]),
    )
    rows = [(e, part, r) for e in by["news"] for part, r in enumerate(news_rows(e))]
    signals = PolicySignals(
        _s([e["event_id"] for e, _, _ in rows]),
        np.array([part for _, part, _ in rows], dtype=np.int32),
        _f([e["time_s"] for e, _, _ in rows]),
        _s([e["actor"] for e, _, _ in rows]),
        _s([r[0] for _, _, r in rows]),
        _s([r[1] for _, _, r in rows]),
        _s([r[2] for _, _, r in rows]),
        np.array([e["category"] for e, _, _ in rows], dtype=np.int8),
        _f([e["severity"] for e, _, _ in rows]),
    )
    p = by["profile"]
    profiles = Profiles(
        _s([e["event_id"] for e in p]),
        _f([e["time_s"] for e in p]),
        _s([e["company"] for e in p]),
        _s([e["material"] for e in p]),
        _s([e["home_country"] for e in p]),
        _f([e["annual_demand_kg"] for e in p]),
        _f([e["inventory_days"] for e in p]),
    )
    share_rows = [(e, c, v) for e in p for c, v in e["origin_shares"].items()]
    shares = ProfileShares(
        _s([e["event_id"] for e, _, _ in share_rows]),
        _f([e["time_s"] for e, _, _ in share_rows]),
        _s([e["company"] for e, _, _ in share_rows]),
        _s([e["material"] for e, _, _ in share_rows]),
        _s([c for _, c, _ in share_rows]),
        _f([v for _, _, v in share_rows]),
    )
    return EventBatch(shipments, licences, signals, profiles, shares)
