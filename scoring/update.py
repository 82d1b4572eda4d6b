"""State updates for each kind of evidence, vectorised over the rows of a micro-batch.

Every function receives rows already validated and deduplicated, with material ids
resolved, and adds decayed contributions with :func:`scatter_add` (an unbuffered scatter-add:
repeated indices accumulate).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from scoring.columns import (
    Decision,
    LicenceDecisions,
    NewsCategory,
    PolicySignals,
    Profiles,
    ProfileShares,
    Shipments,
    ShipmentStatus,
)
from scoring.decay import Anchors
from scoring.grouping import spans
from scoring.hashing import country_codes, mix, stable_hash
from scoring.params import ScoringParams
from scoring.state import ANY_COMPANY, ANY_COUNTRY, ANY_MATERIAL, State

__all__ = [
    "advance_stamps",
    "apply_licences",
    "apply_profiles",
    "apply_shipments",
    "apply_signals",
    "denial_credit",
    "news_weights",
    "scatter_add",
]

Rows = NDArray[np.intp]

# Plain ints: numpy compares an array with an IntEnum member ~4x slower than with an int.
_SHIPPED, _DELIVERED = int(ShipmentStatus.SHIPPED), int(ShipmentStatus.DELIVERED)


def scatter_add(
    target: NDArray[np.floating] | NDArray[np.integer],
    index: Rows,
    values: NDArray[np.float64] | None,
) -> None:
    """``target[index] += values`` with repeated indices accumulating, in input order
    (``values=None`` adds 1 per index).

    ``np.add.at`` with values of the target's own dtype: numpy's fast path, faster than a
    ``bincount`` over the target even for batches as large as the target. A Python ``1``
    (or any value needing a cast) takes its generic path, ~50x slower.

    Examples
    --------
    >>> t = np.zeros(3)
    >>> scatter_add(t, np.array([2, 0, 2]), np.array([1.0, 2.0, 3.0]))
    >>> t.tolist()
    [2.0, 0.0, 4.0]
    >>> n = np.zeros(2, dtype=np.int32)
    >>> scatter_add(n, np.array([1, 1, 0]), None)
    >>> n.tolist()
    [1, 2]
    """
    if values is None:
        np.add.at(target, index, target.dtype.type(1))
    else:
        np.add.at(target, index, np.asarray(values, dtype=target.dtype))


def advance_stamps(
    stamp_time: NDArray[np.float64],
    stamp_tie: NDArray[np.uint64],
    key: Rows,
    time_s: NDArray[np.float64],
    tie: NDArray[np.uint64],
) -> NDArray[np.bool_]:
    """Last-writer-wins by (time, tie) without sorting: move each key's stamp to the
    largest (time, tie) among its current stamp and the rows; returns the rows that hold
    their key's stamp afterwards and are newer than the stamp before (the winners).

    Examples
    --------
    >>> t, h = np.array([-np.inf, 5.0]), np.array([0, 9], dtype=np.uint64)
    >>> win = advance_stamps(t, h, np.array([0, 0, 1, 1]), np.array([1.0, 2.0, 5.0, 4.0]),
    ...                      np.array([7, 3, 4, 8], dtype=np.uint64))
    >>> win.tolist(), t.tolist(), h.tolist()
    ([False, True, False, False], [2.0, 5.0], [3, 9])
    """
    old_time, old_tie = stamp_time[key], stamp_tie[key]
    np.maximum.at(stamp_time, key, time_s)
    new_time = stamp_time[key]
    stamp_tie[key[new_time > old_time]] = 0
    candidate = time_s == new_time
    np.maximum.at(stamp_tie, key[candidate], tie[candidate])
    holds = candidate & (tie == stamp_tie[key])
    return np.asarray(holds & ((time_s > old_time) | (tie > old_tie)), dtype=np.bool_)


def _update_destination(
    state: State, key: Rows, time_s: NDArray[np.float64], tie: NDArray[np.uint64], dest: Rows
) -> None:
    """Last-writer-wins destination of keys from their shipments and licence decisions."""
    if len(key) == 0:
        return
    keys = state.keys
    win = advance_stamps(keys["destination_time"], keys["destination_tie"], key, time_s, tie)
    keys["destination"][key[win]] = dest[win]


def apply_shipments(
    state: State,
    s: Shipments,
    material: Rows,
    tie: NDArray[np.uint64],
    *,
    anchors: Anchors,
    params: ScoringParams,
) -> Rows:
    """Apply shipments: flow sums, origin lanes, destination. Returns touched key rows."""
    company = state.company_ids(s.company, stable_hash(s.company))
    key = state.key_rows(company, material)
    keys = state.keys
    scatter_add(keys["events"], key, None)
    q = s.quantity_kg
    status = s.status
    inflow = (status == _SHIPPED) | (status == _DELIVERED)
    short = q * anchors.weights("flow_short", s.time_s)
    scatter_add(keys["inflow_short"], key[inflow], short[inflow])
    long_ = q * anchors.weights("flow_long", s.time_s)
    scatter_add(keys["inflow_long"], key[inflow], long_[inflow])
    disrupted = [0.0] * len(ShipmentStatus)  # a list: numpy indexed by an enum is slow
    disrupted[ShipmentStatus.DELAYED] = params.delayed_weight
    disrupted[ShipmentStatus.HELD] = params.held_weight
    disrupted[ShipmentStatus.CANCELLED] = params.cancelled_weight
    scatter_add(keys["disrupted_short"], key, short * np.array(disrupted)[status])
    origin, _ = country_codes(s.origin)
    lane = state.lane_rows(key, origin)
    scatter_add(state.lanes["mass"], lane, q * anchors.weights("share", s.time_s))
    destination, _ = country_codes(s.destination)
    _update_destination(state, key, s.time_s, tie, destination.astype(np.intp))
    return key


def denial_credit(d: LicenceDecisions, params: ScoringParams) -> NDArray[np.float64]:
    """How much of a denial each decision is: 1 for denied / suspended / revoked, the
    ``pending_denial_weight`` for pending or long-pending (``processing_days`` at least
    ``long_pending_days``) decisions, else 0.

    Examples
    --------
    >>> from scoring.columns import LicenceDecisions
    >>> d = LicenceDecisions.empty()
    >>> denial_credit(d, ScoringParams()).tolist()
    []
    """
    credit = [0.0] * len(Decision)
    for denial in (Decision.DENIED, Decision.SUSPENDED, Decision.REVOKED):
        credit[denial] = 1.0
    credit[Decision.PENDING] = params.pending_denial_weight
    base = np.array(credit)[d.decision]
    long_pending = d.processing_days >= params.long_pending_days  # False where NaN (unknown)
    return np.where(long_pending, np.maximum(base, params.pending_denial_weight), base)


def apply_licences(
    state: State,
    d: LicenceDecisions,
    material: Rows,
    tie: NDArray[np.uint64],
    *,
    anchors: Anchors,
    params: ScoringParams,
) -> Rows:
    """Apply licence decisions to country-wide cells or company lanes; returns touched keys."""
    w = anchors.weights("licence", d.time_s)
    denials = denial_credit(d, params) * w
    exporter, _ = country_codes(d.exporter)
    destination, _ = country_codes(d.destination)
    wide = d.company == ""
    cell = state.licence_cell_rows(exporter[wide], destination[wide], material[wide])
    cells = state.licence_cells
    scatter_add(cells["denials"], cell, denials[wide])
    scatter_add(cells["decisions"], cell, w[wide])
    named = ~wide
    company = state.company_ids(d.company[named], stable_hash(d.company[named]))
    key = state.key_rows(company, material[named])
    scatter_add(state.keys["events"], key, None)
    lane = state.company_licence_rows(key, exporter[named])
    lanes = state.company_licences
    scatter_add(lanes["denials"], lane, denials[named])
    scatter_add(lanes["decisions"], lane, w[named])
    dest = destination[named].astype(np.intp)
    _update_destination(state, key, d.time_s[named], tie[named], dest)
    return key


def news_weights(params: ScoringParams) -> NDArray[np.float64]:
    """Signed multiplier of severity per news category (easing is negative).

    Examples
    --------
    >>> news_weights(ScoringParams()).tolist()
    [1.0, 1.0, -1.0, 0.5, 0.3, 0.0]
    """
    table = [0.0] * len(NewsCategory)
    table[NewsCategory.EXPORT_CONTROL] = params.export_control_weight
    table[NewsCategory.SANCTION] = params.sanction_weight
    table[NewsCategory.POLICY_EASING] = -params.easing_weight
    table[NewsCategory.DISASTER] = params.disaster_weight
    table[NewsCategory.LOGISTICS] = params.logistics_weight
    table[NewsCategory.OTHER] = params.other_news_weight
    return np.array(table)


def apply_signals(
    state: State, p: PolicySignals, material: Rows, anchors: Anchors, params: ScoringParams
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Add news rows to policy cells; returns the cells' (actor, material, target, company).

    A key matched by both a target row and a company row of one event would count the
    event twice; an overlap cell (actor, material, target, company) holding minus the
    event's value cancels the second count (inclusion-exclusion), so that evaluation can
    simply sum the cells a key matches.
    """
    actor_code, _ = country_codes(p.actor)
    actor = np.where(p.actor == "", ANY_COUNTRY, actor_code).astype(np.int64)
    mat = np.where(p.material == "", ANY_MATERIAL, material).astype(np.int64)
    target_code, _ = country_codes(p.target)
    target = np.where(p.target == "", ANY_COUNTRY, target_code).astype(np.int64)
    named = p.company != ""
    company = np.full(len(p), ANY_COMPANY, dtype=np.int64)
    company[named] = state.company_ids(p.company[named], stable_hash(p.company[named]))
    value = news_weights(params)[p.category] * p.severity * anchors.weights("policy", p.time_s)

    # Overlaps: company rows x target rows of the same event and material.
    group = mix(stable_hash(p.event_id), mat)
    targeted = np.flatnonzero(target != ANY_COUNTRY)
    by_group = targeted[np.argsort(group[targeted], kind="stable")]
    sorted_groups = group[by_group]
    firms = np.flatnonzero(named)
    lo = np.searchsorted(sorted_groups, group[firms], side="left")
    count = np.searchsorted(sorted_groups, group[firms], side="right") - lo
    firm_rows = np.repeat(firms, count)
    target_rows = by_group[spans(lo, count)]

    cell_actor = np.concatenate([actor, actor[firm_rows]])
    cell_material = np.concatenate([mat, mat[firm_rows]])
    cell_target = np.concatenate([target, target[target_rows]])
    cell_company = np.concatenate([company, company[firm_rows]])
    cell_value = np.concatenate([value, -value[firm_rows]])
    cell = state.policy_cell_rows(cell_actor, cell_material, cell_target, cell_company)
    scatter_add(state.policy_cells["net"], cell, cell_value)
    return cell_actor, cell_material, cell_target, cell_company


def apply_profiles(
    state: State, p: Profiles, material: Rows, shares: ProfileShares, share_material: Rows
) -> Rows:
    """Last-writer-wins profiles by (time, event-id hash); returns touched key rows.

    A newer profile replaces the key's home country, inventory cover and declared origin
    shares as a whole; an older one is ignored, whatever order they arrive in.
    """
    company = state.company_ids(p.company, stable_hash(p.company))
    key = state.key_rows(company, material)
    keys = state.keys
    scatter_add(keys["events"], key, None)
    tie = stable_hash(p.event_id)
    win = np.flatnonzero(
        advance_stamps(keys["profile_time"], keys["profile_tie"], key, p.time_s, tie)
    )
    k = key[win]
    home, _ = country_codes(p.home_country)
    keys["home"][k] = home[win]
    keys["inventory_days"][k] = p.inventory_days[win]
    if len(k):  # the replaced keys' lanes, through the chains: O(their lanes), not O(all)
        lanes, _ = state.lane_chains.children_of(np.unique(k), state.lanes["key"], len(keys))
        state.lanes["declared"][lanes] = 0.0
    # Shares rows belong to the profile event now in force for their key, or are stale.
    share_company = state.company_ids(shares.company, stable_hash(shares.company))
    share_key = state.key_rows(share_company, share_material)
    share_tie = stable_hash(shares.event_id)
    current = (keys["profile_time"][share_key] == shares.time_s) & (
        keys["profile_tie"][share_key] == share_tie
    )
    origin, _ = country_codes(shares.country[current])
    lane = state.lane_rows(share_key[current], origin)
    state.lanes["declared"][lane] = shares.share[current]
    return np.concatenate([key, share_key[current]])
