"""Bounded exhaustive exploration: every trace of a small scope, under every protocol.

``explore(scope, protocols=...)`` walks all traces of a [`Scope`][mdcd_lab.exploration.Scope]
(``mdcd_lab.exploration.walk``), replays each under every protocol with perfect
ATs (``at_coverage = 1``), and counts the traces that fail or show an oracle
violation, with the smallest counterexample of each class.  A sound protocol
must be clean on every trace.  docs/explore.md defines the scopes and gives the
results of the named ones.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from .._checks import ENGINE_CHOICES
from ..api import compile_seconds, replay_rows, resolve_engine
from ..constants import KIND_OUTPUT
from ..metrics import OUTCOMES, VIOLATIONS
from ..protocols import DEFAULT_PAIR, Rules, get_rules, protocol_names
from ..scenario import Scenario
from ..traces.table import INT_ARRAYS, ROW_ARRAYS, trace_frame
from .estimate import estimate_traces
from .scopes import SCOPES, Scope, scope_scenario
from .walk import walk

__all__ = ["explore", "CLASSES",
           "resolve_protocols"]

#: what a trace can be counted for: the run failed, or a violation column is > 0
CLASSES = ("failed", *VIOLATIONS, "dup_outputs")

def resolve_protocols(protocols) -> list[Rules]:
    """The [`Rules`][mdcd_lab.protocols.Rules] of ``protocols``: ``"all"`` (every name of
    [`protocol_names`][mdcd_lab.protocols.protocol_names], as registered when called), one name
    or Rules, or a sequence of them; names of [`VARIANTS`][mdcd_lab.protocols.VARIANTS]
    are accepted too.  ``ValueError`` on an unknown name, none, or a repeated name.
    """
    if isinstance(protocols, str) and protocols == "all":
        protocols = protocol_names()
    if isinstance(protocols, (str, Rules)):
        protocols = (protocols,)
    rules = [get_rules(p) for p in protocols]
    if not rules:
        raise ValueError("protocols must name at least one protocol")
    names = [r.name for r in rules]
    if len(set(names)) != len(names):
        raise ValueError(f"protocols: a protocol name is repeated in {names}")
    return rules


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
        """The rows as the flat arrays ``ROW_ARRAYS``."""
        a = np.array(self.rows, dtype=np.float64).reshape(-1, len(ROW_ARRAYS))
        return {name: np.ascontiguousarray(a[:, i], dtype=np.int64 if name in INT_ARRAYS
                                           else np.float64)
                for i, name in enumerate(ROW_ARRAYS)}


def _replay_batch(batch: _Batch, sc: Scenario, rules: Rules, engine: str) -> pd.DataFrame:
    return replay_rows(np.asarray(batch.offsets, dtype=np.int64), batch.arrays(), sc, rules,
                       engine)


def _trace_frame(rows: list, sc: Scenario) -> pd.DataFrame:
    """A counterexample as a trace table (run 0); draws of rows that are no output
    are left empty, as in a hand-written trace."""
    a = np.array(rows, dtype=np.float64).reshape(-1, len(ROW_ARRAYS))
    not_output = a[:, ROW_ARRAYS.index("kind")] != KIND_OUTPUT
    for name in ("u_at", "u_comp", "d_notify"):
        a[not_output, ROW_ARRAYS.index(name)] = np.nan
    df = trace_frame(np.zeros(len(a), dtype=np.int64), a, sc)
    df["kind"] = df["kind"].astype(str)
    return df


def explore(scope: Scope | str = "ci", protocols=DEFAULT_PAIR,
            engine: str = "numba", progress: bool = False,
            batch_size: int = 50_000, recovery: str = "executed") -> pd.DataFrame:
    """Replay every trace of ``scope`` under each protocol; count failures and violations.

    Parameters
    ----------
    scope : Scope or str
        A [`Scope`][mdcd_lab.exploration.Scope] or the name of one of
        [`SCOPES`][mdcd_lab.exploration.SCOPES].
    protocols : "all", str, Rules or a sequence of them
        Protocol names (of [`protocol_names`][mdcd_lab.protocols.protocol_names] or
        [`VARIANTS`][mdcd_lab.protocols.VARIANTS]) or [`Rules`][mdcd_lab.protocols.Rules] objects;
        ``"all"``: every registered protocol.  Nothing here lists protocols: a protocol
        registered later is explored by name.
    engine : {"numba", "reference", "auto"}
        The numba engine gives the same numbers, fast (it refuses rule switches it
        does not implement); ``"auto"``: numba if it implements every protocol,
        else the reference engine.
    progress : bool
        A ``tqdm`` bar counting traces, with a total estimated in advance (a second or
        so per fault scope; ``estimate_traces``) and an
        ETA; each part's exact count replaces its estimate when it finishes.
    batch_size : int
        Traces replayed per engine call.

    Returns
    -------
    DataFrame
        One row per (fault_scope, compensation, protocol): ``scope``, ``traces``
        (distinct traces explored), ``recovered``, then for each class of
        [`CLASSES`][mdcd_lab.exploration.CLASSES] the number of traces in it (``failed``, a
        violation column above 0, ``dup_outputs`` above 0), ``clean`` (traces in no class), and
        ``cx_<class>``: the smallest trace of that class (fewest rows, then first
        found) as a trace DataFrame, or None.  ``attrs["seconds"]`` is the wall time
        spent exploring, without the time spent compiling numba kernels that were
        not in the cache (``attrs["compile_seconds"]``, 0.0 when warm).
    """
    if isinstance(scope, str):
        if scope not in SCOPES:
            raise ValueError(f"unknown scope {scope!r}; choose one of {list(SCOPES)} "
                             "or pass a mdcd_lab.exploration.Scope")
        scope = SCOPES[scope]
    if not isinstance(scope, Scope):
        raise ValueError(f"scope must be a Scope or a scope name, got {type(scope).__name__}")
    if engine not in ENGINE_CHOICES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {ENGINE_CHOICES}")
    rules = resolve_protocols(protocols)
    # numba refuses a switch it does not implement, before work; "auto" is resolved here
    engine = resolve_engine(engine, rules)
    # members that are not interchangeable (mdcd-unclustered) need a walk without the
    # symmetry among members: such protocols get a walk of their own, the others keep
    # the reduced one (so their counts do not depend on the company they are in)
    groups = [(p, g) for p in (False, True)
              if (g := [r for r in rules if (scope.n_low > 1 and r.unclustered) == p])]
    t0, compiled0 = time.perf_counter(), compile_seconds()
    parts = [(fs, comp, partners, group) for fs in scope.fault_scopes
             for comp in scope.compensation for partners, group in groups]
    bar = _ProgressBar(scope, parts, recovery) if progress else None
    records = []
    try:
        for fs in scope.fault_scopes:
            for comp in scope.compensation:
                sc = scope_scenario(scope, fs, comp, recovery)
                acc = {r.name: _Acc() for r in rules}
                for partners, group in groups:
                    _walk_and_replay(scope, fs, comp, partners, group, sc, acc, engine,
                                     batch_size, bar)
                    if bar is not None:
                        bar.part_done()
                for r in rules:
                    records.append(acc[r.name].record(scope, fs, comp, r.name, sc))
    finally:
        if bar is not None:
            bar.close()
    df = pd.DataFrame(records)
    compiled = compile_seconds() - compiled0
    df.attrs["seconds"] = time.perf_counter() - t0 - compiled
    df.attrs["compile_seconds"] = compiled
    return df


class _ProgressBar:
    """A ``tqdm`` bar over the traces of every part of an exploration (fault scope x
    compensation x walk), its total estimated in advance (``estimate_traces``, a
    second or so per part) and replaced by the exact count of each part as it finishes,
    so that the ETA sharpens as the exploration goes; the bar says the total is an
    estimate until the last part."""

    def __init__(self, scope: Scope, parts: list, recovery: str) -> None:
        from tqdm.auto import tqdm
        self.estimates = [estimate_traces(scope, fs, comp, partners,
                                          executed=recovery == "executed")
                          for fs, comp, partners, _ in parts]
        self.name, self.k, self.counted, self.part_start = scope.name, 0, 0, 0
        self.bar = tqdm(total=self._total(), desc=self._desc(), unit="trace")

    def _total(self) -> int:
        left = sum(self.estimates[self.k:])
        return int(round(max(self.counted + left, self.bar.n if hasattr(self, "bar") else 0)))

    def _desc(self) -> str:
        n = len(self.estimates)
        part = f"part {min(self.k + 1, n)} of {n}"
        return f"explore {self.name} ({part}; total estimated)" if self.k < n \
            else f"explore {self.name}"

    def update(self, n: int) -> None:
        if self.bar.n + n > self.bar.total:     # the estimate was low: grow it
            self.bar.total = self.bar.n + n + int(sum(self.estimates[self.k + 1:]))
        self.bar.update(n)

    def part_done(self) -> None:
        """A part finished: its exact count replaces its estimate."""
        self.counted = self.bar.n
        self.k += 1
        self.bar.total = self._total()
        self.bar.set_description(self._desc(), refresh=True)

    def close(self) -> None:
        self.bar.close()


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
