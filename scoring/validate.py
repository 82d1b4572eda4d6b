"""Validation of column values: every refused row gets a short human-readable reason.

Each ``check_*`` function returns the :class:`Reasons` of a record: which rows failed and,
for those only, the first failing rule's message. Rules compare whole columns at once.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from scoring.columns import LicenceDecisions, PolicySignals, Profiles, ProfileShares, Shipments
from scoring.hashing import country_codes, string_lengths
from scoring.params import ScoringParams

__all__ = [
    "Reasons",
    "check_licences",
    "check_profile_shares",
    "check_profiles",
    "check_shipments",
    "check_signals",
]

_REASON_DTYPE = "<U160"
Message = str | Callable[[NDArray[np.intp]], NDArray[np.str_]]


def _longer(values: NDArray[np.str_], limit: int) -> NDArray[np.bool_]:
    """Strings longer than ``limit`` characters; no pass when the dtype holds no such one."""
    if values.dtype.itemsize // 4 <= limit:
        return np.zeros(len(values), dtype=np.bool_)
    return string_lengths(values) > limit


class Reasons:
    """The failed rules of each row; reason strings are built for refused rows only.

    Examples
    --------
    >>> r = Reasons(3)
    >>> r.fail(np.array([False, True, True]), "first")
    >>> r.fail(np.array([True, True, False]), "second")
    >>> r.bad.tolist(), r.reasons(np.flatnonzero(r.bad)).tolist()
    ([True, True, True], ['second', 'first', 'first'])
    """

    __slots__ = ("bad", "rules")

    def __init__(self, n: int) -> None:
        self.bad = np.zeros(n, dtype=np.bool_)
        self.rules: list[tuple[NDArray[np.bool_], Message]] = []

    @property
    def ok(self) -> NDArray[np.bool_]:
        """Rows that passed every rule."""
        return ~self.bad

    def fail(self, mask: NDArray[np.bool_], message: Message) -> None:
        """Rows in ``mask`` fail with ``message`` (a string, or a function of row indices
        returning one string per row) unless an earlier rule already failed them."""
        if mask.any():
            self.rules.append((mask, message))
            self.bad |= mask

    def reasons(self, index: NDArray[np.intp]) -> NDArray[np.str_]:
        """The first failing rule's message for each row in ``index``."""
        out = np.full(len(index), "", dtype=_REASON_DTYPE)
        for mask, message in self.rules:
            hit = mask[index] & (out == "")
            if hit.any():
                out[hit] = message if isinstance(message, str) else message(index[hit])
        return out

    def common(
        self,
        event_id: NDArray[np.str_],
        time_s: NDArray[np.float64],
        params: ScoringParams,
        now_s: float | None,
    ) -> None:
        """Rules every event obeys: an event id of sane length and a sane event time."""
        self.fail(event_id == "", "empty event_id")
        self.fail(
            _longer(event_id, params.max_event_id_len), "event_id longer than max_event_id_len"
        )
        self.fail(~np.isfinite(time_s), "event time is not finite")
        if now_s is not None:
            self.fail(time_s > now_s + params.max_future_s, "event time too far in the future")

    def company(self, company: NDArray[np.str_], params: ScoringParams, *, required: bool) -> None:
        """A company name (required or optional) no longer than ``max_company_len``."""
        if required:
            self.fail(company == "", "missing company")
        self.fail(_longer(company, params.max_company_len), "company longer than max_company_len")

    def country(self, field: str, values: NDArray[np.str_], *, required: bool) -> None:
        """An ISO alpha-2 code; ``""`` allowed when the field is optional."""
        _, ok = country_codes(values)
        bad = ~ok if required else ~ok & (values != "")
        self.fail(bad, _quoted(f"{field} is not an ISO alpha-2 code: ", values))

    def material(self, known: NDArray[np.bool_], values: NDArray[np.str_]) -> None:
        """A material code from the catalogue."""
        self.fail(~known, _quoted("unknown material ", values))

    def quantity(
        self, field: str, values: NDArray[np.float64], *, optional: bool, high: float = math.inf
    ) -> None:
        """A finite number in [0, ``high``] (``NaN`` allowed when optional)."""
        bad = ~(np.isfinite(values) & (values >= 0) & (values <= high))
        if optional:
            bad &= ~np.isnan(values)
        bound = ">= 0" if math.isinf(high) else f"in [0, {high:g}]"
        self.fail(bad, f"{field} must be a finite number {bound}")

    def code(self, field: str, values: NDArray[np.int8], n_codes: int) -> None:
        """An enumeration code in ``0 .. n_codes - 1``."""
        self.fail((values < 0) | (values >= n_codes), f"unknown {field} code")


def _quoted(
    prefix: str, values: NDArray[np.str_]
) -> Callable[[NDArray[np.intp]], NDArray[np.str_]]:
    def message(index: NDArray[np.intp]) -> NDArray[np.str_]:
        shown = np.asarray(values[index]).astype("<U40")
        return np.strings.add(np.strings.add(prefix + "'", shown), "'")

    return message


def check_shipments(
    s: Shipments, known: NDArray[np.bool_], params: ScoringParams, now_s: float | None
) -> Reasons:
    """Reasons for ``shipment`` rows; ``known`` marks catalogue materials."""
    r = Reasons(len(s))
    r.common(s.event_id, s.time_s, params, now_s)
    r.company(s.company, params, required=True)
    r.material(known, s.material)
    r.country("origin_country", s.origin, required=True)
    r.country("destination_country", s.destination, required=True)
    r.quantity("quantity_kg", s.quantity_kg, optional=False, high=params.max_quantity_kg)
    r.code("status", s.status, 5)
    return r


def check_licences(
    d: LicenceDecisions, known: NDArray[np.bool_], params: ScoringParams, now_s: float | None
) -> Reasons:
    """Reasons for ``licence_decision`` rows."""
    r = Reasons(len(d))
    r.common(d.event_id, d.time_s, params, now_s)
    r.country("exporting_country", d.exporter, required=True)
    r.country("destination_country", d.destination, required=True)
    r.material(known, d.material)
    r.code("decision", d.decision, 5)
    r.company(d.company, params, required=False)
    r.quantity("quantity_kg", d.quantity_kg, optional=True, high=params.max_quantity_kg)
    r.quantity("processing_days", d.processing_days, optional=True)
    return r


def check_signals(
    p: PolicySignals, known: NDArray[np.bool_], params: ScoringParams, now_s: float | None
) -> Reasons:
    """Reasons for exploded ``news`` rows (``material == ""`` means every material)."""
    r = Reasons(len(p))
    r.common(p.event_id, p.time_s, params, now_s)
    r.fail(p.part < 0, "negative part number")
    r.country("actor_country", p.actor, required=False)
    r.country("target_country", p.target, required=False)
    r.company(p.company, params, required=False)
    r.fail((p.target != "") & (p.company != ""), "a news row names both a target and a company")
    r.material(known | (p.material == ""), p.material)
    r.code("category", p.category, 6)
    bad = ~(np.isfinite(p.severity) & (p.severity >= 0) & (p.severity <= 1))
    r.fail(bad, "severity must be in [0, 1]")
    return r


def check_profiles(
    p: Profiles, known: NDArray[np.bool_], params: ScoringParams, now_s: float | None
) -> Reasons:
    """Reasons for ``profile`` rows."""
    r = Reasons(len(p))
    r.common(p.event_id, p.time_s, params, now_s)
    r.company(p.company, params, required=True)
    r.material(known, p.material)
    r.country("home_country", p.home_country, required=False)
    r.quantity("annual_demand_kg", p.annual_demand_kg, optional=True)
    r.quantity("inventory_days", p.inventory_days, optional=True)
    return r


def check_profile_shares(
    p: ProfileShares, known: NDArray[np.bool_], params: ScoringParams, now_s: float | None
) -> Reasons:
    """Reasons for ``profile.origin_shares`` rows."""
    r = Reasons(len(p))
    r.common(p.event_id, p.time_s, params, now_s)
    r.company(p.company, params, required=True)
    r.material(known, p.material)
    r.country("origin_shares country", p.country, required=True)
    bad = ~(np.isfinite(p.share) & (p.share >= 0) & (p.share <= 1))
    r.fail(bad, "origin share must be in [0, 1]")
    return r
