"""Defaults as readable files, and the one loader that turns them into frozen settings."""

from config.lexicon import CATEGORIES, Lexicon
from config.loader import (
    DEFAULT_CONFIG_DIR,
    ConfigError,
    load_catalogue,
    load_lexicon,
    load_scoring_params,
)

__all__ = [
    "CATEGORIES",
    "DEFAULT_CONFIG_DIR",
    "ConfigError",
    "Lexicon",
    "load_catalogue",
    "load_lexicon",
    "load_scoring_params",
]
