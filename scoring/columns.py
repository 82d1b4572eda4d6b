"""Column batches: the only form in which evidence enters the scoring core.

The stream edge (``stream/``) decodes JSON events, validates their shape and turns a
micro-batch into these struct-of-arrays records; the core never sees a dict or a string
it has to parse. Every array of one record has the same length (one row per event, or
per exploded part of an event for news and profiles).

Conventions
-----------
- Times are event times in seconds since the Unix epoch (``float64``).
- Strings are numpy unicode arrays (``dtype.kind == "U"``). An empty string means
  "absent" where a field is optional (a country-wide licence decision has ``company == ""``).
- Optional numbers are ``NaN`` when absent.
- Enumerations are small integers (``int8``) with the codes of the enums below.
- Country codes are ISO 3166-1 alpha-2, upper case; material codes are catalogue codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Self

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "Decision",
    "EventBatch",
    "LicenceDecisions",
    "NewsCategory",
    "PolicySignals",
    "ProfileShares",
    "Profiles",
    "ShipmentStatus",
    "Shipments",
]

Strings = NDArray[np.str_]
Floats = NDArray[np.float64]
Codes = NDArray[np.int8]
Parts = NDArray[np.int32]


class ShipmentStatus(IntEnum):
    """``shipment.status`` codes."""

    SHIPPED = 0
    DELIVERED = 1
    DELAYED = 2
    HELD = 3
    CANCELLED = 4


class Decision(IntEnum):
    """``licence_decision.decision`` codes."""

    APPROVED = 0
    DENIED = 1
    SUSPENDED = 2
    REVOKED = 3
    PENDING = 4


class NewsCategory(IntEnum):
    """``news.category`` codes."""

    EXPORT_CONTROL = 0
    SANCTION = 1
    POLICY_EASING = 2
    DISASTER = 3
    LOGISTICS = 4
    OTHER = 5


_DTYPE_KIND = {"U": "U", "f": "f", "i": "i"}


class _Columns:
    """Shared behaviour of the column records: length checks, empties, concatenation."""

    __slots__ = ()

    # Maps each field to the numpy dtype it must have ("U" means any unicode width).
    _dtypes: dict[str, str]

    def __post_init__(self) -> None:
        lengths = {len(getattr(self, name)) for name in self._dtypes}
        if len(lengths) > 1:
            raise ValueError(f"{type(self).__name__}: columns differ in length: {lengths}")
        for name, dtype in self._dtypes.items():
            column = getattr(self, name)
            ok = column.dtype.kind == "U" if dtype == "U" else column.dtype == np.dtype(dtype)
            if not ok or column.ndim != 1:
                raise TypeError(
                    f"{type(self).__name__}.{name}: expected 1-d {dtype}, got "
                    f"{column.ndim}-d {column.dtype}"
                )

    def __len__(self) -> int:
        return len(getattr(self, next(iter(self._dtypes))))

    @classmethod
    def empty(cls) -> Self:
        """A record with no rows."""
        return cls(**{name: _empty(dtype) for name, dtype in cls._dtypes.items()})

    @classmethod
    def concat(cls, parts: list[Self]) -> Self:
        """Rows of ``parts`` one after the other."""
        if not parts:
            return cls.empty()
        return cls(
            **{name: np.concatenate([getattr(p, name) for p in parts]) for name in cls._dtypes}
        )

    def take(self, index: NDArray[np.intp] | NDArray[np.bool_]) -> Self:
        """The rows selected by an index array or a boolean mask."""
        return type(self)(**{name: getattr(self, name)[index] for name in self._dtypes})

    def rows(self, start: int, stop: int) -> Self:
        """Rows ``start`` to ``stop`` (views of the columns, no copy)."""
        return type(self)(**{name: getattr(self, name)[start:stop] for name in self._dtypes})


def _empty(dtype: str) -> NDArray[Any]:
    return np.empty(0, dtype="<U1" if dtype == "U" else dtype)


@dataclass(frozen=True, slots=True, eq=False)
class Shipments(_Columns):
    """One row per ``shipment`` event."""

    event_id: Strings
    time_s: Floats
    company: Strings
    material: Strings
    origin: Strings
    destination: Strings
    quantity_kg: Floats
    status: Codes  # ShipmentStatus

    _dtypes = {  # noqa: RUF012 - class-level schema, not a field
        "event_id": "U",
        "time_s": "float64",
        "company": "U",
        "material": "U",
        "origin": "U",
        "destination": "U",
        "quantity_kg": "float64",
        "status": "int8",
    }


@dataclass(frozen=True, slots=True, eq=False)
class LicenceDecisions(_Columns):
    """One row per ``licence_decision`` event; ``company == ""`` is a country-wide decision."""

    event_id: Strings
    time_s: Floats
    exporter: Strings
    destination: Strings
    material: Strings
    decision: Codes  # Decision
    company: Strings
    quantity_kg: Floats  # NaN when absent
    processing_days: Floats  # NaN when absent

    _dtypes = {  # noqa: RUF012
        "event_id": "U",
        "time_s": "float64",
        "exporter": "U",
        "destination": "U",
        "material": "U",
        "decision": "int8",
        "company": "U",
        "quantity_kg": "float64",
        "processing_days": "float64",
    }


@dataclass(frozen=True, slots=True, eq=False)
class PolicySignals(_Columns):
    """News events exploded by the edge into one row per exposure.

    A news event with materials ``M``, target countries ``T`` and companies ``C`` becomes
    one row per ``(m, t)`` (``company == ""``) and one per ``(m, c)`` (``target == ""``);
    with neither targets nor companies, one row per ``m`` with both empty (every
    destination). ``material == ""`` means every material. ``part`` numbers the rows of one
    event from 0, so ``(event_id, part)`` identifies a row and duplicates of the whole event
    explode identically. A key matched by several rows of one event counts once.
    ``severity`` is in [0, 1]; the category says whether it tightens or eases.
    """

    event_id: Strings
    part: Parts
    time_s: Floats
    actor: Strings  # "" when unknown: every origin
    material: Strings
    target: Strings
    company: Strings
    category: Codes  # NewsCategory
    severity: Floats

    _dtypes = {  # noqa: RUF012
        "event_id": "U",
        "part": "int32",
        "time_s": "float64",
        "actor": "U",
        "material": "U",
        "target": "U",
        "company": "U",
        "category": "int8",
        "severity": "float64",
    }


@dataclass(frozen=True, slots=True, eq=False)
class Profiles(_Columns):
    """One row per ``profile`` event (reference data: the latest ``time_s`` wins)."""

    event_id: Strings
    time_s: Floats
    company: Strings
    material: Strings
    home_country: Strings  # "" when absent
    annual_demand_kg: Floats  # NaN when absent
    inventory_days: Floats  # NaN when absent

    _dtypes = {  # noqa: RUF012
        "event_id": "U",
        "time_s": "float64",
        "company": "U",
        "material": "U",
        "home_country": "U",
        "annual_demand_kg": "float64",
        "inventory_days": "float64",
    }


@dataclass(frozen=True, slots=True, eq=False)
class ProfileShares(_Columns):
    """``profile.origin_shares`` exploded: one row per (profile event, origin country)."""

    event_id: Strings
    time_s: Floats
    company: Strings
    material: Strings
    country: Strings
    share: Floats

    _dtypes = {  # noqa: RUF012
        "event_id": "U",
        "time_s": "float64",
        "company": "U",
        "material": "U",
        "country": "U",
        "share": "float64",
    }


@dataclass(frozen=True, slots=True)
class EventBatch:
    """A micro-batch of evidence of every kind, as columns."""

    shipments: Shipments
    licences: LicenceDecisions
    signals: PolicySignals
    profiles: Profiles
    profile_shares: ProfileShares

    @classmethod
    def empty(cls) -> EventBatch:
        return cls.of()

    @classmethod
    def of(
        cls,
        *,
        shipments: Shipments | None = None,
        licences: LicenceDecisions | None = None,
        signals: PolicySignals | None = None,
        profiles: Profiles | None = None,
        profile_shares: ProfileShares | None = None,
    ) -> EventBatch:
        """A batch of the given records, every other kind empty.

        >>> len(EventBatch.of()), EventBatch.of().shipments.time_s.dtype.name
        (0, 'float64')
        """
        return cls(
            Shipments.empty() if shipments is None else shipments,
            LicenceDecisions.empty() if licences is None else licences,
            PolicySignals.empty() if signals is None else signals,
            Profiles.empty() if profiles is None else profiles,
            ProfileShares.empty() if profile_shares is None else profile_shares,
        )

    def __len__(self) -> int:
        return (
            len(self.shipments)
            + len(self.licences)
            + len(self.signals)
            + len(self.profiles)
            + len(self.profile_shares)
        )
