"""Locating and running the external checkers (promtool, kubectl, kubernetes-validate, checkov).

``.ci/install-tools`` installs them: Debian packages on PATH, Python ones in the tools
virtualenv ``.cache/tools-venv``. A missing tool raises :class:`ToolMissingError` naming
the fix, so a check can never pass silently for want of its tool.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

__all__ = ["ROOT", "TOOLS_BIN", "ToolMissingError", "find_tool", "run_tool"]

ROOT = Path(__file__).resolve().parent.parent
TOOLS_BIN = ROOT / ".cache" / "tools-venv" / "bin"


class ToolMissingError(FileNotFoundError):
    """An external checker is not installed."""


def find_tool(name: str) -> str:
    """The path of ``name`` on PATH or in the tools virtualenv."""
    found = shutil.which(name) or shutil.which(name, path=str(TOOLS_BIN))
    if found is None:
        raise ToolMissingError(
            f"{name} not found on PATH nor in .cache/tools-venv/bin: run .ci/install-tools "
            "as root (the Makefile runs it before the tests)"
        )
    return found


def run_tool(
    name: str, *args: str | Path, cwd: Path = ROOT, timeout_s: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run ``name`` with ``args``, capturing text output; the caller checks the exit code."""
    env = {**os.environ, "PATH": f"{TOOLS_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(  # noqa: S603 - a fixed checker binary with arguments we build
        [find_tool(name), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        cwd=cwd,
        env=env,
        check=False,
    )
