"""The shift modules import one way: the built-in corruptions need only the registry and
the pixel helpers, and nothing there imports back into the module that collects them."""

import ast
from pathlib import Path

import bayescnn.shift

PACKAGE = "bayescnn.shift"
FOLDER = Path(bayescnn.shift.__file__).parent


def _imported_siblings(path: Path, modules: set[str]) -> set[str]:
    """The modules of this package that ``path`` imports, at module level or lazily."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == PACKAGE:
                found |= {alias.name for alias in node.names} & modules
            elif node.module.startswith(f"{PACKAGE}."):
                found.add(node.module.removeprefix(f"{PACKAGE}.").split(".")[0])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(f"{PACKAGE}."):
                    found.add(alias.name.removeprefix(f"{PACKAGE}.").split(".")[0])
    return found & modules


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` (a list of modules), or None."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = "open"
        path.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        state[module] = "done"
        path.pop()
        return None

    for module in sorted(graph):
        if module not in state and (cycle := visit(module)):
            return cycle
    return None


def test_no_import_cycle_among_the_shift_modules():
    modules = {path.stem for path in FOLDER.glob("*.py") if path.stem != "__init__"}
    graph = {name: _imported_siblings(FOLDER / f"{name}.py", modules) for name in modules}
    assert _cycle(graph) is None


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
