"""scoring/ is a pure numpy core: numpy and the standard library only, no I/O or clocks."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

SCORING = Path(__file__).resolve().parents[2] / "scoring"
MODULES = sorted(SCORING.glob("*.py"))

# Standard-library modules that would bring I/O, clocks, randomness or processes in.
FORBIDDEN_STDLIB = {
    "os",
    "sys",
    "time",
    "logging",
    "pathlib",
    "shutil",
    "socket",
    "subprocess",
    "threading",
    "multiprocessing",
    "asyncio",
    "random",
    "tempfile",
    "pickle",
    "datetime",
}
FORBIDDEN_CALLS = {"open", "print", "input", "eval", "exec", "hash", "__import__"}
FORBIDDEN_ATTRIBUTES = {("os", "environ"), ("time", "time"), ("datetime", "now"), ("np", "random")}


def imported_roots(tree: ast.AST) -> set[str]:
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_there_are_modules_to_check() -> None:
    assert len(MODULES) >= 5


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_imports_only_numpy_and_stdlib(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for root in imported_roots(tree):
        allowed = root in {"numpy", "scoring", "__future__"} or (
            root in sys.stdlib_module_names and root not in FORBIDDEN_STDLIB
        )
        assert allowed, f"{path.name} imports {root}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_no_io_clock_or_salted_hash_calls(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in FORBIDDEN_CALLS, f"{path.name}:{node.lineno} {node.func.id}("
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            pair = (node.value.id, node.attr)
            assert pair not in FORBIDDEN_ATTRIBUTES, f"{path.name}:{node.lineno} {pair}"


def test_the_checks_catch_a_violation() -> None:
    tree = ast.parse("import os\nfrom faust import App\nx = os.environ")
    assert imported_roots(tree) == {"os", "faust"}
