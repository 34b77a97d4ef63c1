"""No import cycles among provml's modules: each layer imports only what lies below it.

The graph is read from the source with `ast`: an edge for every `import provml.x` and
`from provml.x import y` (to `provml.x.y` where that is a module) at module level, outside
functions, where an import runs when the module is loaded. Imports under `if TYPE_CHECKING:` are
a second graph: they never run, but a cycle there still ties two modules' designs together.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

import provml

PACKAGE = Path(provml.__file__).parent


def _modules() -> dict[str, Path]:
    """Every module of the package (layer folders are links into it) by dotted name."""
    found: dict[str, Path] = {}
    paths = [
        Path(folder, name)
        for folder, _, names in os.walk(PACKAGE, followlinks=True)
        for name in names
        if name.endswith(".py")
    ]
    for path in sorted(paths):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(("provml", *parts))] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    """Whether an `if` test is `TYPE_CHECKING` or `typing.TYPE_CHECKING`."""
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(
    body: list[ast.stmt], checking: bool
) -> list[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Module-level import statements (not in functions or classes), each with whether it sits
    under `if TYPE_CHECKING:`."""
    found: list[tuple[ast.Import | ast.ImportFrom, bool]] = []
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append((node, checking))
        elif isinstance(node, ast.If):
            found += _imports(node.body, checking or _is_type_checking(node.test))
            found += _imports(node.orelse, checking)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody, *(h.body for h in node.handlers)):
                found += _imports(block, checking)
        elif isinstance(node, ast.With):
            found += _imports(node.body, checking)
    return found


def import_graphs() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """The runtime import graph and the TYPE_CHECKING one, among provml's modules."""
    modules = _modules()
    runtime: dict[str, set[str]] = {name: set() for name in modules}
    checking: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node, under_checking in _imports(ast.parse(path.read_text()).body, False):
            targets: set[str] = set()
            if isinstance(node, ast.Import):
                targets = {alias.name for alias in node.names}
            else:
                base = node.module or ""
                if node.level:
                    anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                    base = f"{anchor}.{base}" if base else anchor
                for alias in node.names:
                    child = f"{base}.{alias.name}"
                    targets.add(child if child in modules else base)
            graph = checking if under_checking else runtime
            graph[name] |= {target for target in targets if target in modules and target != name}
    return runtime, checking


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The graph's strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_the_layer_folders_and_their_imports():
    runtime, checking = import_graphs()
    assert "provml.kg.sparql_text" in runtime["provml.kg.oxigraph"]
    assert "provml.queries.catalog" in runtime["provml.queries"]
    assert "provml.kg.store" in checking["provml.loaders.follow"]


def test_no_import_cycle_at_run_time():
    runtime, _ = import_graphs()
    assert cycles(runtime) == []


def test_no_import_cycle_with_type_checking_imports():
    runtime, checking = import_graphs()
    merged = {name: runtime[name] | checking[name] for name in runtime}
    assert cycles(merged) == []
