"""Generate ``scenarios/rare-earths-2025-2026.jsonl``: a grounded, reproducible scenario.

Real inputs (``scenarios/data/``, see SOURCES.md): the dated export-control timeline and
China's monthly NdFeB magnet exports by destination. Synthetic: the company roster, the
individual shipments, licence decisions and their timing within a month, and the
Japan-specific flow after the 2026-01-08 licence freeze (no customs figures yet).
Same seed, same bytes: ``python scenarios/generate.py --out FILE`` is deterministic.

Usage: ``python scenarios/generate.py [--out FILE] [--seed N]``
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from scenario_news import news_events

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
DEFAULT_OUT = HERE / "rare-earths-2025-2026.jsonl"
START = date(2024, 10, 7)  # first Monday of the shipment window
END = date(2026, 3, 31)
PROFILE_TIME = "2024-10-01T00:00:00Z"

# MOFCOM/GAC 2025 No. 18: seven medium/heavy rare earths and magnets containing them.
NO18 = frozenset({"Sm", "Gd", "Tb", "Dy", "Lu", "Sc", "Y", "NdFeB", "SmCo"})
NO57 = frozenset({"Ho", "Er", "Tm", "Eu", "Yb"})  # 2025-10-09, suspended 2025-11-07
GA_GE_SB = frozenset({"Ga", "Ge", "Sb"})  # 2023 No. 23 / 2024 No. 33 licences
NO18_DAY = date(2025, 4, 4)
NO57_DAY, NO70_DAY = date(2025, 10, 9), date(2025, 11, 7)
US_BAN_DAY, US_BAN_LIFT_DAY = date(2024, 12, 3), date(2025, 11, 10)
JP_DUAL_USE_DAY, JP_FREEZE_DAY = date(2026, 1, 6), date(2026, 1, 8)
JP_ENTITY_DAY = date(2026, 2, 24)
JP_FREEZE_FLOW = 0.25  # synthetic: share of usual China flow reaching Japan after the freeze
DESTINATIONS_OF_SERIES = {"World": "", "United States": "US", "Japan": "JP", "Germany": "DE"}
# Pre-control monthly baselines (t), from the year-on-year changes in the same file:
# World H1-2025 22319 t at -18.9 % y/y; US 2025 5933 t at -20.3 %; Japan 2025-09 228 t at
# +20.8 %; Germany 2025-09 1288 t at +27.9 %.
BASELINE_T = {
    "": 22319 / (1 - 0.189) / 6,
    "US": 5933 / (1 - 0.203) / 12,
    "JP": 228 / 1.208,
    "DE": 1288 / 1.279,
}


@dataclass(frozen=True)
class Lane:
    company: str
    home: str
    sector: str
    material: str
    annual_kg: float
    inventory_days: float
    shares: dict[str, float]


def read_roster() -> list[Lane]:
    with (DATA / "roster.csv").open(encoding="utf-8") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return [
            Lane(
                r["company"],
                r["home_country"],
                r["sector"],
                r["material"],
                float(r["annual_demand_kg"]),
                float(r["inventory_days"]),
                {c: float(s) for c, s in (p.split(":") for p in r["origin_shares"].split(";"))},
            )
            for r in rows
        ]


def read_flow_ratios() -> dict[tuple[str, str], float]:
    """(YYYY-MM, destination code or "" for World) -> exports / pre-control baseline."""
    tonnes: dict[tuple[str, str], float] = {}
    with (DATA / "china_ndfeb_magnet_exports_monthly.csv").open(encoding="utf-8") as handle:
        for r in csv.DictReader(handle):
            dest = DESTINATIONS_OF_SERIES.get(r["destination"])
            if dest is not None and len(r["period"]) == 7 and r["period"][4] == "-":
                tonnes[r["period"], dest] = float(r["tonnes"])
    # 2026-01 World is not published: Q1 2026 (16001 t) minus February and March.
    tonnes["2026-01", ""] = 16001 - tonnes["2026-02", ""] - tonnes["2026-03", ""]
    return {key: value / BASELINE_T[key[1]] for key, value in tonnes.items()}


def flow_ratio(lane: Lane, origin: str, day: date, ratios: dict[tuple[str, str], float]) -> float:
    """Fraction of a lane's usual flow that gets through on ``day`` (1 = undisturbed)."""
    if origin != "CN":
        return 1.0
    dest, material = lane.home, lane.material
    ratio = 1.0
    if material in NO18 and day >= NO18_DAY:
        month = day.strftime("%Y-%m")
        ratio = min(1.0, ratios.get((month, dest), ratios.get((month, ""), 1.0)))
    if material in NO57 and NO57_DAY <= day < NO70_DAY:
        ratio = 0.5
    if material in GA_GE_SB and dest == "US" and US_BAN_DAY <= day < US_BAN_LIFT_DAY:
        ratio = 0.0
    if dest == "JP" and day >= JP_FREEZE_DAY and material in NO18:
        ratio = min(ratio, JP_FREEZE_FLOW)
    if dest == "JP" and lane.sector == "defence" and day >= JP_DUAL_USE_DAY:
        ratio = 0.0
    return ratio


def stamp(moment: datetime, home: str) -> str:
    """RFC 3339: Japanese buyers report in JST (+09:00), everyone else in UTC."""
    if home == "JP":
        return (moment + timedelta(hours=9)).strftime("%Y-%m-%dT%H:%M:%S+09:00")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def at(day: date, rng: random.Random) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
        seconds=rng.randrange(6 * 3600, 18 * 3600)
    )


def slug(text: str) -> str:
    return "".join(c for c in text.lower().replace(" ", "-") if c.isalnum() or c == "-")


def profiles(roster: list[Lane]) -> Iterator[dict[str, object]]:
    for lane in roster:
        yield {
            "type": "profile",
            "event_id": f"prf-{slug(lane.company)}-{lane.material}",
            "event_time": PROFILE_TIME,
            "company": lane.company,
            "material": lane.material,
            "home_country": lane.home,
            "annual_demand_kg": lane.annual_kg,
            "inventory_days": lane.inventory_days,
            "origin_shares": lane.shares,
        }


def shipments(
    roster: list[Lane], ratios: dict[tuple[str, str], float], rng: random.Random
) -> Iterator[dict[str, object]]:
    day = START
    while day <= END:
        for lane in roster:
            for origin, share in lane.shares.items():
                ratio = flow_ratio(lane, origin, day, ratios)
                draw = rng.random()
                if draw < 1.0 - ratio:
                    status = rng.choices(("held", "delayed", "cancelled"), (5, 3, 2))[0]
                elif draw > 0.97:  # ordinary logistics noise on every lane
                    status = "delayed"
                else:
                    status = "delivered" if rng.random() < 0.8 else "shipped"
                kg = round(lane.annual_kg * share / 52 * rng.uniform(0.7, 1.3), 1)
                moment = at(min(day + timedelta(days=rng.randrange(5)), END), rng)
                yield {
                    "type": "shipment",
                    "event_id": f"shp-{slug(lane.company)}-{lane.material}-{origin}-{day:%Y%m%d}",
                    "event_time": stamp(moment, lane.home),
                    "company": lane.company,
                    "material": lane.material,
                    "origin_country": origin,
                    "destination_country": lane.home,
                    "quantity_kg": kg,
                    "status": status,
                    "supplier": f"{origin} supplier {rng.randrange(1, 4)}",
                    "value_usd": round(kg * rng.uniform(80, 400), 2),
                }
        day += timedelta(days=7)


def company_decision(lane: Lane, day: date, ratio: float, rng: random.Random) -> str:
    if lane.home == "JP" and day >= JP_FREEZE_DAY and lane.material in NO18:
        return "denied" if rng.random() < 0.4 else "pending"
    if lane.home == "JP" and lane.sector == "defence" and day >= JP_DUAL_USE_DAY:
        return "revoked" if day < JP_ENTITY_DAY else "denied"
    if rng.random() < ratio:
        return "approved"
    return "denied" if rng.random() < 0.3 else "pending"


def licences(
    roster: list[Lane], ratios: dict[tuple[str, str], float], rng: random.Random
) -> Iterator[dict[str, object]]:
    """Monthly decisions on each China-sourced lane of a licensed material."""
    for lane in roster:
        if "CN" not in lane.shares or lane.material not in NO18 | GA_GE_SB | {"graphite"}:
            continue
        first = NO18_DAY if lane.material in NO18 else START
        month = date(first.year, first.month, 1)
        while month <= END:
            day = max(first, month) + timedelta(days=rng.randrange(0, 20))
            ratio = flow_ratio(lane, "CN", day, ratios)
            under_review = lane.material in NO18 and day < NO18_DAY + timedelta(days=20)
            decision = "pending" if under_review else company_decision(lane, day, ratio, rng)
            record: dict[str, object] = {
                "type": "licence_decision",
                "event_id": f"lic-{slug(lane.company)}-{lane.material}-{day:%Y%m%d}",
                "event_time": stamp(at(day, rng), "CN"),
                "exporting_country": "CN",
                "destination_country": lane.home,
                "material": lane.material,
                "decision": decision,
                "company": lane.company,
                "authority": "MOFCOM",
                "quantity_kg": round(lane.annual_kg * lane.shares["CN"] / 12, 1),
            }
            if decision != "pending":
                record["processing_days"] = rng.randrange(30, 95 if ratio < 1 else 50)
            yield record
            month = date(month.year + month.month // 12, month.month % 12 + 1, 1)


def country_wide(roster: list[Lane]) -> Iterator[dict[str, object]]:
    """Decisions on every importer of a lane: the dated controls and their suspensions."""
    lanes = sorted({(lane.home, lane.material) for lane in roster if "CN" in lane.shares})
    rules: list[tuple[date, str, Callable[[str, str], bool]]] = [
        (NO18_DAY, "suspended", lambda d, m: m in NO18),
        (NO57_DAY, "pending", lambda d, m: m in NO57 or m == "graphite"),
        (NO70_DAY, "approved", lambda d, m: m in NO57 or m == "graphite"),
        (US_BAN_DAY, "denied", lambda d, m: d == "US" and m in GA_GE_SB),
        (US_BAN_LIFT_DAY, "approved", lambda d, m: d == "US" and m in GA_GE_SB),
        (JP_FREEZE_DAY, "suspended", lambda d, m: d == "JP" and m in NO18),
    ]
    for day, decision, applies in rules:
        for dest, material in lanes:
            if applies(dest, material):
                yield {
                    "type": "licence_decision",
                    "event_id": f"lic-cn-{dest}-{material}-{day:%Y%m%d}-{decision}",
                    "event_time": f"{day:%Y-%m-%d}T00:00:00+08:00",
                    "exporting_country": "CN",
                    "destination_country": dest,
                    "material": material,
                    "decision": decision,
                    "authority": "MOFCOM",
                }


def generate(seed: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    roster = read_roster()
    ratios = read_flow_ratios()
    events = [
        *profiles(roster),
        *shipments(roster, ratios, rng),
        *licences(roster, ratios, rng),
        *country_wide(roster),
        *news_events(DATA / "export_control_events.csv"),
    ]
    events.sort(key=lambda e: (utc_key(str(e["event_time"])), str(e["event_id"])))
    return events


def utc_key(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=20260108)
    args = parser.parse_args(argv)
    events = generate(args.seed)
    with args.out.open("w", encoding="utf-8", newline="\n") as handle:
        for event in events:
            handle.write(json.dumps(event, ensure_ascii=False, separators=(",", ":")) + "\n")
    print(f"wrote {len(events)} events to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
