"""Admission of a micro-batch: validation, whole-event rejection, and deduplication.

A news event is exploded into several rows and a profile into a row plus its origin
shares: if any row of such an event is invalid the whole event is refused, so an event is
applied entirely or not at all.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from scoring.columns import (
    EventBatch,
    LicenceDecisions,
    PolicySignals,
    Profiles,
    ProfileShares,
    Shipments,
)
from scoring.dedupe import DedupeSet
from scoring.hashing import mix, stable_hash
from scoring.params import ScoringParams
from scoring.results import Rejections
from scoring.validate import (
    Reasons,
    check_licences,
    check_profile_shares,
    check_profiles,
    check_shipments,
    check_signals,
)

__all__ = ["Admitted", "Holds", "admit", "deduplicate", "held_signals"]

Rows = NDArray[np.intp]
Hashes = NDArray[np.uint64]
R = TypeVar("R", Shipments, LicenceDecisions, PolicySignals, Profiles, ProfileShares)
T = TypeVar("T", bound=np.generic)
MaterialIds = Callable[[NDArray[np.str_]], tuple[Rows, NDArray[np.bool_]]]
Holds = Callable[[NDArray[np.str_]], NDArray[np.bool_]]


@dataclass(frozen=True, slots=True)
class Admitted:
    """Valid rows of a batch with their material ids and event-id hashes."""

    shipments: Shipments
    shipment_material: Rows
    shipment_id: Hashes
    licences: LicenceDecisions
    licence_material: Rows
    licence_id: Hashes
    signals: PolicySignals
    signal_material: Rows
    signal_id: Hashes  # hash of (event_id, part)
    signal_event: Hashes  # hash of event_id
    profiles: Profiles
    profile_material: Rows
    profile_id: Hashes
    shares: ProfileShares
    share_material: Rows
    rejected: Rejections
    latest_s: float  # latest event time among the rows (NaN when none)


def _spread(
    reasons: Reasons, event: Hashes, source: Reasons, source_event: Hashes, message: str
) -> None:
    """Fail rows whose event has a refused row in ``source`` (whole-event rejection)."""
    if source.bad.any():
        reasons.fail(np.isin(event, np.unique(source_event[source.bad])), message)


def _take(record: R, ok: NDArray[np.bool_] | None) -> R:
    """The rows of ``record`` in ``ok`` (None: all of them)."""
    return record if ok is None or ok.all() else record.take(ok)


def _kept(values: NDArray[T], ok: NDArray[np.bool_] | None) -> NDArray[T]:
    """The rows of ``values`` in ``ok`` (None: ``values`` itself)."""
    return values if ok is None else values[ok]


def _passed(reasons: Reasons) -> NDArray[np.bool_] | None:
    """The rows that passed validation; None when all did (a rule is kept only if it
    failed), so that most batches select nothing."""
    return reasons.ok if reasons.rules else None


def _checked(
    check: Callable[[R, NDArray[np.bool_], ScoringParams, float | None], Reasons],
    record: R,
    known: NDArray[np.bool_],
    params: ScoringParams,
    now_s: float | None,
) -> Reasons:
    """``check`` of ``record``; an empty record (most batches hold one kind) skips it."""
    return check(record, known, params, now_s) if len(record) else Reasons(0)


def admit(
    batch: EventBatch, material_ids: MaterialIds, params: ScoringParams, now_s: float | None
) -> Admitted:
    """Validate every row of ``batch``; returns the valid rows and the rejections."""
    s, d, n, p, ps = (
        batch.shipments,
        batch.licences,
        batch.signals,
        batch.profiles,
        batch.profile_shares,
    )
    s_mat, s_known = material_ids(s.material)
    d_mat, d_known = material_ids(d.material)
    n_mat, n_known = material_ids(n.material)
    p_mat, p_known = material_ids(p.material)
    ps_mat, ps_known = material_ids(ps.material)
    s_reason = _checked(check_shipments, s, s_known, params, now_s)
    d_reason = _checked(check_licences, d, d_known, params, now_s)
    n_reason = _checked(check_signals, n, n_known, params, now_s)
    p_reason = _checked(check_profiles, p, p_known, params, now_s)
    ps_reason = _checked(check_profile_shares, ps, ps_known, params, now_s)

    n_event = stable_hash(n.event_id)
    _spread(n_reason, n_event, n_reason, n_event, "another row of this news event is invalid")
    p_id, ps_id = stable_hash(p.event_id), stable_hash(ps.event_id)
    _spread(p_reason, p_id, ps_reason, ps_id, "invalid origin_shares row (share or country)")
    _spread(ps_reason, ps_id, p_reason, p_id, "its profile event is invalid")
    if len(ps):
        ps_reason.fail(~np.isin(ps_id, p_id), "origin_shares row without its profile row")

    kinds = ("shipment", "licence_decision", "news", "profile", "profile_share")
    ids = (s.event_id, d.event_id, n.event_id, p.event_id, ps.event_id)
    times_by_kind = (s.time_s, d.time_s, n.time_s, p.time_s, ps.time_s)
    reasons = (s_reason, d_reason, n_reason, p_reason, ps_reason)
    rejected = _rejections(kinds, ids, reasons)
    ok = [_passed(r) for r in reasons]
    times = np.concatenate([_kept(t, k) for t, k in zip(times_by_kind, ok, strict=True)])
    return Admitted(
        shipments=_take(s, ok[0]),
        shipment_material=_kept(s_mat, ok[0]),
        shipment_id=stable_hash(_kept(s.event_id, ok[0])),
        licences=_take(d, ok[1]),
        licence_material=_kept(d_mat, ok[1]),
        licence_id=stable_hash(_kept(d.event_id, ok[1])),
        signals=_take(n, ok[2]),
        signal_material=_kept(n_mat, ok[2]),
        signal_id=mix(_kept(n_event, ok[2]), _kept(n.part, ok[2])),
        signal_event=_kept(n_event, ok[2]),
        profiles=_take(p, ok[3]),
        profile_material=_kept(p_mat, ok[3]),
        profile_id=_kept(p_id, ok[3]),
        shares=_take(ps, ok[4]),
        share_material=_kept(ps_mat, ok[4]),
        rejected=rejected,
        latest_s=float(times.max()) if len(times) else math.nan,
    )


def _rejections(
    kinds: tuple[str, ...], ids: tuple[NDArray[np.str_], ...], reasons: tuple[Reasons, ...]
) -> Rejections:
    """The refused rows of every kind, with their first reason."""
    if not any(r.rules for r in reasons):  # most batches: a rule is kept only if it failed
        return Rejections.empty()
    bad = [np.flatnonzero(r.bad) for r in reasons]
    return Rejections(
        kind=np.concatenate([np.full(len(b), k) for k, b in zip(kinds, bad, strict=True)]).astype(
            str
        ),
        index=np.concatenate(bad).astype(np.intp),
        event_id=np.concatenate([e[b] for e, b in zip(ids, bad, strict=True)]).astype(str),
        reason=np.concatenate([r.reasons(b) for r, b in zip(reasons, bad, strict=True)]).astype(
            str
        ),
    )


def deduplicate(a: Admitted, seen: DedupeSet) -> tuple[Admitted, int, int]:
    """Drop rows whose id was applied before (or earlier in the batch); remember the rest.
    Returns the rows left, and how many events were new and how many duplicates.

    Profile origin shares are not deduplicated: they only take effect when their profile
    event is the one in force for the key, so applying them again changes nothing.
    """
    ids = np.concatenate([a.shipment_id, a.licence_id, a.signal_id, a.profile_id])
    times = np.concatenate(
        [a.shipments.time_s, a.licences.time_s, a.signals.time_s, a.profiles.time_s]
    )
    fresh = seen.admit(ids, times)
    # Every copy of a news event has exactly one row with part 0: count events by it.
    first_part = a.signals.part == 0
    if fresh.all():  # most batches: nothing to drop (and no copy of ``a``)
        applied = len(a.shipment_id) + len(a.licence_id) + len(a.profile_id)
        return a, applied + int(first_part.sum()), 0
    edges = np.cumsum([len(a.shipment_id), len(a.licence_id), len(a.signal_id)])
    f_s, f_d, f_n, f_p = np.split(fresh, edges)
    news_new = int((f_n & first_part).sum())
    news_old = int((~f_n & first_part).sum())
    other = len(f_s) + len(f_d) + len(f_p)
    other_new = int(f_s.sum() + f_d.sum() + f_p.sum())
    kept = replace(
        a,
        shipments=_take(a.shipments, f_s),
        shipment_material=a.shipment_material[f_s],
        shipment_id=a.shipment_id[f_s],
        licences=_take(a.licences, f_d),
        licence_material=a.licence_material[f_d],
        licence_id=a.licence_id[f_d],
        signals=_take(a.signals, f_n),
        signal_material=a.signal_material[f_n],
        signal_id=a.signal_id[f_n],
        signal_event=a.signal_event[f_n],
        profiles=_take(a.profiles, f_p),
        profile_material=a.profile_material[f_p],
        profile_id=a.profile_id[f_p],
    )
    return kept, other_new + news_new, other - other_new + news_old


def held_signals(a: Admitted, holds: Holds | None) -> Admitted:
    """``a`` without its news rows naming a company that ``holds(companies)`` says this
    engine does not hold (``None``: every row is kept).

    Validation, whole-event rejection, deduplication and the counts were decided on every
    row before: a row left out here could only match keys of its company, and an engine
    that does not hold the company has none (a partition's engine holds the companies
    homed on its partition), so it would only add cells that nothing reads.
    """
    signals = a.signals
    if holds is None or len(signals) == 0:
        return a
    named = signals.company != ""
    if not named.any():
        return a
    keep = ~named
    keep[named] = holds(signals.company[named])
    if keep.all():
        return a
    return replace(
        a,
        signals=signals.take(keep),
        signal_material=a.signal_material[keep],
        signal_id=a.signal_id[keep],
        signal_event=a.signal_event[keep],
    )
