"""A plain-Python, one-event-at-a-time implementation of the scoring math.

It shares no code with the engine beyond the parameter object: dictionaries instead of
arrays, a loop per event, the documented event-id hash written out per string (the
engine's is vectorised over a batch), per-news-event matching
(max over the event's rows) instead of inclusion-exclusion cells. The contract tests
compare the engine with it, and the core benchmark uses it as its baseline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from scoring import Catalogue, ScoringParams
from tests.unit.scoring.events import Event, news_rows

_INFLOW = {0, 1}  # shipped, delivered
_DENIAL = {1, 2, 3}  # denied, suspended, revoked
_PENDING = 4


_MASK = 2**64 - 1


def reference_hash(text: str) -> int:
    """FNV-1a over words of two code points (all-zero words skipped), SplitMix64 finaliser:
    ``scoring.hashing.stable_hash`` of one string."""
    points = [ord(c) for c in text] + [0] * (len(text) % 2)
    h = 0xCBF29CE484222325
    for i in range(0, len(points), 2):
        word = points[i] | points[i + 1] << 32
        if word:
            h = ((h ^ word) * 0x100000001B3) & _MASK
    h ^= h >> 30
    h = (h * 0xBF58476D1CE4E5B9) & _MASK
    h ^= h >> 27
    h = (h * 0x94D049BB133111EB) & _MASK
    return h ^ (h >> 31)


def _tie(event_id: str) -> int:
    return reference_hash(event_id)


@dataclass
class _Key:
    events: int = 0
    inflow_short: float = 0.0
    inflow_long: float = 0.0
    disrupted_short: float = 0.0
    lanes: dict[str, float] = field(default_factory=dict)  # origin -> decayed kg
    destination: tuple[float, int, str] | None = None  # (time, tie, country)
    profile: tuple[float, int] | None = None
    home: str = ""
    inventory_days: float = math.nan
    declared: dict[str, float] = field(default_factory=dict)


@dataclass
class _News:
    time_s: float
    actor: str
    rows: list[tuple[str, str, str]]
    category: int
    severity: float


class Oracle:
    """Per-event reference implementation; sums are anchored at a fixed ``ref_s``."""

    def __init__(self, catalogue: Catalogue, params: ScoringParams, ref_s: float) -> None:
        self.p = params
        self.ref_s = ref_s
        self.materials = {m.code: m for m in catalogue.materials}
        self.wgi = dict(catalogue.wgi)
        self.default_wgi = catalogue.default_wgi
        self.seen: set[str] = set()
        self.keys: dict[tuple[str, str], _Key] = {}
        self.cells: dict[tuple[str, str, str], list[float]] = {}
        self.firms: dict[tuple[str, str, str], list[float]] = {}
        self.news: list[_News] = []

    def _w(self, t: float, half_life_s: float) -> float:
        return float(2.0 ** ((t - self.ref_s) / half_life_s))

    def _key(self, company: str, material: str) -> _Key:
        return self.keys.setdefault((company, material), _Key())

    def _destination(self, k: _Key, e: Event, country: str) -> None:
        stamp = (e["time_s"], _tie(e["event_id"]), country)
        if k.destination is None or stamp[:2] > k.destination[:2]:
            k.destination = stamp

    def apply(self, e: Event) -> None:
        """Apply one event (ignored if its id was seen)."""
        if e["event_id"] in self.seen:
            return
        self.seen.add(e["event_id"])
        getattr(self, "_" + e["type"])(e)

    def _shipment(self, e: Event) -> None:
        p, t, q = self.p, e["time_s"], e["quantity_kg"]
        k = self._key(e["company"], e["material"])
        k.events += 1
        short = q * self._w(t, p.flow_short_half_life_s)
        if e["status"] in _INFLOW:
            k.inflow_short += short
            k.inflow_long += q * self._w(t, p.flow_long_half_life_s)
        weight = {2: p.delayed_weight, 3: p.held_weight, 4: p.cancelled_weight}.get(
            e["status"], 0.0
        )
        k.disrupted_short += short * weight
        mass = q * self._w(t, p.share_half_life_s)
        k.lanes[e["origin"]] = k.lanes.get(e["origin"], 0.0) + mass
        self._destination(k, e, e["destination"])

    def _licence_decision(self, e: Event) -> None:
        p = self.p
        w = self._w(e["time_s"], p.licence_half_life_s)
        credit = 1.0 if e["decision"] in _DENIAL else 0.0
        if e["decision"] == _PENDING:
            credit = p.pending_denial_weight
        days = e["processing_days"]
        if not math.isnan(days) and days >= p.long_pending_days:
            credit = max(credit, p.pending_denial_weight)
        if e["company"]:
            k = self._key(e["company"], e["material"])
            k.events += 1
            self._destination(k, e, e["destination"])
            cell = self.firms.setdefault((e["company"], e["material"], e["exporter"]), [0.0, 0.0])
        else:
            cell = self.cells.setdefault(
                (e["exporter"], e["destination"], e["material"]), [0.0, 0.0]
            )
        cell[0] += credit * w
        cell[1] += w

    def _news(self, e: Event) -> None:
        self.news.append(_News(e["time_s"], e["actor"], news_rows(e), e["category"], e["severity"]))

    def _profile(self, e: Event) -> None:
        k = self._key(e["company"], e["material"])
        k.events += 1
        stamp = (e["time_s"], _tie(e["event_id"]))
        if k.profile is None or stamp > k.profile:
            k.profile = stamp
            k.home = e["home_country"]
            k.inventory_days = e["inventory_days"]
            k.declared = dict(e["origin_shares"])

    # -- evaluation --------------------------------------------------------------------

    def shares(self, k: _Key) -> dict[str, float] | None:
        """Origin shares (observed, else declared), None when unknown."""
        observed = sum(k.lanes.values())
        if observed > 0:
            return {o: m / observed for o, m in k.lanes.items()}
        declared = sum(k.declared.values())
        if declared > 0:
            return {o: s / max(declared, 1.0) for o, s in k.declared.items()}
        return None

    def _excess(self, denials: float, decisions: float) -> float:
        a, b = self.p.licence_prior_denials, self.p.licence_prior_approvals
        prior = a / (a + b)
        rate = (a + denials) / (a + b + decisions)
        return min(max((rate - prior) / (1.0 - prior), 0.0), 1.0)

    def components(self, company: str, material: str, as_of_s: float) -> list[float]:
        """[concentration, flow, licence, policy, criticality] of a key at ``as_of_s``."""
        p, k, m = self.p, self.keys[(company, material)], self.materials[material]
        shares = self.shares(k)
        if shares is None:
            concentration = min(m.supply_risk / p.concentration_scale, 1.0)
        else:
            hhi = sum(s * s * self.wgi.get(o, self.default_wgi) for o, s in shares.items())
            concentration = min(hhi * (1 - m.eol_rir) * m.si_sr / p.concentration_scale, 1.0)

        def at(value: float, half_life_s: float) -> float:
            return float(value * 2.0 ** ((self.ref_s - as_of_s) / half_life_s))

        recent = at(k.inflow_short, p.flow_short_half_life_s)
        baseline = at(k.inflow_long, p.flow_long_half_life_s)
        disrupted = at(k.disrupted_short, p.flow_short_half_life_s)
        shortfall = 0.0
        if baseline > 0:
            ratio = (recent / p.flow_short_half_life_s) / (baseline / p.flow_long_half_life_s)
            tol = p.shortfall_tolerance
            shortfall = min(max((1 - ratio - tol) / (1 - tol), 0.0), 1.0)
        share_disrupted = disrupted / (disrupted + recent) if disrupted + recent > 0 else 0.0
        flow = 1 - (1 - shortfall) * (1 - share_disrupted)

        destination = k.home or (k.destination[2] if k.destination else "")
        h = p.licence_half_life_s
        wc, wk = p.licence_country_weight, p.licence_company_weight

        def lane(origin: str) -> float:
            c = self.cells.get((origin, destination, material), [0.0, 0.0])
            f = self.firms.get((company, material, origin), [0.0, 0.0])
            return self._excess(at(wc * c[0] + wk * f[0], h), at(wc * c[1] + wk * f[1], h))

        if shares is not None:
            licence = sum(s * lane(o) for o, s in shares.items())
        else:
            candidates = [
                self._excess(at(wc * c[0], h), at(wc * c[1], h))
                for (_, d, mm), c in self.cells.items()
                if d == destination and mm == material
            ]
            candidates += [lane(o) for (c, mm, o) in self.firms if c == company and mm == material]
            licence = max(candidates, default=0.0)

        weights = [
            p.export_control_weight,
            p.sanction_weight,
            -p.easing_weight,
            p.disaster_weight,
            p.logistics_weight,
            p.other_news_weight,
        ]
        net = 0.0
        for n in self.news:
            hit = any(
                mm in ("", material) and ((c == "" and t in ("", destination)) or c == company)
                for mm, t, c in n.rows
            )
            if not hit:
                continue
            exposure = 1.0 if not n.actor or shares is None else shares.get(n.actor, 0.0)
            decay = 2.0 ** ((n.time_s - as_of_s) / p.policy_half_life_s)
            net += weights[n.category] * n.severity * decay * exposure
        policy = min(max(net, 0.0), 1.0)

        inventory = k.inventory_days
        damping = (
            1.0
            if math.isnan(inventory)
            else p.inventory_cover_days / (p.inventory_cover_days + inventory)
        )
        criticality = math.sqrt(
            min(m.supply_risk / p.criticality_scale, 1.0)
            * min(m.economic_importance / p.criticality_scale, 1.0)
        )
        return [concentration, flow * damping, licence * damping, policy * damping, criticality]

    def score(self, company: str, material: str, as_of_s: float) -> float:
        """Score 0..100 of a key."""
        values = self.components(company, material, as_of_s)
        return sum(100.0 * w * v for w, v in zip(self.p.weights(), values, strict=True))
