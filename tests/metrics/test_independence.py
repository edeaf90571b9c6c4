"""Metrics take tensors only: they do not depend on how the scores were computed."""

import ast
import importlib.util
from pathlib import Path


def _imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, as dotted names (``from a import b`` gives a and a.b)."""
    modules = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


def test_metrics_do_not_import_the_uncertainty_package():
    package = Path(importlib.util.find_spec("bayescnn.metrics").origin).parent
    sources = sorted(package.rglob("*.py"))
    assert sources
    for source in sources:
        uncertainty = {
            module
            for module in _imported_modules(source)
            if module == "bayescnn.uncertainty" or module.startswith("bayescnn.uncertainty.")
        }
        assert not uncertainty, f"{source.name} imports {sorted(uncertainty)}"
