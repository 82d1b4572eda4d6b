"""Reference data the scoring core needs: materials and country governance.

The config loader builds a :class:`Catalogue` from files in ``config/``; tests build small
ones by hand. Nothing here reads files.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Catalogue", "Material"]


@dataclass(frozen=True, slots=True)
class Material:
    """One raw material as assessed by the EU CRM 2023 study.

    Examples
    --------
    >>> dy = Material("Dy", "Dysprosium", 5.6, 7.8, 0.99, 0.01, 1.0)
    >>> dy.code, dy.si_sr
    ('Dy', 0.99)
    """

    code: str  # "Dy", "Tb", "NdFeB", "Ga", "graphite", ...
    name: str  # "Dysprosium"
    supply_risk: float  # EU CRM 2023 SR (published)
    economic_importance: float  # EU CRM 2023 EI
    si_sr: float  # substitution index for supply risk, (0, 1]
    eol_rir: float  # end-of-life recycling input rate, fraction 0..1
    import_reliance: float  # fraction 0..1 (NaN if unknown)


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The materials the core scores and the WGI table (EU 0..10 scale, 10 worst).

    Examples
    --------
    >>> dy = Material("Dy", "Dysprosium", 5.6, 7.8, 0.99, 0.01, 1.0)
    >>> Catalogue((dy,), {"CN": 5.72}, 5.0).material_codes()
    ('Dy',)
    """

    materials: tuple[Material, ...]
    wgi: Mapping[str, float]  # ISO alpha-2 -> WGI on the EU 0..10 scale (10 worst)
    default_wgi: float  # for countries not in the table

    def __post_init__(self) -> None:
        codes = [m.code for m in self.materials]
        if len(set(codes)) != len(codes):
            raise ValueError(f"duplicate material codes in catalogue: {codes}")
        if not 0 < len(codes) < 255:
            raise ValueError("a catalogue holds between 1 and 254 materials")
        for m in self.materials:
            if not (0.0 < m.si_sr <= 1.0 and 0.0 <= m.eol_rir <= 1.0):
                raise ValueError(f"material {m.code!r}: si_sr in (0,1], eol_rir in [0,1]")
            if not (math.isfinite(m.supply_risk) and math.isfinite(m.economic_importance)):
                raise ValueError(f"material {m.code!r}: SR and EI must be finite")
        for country, value in self.wgi.items():
            if len(country) != 2 or not country.isascii() or not country.isupper():
                raise ValueError(f"WGI country code {country!r} is not ISO alpha-2")
            if not 0.0 <= value <= 10.0:
                raise ValueError(f"WGI of {country} out of 0..10: {value}")
        if not 0.0 <= self.default_wgi <= 10.0:
            raise ValueError(f"default_wgi out of 0..10: {self.default_wgi}")

    def material_codes(self) -> tuple[str, ...]:
        """Material codes in catalogue order (the core's material index).

        Examples
        --------
        >>> tb = Material("Tb", "Terbium", 4.9, 6.4, 0.92, 0.01, 1.0)
        >>> Catalogue((tb,), {}, 5.0).material_codes()
        ('Tb',)
        """
        return tuple(m.code for m in self.materials)
