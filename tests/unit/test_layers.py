"""The layering rules of docs/architecture.md, checked by walking every import with ``ast``.

- one import root: project code imports ``provnet.<package>``, never a bare ``api`` or ``config``;
- lower layers never import higher ones (config < inventory < tsdb < pollers < alerts < maps
  < api < the composition root ``provnet``); ``config`` imports no other project package;
- FastAPI (and Starlette) is imported only under ``api/``;
- no import circle at run time (imports under ``if TYPE_CHECKING:`` do not run).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ["config", "inventory", "tsdb", "pollers", "alerts", "maps", "api"]
RANK = {name: i for i, name in enumerate(LAYERS)}
COMPOSITION = len(LAYERS)  # provnet/*: cli, service, features, simulator, demo
WEB_LIBS = ("fastapi", "starlette", "fastapi_offline")


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    if parts[0] in RANK:
        return ".".join(["provnet", *parts])
    return ".".join(parts)


def _sources() -> list[Path]:
    out = []
    for top in [*LAYERS, "provnet"]:
        for p in sorted((ROOT / top).rglob("*.py")):
            rel = p.relative_to(ROOT / top)
            if top == "provnet" and rel.parts[0] in RANK:  # the symlinks to the packages
                continue
            if "migrations" in p.parts and "versions" in p.parts:
                continue
            out.append(p)
    return out


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST, package: str) -> Iterator[tuple[int, str, bool]]:
    """(line, absolute module, runs at run time) for every import in ``tree``."""
    def walk(node: ast.AST, runtime: bool) -> Iterator[tuple[int, str, bool]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for sub in child.body:
                    yield from walk_one(sub, False)
                for sub in child.orelse:
                    yield from walk_one(sub, runtime)
                continue
            yield from walk_one(child, runtime)

    def walk_one(node: ast.AST, runtime: bool) -> Iterator[tuple[int, str, bool]]:
        if isinstance(node, ast.Import):
            for a in node.names:
                yield node.lineno, a.name, runtime
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join([*base, node.module] if node.module else base)
            else:
                mod = node.module or ""
            yield node.lineno, mod, runtime
            for a in node.names:  # ``from pkg import submodule``
                yield node.lineno, f"{mod}.{a.name}", runtime
        yield from walk(node, runtime)

    yield from walk(tree, True)


def _layer(module: str) -> int | None:
    parts = module.split(".")
    if parts[0] != "provnet":
        return None
    if len(parts) > 1 and parts[1] in RANK:
        return RANK[parts[1]]
    return COMPOSITION


def _package_of(path: Path, module: str) -> str:
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


@pytest.fixture(scope="module")
def graph() -> dict[str, list[tuple[int, str, bool]]]:
    """Module -> its imports, for every project module."""
    out: dict[str, list[tuple[int, str, bool]]] = {}
    for p in _sources():
        mod = _module_name(p)
        tree = ast.parse(p.read_text(encoding="utf-8"), str(p))
        out[mod] = list(_imports(tree, _package_of(p, mod)))
    assert len(out) > 100, "the walk found too few modules: is ROOT right?"
    return out


def test_one_import_root(graph: dict[str, list[tuple[int, str, bool]]]) -> None:
    bad = [f"{m}:{line} imports {imp}" for m, imps in graph.items()
           for line, imp, _ in imps if imp.split(".")[0] in RANK]
    assert not bad, "import these as provnet.<package>:\n" + "\n".join(bad)


def test_lower_layers_never_import_higher(graph: dict[str, list[tuple[int, str, bool]]]) -> None:
    bad = []
    for mod, imps in graph.items():
        own = _layer(mod)
        assert own is not None
        for line, imp, _ in imps:
            other = _layer(imp)
            if other is not None and other > own:
                bad.append(f"{mod}:{line} imports {imp}")
    assert not bad, "a lower layer imports a higher one:\n" + "\n".join(bad)


def test_config_imports_no_other_project_package(
        graph: dict[str, list[tuple[int, str, bool]]]) -> None:
    bad = [f"{m}:{line} imports {imp}" for m, imps in graph.items()
           if m.startswith("provnet.config") for line, imp, _ in imps
           if imp.startswith("provnet.") and not imp.startswith("provnet.config")]
    assert not bad, "\n".join(bad)


def test_fastapi_only_under_api(graph: dict[str, list[tuple[int, str, bool]]]) -> None:
    bad = [f"{m}:{line} imports {imp}" for m, imps in graph.items()
           if not m.startswith("provnet.api") for line, imp, _ in imps
           if imp.split(".")[0] in WEB_LIBS]
    assert not bad, "FastAPI outside api/:\n" + "\n".join(bad)


def _runtime_edges(graph: dict[str, list[tuple[int, str, bool]]]) -> dict[str, set[str]]:
    """Module -> project modules it makes Python load (the imported module, else its package)."""
    edges: dict[str, set[str]] = {m: set() for m in graph}
    for mod, imps in graph.items():
        for _, imp, runtime in imps:
            if not runtime or not imp.startswith("provnet"):
                continue
            target = imp
            while target and target not in graph:  # ``from pkg import name``: the package
                target = target.rpartition(".")[0]
            if target and target != mod:
                edges[mod].add(target)
    return edges


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_no_import_circle(graph: dict[str, list[tuple[int, str, bool]]]) -> None:
    assert _cycles(_runtime_edges(graph)) == []


@pytest.mark.parametrize(("edges", "expected"), [
    ({"a": {"b"}, "b": {"a"}}, [["a", "b"]]),
    ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
])
def test_cycle_finder(edges: dict[str, set[str]], expected: list[list[str]]) -> None:
    assert _cycles(edges) == expected


def test_checker_sees_a_violation() -> None:
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                     "    from provnet.service import Service\nfrom provnet.api import app\n"
                     "from . import sibling\n")
    found = list(_imports(tree, "provnet.pollers"))
    assert (3, "provnet.service", False) in found
    assert (4, "provnet.api", True) in found
    assert (5, "provnet.pollers.sibling", True) in found
    assert _layer("provnet.api.app") == RANK["api"] > RANK["pollers"]
