"""News events of the scenario: one or more per row of the real export-control timeline.

Headlines are written from the timeline row (real facts); some news carry explicit
fields, others only a headline so that the edge's lexicon has to infer materials,
countries, category and severity. Follow-ups naming companies are synthetic.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

HREE = ["Sm", "Gd", "Tb", "Dy", "Lu", "Sc", "Y"]

# timeline event_id -> (publication date when the row has only a month, headline,
# explicit fields or None for a headline-only item)
NEWS: dict[str, list[tuple[str | None, str, dict[str, object] | None]]] = {
    "E2010-01": [(None, "Japan detains Chinese trawler captain near Senkaku islands", None)],
    "E2010-02": [(None, "China halts rare earth exports to Japan", None)],
    "E2010-03": [
        (None, "Japan releases Chinese captain; rare earth shipments still blocked", None)
    ],
    "E2010-04": [(None, "China lifts curbs on rare earth shipments to Japan", None)],
    "E2023-01": [(None, "China announces export controls on gallium and germanium", None)],
    "E2023-02": [
        (
            None,
            "Licence requirement for gallium and germanium exports takes effect",
            {
                "actor_country": "CN",
                "materials": ["Ga", "Ge"],
                "category": "export_control",
                "severity": 0.6,
            },
        )
    ],
    "E2023-03": [(None, "Beijing announces export licences for graphite", None)],
    "E2023-04": [(None, "China graphite export controls take effect", None)],
    "E2023-05": [(None, "China bans export of rare earth magnet manufacturing technology", None)],
    "E2024-01": [(None, "China imposes export controls on antimony", None)],
    "E2024-02": [
        (
            None,
            "China bans gallium, germanium and antimony exports to the US",
            {
                "actor_country": "CN",
                "target_countries": ["US"],
                "materials": ["Ga", "Ge", "Sb"],
                "category": "export_control",
                "severity": 0.9,
            },
        )
    ],
    "E2025-01": [
        (
            None,
            "China adds tungsten, tellurium, bismuth, molybdenum and indium to export controls",
            None,
        )
    ],
    "E2025-02": [
        (None, "China imposes export controls on seven heavy rare earths and magnets", None),
        (
            None,
            "MOFCOM Announcement No. 18: licences required for Sm, Gd, Tb, Dy, Lu, Sc, Y",
            {
                "actor_country": "CN",
                "materials": [*HREE, "NdFeB", "SmCo"],
                "category": "export_control",
                "severity": 0.8,
                "source": "MOFCOM",
                "body": "Dual-use licence, end-user certificate, 45 working-day review.",
            },
        ),
    ],
    "E2025-03": [
        (
            "2025-06-20",
            "China rare-earth magnet exports plunge 74% in May; shipments to US down to 46 tonnes",
            None,
        )
    ],
    "E2025-04": [
        (
            None,
            "China expands rare earth export controls with extraterritorial rule",
            {
                "actor_country": "CN",
                "materials": ["Ho", "Er", "Tm", "Eu", "Yb", "graphite", "Li"],
                "category": "export_control",
                "severity": 0.8,
            },
        )
    ],
    "E2025-05": [
        (None, "US and China reach deal in Busan linking tariffs, chips and minerals", None)
    ],
    "E2025-06": [
        (
            None,
            "China suspends export controls announced in October for one year",
            {
                "actor_country": "CN",
                "materials": ["Ho", "Er", "Tm", "Eu", "Yb", "graphite", "Li"],
                "category": "policy_easing",
                "severity": 0.6,
            },
        )
    ],
    "E2025-07": [
        (
            "2025-11-10",
            "China lifts gallium, germanium and antimony ban for the US for one year",
            None,
        )
    ],
    "E2025-08": [(None, "Japanese prime minister's Taiwan remark angers Beijing", None)],
    "E2025-09": [
        (
            None,
            "Nomura: one-year halt of Chinese rare earths would cost Japan 2.6 trillion yen",
            {
                "actor_country": "CN",
                "target_countries": ["JP"],
                "category": "other",
                "severity": 0.3,
            },
        )
    ],
    "E2025-10": [(None, "Daiwa: rare earth import cut could shrink Japan's GDP by 1.3%", None)],
    "E2026-01": [
        (
            None,
            "China bans dual-use exports to Japanese military end users",
            {
                "actor_country": "CN",
                "target_countries": ["JP"],
                "materials": [*HREE, "SmCo"],
                "companies": ["Hokuriku Defense Systems", "Kanto Aerospace Components"],
                "category": "export_control",
                "severity": 0.9,
            },
        )
    ],
    "E2026-02": [
        (None, "China freezes heavy rare earth licences for Japanese companies", None),
        (
            "2026-01-09",
            "Japanese magnet makers brace for licence freeze from China",
            {
                "actor_country": "CN",
                "target_countries": ["JP"],
                "materials": ["Dy", "Tb", "NdFeB"],
                "companies": ["Hoshino Magnetics", "Kurobe Magnet Works", "Mikawa Motors"],
                "category": "export_control",
                "severity": 0.8,
            },
        ),
    ],
    "E2026-03": [
        (
            None,
            "China puts 20 Japanese defence entities on export control list",
            {
                "actor_country": "CN",
                "target_countries": ["JP"],
                "companies": ["Hokuriku Defense Systems", "Kanto Aerospace Components"],
                "category": "sanction",
                "severity": 0.9,
            },
        )
    ],
}


def news_events(timeline: Path) -> Iterator[dict[str, object]]:
    with timeline.open(encoding="utf-8") as handle:
        rows = {r["event_id"]: r for r in csv.DictReader(handle)}
    for event_id, items in NEWS.items():
        row = rows[event_id]  # KeyError: the timeline lost a row this scenario relies on
        for part, (published, headline, fields) in enumerate(items):
            day = published or row["date"]
            record: dict[str, object] = {
                "type": "news",
                "event_id": f"news-{event_id}-{part}",
                "event_time": f"{day}T09:00:00+08:00",
                "headline": headline,
                "source": f"timeline {event_id}",
            }
            record.update(fields or {})
            yield record
