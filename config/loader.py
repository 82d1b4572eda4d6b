"""The one loader of the reference files in ``config/``.

Every function takes an optional ``config_dir`` (default: this package's directory) and
raises :class:`ConfigError`, naming the file and the field, on anything malformed.
"""

from __future__ import annotations

import csv
import math
import re
import statistics
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import fields
from pathlib import Path
from types import MappingProxyType
from typing import Any

from config.lexicon import CATEGORIES, Lexicon
from scoring import Catalogue, Material, ScoringParams

__all__ = [
    "DEFAULT_CONFIG_DIR",
    "ConfigError",
    "load_catalogue",
    "load_lexicon",
    "load_scoring_params",
]

DEFAULT_CONFIG_DIR = Path(__file__).resolve().parent
_ALPHA2 = re.compile(r"[A-Z]{2}")


class ConfigError(ValueError):
    """A configuration file is missing or malformed; the message names file and field."""


def load_catalogue(config_dir: Path | None = None) -> Catalogue:
    """Materials from ``materials.csv`` and governance from ``wgi.csv``."""
    directory = config_dir or DEFAULT_CONFIG_DIR
    materials_path = directory / "materials.csv"
    materials = tuple(_material(materials_path, n, r) for n, r in _csv_rows(materials_path))
    wgi_path = directory / "wgi.csv"
    wgi: dict[str, float] = {}
    for line, row in _csv_rows(wgi_path):
        code = _field(wgi_path, line, row, "iso2")
        if not _ALPHA2.fullmatch(code) or code in wgi:
            raise ConfigError(f"{wgi_path}:{line}: field 'iso2': bad or repeated code {code!r}")
        wgi[code] = _number(wgi_path, line, row, "wgi", low=0.0, high=10.0)
    if not wgi:
        raise ConfigError(f"{wgi_path}: no rows")
    try:
        return Catalogue(materials, MappingProxyType(wgi), statistics.median(wgi.values()))
    except ValueError as exc:
        raise ConfigError(f"{materials_path}: {exc}") from None


def load_scoring_params(config_dir: Path | None = None) -> ScoringParams:
    """``ScoringParams(**[scoring])`` from ``scoring.toml``; unknown or ill-typed keys fail."""
    path = (config_dir or DEFAULT_CONFIG_DIR) / "scoring.toml"
    table = _toml(path).get("scoring")
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: missing table [scoring]")
    known = {f.name for f in fields(ScoringParams)}
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(f"{path}: [scoring] unknown field(s): {', '.join(unknown)}")
    try:
        return ScoringParams(**table)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: [scoring] {exc}") from None


def load_lexicon(config_dir: Path | None = None) -> Lexicon:
    """The news lexicon from ``lexicon.toml`` (regular expressions are compiled to check)."""
    path = (config_dir or DEFAULT_CONFIG_DIR) / "lexicon.toml"
    data = _toml(path)
    severity = _table(path, data, "severity")
    for name in CATEGORIES:
        value = severity.get(name)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise ConfigError(f"{path}: field 'severity.{name}' must be a number in [0, 1]")
    categories: list[tuple[str, tuple[str, ...]]] = []
    for name, patterns in _table(path, data, "categories").items():
        if name not in CATEGORIES or not _strings(patterns):
            raise ConfigError(f"{path}: field 'categories.{name}': unknown or not a string list")
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ConfigError(f"{path}: field 'categories.{name}': {exc}") from None
        categories.append((name, tuple(patterns)))
    materials: dict[str, tuple[str, ...]] = {}
    for phrase, codes in _table(path, data, "materials").items():
        if not _strings(codes) or not codes:
            raise ConfigError(f"{path}: field 'materials.{phrase}' must list material codes")
        materials[phrase] = tuple(codes)
    countries: dict[str, str] = {}
    for phrase, code in _table(path, data, "countries").items():
        if not isinstance(code, str) or not _ALPHA2.fullmatch(code):
            raise ConfigError(f"{path}: field 'countries.{phrase}' must be an alpha-2 code")
        countries[phrase] = code
    return Lexicon(
        materials=MappingProxyType(materials),
        countries=MappingProxyType(countries),
        categories=tuple(categories),
        severity=MappingProxyType({name: float(severity[name]) for name in CATEGORIES}),
    )


def _toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def _table(path: Path, data: Mapping[str, Any], name: str) -> dict[str, Any]:
    table = data.get(name)
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: missing table [{name}]")
    return table


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v for v in value)


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) of a CSV file whose leading ``#`` lines are provenance comments."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    skip = next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))
    reader = csv.DictReader(lines[skip:])
    for offset, row in enumerate(reader):
        yield skip + offset + 2, row


def _field(path: Path, line: int, row: Mapping[str, str | None], name: str) -> str:
    value = row.get(name)
    if value is None:
        raise ConfigError(f"{path}:{line}: missing field {name!r}")
    return value.strip()


def _number(
    path: Path,
    line: int,
    row: Mapping[str, str | None],
    name: str,
    *,
    low: float,
    high: float,
    optional: bool = False,
) -> float:
    text = _field(path, line, row, name)
    if optional and text == "":
        return math.nan
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"{path}:{line}: field {name!r}: not a number: {text!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{path}:{line}: field {name!r}: {value} outside [{low}, {high}]")
    return value


def _material(path: Path, line: int, row: Mapping[str, str | None]) -> Material:
    code = _field(path, line, row, "code")
    name = _field(path, line, row, "name")
    if not code or not name:
        raise ConfigError(f"{path}:{line}: field 'code'/'name' must not be empty")
    return Material(
        code=code,
        name=name,
        supply_risk=_number(path, line, row, "supply_risk", low=0.0, high=10.0),
        economic_importance=_number(path, line, row, "economic_importance", low=0.0, high=10.0),
        si_sr=_number(path, line, row, "si_sr", low=0.0, high=1.0),
        eol_rir=_number(path, line, row, "eol_rir", low=0.0, high=1.0),
        import_reliance=_number(
            path, line, row, "import_reliance", low=0.0, high=1.0, optional=True
        ),
    )
