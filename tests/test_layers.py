"""The import graph keeps its layers: no cycles, one door, nothing below calls back up.

Every import of the project's own modules counts, also those inside functions (a function-level
import hides a cycle; it does not remove it). `if TYPE_CHECKING:` imports are left out of the
cycle check (they never run) but not out of the upward check: a lower module that names the
service in its annotations is built around the service.

Layers, top down:
- entry: assistant/cli.py, app.py, assistant/ui/ (the shells people use);
- service: assistant/service.py (the use cases), with the commands that run beside it
  (assistant/bench.py, assistant/bench_year.py, assistant/demo.py, the calibration and
  page-order fitting scripts);
- everything else in assistant/ and evals/ is below the service.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SERVICE = "assistant.service"
SERVICE_LAYER = {
    SERVICE,
    "assistant.bench",
    "assistant.bench_year",
    "assistant.demo",
    "assistant.evaluation.calibration_fit",
    "assistant.evaluation.rerank_fit",
    "assistant.usecases.reviewer_views",
    "assistant.usecases.yearly_analysis",
}
# what an entry module may import besides the service layer and the UI's own modules
ENTRY_MAY_IMPORT = {"assistant.config", "assistant.errors"}
# Side entrances around the service still open: (entry module, lower module) pairs. This list
# only shrinks; a new pair fails the test.
KNOWN_SIDE_ENTRANCES: set[tuple[str, str]] = set()  # all closed (branch ui)


def _modules() -> dict[str, Path]:
    files = [*REPO.glob("assistant/**/*.py"), *REPO.glob("evals/**/*.py"), REPO / "app.py"]
    mods = {}
    for f in files:
        parts = list(f.relative_to(REPO).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = f
    return mods


MODULES = _modules()


def _resolve(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str) -> dict[str, bool]:
    """{imported own module: True when only under TYPE_CHECKING}."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only.update(id(sub) for sub in ast.walk(node))
    found: dict[str, bool] = {}

    def add(name: str | None, node) -> None:
        if name and name != module:
            found[name] = found.get(name, True) and id(node) in typing_only

    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".")
                if path.name != "__init__.py":
                    package = package[:-1]
                package = package[: len(package) - node.level + 1]
                base = ".".join(package + ([base] if base else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                add(full if _resolve(full) == full else _resolve(base), node)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                add(_resolve(alias.name), node)
    return found


GRAPH = {m: _imports(m) for m in MODULES}


def _is_entry(module: str) -> bool:
    return module in ("assistant.cli", "app") or module.startswith("assistant.ui")


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), runtime imports only."""
    graph = {m: [d for d, typing in deps.items() if not typing] for m, deps in GRAPH.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_the_graph_sees_the_tree():
    """The checks below run on the real modules (a broken walk would pass everything)."""
    assert {"assistant.service", "assistant.cli", "app", "assistant.ui.review_tab"} <= set(MODULES)
    assert "assistant.engines.base" in GRAPH["assistant.engines.llm"]
    assert SERVICE in GRAPH["assistant.cli"]


def test_no_import_cycle():
    assert _cycles() == []


def test_entry_points_go_through_the_service():
    """The CLI, app.py and the UI import the service layer, config, errors and the UI's own
    modules, nothing else of the project (names used only in annotations aside: the records
    the service returns)."""
    found = set()
    for module, deps in GRAPH.items():
        if not _is_entry(module):
            continue
        for dep in (d for d, typing_only in deps.items() if not typing_only):
            allowed = dep in SERVICE_LAYER or dep in ENTRY_MAY_IMPORT or _is_entry(dep)
            allowed = allowed or dep in ("assistant", "assistant.ui")
            if not allowed:
                found.add((module, dep))
    assert found - KNOWN_SIDE_ENTRANCES == set(), "new side entrance around the service"
    assert KNOWN_SIDE_ENTRANCES - found == set(), "closed: remove it from KNOWN_SIDE_ENTRANCES"


@pytest.mark.parametrize("service_module", sorted(SERVICE_LAYER))
def test_nothing_below_imports_the_service_layer(service_module):
    """Lower modules receive what they need; they never import the service, not even for an
    annotation under TYPE_CHECKING."""
    below = [
        m
        for m, deps in GRAPH.items()
        if service_module in deps and not _is_entry(m) and m not in SERVICE_LAYER
    ]
    assert below == []


def test_nothing_below_the_entry_points_imports_them():
    upward = [(m, d) for m, deps in GRAPH.items() if not _is_entry(m) for d in deps if _is_entry(d)]
    assert upward == []
