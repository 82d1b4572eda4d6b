"""Per-event validation and explosion of ``news`` and ``profile`` events.

These kinds are rare next to shipments and carry nested values (lists, a share map), so
they are handled one event at a time; the result rows follow ``scoring.columns``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import cast

from scoring.columns import NewsCategory
from stream.lexicon import NewsInference
from stream.validate import MAX_COMPANY, MAX_MATERIAL, MAX_SHORT, is_alpha2

__all__ = ["NEWS_CATEGORIES", "NewsRow", "ProfileParts", "news_rows", "profile_parts"]

NEWS_CATEGORIES: dict[str, int] = {c.name.lower(): int(c) for c in NewsCategory}
MAX_HEADLINE = 1000
MAX_BODY = 100_000
# Items of each list field. A news event becomes a row per material and per target or
# company, so this bounds its rows (32 x 64); unbounded, one 170 kB event naming 20k
# companies and 200 materials made 4M rows (16 s, 1.1 GB) and a 1 MB one could exhaust a
# worker's memory. 32 holds the 18 rare earths, the EU's 27 members or 32 named companies.
MAX_ITEMS = 32

# (actor, material, target, company, category code, severity)
NewsRow = tuple[str, str, str, str, int, float]
# (home_country, annual_demand_kg, inventory_days, [(country, share), ...])
ProfileParts = tuple[str, float, float, list[tuple[str, float]]]


def _number(value: object) -> float | None:
    if type(value) is int or type(value) is float:
        number = float(value)
        return number if math.isfinite(number) else None
    return None


def _list_of(value: object, item_ok: Callable[[object], bool]) -> bool:
    """A list of at most ``MAX_ITEMS`` items, each passing ``item_ok``."""
    return type(value) is list and len(value) <= MAX_ITEMS and all(map(item_ok, value))


def _string_list(value: object, max_len: int) -> bool:
    return _list_of(value, lambda v: type(v) is str and 1 <= len(v) <= max_len and "\x00" not in v)


def _news_text_reason(event: dict[str, object]) -> str | None:
    headline = event["headline"]
    if type(headline) is not str or not headline:
        return "headline must be a non-empty string"
    if len(headline) > MAX_HEADLINE:
        return f"headline longer than {MAX_HEADLINE} characters"
    for name, limit in (("body", MAX_BODY), ("source", MAX_SHORT)):
        value = event.get(name)
        if value is not None and (type(value) is not str or len(value) > limit):
            return f"{name} must be a string of at most {limit} characters"
    return None


def _news_fields_reason(event: dict[str, object]) -> str | None:
    actor = event.get("actor_country")
    if actor is not None and not is_alpha2(actor):
        return f"actor_country must be an ISO 3166-1 alpha-2 code, got {actor!r}"[:120]
    targets = event.get("target_countries")
    if targets is not None and not _list_of(targets, is_alpha2):
        return f"target_countries must be a list of at most {MAX_ITEMS} ISO 3166-1 alpha-2 codes"
    for name, limit in (("materials", MAX_MATERIAL), ("companies", MAX_COMPANY)):
        value = event.get(name)
        if value is not None and not _string_list(value, limit):
            return (
                f"{name} must be a list of at most {MAX_ITEMS} strings of 1 to {limit} characters"
            )
    category = event.get("category")
    if category is not None and not (type(category) is str and category in NEWS_CATEGORIES):
        return f"category must be one of {' | '.join(NEWS_CATEGORIES)}, got {category!r}"[:160]
    severity = event.get("severity")
    if severity is not None:
        number = _number(severity)
        if number is None or not 0.0 <= number <= 1.0:
            return "severity must be a finite number in [0, 1]"
    return None


def news_rows(event: dict[str, object], inference: NewsInference) -> str | list[NewsRow]:
    """A reason, or the exploded policy-signal rows of a news event.

    Fields the event leaves out are inferred from the headline (see
    :class:`stream.lexicon.NewsInference`); explicit fields always win.
    """
    reason = _news_text_reason(event) or _news_fields_reason(event)
    if reason is not None:
        return reason
    materials = event.get("materials")
    actor = event.get("actor_country")
    targets = event.get("target_countries")
    category = event.get("category")
    if materials is None or actor is None or targets is None or category is None:
        inferred = inference.infer(str(event["headline"]))
        materials = list(inferred.materials) if materials is None else materials
        actor = inferred.actor if actor is None else actor
        if targets is None:
            targets = [t for t in inferred.targets if t != actor]
        category = inferred.category if category is None else category
    severity = _number(event.get("severity"))
    if severity is None:
        severity = inference.default_severity(str(category))
    code = NEWS_CATEGORIES[str(category)]
    companies = cast(list[str], event.get("companies") or [])
    target_list = cast(list[str], targets)
    # Per material: a row per target, then a row per company, or one row naming neither.
    # The order numbers the rows (their part), which identify them for deduplication.
    exposures = [(target, "") for target in target_list] + [("", c) for c in companies]
    actor_code = str(actor)
    return [
        (actor_code, material, target, company, code, severity)
        for material in cast(list[str], materials) or [""]
        for target, company in exposures or [("", "")]
    ]


def profile_parts(event: dict[str, object]) -> str | ProfileParts:
    """A reason, or the optional fields and the exploded origin shares of a profile."""
    home = event.get("home_country")
    if home is not None and not is_alpha2(home):
        return f"home_country must be an ISO 3166-1 alpha-2 code, got {home!r}"[:120]
    numbers: list[float] = []
    for name in ("annual_demand_kg", "inventory_days"):
        raw = event.get(name)
        value = math.nan if raw is None else _number(raw)
        if value is None or value < 0:
            return f"{name} must be a finite number ≥ 0"
        numbers.append(value)
    shares_in = event.get("origin_shares")
    shares: list[tuple[str, float]] = []
    if shares_in is not None:
        if type(shares_in) is not dict:
            return "origin_shares must be an object of country code to share"
        for country, raw in shares_in.items():
            share = _number(raw)
            if not is_alpha2(country):
                return f"origin_shares key must be an ISO 3166-1 alpha-2 code, got {country!r}"[
                    :120
                ]
            if share is None or not 0.0 <= share <= 1.0:
                return f"origin_shares[{country}] must be a finite number in [0, 1]"
            shares.append((country, share))
    return (home or "", numbers[0], numbers[1], shares)  # type: ignore[return-value]
