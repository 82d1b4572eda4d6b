"""Component values of keys at an evaluation time, vectorised over keys and lanes.

See docs/SCORING.md for the formulas and their rationale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from scoring.catalogue import Catalogue
from scoring.decay import Anchors
from scoring.hashing import N_COUNTRIES, country_codes
from scoring.index import HashIndex
from scoring.licence_pairs import LicencePairs
from scoring.params import ScoringParams
from scoring.policy_totals import PolicyTotals
from scoring.risk import criticality_prior, hhi_wgi, supply_risk
from scoring.state import (
    ANY_COMPANY,
    ANY_COUNTRY,
    ANY_MATERIAL,
    State,
    destinations,
    lane_codes,
    licence_cell_codes,
    policy_cell_codes,
)

__all__ = ["Reference", "Views", "components"]

Floats = NDArray[np.float64]
Rows = NDArray[np.intp]


@dataclass(frozen=True, slots=True)
class Reference:
    """Catalogue figures as arrays indexed by material id or country code."""

    codes: NDArray[np.str_]  # material codes in catalogue order
    supply_risk: Floats  # published EU SR
    eol_rir: Floats
    si_sr: Floats
    criticality: Floats  # static prior in [0, 1]
    wgi: Floats  # by country code (+ sentinels at the default)

    @classmethod
    def build(cls, catalogue: Catalogue, params: ScoringParams) -> Reference:
        """Arrays for ``catalogue``.

        Examples
        --------
        >>> from scoring.catalogue import Material
        >>> dy = Material("Dy", "Dysprosium", 5.6, 7.8, 0.99, 0.01, 1.0)
        >>> ref = Reference.build(Catalogue((dy,), {"CN": 5.72}, 5.0), ScoringParams())
        >>> float(ref.wgi[country_codes(np.array(["CN"]))[0][0]]), float(ref.wgi[0])
        (5.72, 5.0)
        """
        m = catalogue.materials
        sr = np.array([x.supply_risk for x in m], dtype=np.float64)
        ei = np.array([x.economic_importance for x in m], dtype=np.float64)
        wgi = np.full(N_COUNTRIES + 2, catalogue.default_wgi, dtype=np.float64)
        if catalogue.wgi:
            codes, _ = country_codes(np.array(list(catalogue.wgi)))
            wgi[codes] = np.array(list(catalogue.wgi.values()), dtype=np.float64)
        return cls(
            codes=np.array([x.code for x in m]),
            supply_risk=sr,
            eol_rir=np.array([x.eol_rir for x in m], dtype=np.float64),
            si_sr=np.array([x.si_sr for x in m], dtype=np.float64),
            criticality=criticality_prior(sr, ei, params.criticality_scale),
            wgi=wgi,
        )


@dataclass(frozen=True, slots=True)
class Views:
    """Views derived from the state and kept between evaluations (not saved: a restored
    engine builds them again)."""

    policy_totals: PolicyTotals
    licence_pairs: LicencePairs


def _sum_by(group: Rows, values: Floats, n: int) -> Floats:
    """Sum of ``values`` per group ``0 .. n-1``."""
    return np.asarray(np.bincount(group, weights=values, minlength=n), dtype=np.float64)


def _gather(index: HashIndex, values: Floats, codes: NDArray[np.int64]) -> Floats:
    return _gather_many(index, (values,), codes)[0]


def _gather_many(
    index: HashIndex, columns: tuple[Floats, ...], codes: NDArray[np.int64]
) -> tuple[Floats, ...]:
    """Values of each column at the rows of ``codes`` (0 where a code is absent)."""
    if len(index) == 0:
        return tuple(np.zeros(len(codes), dtype=np.float64) for _ in columns)
    rows = index.find(codes)
    found, safe = rows >= 0, np.maximum(rows, 0)
    return tuple(np.where(found, values[safe], 0.0) for values in columns)


def _excess_denial_rate(denials: Floats, decisions: Floats, params: ScoringParams) -> Floats:
    """Posterior-mean denial rate under the Beta prior, as excess over the prior mean."""
    a, b = params.licence_prior_denials, params.licence_prior_approvals
    prior = a / (a + b)
    rate = (a + denials) / (a + b + decisions)
    return np.clip((rate - prior) / (1.0 - prior), 0.0, 1.0)


def components(
    state: State,
    ref: Reference,
    params: ScoringParams,
    anchors: Anchors,
    views: Views,
    *,
    rows: Rows,
    as_of_s: float,
) -> NDArray[np.float64]:
    """``(len(rows), 5)`` components in [0, 1] of unique key ``rows`` at ``as_of_s``."""
    n = len(rows)
    keys = state.keys
    material = keys["material"][rows].astype(np.int64)
    destination = destinations(keys["home"][rows], keys["destination"][rows]).astype(np.int64)
    company = keys["company"][rows].astype(np.int64)

    # Sourcing: observed shares (recency-weighted kg), else declared ones, else unknown.
    lanes = state.lanes
    lane, at = state.lane_chains.children_of(rows, lanes["key"], len(keys))
    mass, declared = lanes["mass"][lane], lanes["declared"][lane]
    observed = _sum_by(at, mass, n)
    stated = _sum_by(at, declared, n)
    use_observed = observed > 0
    known = use_observed | (stated > 0)
    share = np.where(
        use_observed[at],
        mass / np.where(use_observed, observed, 1.0)[at],
        declared / np.maximum(stated, 1.0)[at],
    )
    origin = lanes["origin"][lane].astype(np.int64)

    sr = supply_risk(
        hhi_wgi(at, share, ref.wgi[origin], n), ref.eol_rir[material], ref.si_sr[material]
    )
    live = np.clip(sr / params.concentration_scale, 0.0, 1.0)
    prior = np.clip(ref.supply_risk[material] / params.concentration_scale, 0.0, 1.0)
    concentration = np.where(known, live, prior)

    k = _Keys(rows, material, destination, company, known, at, share, origin)
    flow = _flow(state, anchors, params, rows, as_of_s)
    licence = _licence(state, params, anchors, k, as_of_s, pairs=views.licence_pairs)
    policy = _policy(state, anchors, views.policy_totals, k, as_of_s)

    inventory = keys["inventory_days"][rows]
    cover = params.inventory_cover_days
    damping = np.ones(n)
    known_cover = np.isfinite(inventory)
    damping[known_cover] = cover / (cover + inventory[known_cover])
    out = np.empty((n, 5), dtype=np.float64)
    out[:, 0] = concentration
    out[:, 1] = flow * damping
    out[:, 2] = licence * damping
    out[:, 3] = policy * damping
    out[:, 4] = ref.criticality[material]
    return out


def _flow(
    state: State, anchors: Anchors, params: ScoringParams, rows: Rows, as_of_s: float
) -> Floats:
    keys = state.keys
    short_f = anchors.read_factor("flow_short", as_of_s)
    recent = keys["inflow_short"][rows] * short_f
    baseline = keys["inflow_long"][rows] * anchors.read_factor("flow_long", as_of_s)
    disrupted = keys["disrupted_short"][rows] * short_f
    # Rates: a decayed sum of a steady flow r is r * h / ln 2, so compare sums / h.
    denominator = baseline * params.flow_short_half_life_s
    ratio = np.divide(
        recent * params.flow_long_half_life_s,
        denominator,
        out=np.ones_like(recent),
        where=denominator > 0,
    )
    tol = params.shortfall_tolerance
    shortfall = np.where(denominator > 0, np.clip((1.0 - ratio - tol) / (1.0 - tol), 0.0, 1.0), 0.0)
    total = disrupted + recent
    disrupted_share = np.where(total > 0, disrupted / np.where(total > 0, total, 1.0), 0.0)
    return np.clip(1.0 - (1.0 - shortfall) * (1.0 - disrupted_share), 0.0, 1.0)


@dataclass(frozen=True, slots=True)
class _Keys:
    """The evaluated keys' attributes and their sourcing lanes."""

    rows: Rows
    material: NDArray[np.int64]
    destination: NDArray[np.int64]
    company: NDArray[np.int64]
    known: NDArray[np.bool_]  # sourcing known (observed or declared shares)
    at: Rows  # per sourcing lane: position of its key
    share: Floats  # per sourcing lane
    origin: NDArray[np.int64]  # per sourcing lane


def _licence(
    state: State,
    params: ScoringParams,
    anchors: Anchors,
    k: _Keys,
    as_of_s: float,
    *,
    pairs: LicencePairs,
) -> Floats:
    """Share-weighted excess denial rate over the key's lanes (worst lane if unknown)."""
    n = len(k.rows)
    f = anchors.read_factor("licence", as_of_s)
    wc, wk = params.licence_country_weight, params.licence_company_weight
    cells, cell_index = state.licence_cells, state.licence_cell_index
    firms, firm_index = state.company_licences, state.company_licence_index

    cell = licence_cell_codes(k.origin, k.destination[k.at], k.material[k.at])
    firm = lane_codes(k.rows[k.at], k.origin)
    cell_denials, cell_decisions = _gather_many(
        cell_index, (cells["denials"], cells["decisions"]), cell
    )
    firm_denials, firm_decisions = _gather_many(
        firm_index, (firms["denials"], firms["decisions"]), firm
    )
    denials = wc * cell_denials + wk * firm_denials
    decisions = wc * cell_decisions + wk * firm_decisions
    excess = _excess_denial_rate(denials * f, decisions * f, params)
    pressure = _sum_by(k.at, k.share * excess, n)

    unknown = ~k.known
    if not unknown.any():
        return pressure
    # Unknown sourcing: the worst exporter on the key's (destination, material).
    worst = np.zeros(n, dtype=np.float64)
    asked = np.flatnonzero(unknown)
    cell, on = pairs.cells_of(cells, k.destination[asked], k.material[asked])
    if len(cell):
        denials, decisions = cells["denials"][cell], cells["decisions"][cell]
        excess = _excess_denial_rate(wc * denials * f, wc * decisions * f, params)
        np.maximum.at(worst, asked[on], excess)
    lane, at = state.company_licence_chains.children_of(k.rows, firms["key"], len(state.keys))
    exporter = firms["exporter"][lane].astype(np.int64)
    cell = licence_cell_codes(exporter, k.destination[at], k.material[at])
    cell_denials, cell_decisions = _gather_many(
        cell_index, (cells["denials"], cells["decisions"]), cell
    )
    denials = wc * cell_denials + wk * firms["denials"][lane]
    decisions = wc * cell_decisions + wk * firms["decisions"][lane]
    np.maximum.at(worst, at, _excess_denial_rate(denials * f, decisions * f, params))
    return np.where(unknown, worst, pressure)


def _policy(
    state: State, anchors: Anchors, totals: PolicyTotals, k: _Keys, as_of_s: float
) -> Floats:
    """Net decayed news severity over the cells each key matches, clipped to [0, 1]."""
    n = len(k.rows)
    cells, index = state.policy_cells, state.policy_cell_index
    if len(cells) == 0:
        return np.zeros(n, dtype=np.float64)
    net = cells["net"]
    total_index, total_net = totals.sums(cells)
    patterns = totals.patterns()  # only look up the wildcard patterns that some cell has

    def matched(
        actor: NDArray[np.int64], at: Rows | slice, idx: HashIndex, values: Floats
    ) -> Floats:
        total = np.zeros(len(actor), dtype=np.float64)
        for p in patterns:
            m = np.full(len(actor), ANY_MATERIAL) if p & 4 else k.material[at]
            t = np.full(len(actor), ANY_COUNTRY) if p & 2 else k.destination[at]
            c = np.full(len(actor), ANY_COMPANY) if p & 1 else k.company[at]
            total += _gather(idx, values, policy_cell_codes(actor, m, t, c))
        return total

    anyone = np.full(n, ANY_COUNTRY, dtype=np.int64)
    known_total = matched(anyone, slice(None), index, net)
    by_origin = matched(k.origin, k.at, index, net)
    known_total += _sum_by(k.at, k.share * by_origin, n)
    unknown = ~k.known
    total = known_total
    if unknown.any():
        total = np.where(unknown, matched(anyone, slice(None), total_index, total_net), known_total)
    return np.clip(total * anchors.read_factor("policy", as_of_s), 0.0, 1.0)
