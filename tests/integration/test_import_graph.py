"""No import circles: the package's import graph, read statically with ast, has no cycle.

Between feature packages and between modules, only imports that run when a module is loaded count: an
import inside a function body (or under `if TYPE_CHECKING:`) is the sanctioned way to break a cycle.
Between modules we also look at imports inside functions, because a lower module that imports a higher
one in a function still knows it (the CLI's commands importing cli.py, services enqueuing tasks): pass
the callable or register a hook instead, or, if a late import really is the clearest, add the pair to
LATE_IMPORT_CIRCLES with the reason.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import feedbackloop

ROOT = Path(feedbackloop.__file__).parent
# Module circles closed only by an import inside a function, accepted with a reason: {frozenset(modules): why}.
LATE_IMPORT_CIRCLES: dict[frozenset[str], str] = {}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _all_imports(body: list[ast.stmt]) -> list[ast.Import | ast.ImportFrom]:
    module = ast.Module(body=body, type_ignores=[])
    return [node for node in ast.walk(module) if isinstance(node, ast.Import | ast.ImportFrom)]


def _load_time_imports(body: list[ast.stmt]) -> list[ast.Import | ast.ImportFrom]:
    """Import statements run at load time: at module or class level, in if/try/with blocks, not in defs."""
    found: list[ast.Import | ast.ImportFrom] = []
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                found += _load_time_imports(node.body)
            found += _load_time_imports(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody, *(h.body for h in node.handlers)):
                found += _load_time_imports(block)
        elif isinstance(node, ast.With | ast.ClassDef):
            found += _load_time_imports(node.body)
    return found


def _targets(module: str, is_package: bool, node: ast.Import | ast.ImportFrom, known: set[str]) -> set[str]:
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name in known}
    base = node.module or ""
    if node.level:
        anchor = module.split(".") if is_package else module.split(".")[:-1]
        anchor = anchor[: len(anchor) - (node.level - 1)]
        base = ".".join(anchor + ([base] if base else []))
    out = set()
    for alias in node.names:
        sub = f"{base}.{alias.name}"
        if sub in known:
            out.add(sub)  # `from package import module`
        elif base in known:
            out.add(base)
    return out


def import_graph(*, late: bool = False) -> dict[str, set[str]]:
    """Module → the package's modules it imports at load time (late=True: anywhere, in functions too)."""
    collect = _all_imports if late else _load_time_imports
    modules = _modules()
    known = set(modules)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        edges: set[str] = set()
        for node in collect(tree.body):
            edges |= _targets(name, path.name == "__init__.py", node, known)
        graph[name] = edges - {name}
    return graph


def feature_of(module: str) -> str:
    """The feature package (or top-level module) a module belongs to: feedbackloop.workflow.mail → workflow."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def feature_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for module, targets in graph.items():
        edges = out.setdefault(feature_of(module), set())
        edges |= {feature_of(t) for t in targets} - {feature_of(module)}
    return out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle, as a path a → b → … → a, for each strongly connected component with more than one node."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(node: str) -> None:  # Tarjan's algorithm; the graph has ~150 nodes, recursion is fine
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_a_cycle_in(graph, component) for component in components]


def _a_cycle_in(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    start = min(component)
    # Breadth-first from start back to start, inside the component: the shortest cycle through start.
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        nxt_frontier = []
        for node in frontier:
            for nxt in sorted(graph[node] & component):
                if nxt == start:
                    return [*paths[node], start]
                if nxt not in paths:
                    paths[nxt] = [*paths[node], nxt]
                    nxt_frontier.append(nxt)
        frontier = nxt_frontier
    raise AssertionError("a strongly connected component always holds a cycle")


def _describe(found: list[list[str]]) -> str:
    return "\n".join(" → ".join(cycle) for cycle in found)


def test_the_graph_sees_the_package() -> None:
    graph = import_graph()
    assert "feedbackloop.cli" in graph
    assert "feedbackloop.db" in graph["feedbackloop.feedback.services"]


def test_the_finder_names_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]


def test_no_module_imports_itself_in_a_circle() -> None:
    found = cycles(import_graph())
    assert not found, "import circles between modules:\n" + _describe(found)


def test_no_module_knows_a_module_that_imports_it_not_even_inside_a_function() -> None:
    found = [c for c in cycles(import_graph(late=True)) if frozenset(c) not in LATE_IMPORT_CIRCLES]
    assert not found, "import circles through imports inside functions (pass a callable or register a hook):\n" + (
        _describe(found)
    )


def test_no_feature_package_imports_itself_in_a_circle() -> None:
    found = cycles(feature_graph(import_graph()))
    assert not found, "import circles between feature packages:\n" + _describe(found)


def test_the_cli_runs_as_a_module() -> None:
    # `python -m feedbackloop.cli` loads cli.py twice (as __main__ and as feedbackloop.cli): only works
    # when no command module imports cli.py back.
    done = subprocess.run(
        [sys.executable, "-m", "feedbackloop.cli", "--help"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "import" in done.stdout
