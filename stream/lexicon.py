"""Infer a news event's materials, countries, category and severity from its headline.

The rules are those documented at the top of ``config/lexicon.toml``: literal phrases on
word boundaries, longest first; capitalised phrases match case-sensitively; the category
is the first (in file order) whose patterns match; severity is the category default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from config.lexicon import Lexicon

__all__ = ["Inferred", "NewsInference"]

_ACTOR_WORDS = frozenset({"from", "by"})
_TARGET_WORDS = frozenset({"to", "for", "against", "on", "with", "toward", "towards"})
_PRECEDING_WORD = re.compile(r"([A-Za-z]+)\W*$")


@dataclass(frozen=True, slots=True)
class Inferred:
    """What a headline says, per the lexicon (empty tuples/strings when it says nothing)."""

    materials: tuple[str, ...]
    actor: str
    targets: tuple[str, ...]
    category: str
    severity: float


def _alternation(phrases: list[str], flags: int) -> re.Pattern[str] | None:
    if not phrases:
        return None
    ordered = sorted(phrases, key=lambda p: (-len(p), p))
    body = "|".join(re.escape(p) for p in ordered)
    return re.compile(rf"(?<![\w.])(?:{body})(?![\w])", flags)


class NewsInference:
    """Compiled lexicon; :meth:`infer` is a pure function of the headline."""

    __slots__ = ("_categories", "_countries", "_lexicon", "_materials")

    def __init__(self, lexicon: Lexicon) -> None:
        self._lexicon = lexicon
        folded = {p.lower(): codes for p, codes in lexicon.materials.items()}
        self._materials = [
            (pattern, table)
            for pattern, table in ((_alternation(list(folded), re.IGNORECASE), folded),)
            if pattern is not None
        ]
        lower = {p: c for p, c in lexicon.countries.items() if p == p.lower()}
        exact = {p: c for p, c in lexicon.countries.items() if p != p.lower()}
        self._countries = [
            (pattern, table)
            for pattern, table in (
                (_alternation(list(lower), re.IGNORECASE), lower),
                (_alternation(list(exact), 0), exact),
            )
            if pattern is not None
        ]
        self._categories = [
            (name, re.compile(r"\b(?:" + "|".join(patterns) + r")\b", re.IGNORECASE))
            for name, patterns in lexicon.categories
        ]

    def infer(self, headline: str) -> Inferred:
        """Materials, actor, targets, category and default severity named by ``headline``."""
        text = headline.replace("-", " ")
        materials: list[str] = []
        for pattern, table in self._materials:
            for match in pattern.finditer(text):
                for code in table[match.group(0).lower()]:
                    if code not in materials:
                        materials.append(code)
        actor, targets = self._countries_of(text)
        category = next((n for n, p in self._categories if p.search(text)), "other")
        return Inferred(
            tuple(materials), actor, targets, category, self._lexicon.severity[category]
        )

    def default_severity(self, category: str) -> float:
        """The lexicon's severity for news of ``category`` that states none."""
        return self._lexicon.severity[category]

    def _countries_of(self, text: str) -> tuple[str, tuple[str, ...]]:
        found: list[tuple[int, str, str]] = []  # (position, code, role)
        for pattern, table in self._countries:
            for match in pattern.finditer(text):
                phrase = match.group(0)
                code = table[phrase] if phrase in table else table[phrase.lower()]
                before = _PRECEDING_WORD.search(text, 0, match.start())
                word = before.group(1).lower() if before else ""
                role = "actor" if word in _ACTOR_WORDS else ""
                if word in _TARGET_WORDS:
                    role = "target"
                found.append((match.start(), code, role))
        found.sort()
        actor = next((c for _, c, r in found if r == "actor"), "")
        if not actor:
            actor = next((c for _, c, r in found if r == ""), "")
        targets: list[str] = []
        for _, code, _role in found:
            if code != actor and code not in targets:
                targets.append(code)
        return actor, tuple(targets)
