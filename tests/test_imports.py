"""The package's module import graph has no cycle; the reference engine imports at the top.

The graph is read from the source with :mod:`ast` (nothing is imported), with
every ``import`` statement, whether at module level or inside a function, as an
edge to the ``mdcd_lab`` module it names (issue 13: a cycle hidden behind
function-local imports is still a cycle).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from helpers import find_cycle, import_graph, imports, modules

PKG = "mdcd_lab"


def _modules() -> dict[str, Path]:
    return modules()


def test_no_import_cycle_in_the_package():
    graph = import_graph()
    assert "mdcd_lab.reference.engine" in graph and "mdcd_lab.fast.engine" in graph
    for m, targets in graph.items():
        for t in targets:
            assert not m.startswith(t + "."), (
                f"{m} imports its own parent package {t}: import the module that "
                "defines the name instead")
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_no_function_local_imports_in_reference():
    mods = _modules()
    offenders = []
    for m, path in mods.items():
        if not m.startswith(PKG + ".reference"):
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for inner in ast.walk(node):
                    if isinstance(inner, (ast.Import, ast.ImportFrom)):
                        offenders.append(f"{path.name}:{inner.lineno} in {node.name}")
    assert not offenders, "function-local imports in mdcd_lab/reference: " + ", ".join(offenders)


@pytest.mark.parametrize("edges, cycle", [
    ({"a": {"b"}, "b": {"c"}, "c": set()}, False),
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, True),
    ({"a": {"b", "c"}, "b": {"c"}, "c": set(), "d": {"d"}}, True),
])
def test_the_cycle_finder_finds_cycles(edges, cycle):
    assert (find_cycle(edges) is not None) == cycle


def test_the_graph_sees_function_local_imports(tmp_path):
    src = tmp_path / "mdcd_lab" / "reference"
    src.mkdir(parents=True)
    (src / "x.py").write_text("def f():\n    from .y import g\n    return g\n")
    edges = imports("mdcd_lab.reference.x", src / "x.py",
                     {"mdcd_lab.reference.x", "mdcd_lab.reference.y"})
    assert [t for t, _ in edges] == ["mdcd_lab.reference.y"]


def test_protocol_family_is_chosen_once_in_the_reference():
    """Only the event loop reads ``coordinated_ckpt`` (``engine.family_of``)."""
    readers = []
    for m, path in _modules().items():
        if not m.startswith(PKG + ".reference"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr == "coordinated_ckpt":
                readers.append(f"{path.name}:{node.lineno}")
    assert len(readers) == 1 and readers[0].startswith("engine.py:"), readers


def _kernel_readers(name: str) -> list[str]:
    """``file:function`` of every kernel function that reads the global ``name``."""
    readers = []
    for m, path in _modules().items():
        if not m.startswith(PKG + ".fast.kernels."):
            continue
        for fn in ast.parse(path.read_text()).body:
            if not isinstance(fn, ast.FunctionDef):
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.Name) and node.id == name:
                    readers.append(f"{path.name}:{fn.name}")
    return readers


def test_protocol_family_is_chosen_once_in_the_kernels():
    """The kernels mirror the reference: only ``families`` reads the coordinated switch
    (``layout.alloc_state`` sizes the arena's line table with it, no rule), and only
    ``families`` calls into the coordinated protocol's module."""
    readers = _kernel_readers("IP_COORDINATED_CKPT")
    assert sorted(readers) == ["families.py:coordinated_family", "layout.py:alloc_state"], \
        readers
    importers = []
    for m, path in _modules().items():
        if not m.startswith(PKG + ".fast.kernels."):   # the package's __init__ aside
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1 and (
                    node.module == "coordinated" or node.module is None
                    and any(a.name == "coordinated" for a in node.names)):
                importers.append(path.name)
    assert sorted(set(importers)) == ["families.py"], importers


def test_the_kernel_reader_check_sees_a_reader():
    assert "engine.py:play_run" in _kernel_readers("R_PENDING_RECOVERY")
