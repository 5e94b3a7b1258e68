"""The import graph of server/: no cycle, and the layers point one way.

Every `import` counts as an edge, wherever it is written: at module level, inside a function
or a method. A lazy import inside a function is how a cycle hides — it stops Python from
failing at start-up, not the two modules from needing each other — so it is no excuse here.
Only imports under `if TYPE_CHECKING:` are left out: they never run.

An edge goes to the module the statement names (`from server.services import voice` names
the module server.services.voice; `from server.models import CallLog` names the package
server.models). The parent packages Python initialises on the way are not edges: an
`__init__` that imports its own submodules would otherwise be a "cycle" by construction.
"""
from __future__ import annotations

import ast
from pathlib import Path

SERVER = Path(__file__).resolve().parent.parent
ROOT = SERVER.parent
SKIPPED = ("tests", "migrations")


def _modules() -> dict[str, tuple[Path, bool]]:
    found = {}
    for path in SERVER.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if any(part in SKIPPED for part in rel.parts[1:]):
            continue
        parts = list(rel.with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST):
    """Every Import/ImportFrom node, skipping the bodies of `if TYPE_CHECKING:`."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def import_graph() -> dict[str, set[str]]:
    modules = _modules()

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, (path, is_package) in modules.items():
        package = name if is_package else name.rpartition(".")[0]
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets = [resolve(alias.name) for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join(parts + ([base] if base else []))
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else resolve(base)
                           for alias in node.names]
            graph[name].update(t for t in targets if t and t != name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
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
    return found


def _importers(graph: dict[str, set[str]], of: str) -> dict[str, set[str]]:
    return {name: {t for t in targets if t == of or t.startswith(of + ".")}
            for name, targets in graph.items() if any(t == of or t.startswith(of + ".") for t in targets)}


def test_the_walk_sees_lazy_imports_and_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e2"}, "e2": set()}
    assert cycles(graph) == [["a", "b", "c"]]
    walked = import_graph()
    assert "server.services.customers.search" in walked["server.routes.crm"]  # a module-level import
    assert "server.app_factory" in walked["server.tasks"]  # an import inside a function


def test_server_has_no_import_cycle():
    found = cycles(import_graph())
    assert not found, "import cycles in server/:\n" + "\n".join(" ↔ ".join(c) for c in found)


def test_only_tasks_and_the_worker_import_tasks():
    """Services ask for a job by name (server/jobs.py); the jobs call services, not the reverse."""
    importers = _importers(import_graph(), "server.tasks")
    assert {name for name in importers if not name.startswith("server.tasks")} <= {"server.worker"}, importers


def test_providers_import_no_service_and_no_model():
    graph = import_graph()
    providers = {name: targets for name, targets in graph.items() if name.startswith("server.providers")}
    wrong = {name: sorted(t for t in targets if t.startswith(("server.services", "server.models", "server.routes")))
             for name, targets in providers.items()}
    assert not {name: targets for name, targets in wrong.items() if targets}
