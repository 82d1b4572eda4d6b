"""The news lexicon as a frozen value (built by :func:`config.loader.load_lexicon`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["CATEGORIES", "Lexicon"]

# The news categories of event contract v1, in NewsCategory code order.
CATEGORIES: tuple[str, ...] = (
    "export_control",
    "sanction",
    "policy_easing",
    "disaster",
    "logistics",
    "other",
)


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Deterministic phrase tables for inferring news fields from a headline.

    ``materials``: literal phrase -> material codes. ``countries``: literal phrase -> ISO
    alpha-2 code. ``categories``: (category, regular-expression fragments) in priority
    order. ``severity``: default severity per category (every category present).
    """

    materials: Mapping[str, tuple[str, ...]]
    countries: Mapping[str, str]
    categories: tuple[tuple[str, tuple[str, ...]], ...]
    severity: Mapping[str, float]
