"""The config loader: the shipped files load; a bad file names its file and field."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest

from config import (
    DEFAULT_CONFIG_DIR,
    ConfigError,
    load_catalogue,
    load_lexicon,
    load_scoring_params,
)
from scoring import ScoringParams


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    for name in ("materials.csv", "wgi.csv", "scoring.toml", "lexicon.toml"):
        shutil.copy(DEFAULT_CONFIG_DIR / name, tmp_path / name)
    return tmp_path


def test_shipped_catalogue_has_the_published_figures() -> None:
    catalogue = load_catalogue()
    materials = {m.code: m for m in catalogue.materials}
    assert {"Dy", "Tb", "NdFeB", "SmCo", "Ga", "graphite"} <= set(materials)
    assert materials["Dy"].supply_risk == 5.6
    assert materials["Gd"].si_sr == 0.59
    assert math.isnan(materials["Nb"].import_reliance)
    assert catalogue.wgi["CN"] == 5.72
    assert min(catalogue.wgi.values()) < catalogue.default_wgi < max(catalogue.wgi.values())


def test_shipped_params_and_lexicon_load() -> None:
    assert isinstance(load_scoring_params(), ScoringParams)
    lexicon = load_lexicon()
    assert lexicon.materials["heavy rare earths"] == ("Sm", "Gd", "Tb", "Dy", "Lu", "Sc", "Y")
    assert lexicon.countries["japanese"] == "JP"
    assert set(lexicon.severity) >= {"export_control", "policy_easing", "other"}


def test_scenario_countries_all_have_a_wgi() -> None:
    wgi = load_catalogue().wgi
    roster = (Path(__file__).parents[3] / "scenarios" / "data" / "roster.csv").read_text()
    countries = {
        part.split(":")[0]
        for line in roster.splitlines()
        if line and not line.startswith(("#", "company"))
        for part in line.rsplit(",", 1)[1].split(";")
    }
    assert countries <= set(wgi)


def test_bad_material_number_names_file_line_and_field(config_dir: Path) -> None:
    path = config_dir / "materials.csv"
    path.write_text(path.read_text().replace("Dy,Dysprosium,5.6,", "Dy,Dysprosium,high,"))
    with pytest.raises(ConfigError, match=r"materials\.csv:\d+: field 'supply_risk'"):
        load_catalogue(config_dir)


def test_bad_wgi_code_names_field(config_dir: Path) -> None:
    path = config_dir / "wgi.csv"
    path.write_text(path.read_text().replace("\nCN,CHN,", "\nCHN,CHN,"))
    with pytest.raises(ConfigError, match=r"wgi\.csv:\d+: field 'iso2'"):
        load_catalogue(config_dir)


def test_unknown_scoring_key_is_named(config_dir: Path) -> None:
    path = config_dir / "scoring.toml"
    path.write_text(path.read_text() + "\nweight_vibes = 0.5\n")
    with pytest.raises(
        ConfigError, match=r"scoring\.toml: \[scoring\] unknown field\(s\): weight_vibes"
    ):
        load_scoring_params(config_dir)


def test_ill_typed_scoring_key_is_named(config_dir: Path) -> None:
    path = config_dir / "scoring.toml"
    text = path.read_text().replace("max_future_s = 300.0", 'max_future_s = "soon"')
    path.write_text(text)
    with pytest.raises(ConfigError, match=r"scoring\.toml: \[scoring\] max_future_s"):
        load_scoring_params(config_dir)


def test_bad_lexicon_regex_names_category(config_dir: Path) -> None:
    path = config_dir / "lexicon.toml"
    path.write_text(path.read_text().replace('"truce",', '"tru(ce",'))
    with pytest.raises(ConfigError, match=r"lexicon\.toml: field 'categories\.policy_easing'"):
        load_lexicon(config_dir)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"materials\.csv: cannot read"):
        load_catalogue(tmp_path)
