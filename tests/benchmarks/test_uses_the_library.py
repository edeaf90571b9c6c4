"""The benchmarks use the library, never the command line's modules."""

import ast
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
            modules |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
    return modules


def test_benchmarks_import_nothing_from_the_command_line():
    offenders = {
        f"{path.name}: {module}"
        for path in sorted(BENCHMARKS.glob("*.py"))
        for module in _imported_modules(path)
        if module == "bayescnn.cli" or module.startswith("bayescnn.cli.")
    }
    assert not offenders, sorted(offenders)
