"""The public API has one meaning per name: what a package's ``__all__`` names is never
also the name of one of its modules, and the rooms hold what their names say."""

import ast
import importlib
import importlib.util
import inspect
from pathlib import Path

import pytest

import bayescnn

SRC = Path(bayescnn.__file__).parent
PACKAGES = sorted(
    ".".join(("bayescnn", *path.parent.relative_to(SRC).parts)) for path in SRC.rglob("__init__.py")
)
"""Every package of bayescnn, the lightning module's extra aside (it is a module)."""


@pytest.mark.parametrize("package", PACKAGES)
def test_no_public_name_is_also_the_name_of_a_module_of_its_package(package):
    """A function ``calibrate`` in ``calibrate.py`` would make ``package.calibrate`` the
    function or the module depending on what was imported last."""
    module = importlib.import_module(package)
    shadowing = [
        name
        for name in getattr(module, "__all__", ())
        if importlib.util.find_spec(f"{package}.{name}") is not None
        and not inspect.ismodule(getattr(module, name))
    ]
    assert shadowing == []


def _module_level_imports(path: Path) -> set[str]:
    """The ``bayescnn`` modules ``path`` imports when it is imported (not inside functions)."""
    found = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bayescnn"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("bayescnn")}
    return found


def test_the_calibration_package_imports_neither_the_layers_nor_the_prediction_at_import():
    """The layers register the temperature's load hook and every prediction applies the
    temperature, so ``bayescnn.calibration`` sits below both: only its held-out pass asks
    the sampling loop, when it runs."""
    below = ("bayescnn.nn", "bayescnn.uncertainty", "bayescnn.train", "bayescnn.runs")
    imported = {
        path.name: sorted(
            name
            for name in _module_level_imports(path)
            if name in below or name.startswith(tuple(f"{package}." for package in below))
        )
        for path in (SRC / "calibration").glob("*.py")
    }
    assert all(names == [] for names in imported.values()), imported


def test_the_layers_package_holds_layers_estimators_the_spec_and_the_converter_only():
    """Temperature scaling is ``bayescnn.calibration``'s, pruning and posterior statistics
    ``bayescnn.analysis``'s; their old modules here only forward, with a warning."""
    shims = {"posterior_stats.py", "pruning.py", "temperature.py"}
    for path in (SRC / "nn").glob("*.py"):
        text = path.read_text()
        if path.name in shims:
            assert "module_getattr" in text and "def " not in text, path.name
        else:
            assert "TEMPERATURE_BUFFER" not in text and "def prune" not in text, path.name
