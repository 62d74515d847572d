"""Helpers shared by the test modules, each defined once (issue 18).

* :func:`assert_same`: two frames equal bit for bit (index ignored if asked);
* hypothesis strategies: :func:`engine_scenarios` (every shape the engine
  comparisons need, horizons sized to 50-300 trace rows a run),
  :func:`safety_scenarios` (continuous rates, for the safety properties),
  :func:`protocols` (a named protocol or any combination of the rule switches);
* the command line in-process: :func:`write_file`, :func:`run_cli`;
* a script of ``benchmarks/`` as a module: :func:`load_benchmark`;
* the package's import graph read with :mod:`ast`: :func:`import_graph`,
  :func:`find_cycle`.

The engine comparisons themselves live in ``tests/engines.py``.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
import os
from pathlib import Path

import pandas as pd
from hypothesis import strategies as st

import mdcd_lab as m
from mdcd_lab.fast.engine import SUPPORTED_SWITCHES
from mdcd_lab.protocols import PROTOCOLS, Rules

#: ``make test`` (the fast tier) sets ``MDCD_TEST_TIER=fast``: the heaviest property tests
#: then draw a quarter of their hypothesis examples; ``make test-all`` (CI) draws them all.
FAST_TIER = os.environ.get("MDCD_TEST_TIER") == "fast"


def examples(n: int) -> int:
    """Hypothesis examples of a heavy property test: ``n``, or ``n // 4`` (>= 10) in the
    fast tier (docs/testing.md)."""
    return max(10, n // 4) if FAST_TIER else n


#: Timeout of a child process or a wait, in seconds: a guard against a hang, generous
#: enough for a loaded machine.  No test asserts how long anything takes.
HANG_GUARD_S = 1800

PKG_DIR = Path(m.__file__).resolve().parent
ROOT = PKG_DIR.parent


# -- frames --------------------------------------------------------------------------------

def shared_scope(fixture_name: str, config) -> str:
    """The scope of a fixture that plays runs for several tests of a file: ``"module"``,
    but ``"function"`` while mutmut records its statistics (``make mutation``; mutmut
    sets ``MUTANT_UNDER_TEST=stats`` then).

    mutmut records once which tests execute each function, and runs a mutant against
    those tests only; the work of a module fixture would be recorded for the first test
    that builds it, and the other tests reading it would never judge a mutant.  A
    mutant's own run (one process per mutant) builds the fixture once again.
    """
    return "function" if os.environ.get("MUTANT_UNDER_TEST") == "stats" else "module"


def assert_same(a: pd.DataFrame, b: pd.DataFrame, ignore_index: bool = False) -> None:
    """``a`` equals ``b`` in every bit (and dtype); ``ignore_index`` renumbers both first."""
    if ignore_index:
        a, b = a.reset_index(drop=True), b.reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_exact=True)


# -- hypothesis strategies -----------------------------------------------------------------

#: Every rule switch of :class:`mdcd_lab.protocols.Rules`.
SWITCHES = tuple(f.name for f in dataclasses.fields(Rules) if f.name not in ("name", "code"))
#: The switches the numba engine implements (every one today: test_fast_differential).
NUMBA_SWITCHES = tuple(n for n in SWITCHES if n in SUPPORTED_SWITCHES)


def compatible(flags: dict) -> dict:
    """The switches ``per_member_validation`` works with (``protocols.Rules``)."""
    if flags.get("per_member_validation"):
        return dict(flags, outputs_by_count=True, coordinated_ckpt=False, unclustered=False)
    return flags


def switch_flags() -> st.SearchStrategy[dict]:
    """Any combination of the rule switches the numba engine implements."""
    return st.fixed_dictionaries({n: st.booleans() for n in NUMBA_SWITCHES})


@st.composite
def protocols(draw, names=tuple(PROTOCOLS)):
    """A named protocol, or an ablation: any (compatible) combination of the switches."""
    if draw(st.booleans()):
        return draw(st.sampled_from(names))
    return Rules(name="ablation", **compatible(draw(switch_flags())))


@st.composite
def engine_scenarios(draw):
    """Scenarios of every shape the engine comparisons need, runs of about 50-300 rows."""
    n_low = draw(st.integers(1, 3))
    n_act = draw(st.integers(1, 4))
    rate = st.sampled_from([0.0, 0.2, 0.5, 1.0, 1.5])
    kw = dict(
        n_low=n_low, n_act=n_act,
        rate_low_act=draw(st.sampled_from([0.3, 0.8, 1.5])),
        rate_low_low=draw(rate) if n_low > 1 else 0.0,
        rate_sdw_sdw=draw(rate) if n_low > 1 else 0.0,
        rate_act_low=draw(rate),
        rate_act_act=draw(rate) if n_act > 1 else 0.0,
        rate_ext_low=draw(st.sampled_from([0.05, 0.2, 0.6])),
        rate_ext_act=draw(st.sampled_from([0.0, 0.1, 0.4])),
        fault_rate=draw(st.sampled_from([0.01, 0.03, 0.1])),
        fault_scope=draw(st.sampled_from(["cluster", "process"])),
        at_coverage=draw(st.sampled_from([1.0, 0.9, 0.5])),
        compensation=draw(st.sampled_from([0.0, 0.0, 0.4])),
        latency=draw(st.sampled_from([0.0, 0.0, 0.3, 1.2])),
        shadow_lag=draw(st.sampled_from([0.0, 0.4, 1.5])),
        msg_bytes=draw(st.sampled_from([1, 256, 4096])),
        channel=draw(st.sampled_from(["fifo", "fifo", "non-fifo"])),
        # executed recovery (the default) and atomic; sometimes a window cap that ends
        # recoveries before they are quiet
        recovery=draw(st.sampled_from(["executed", "executed", "atomic"])),
        after_recovery=draw(st.sampled_from([20.0, 20.0, 20.0, 2.0, 0.5, 1e-9])),
    )
    per_time = (n_low * (kw["rate_low_act"] * 2 + kw["rate_low_low"] + kw["rate_ext_low"] * 2
                         + kw["fault_rate"] + kw["rate_sdw_sdw"])
                + n_act * (kw["rate_act_low"] + kw["rate_act_act"] + kw["rate_ext_act"]))
    target = draw(st.sampled_from([50, 120, 300]))
    kw["horizon"] = float(round(target / per_time, 3)) or 1.0
    return m.Scenario(**kw)


@st.composite
def safety_scenarios(draw, coverage=1.0, scope="cluster", channel="fifo"):
    """Scenarios with continuous rates for the safety properties (perfect ATs by default)."""
    n_low = draw(st.integers(1, 3))
    n_act = draw(st.integers(1, 4))
    rate = st.floats(0.0, 2.0)
    return m.Scenario(
        n_low=n_low, n_act=n_act, horizon=draw(st.floats(5.0, 25.0)),
        rate_low_act=draw(st.floats(0.2, 2.0)),
        rate_low_low=draw(rate) if n_low > 1 else 0.0,
        rate_sdw_sdw=draw(rate) if n_low > 1 else 0.0,
        rate_act_low=draw(rate), rate_act_act=draw(rate) if n_act > 1 else 0.0,
        rate_ext_low=draw(st.floats(0.0, 0.6)), rate_ext_act=draw(st.floats(0.0, 0.8)),
        fault_rate=draw(st.floats(0.0, 0.15)), fault_scope=scope, at_coverage=coverage,
        compensation=draw(st.sampled_from([0.0, 0.5, 0.9])),
        latency=draw(st.sampled_from([0.0, 0.05, 0.3, 1.5])),
        shadow_lag=draw(st.sampled_from([0.0, 0.2, 1.0, 5.0])), channel=channel)


# -- the command line, in-process ----------------------------------------------------------

#: A small scenario file of the CLI tests: two protocols on the reference engine.
SCENARIO = """
[scenario]
n_low = 2
n_act = 3
horizon = 20.0
fault_rate = 0.03

[run]
runs = 6
seed = 4
protocols = ["mdcd", "mdcd-paper"]
engine = "reference"
"""


def write_file(tmp_path: Path, text: str, name: str = "spec.toml") -> Path:
    """Write ``text`` to ``tmp_path / name``; return the path."""
    p = tmp_path / name
    p.write_text(text)
    return p


def run_cli(argv, capsys) -> tuple[int, str, str]:
    """``mdcd-lab argv`` in this process: ``(exit code, stdout, stderr)``."""
    from mdcd_lab import cli
    code = cli.main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


# -- a script of benchmarks/ ---------------------------------------------------------------

def load_benchmark(name: str):
    """``benchmarks/<name>.py`` loaded as a module (``mdcd_bench_<name>``), so that a test
    calls its functions; the scripts are not a package."""
    spec = importlib.util.spec_from_file_location(f"mdcd_bench_{name}",
                                                  ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- the import graph ----------------------------------------------------------------------

def module_name(path: Path) -> str:
    """``mdcd_lab.x.y`` of a source file of the package (a package: its ``__init__``)."""
    parts = list(path.resolve().relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(root: Path = PKG_DIR) -> dict[str, Path]:
    """``{module name: path}`` of every source file under ``root``."""
    return {module_name(p): p for p in sorted(root.rglob("*.py"))}


def _resolve(module: str, is_pkg: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_pkg else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports(module: str, path: Path, known: set[str]) -> list[tuple[str, ast.stmt]]:
    """``(imported module of known, statement)`` for every import in ``path``.

    Every ``import`` statement counts, at module level or inside a function
    (issue 13: a cycle hidden behind a function-local import is still a cycle);
    ``from .state import Run`` names the module ``state``, ``from . import act``
    the module ``act``.
    """
    tree = ast.parse(path.read_text(), filename=str(path))
    is_pkg = path.name == "__init__.py"
    top = module.split(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, is_pkg, node)
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base
                       for a in node.names]
        else:
            continue
        for t in targets:
            if t == top or t.startswith(top + "."):
                while t not in known and "." in t:   # "mdcd_lab.x.y" of a member y
                    t = t.rsplit(".", 1)[0]
                if t in known:
                    out.append((t, node))
    return out


def import_graph(root: Path = PKG_DIR) -> dict[str, set[str]]:
    """``{module: modules it imports}`` for the modules under ``root`` (edges inside only)."""
    mods = modules(root)
    known = set(mods)
    return {name: {t for t, _ in imports(name, path, known) if t != name}
            for name, path in mods.items()}


def find_cycle(graph: dict[str, set[str]], skip_own_submodules: bool = False
               ) -> list[str] | None:
    """One cycle of ``graph`` as ``[a, b, ..., a]``, or None (iterative DFS).

    ``skip_own_submodules`` ignores a package's imports of its own submodules.
    """
    WHITE, GREY, BLACK = 0, 1, 2
    color = dict.fromkeys(graph, WHITE)

    def children(n):
        return iter(sorted(c for c in graph[n]
                           if not (skip_own_submodules and c.startswith(n + "."))))

    for root in sorted(graph):
        if color[root] != WHITE:
            continue
        stack = [(root, children(root))]
        path = [root]
        color[root] = GREY
        while stack:
            node, kids = stack[-1]
            child = next(kids, None)
            if child is None:
                color[node] = BLACK
                stack.pop()
                path.pop()
            elif color.get(child, BLACK) == GREY:
                return path[path.index(child):] + [child]
            elif color.get(child, BLACK) == WHITE:
                color[child] = GREY
                path.append(child)
                stack.append((child, children(child)))
    return None
