"""The benchmarks use bayescnn as its users do: every name they take from it is public, a
package (or a documented module such as ``bayescnn.defaults``) and a name in its
``__all__``, never a module inside a package nor the command line's internals."""

import ast
import importlib
from pathlib import Path

import pytest

import bayescnn

SRC = Path(bayescnn.__file__).parent
BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
PUBLIC_MODULES = {
    ".".join(("bayescnn", *path.parent.relative_to(SRC).parts))
    for path in SRC.rglob("__init__.py")
    if path.parent.name != "cli"
} | {f"bayescnn.{name}" for name in ("defaults", "deprecation", "errors", "registry", "seeding")}
"""The modules of the API reference: the packages and bayescnn's documented modules."""


def _public(module: str, name: str) -> bool:
    """Whether ``module.name`` is public: a public module, or a name in its ``__all__``
    (a name without a leading underscore in a module without one, such as ``defaults``)."""
    if f"{module}.{name}" in PUBLIC_MODULES:
        return True
    owner = importlib.import_module(module)
    exported = getattr(owner, "__all__", None)
    return name in exported if exported is not None else not name.startswith("_")


def _attribute_chain(node: ast.AST) -> list[str] | None:
    """``bayescnn.a.b`` as ``["a", "b"]``, or None when the chain does not start there."""
    chain = []
    while isinstance(node, ast.Attribute):
        chain.append(node.attr)
        node = node.value
    return chain[::-1] if isinstance(node, ast.Name) and node.id == "bayescnn" else None


def private_uses(source: str) -> list[str]:
    """What ``source`` takes from bayescnn that is not public, as written."""
    found = []
    tree = ast.parse(source)
    inner = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "bayescnn":
            if node.module not in PUBLIC_MODULES:
                found.append(f"from {node.module} import ...")
            else:
                found += [
                    f"from {node.module} import {alias.name}"
                    for alias in node.names
                    if not _public(node.module, alias.name)
                ]
        elif isinstance(node, ast.Import):
            found += [
                f"import {alias.name}"
                for alias in node.names
                if alias.name.split(".")[0] == "bayescnn" and alias.name not in PUBLIC_MODULES
            ]
        elif id(node) not in inner and (chain := _attribute_chain(node)):
            module = "bayescnn"
            for name in chain:
                if not _public(module, name):
                    found.append(".".join(("bayescnn", *chain)))
                if f"{module}.{name}" not in PUBLIC_MODULES:
                    break
                module = f"{module}.{name}"
    return found


@pytest.mark.parametrize(
    "path", sorted(BENCHMARKS.rglob("*.py")), ids=lambda path: str(path.relative_to(BENCHMARKS))
)
def test_the_benchmark_imports_only_public_names_of_bayescnn(path):
    assert private_uses(path.read_text()) == []


def test_the_check_finds_a_module_inside_a_package_and_a_name_outside_all():
    source = (
        "import bayescnn\n"
        "from bayescnn.reports.tables import text_table\n"
        "from bayescnn.uncertainty import sampled_batches, summaries\n"
        "bayescnn.nn.temperature.set_temperature\n"
        "bayescnn.defaults.SAMPLES\n"
    )
    assert private_uses(source) == [
        "from bayescnn.reports.tables import ...",
        "from bayescnn.uncertainty import summaries",
        "bayescnn.nn.temperature.set_temperature",
    ]
