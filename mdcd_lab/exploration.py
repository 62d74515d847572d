"""Bounded exhaustive exploration: every trace of a small scope, under every protocol.

``explore(scope, protocols=...)`` walks all traces of a :class:`Scope`
(:mod:`mdcd_lab.exploration_walk`), replays each under every protocol with perfect
ATs (``at_coverage = 1``), and counts the traces that fail or show an oracle
violation, with the smallest counterexample of each class.  A sound protocol
must be clean on every trace.  docs/explore.md defines the scopes and gives the
results of the named ones.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from .exploration_walk import ACTIONS, HORIZON, Scope, walk
from .metrics import OUTCOMES, VIOLATIONS
from .protocols import PROTOCOLS, VARIANTS, Rules, get_rules, protocol_names
from .scenario import Scenario
from .traces import KINDS, proc_names

__all__ = ["Scope", "SCOPES", "LARGE_SCOPES", "explore", "scope_scenario", "CLASSES",
           "resolve_protocols"]

#: what a trace can be counted for: the run failed, or a violation column is > 0
CLASSES = ("failed", *VIOLATIONS, "dup_outputs")

#: named scopes (docs/explore.md): ``ci`` runs in the test suite
SCOPES: dict[str, Scope] = {
    # in the test suite: instant delivery (before the next action), two G_act processes
    "ci": Scope(n_low=1, n_act=2, max_actions=5, max_delay=0, name="ci"),
    # channel and notification latency and shadow lag of up to two actions
    "lag": Scope(n_low=1, n_act=1, max_actions=4, max_delay=2, name="lag"),
    "lag5": Scope(n_low=1, n_act=1, max_actions=5, max_delay=1, name="lag5"),
    "act2": Scope(n_low=1, n_act=2, max_actions=4, max_delay=2, name="act2"),
    "act3": Scope(n_low=1, n_act=3, max_actions=5, max_delay=0, name="act3"),
    "low2": Scope(n_low=2, n_act=1, max_actions=4, max_delay=1,
                  fault_scopes=("cluster", "process"), name="low2"),
    "comp": Scope(n_low=1, n_act=1, max_actions=4, max_delay=2, compensation=(False, True),
                  name="comp"),
    # per-member faults: two or three members, traffic inside G_low and inside G_sdw,
    # both fault scopes.  ``ci2`` runs in the test suite (numba engine).
    "ci2": Scope(n_low=2, n_act=1, max_actions=4, max_delay=1, actions=ACTIONS,
                 fault_scopes=("cluster", "process"), name="ci2"),
    "low2ll": Scope(n_low=2, n_act=1, max_actions=4, max_delay=2, actions=ACTIONS,
                    fault_scopes=("cluster", "process"), name="low2ll"),
    "low3ll": Scope(n_low=3, n_act=1, max_actions=4, max_delay=0, actions=ACTIONS,
                    fault_scopes=("cluster", "process"), name="low3ll"),
    "act2ll": Scope(n_low=2, n_act=2, max_actions=5, max_delay=0, actions=ACTIONS,
                    fault_scopes=("cluster", "process"), name="act2ll"),
    # the largest per-member scopes run (minutes each; not in the default of
    # benchmarks/explore_scopes.py): five actions
    "low2ll5": Scope(n_low=2, n_act=1, max_actions=5, max_delay=1, actions=ACTIONS,
                     fault_scopes=("cluster", "process"), name="low2ll5"),
    "low3ll5": Scope(n_low=3, n_act=1, max_actions=5, max_delay=0, actions=ACTIONS,
                     fault_scopes=("cluster", "process"), name="low3ll5"),
}
#: Scopes that take minutes (left out of ``benchmarks/explore_scopes.py``'s default).
LARGE_SCOPES = ("low2ll5", "low3ll5")


def resolve_protocols(protocols) -> list[Rules]:
    """The :class:`Rules` of ``protocols``: ``"all"`` (every name of
    :func:`~mdcd_lab.protocols.protocol_names`, as registered when called), one name
    or Rules, or a sequence of them; names of :data:`~mdcd_lab.protocols.VARIANTS`
    are accepted too.  ``ValueError`` on an unknown name, none, or a repeated name.
    """
    if isinstance(protocols, str) and protocols == "all":
        protocols = protocol_names()
    if isinstance(protocols, (str, Rules)):
        protocols = (protocols,)
    rules = [VARIANTS[p] if isinstance(p, str) and p in VARIANTS and p not in PROTOCOLS
             else get_rules(p) for p in protocols]
    if not rules:
        raise ValueError("protocols must name at least one protocol")
    names = [r.name for r in rules]
    if len(set(names)) != len(names):
        raise ValueError(f"protocols: a protocol name is repeated in {names}")
    return rules


def scope_scenario(scope: Scope, fault_scope: str = "cluster",
                   compensation: bool = False, recovery: str = "executed") -> Scenario:
    """The scenario the traces of ``scope`` are replayed under (perfect ATs)."""
    return Scenario(n_low=scope.n_low, n_act=scope.n_act, horizon=HORIZON,
                    rate_low_low=0.0 if scope.n_low == 1 else 0.5,
                    rate_sdw_sdw=0.0 if scope.n_low == 1 else 0.5,
                    rate_act_act=0.0 if scope.n_act == 1 else 0.5,
                    at_coverage=1.0, compensation=0.5 if compensation else 0.0,
                    fault_scope=fault_scope, recovery=recovery)


class _Batch:
    """Traces collected for one replay call (flat columns and run offsets)."""

    def __init__(self) -> None:
        self.rows: list = []
        self.offsets = [0]

    def add(self, rows: list) -> None:
        self.rows.extend(rows)
        self.offsets.append(len(self.rows))

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def arrays(self) -> dict:
        a = np.array(self.rows, dtype=np.float64).reshape(-1, 8)
        cols = {name: np.ascontiguousarray(a[:, i]) for i, name in enumerate(
            ("t", "kind", "src", "dst", "t_deliver", "u_at", "u_comp", "d_notify"))}
        for name in ("kind", "src", "dst"):
            cols[name] = cols[name].astype(np.int64)
        return cols


def _replay_batch(batch: _Batch, sc: Scenario, rules: Rules, engine: str) -> pd.DataFrame:
    cols = batch.arrays()
    offsets = np.asarray(batch.offsets, dtype=np.int64)
    if engine == "numba":
        from .fast.engine import replay_flat
        return replay_flat(offsets, cols, sc, rules)
    from .reference.engine import play_run
    out = []
    for r in range(len(batch)):
        lo, hi = offsets[r], offsets[r + 1]
        res, _ = play_run({k: v[lo:hi] for k, v in cols.items()}, sc, rules)
        out.append(res)
    return pd.DataFrame(out)


def _trace_frame(rows: list, sc: Scenario) -> pd.DataFrame:
    names = proc_names(sc)
    recs = []
    for t, kind, src, dst, td, uat, ucomp, dn in rows:
        kind = KINDS[int(kind)]
        recs.append({"run": 0, "t": t, "kind": kind, "src": names[int(src)],
                     "dst": names[int(dst)] if dst >= 0 else "",
                     "t_deliver": td, "u_at": uat if kind == "output" else np.nan,
                     "u_comp": ucomp if kind == "output" else np.nan,
                     "d_notify": dn if kind == "output" else np.nan})
    return pd.DataFrame(recs, columns=["run", "t", "kind", "src", "dst", "t_deliver", "u_at",
                                       "u_comp", "d_notify"])


def explore(scope: Scope | str = "ci", protocols=("mdcd", "mdcd-paper"),
            engine: str = "numba", progress: bool = False,
            batch_size: int = 50_000, recovery: str = "executed") -> pd.DataFrame:
    """Replay every trace of ``scope`` under each protocol; count failures and violations.

    Parameters
    ----------
    scope : Scope or str
        A :class:`Scope` or the name of one of :data:`SCOPES`.
    protocols : "all", str, Rules or a sequence of them
        Protocol names (of :func:`~mdcd_lab.protocols.protocol_names` or
        :data:`~mdcd_lab.protocols.VARIANTS`) or :class:`Rules` objects; ``"all"``:
        every registered protocol.  Nothing here lists protocols: a protocol
        registered later is explored by name.
    engine : {"numba", "reference"}
        The numba engine gives the same numbers, fast (it refuses rule switches it
        does not implement).
    progress : bool
        A ``tqdm`` bar counting traces.
    batch_size : int
        Traces replayed per engine call.

    Returns
    -------
    DataFrame
        One row per (fault_scope, compensation, protocol): ``scope``, ``traces``
        (distinct traces explored), ``recovered``, then for each class of
        :data:`CLASSES` the number of traces in it (``failed``, a violation column
        above 0, ``dup_outputs`` above 0), ``clean`` (traces in no class), and
        ``cx_<class>``: the smallest trace of that class (fewest rows, then first
        found) as a trace DataFrame, or None.  ``attrs["seconds"]`` is the wall time.
    """
    if isinstance(scope, str):
        if scope not in SCOPES:
            raise ValueError(f"unknown scope {scope!r}; choose one of {list(SCOPES)} "
                             "or pass a mdcd_lab.explore.Scope")
        scope = SCOPES[scope]
    if not isinstance(scope, Scope):
        raise ValueError(f"scope must be a Scope or a scope name, got {type(scope).__name__}")
    if engine not in ("numba", "reference"):
        raise ValueError(f"unknown engine {engine!r}; choose 'numba' or 'reference'")
    rules = resolve_protocols(protocols)
    if engine == "numba":
        from .fast.engine import rule_flags
        for r in rules:
            rule_flags(r)   # refuses a switch the kernel does not implement, before work
    # members that are not interchangeable (mdcd-unclustered) need a walk without the
    # symmetry among members: such protocols get a walk of their own, the others keep
    # the reduced one (so their counts do not depend on the company they are in)
    groups = [(p, g) for p in (False, True)
              if (g := [r for r in rules if (scope.n_low > 1 and r.unclustered) == p])]
    t0 = time.perf_counter()
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(desc=f"explore {scope.name}", unit="trace")
    records = []
    try:
        for fs in scope.fault_scopes:
            for comp in scope.compensation:
                sc = scope_scenario(scope, fs, comp, recovery)
                acc = {r.name: _Acc() for r in rules}
                for partners, group in groups:
                    _walk_and_replay(scope, fs, comp, partners, group, sc, acc, engine,
                                     batch_size, bar)
                for r in rules:
                    records.append(acc[r.name].record(scope, fs, comp, r.name, sc))
    finally:
        if bar is not None:
            bar.close()
    df = pd.DataFrame(records)
    df.attrs["seconds"] = time.perf_counter() - t0
    return df


def _walk_and_replay(scope: Scope, fs: str, comp: bool, partners: bool, rules: list,
                     sc: Scenario, acc: dict, engine: str, batch_size: int, bar) -> None:
    """Walk the traces once and replay them, in batches, under each of ``rules``."""
    batch = _Batch()

    def flush():
        if not len(batch):
            return
        for r in rules:
            acc[r.name].add(_replay_batch(batch, sc, r, engine), batch)
        if bar is not None:
            bar.update(len(batch))
        batch.rows.clear()
        batch.offsets[:] = [0]

    def emit(rows, ended):
        batch.add(rows)
        if len(batch) >= batch_size:
            flush()

    walk(scope, fs, comp, emit, partners=partners, executed=sc.recovery == "executed")
    flush()


class _Acc:
    """Counts and smallest counterexamples of one protocol."""

    def __init__(self) -> None:
        self.n = self.recovered = self.clean = 0
        self.count = dict.fromkeys(CLASSES, 0)
        self.best: dict = {}

    def add(self, res: pd.DataFrame, batch: _Batch) -> None:
        self.n += len(res)
        outcome = res["outcome"].to_numpy()
        if outcome.dtype != object:
            outcome = np.asarray(OUTCOMES, dtype=object)[outcome]
        flags = {"failed": outcome == "failed"}
        for c in CLASSES[1:]:
            flags[c] = res[c].to_numpy() > 0
        self.recovered += int(np.sum(outcome == "recovered"))
        anyc = np.zeros(len(res), dtype=bool)
        lengths = np.diff(np.asarray(batch.offsets))
        for c, f in flags.items():
            anyc |= f
            idx = np.flatnonzero(f)
            self.count[c] += len(idx)
            if len(idx):
                i = idx[np.argmin(lengths[idx])]
                if c not in self.best or lengths[i] < len(self.best[c]):
                    self.best[c] = batch.rows[batch.offsets[i]:batch.offsets[i + 1]]
        self.clean += int(np.sum(~anyc))

    def record(self, scope: Scope, fs: str, comp: bool, name: str, sc: Scenario) -> dict:
        rec = {"scope": scope.name, "fault_scope": fs, "compensation": comp,
               "protocol": name, "traces": self.n, "recovered": self.recovered,
               **self.count, "clean": self.clean}
        for c in CLASSES:
            rec[f"cx_{c}"] = _trace_frame(self.best[c], sc) if c in self.best else None
        return rec


def summary_columns(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` without its counterexample columns (for printing and CSV)."""
    return df.drop(columns=[c for c in df.columns if c.startswith("cx_")])
