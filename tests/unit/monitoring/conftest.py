"""Puts the repository root on ``sys.path``: ``monitoring/`` is a source folder, not a package
that is installed, and these tests import its renderer, dashboard lint and tool finder."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
