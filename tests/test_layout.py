"""The product's tests stand on the product alone: none imports the benchmarks or the research probes, so
moving or deleting a probe can never break the default test run."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
OUTSIDE_THE_PRODUCT = {"benchmarks", "research"}


def imported_top_level_names(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_no_test_module_imports_the_benchmarks_or_the_research_probes():
    offenders = {str(p.relative_to(TESTS)): sorted(imported_top_level_names(p) & OUTSIDE_THE_PRODUCT)
                 for p in sorted(TESTS.rglob("*.py"))}
    assert {p: names for p, names in offenders.items() if names} == {}
