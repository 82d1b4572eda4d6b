"""Infer a news event's materials, countries, category and severity from its headline.

The rules are those documented at the top of ``config/lexicon.toml``: literal phrases on
word boundaries, longest first; capitalised phrases match case-sensitively; the category
is the first (in file order) whose patterns match; severity is the category default.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from config.lexicon import Lexicon

__all__ = ["Inferred", "NewsInference"]

_ACTOR_WORDS = frozenset({"from", "by"})
_TARGET_WORDS = frozenset({"to", "for", "against", "on", "with", "toward", "towards"})


@dataclass(frozen=True, slots=True)
class Inferred:
    """What a headline says, per the lexicon (empty tuples/strings when it says nothing)."""

    materials: tuple[str, ...]
    actor: str
    targets: tuple[str, ...]
    category: str
    severity: float


_WORD = re.compile(r"[\w.]+")
T = TypeVar("T")


class _PhraseTable(Generic[T]):
    """Literal phrases matched on whole words, longest first, by n-gram dict lookups.

    Lower-case phrases match case-insensitively; phrases with a capital letter match as
    written. A word's trailing full stop is ignored unless the phrase has it ("U.S.").
    """

    __slots__ = ("_exact", "_firsts", "_folded", "_longest")

    def __init__(self, phrases: Mapping[str, T]) -> None:
        self._folded = {p: v for p, v in phrases.items() if p == p.lower()}
        self._exact = {p: v for p, v in phrases.items() if p != p.lower()}
        self._longest = max((len(p.split()) for p in phrases), default=0)
        # First words of every phrase, as they would appear folded or exact: most words
        # of a headline start no phrase and cost one set lookup.
        self._firsts = {p.split()[0] for p in self._folded} | {
            p.split()[0].rstrip(".") for p in self._exact
        }

    def find(self, words: list[str]) -> list[tuple[int, T]]:
        """(word index, value) of each non-overlapping match, left to right."""
        found: list[tuple[int, T]] = []
        folded = [w.lower().rstrip(".") for w in words]
        firsts = self._firsts
        i, n = 0, len(words)
        while i < n:
            if folded[i] not in firsts and words[i].rstrip(".") not in firsts:
                i += 1
                continue
            for size in range(min(self._longest, n - i), 0, -1):
                value = self._lookup(words[i : i + size], folded[i : i + size])
                if value is not None:
                    found.append((i, value))
                    i += size
                    break
            else:
                i += 1
        return found

    def _lookup(self, words: list[str], folded: list[str]) -> T | None:
        phrase = " ".join(words)
        value = self._exact.get(phrase)
        if value is None and phrase.endswith("."):
            value = self._exact.get(phrase[:-1])
        if value is None:
            value = self._folded.get(" ".join(folded))
        return value


class NewsInference:
    """Compiled lexicon; :meth:`infer` is a pure function of the headline."""

    __slots__ = ("_categories", "_countries", "_lexicon", "_materials")

    def __init__(self, lexicon: Lexicon) -> None:
        self._lexicon = lexicon
        self._materials = _PhraseTable(lexicon.materials)
        self._countries = _PhraseTable(lexicon.countries)
        self._categories = [
            (name, re.compile(r"\b(?:" + "|".join(patterns) + r")\b", re.IGNORECASE))
            for name, patterns in lexicon.categories
        ]

    def infer(self, headline: str) -> Inferred:
        """Materials, actor, targets, category and default severity named by ``headline``."""
        text = headline.replace("-", " ")
        words = _WORD.findall(text)
        materials: list[str] = []
        for _, codes in self._materials.find(words):
            materials.extend(code for code in codes if code not in materials)
        actor, targets = self._countries_of(words)
        category = next((n for n, p in self._categories if p.search(text)), "other")
        return Inferred(
            tuple(materials), actor, targets, category, self._lexicon.severity[category]
        )

    def default_severity(self, category: str) -> float:
        """The lexicon's severity for news of ``category`` that states none."""
        return self._lexicon.severity[category]

    def _countries_of(self, words: list[str]) -> tuple[str, tuple[str, ...]]:
        found: list[tuple[int, str, str]] = []  # (word index, code, role)
        for index, code in self._countries.find(words):
            before = words[index - 1].lower() if index else ""
            role = "actor" if before in _ACTOR_WORDS else ""
            if before in _TARGET_WORDS:
                role = "target"
            found.append((index, code, role))
        actor = next((c for _, c, r in found if r == "actor"), "")
        if not actor:
            actor = next((c for _, c, r in found if r == ""), "")
        targets: list[str] = []
        for _, code, _role in found:
            if code != actor and code not in targets:
                targets.append(code)
        return actor, tuple(targets)
