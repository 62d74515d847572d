"""The package's module import graph has no cycle and keeps the floors of
docs/architecture.md; the reference engine imports at the top.

The graph is read from the source with :mod:`ast` (nothing is imported), with
every ``import`` statement, whether at module level or inside a function, as an
edge to the ``mdcd_lab`` module it names (issue 13: a cycle hidden behind
function-local imports is still a cycle).

``python tests/test_imports.py [PACKAGE_DIR]`` prints the counts docs/architecture.md
quotes (files, import arrows, floors) for this tree or for another copy of the
package (a git revision exported with ``git archive``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from helpers import PKG_DIR, find_cycle, import_graph, imports, modules

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
    """Only ``families.family_of`` reads ``coordinated_ckpt``."""
    readers = []
    for m, path in _modules().items():
        if not m.startswith(PKG + ".reference"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr == "coordinated_ckpt":
                readers.append(f"{path.name}:{node.lineno}")
    assert len(readers) == 1 and readers[0].startswith("families.py:"), readers


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
    (``layout.alloc_state`` sizes the arena's line table with it, no rule;
    ``family_rules`` names the rules ``cold`` compiles apart for the family), and only
    ``families`` calls into the coordinated protocol's module."""
    readers = _kernel_readers("IP_COORDINATED_CKPT")
    assert sorted(readers) == ["families.py:coordinated_family", "families.py:family_rules",
                               "layout.py:alloc_state"], readers
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
    assert "engine.py:after_output" in _kernel_readers("R_PENDING_RECOVERY")


# -- the house: floors, sizes, the kernels' state comments (docs/architecture.md) -------

#: The floors of the package, lowest first (docs/architecture.md).  The one rule: a
#: module imports only modules of its own unit or of a lower floor, and the engines
#: (``reference``, ``fast``) are reached from above only through ``api``.  A unit is a
#: top-level module (``api``, ``metrics`` ...) or a subpackage (``stats``, ``cli`` ...);
#: ``__init__`` is the package's face ``mdcd_lab/__init__.py``.
FLOORS = (
    ("_checks", "constants", "scenario", "protocols", "metrics"),   # the ground floor
    ("traces",),
    ("reference", "fast"),
    ("api",),
    ("stats", "io"),
    ("exploration", "studies", "performability", "plots"),
    ("figures", "widgets"),
    ("cli",),
    ("__init__",),
)
GROUND = FLOORS[0]
ENGINES = ("reference", "fast")


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _floor_of() -> dict[str, int]:
    return {u: i for i, units in enumerate(FLOORS) for u in units}


def _floor_violations(graph: dict[str, set[str]]) -> list[str]:
    floor = _floor_of()
    bad = []
    for m, targets in sorted(graph.items()):
        um = _unit(m)
        for t in sorted(targets):
            ut = _unit(t)
            if ut == um or (um in GROUND and ut in GROUND):
                continue
            if floor[ut] >= floor[um]:
                bad.append(f"{m} -> {t} ({um} is not above {ut})")
            elif ut in ENGINES and um not in (*ENGINES, "api"):
                bad.append(f"{m} -> {t} (the engines are reached through api)")
    return bad


def test_every_unit_has_a_floor():
    units = {_unit(m) for m in _modules()}
    assert units == set(_floor_of()), sorted(units ^ set(_floor_of()))


def test_modules_import_only_lower_floors():
    bad = _floor_violations(import_graph())
    assert not bad, "imports against the floors of docs/architecture.md:\n" + "\n".join(bad)


def test_the_floor_check_sees_an_upward_import():
    graph = {"mdcd_lab.stats.summary": {"mdcd_lab.plots.style"},
             "mdcd_lab.studies.sweep": {"mdcd_lab.fast.engine"},
             "mdcd_lab.plots.style": {"mdcd_lab.metrics"}}
    assert len(_floor_violations(graph)) == 2


def _code_lines(fn: ast.FunctionDef) -> int:
    """Lines of a function without its docstring."""
    n = fn.end_lineno - fn.lineno + 1
    first = fn.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
            and isinstance(first.value.value, str):
        n -= first.end_lineno - first.lineno + 1
    return n


#: The two trace generators: one block each, statement for statement the same
#: (docs/scaling.md), left whole on purpose.
LONG_ON_PURPOSE = {"mdcd_lab.fast.kernels.gen:generate_run",
                   "mdcd_lab.traces.generation:_generate_one"}


def test_no_module_over_400_lines_and_no_function_over_80():
    """A module's length is counted after its imports (the kernels' one-name-a-line
    ``from .layout import (...)`` blocks do not count, tests/test_kernel_cache.py), a
    function's without its docstring."""
    long_modules, long_functions = [], []
    for m, path in _modules().items():
        text = path.read_text()
        tree = ast.parse(text)
        last_import = max((n.end_lineno for n in tree.body
                           if isinstance(n, (ast.Import, ast.ImportFrom))), default=0)
        if len(text.splitlines()) - last_import > 400:
            long_modules.append(m)
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) \
                    and _code_lines(node) > 80 and f"{m}:{node.name}" not in LONG_ON_PURPOSE:
                long_functions.append(f"{m}:{node.name} ({_code_lines(node)})")
    assert not long_modules and not long_functions, (long_modules, long_functions)


def test_every_arena_kernel_names_the_state_it_touches():
    """Each kernel function over the arena ``I`` says in a comment, first thing in its
    body, which state rows it reads and writes (``# reads ...; writes ...``)."""
    missing = []
    for m, path in _modules().items():
        if not m.startswith(PKG + ".fast.kernels."):
            continue
        lines = path.read_text().splitlines()
        for fn in ast.parse("\n".join(lines)).body:
            if not isinstance(fn, ast.FunctionDef) or not fn.args.args \
                    or fn.args.args[0].arg not in ("I", "A"):
                continue
            first = fn.body[0]
            doc = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
            # the line after the docstring, or the comment line above the first statement
            line = lines[first.end_lineno if doc else first.lineno - 2].strip()
            if not line.startswith(("# reads", "# writes", "# no state")):
                missing.append(f"{path.name}:{fn.name}")
    assert not missing, missing


def _levels(graph: dict[str, set[str]]) -> dict[str, int]:
    """Floor of each node of an acyclic graph: 1 + the highest floor it imports (1: none)."""
    level: dict[str, int] = {}

    def visit(n: str) -> int:
        if n not in level:
            level[n] = 1 + max((visit(t) for t in graph.get(n, ())), default=0)
        return level[n]

    for n in graph:
        visit(n)
    return level


def _graph_of(pkg_dir: Path) -> dict[str, set[str]]:
    """The import graph of a copy of the package anywhere (``helpers.import_graph``
    names the modules of this checkout only)."""
    names = {}
    for path in sorted(pkg_dir.rglob("*.py")):
        parts = list(path.relative_to(pkg_dir.parent).with_suffix("").parts)
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    known = set(names)
    return {n: {t for t, _ in imports(n, path, known) if t != n} for n, path in names.items()}


def house_counts(pkg_dir: Path = PKG_DIR) -> dict[str, int]:
    """Files, import arrows and floors of the package, per file and per unit (a
    top-level module or a subpackage, the units of :data:`FLOORS`).  The package's
    face ``mdcd_lab/__init__.py``, which imports every public name, is left out."""
    graph = {m: {t for t in ts if t != PKG} for m, ts in _graph_of(pkg_dir).items()
             if m != PKG}
    units: dict[str, set[str]] = {}
    for m, ts in graph.items():
        units.setdefault(_unit(m), set()).update(
            _unit(t) for t in ts if _unit(t) != _unit(m))
    return {"files": len(graph), "file arrows": sum(len(ts) for ts in graph.values()),
            "file floors": max(_levels(graph).values()),
            "units": len(units), "unit arrows": sum(len(ts) for ts in units.values()),
            "unit floors": max(_levels(units).values())}


if __name__ == "__main__":
    import sys

    root = Path(sys.argv[1]) if len(sys.argv) > 1 else PKG_DIR
    for key, value in house_counts(root.resolve()).items():
        print(f"{key:12} {value}")
