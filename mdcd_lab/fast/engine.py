"""Public entry points of the numba engine: thin validation around the kernels."""

from __future__ import annotations

import dataclasses

import numba
import numpy as np
import pandas as pd

from .._checks import check_runs_seed
from ..metrics import FLOAT_METRICS, INT_METRICS, OUTCOMES, finalize_columns
from ..protocols import Rules, get_rules
from ..scenario import Scenario
from ..traces.generation import category_weights
from ..traces.table import (
    INT_ARRAYS,
    ROW_ARRAYS,
    empty_run_arrays,
    trace_frame,
)
from ..traces.validate import validate_trace
from ._cache import ensure_compiled, ensure_rules
from ._config import (
    DEFAULT_CHUNK,
    SIG_COUNT_ROWS,
    SIG_FILL_ROWS,
    SIG_REPLAY_BLOCK,
    SIG_SIMULATE_BLOCK,
)
from ._rng import seed_words
from .kernels import drivers, gen
from .kernels.cold import needed
from .kernels.layout import (
    ERR_CAPACITY,
    ERR_NO_RULE,
    FP_AFTER_RECOVERY,
    FP_COMPENSATION,
    FP_COORD_PERIOD,
    FP_COVERAGE,
    FP_CUM0,
    FP_GROWTH,
    FP_GUARD_END,
    FP_HORIZON,
    FP_LAG,
    FP_LATENCY,
    FP_TOTAL,
    FP_W0,
    FP_WINDOW,
    IP_AWARE_OF_VALIDATED,
    IP_CHECKPOINT_EVERY_RECEIVE,
    IP_CKPT_INDEX_BY_TRIGGER,
    IP_COORDINATED_CKPT,
    IP_COORDINATED_RECOVERY,
    IP_DEDUP_REGENERATED,
    IP_DRAIN_NOTIFICATIONS,
    IP_EXECUTED,
    IP_FIFO_NOTES,
    IP_LOG_ALL_WHEN_DIRTY,
    IP_MSG_BYTES,
    IP_N_LINES,
    IP_NACT,
    IP_NLOW,
    IP_NON_FIFO,
    IP_NOTIFY_FIFO,
    IP_OUTPUTS_BY_COUNT,
    IP_PER_MEMBER,
    IP_PRGT_OUT_ON_LOW_SEND,
    IP_RECLAIM_BY_INTERVAL,
    IP_RECLAIM_VALIDATED_TWINS,
    IP_RECOVERY_BARRIER,
    IP_S2_CHECKPOINTS,
    IP_S2_EVERY_LEVEL,
    IP_SCOPE_CLUSTER,
    IP_SUPPRESS_REDONE_OUTPUTS,
    IP_TRACK_LD,
    IP_TWINS_IN_MEMBER_ORDER,
    IP_TWO_PHASE,
    IP_UNCLUSTERED,
    IP_UNGUARDED,
    N_FP,
    N_IP,
    N_OUT_F,
    N_OUT_I,
)

__all__ = ["simulate_numba", "replay_numba", "generate_traces_numba", "scenario_params",
           "rule_flags", "replay_flat", "SUPPORTED_SWITCHES"]

#: Rule switches the kernel implements, with the ``ip`` slot each one is passed in.
SUPPORTED_SWITCHES = {
    "reclaim_by_interval": IP_RECLAIM_BY_INTERVAL,
    "prgt_out_on_low_send": IP_PRGT_OUT_ON_LOW_SEND,
    "log_all_when_dirty": IP_LOG_ALL_WHEN_DIRTY,
    "coordinated_recovery": IP_COORDINATED_RECOVERY,
    "outputs_by_count": IP_OUTPUTS_BY_COUNT,
    "suppress_redone_outputs": IP_SUPPRESS_REDONE_OUTPUTS,
    "checkpoint_every_receive": IP_CHECKPOINT_EVERY_RECEIVE,
    "s2_checkpoints": IP_S2_CHECKPOINTS,
    "dedup_regenerated": IP_DEDUP_REGENERATED,
    "unclustered": IP_UNCLUSTERED,
    "coordinated_ckpt": IP_COORDINATED_CKPT,
    "unguarded": IP_UNGUARDED,
    "ckpt_index_by_trigger": IP_CKPT_INDEX_BY_TRIGGER,
    "reclaim_validated_twins": IP_RECLAIM_VALIDATED_TWINS,
    "s2_every_level": IP_S2_EVERY_LEVEL,
    "per_member_validation": IP_PER_MEMBER,
    "notify_fifo": IP_NOTIFY_FIFO,
    "aware_of_validated": IP_AWARE_OF_VALIDATED,
    "drain_notifications": IP_DRAIN_NOTIFICATIONS,
    "twins_in_member_order": IP_TWINS_IN_MEMBER_ORDER,
    "recovery_barrier": IP_RECOVERY_BARRIER,
}
_NOT_SWITCHES = ("name",)


def rule_flags(rules: Rules) -> dict[str, int]:
    """Every switch of ``rules`` as 0/1; refuses switches the kernel does not know.

    A switch added to [`Rules`][mdcd_lab.protocols.Rules] later is accepted only
    while it keeps its default value (the behaviour the kernel mirrors);
    otherwise the numba engine refuses the protocol rather than give numbers
    that differ from the reference.
    """
    flags = {}
    for f in dataclasses.fields(rules):
        if f.name in _NOT_SWITCHES:
            continue
        value = getattr(rules, f.name)
        if f.name in SUPPORTED_SWITCHES:
            flags[f.name] = int(bool(value))
        elif f.default is dataclasses.MISSING or value != f.default:
            raise NotImplementedError(
                f"protocol {rules.name!r} sets the rule switch {f.name}={value!r}, which the "
                "numba engine does not implement yet; use engine='reference'")
    return flags


def scenario_params(scenario: Scenario, protocol: str) -> tuple[np.ndarray, np.ndarray]:
    """The kernel's float and int parameter vectors (``fp``, ``ip``)."""
    if not isinstance(scenario, Scenario):
        raise ValueError(f"scenario must be a mdcd_lab.Scenario, got {type(scenario).__name__}")
    rules = get_rules(protocol)
    fp = np.zeros(N_FP)
    weights = category_weights(scenario)
    total = 0.0
    for w in weights:          # the reference's summation order
        total += w
    fp[FP_HORIZON] = scenario.t_end   # the trace's end: the mission's if set
    fp[FP_GUARD_END] = 0.0 if rules.unguarded else scenario.horizon
    fp[FP_TOTAL] = total
    fp[FP_W0:FP_W0 + 8] = weights
    acc = 0.0
    for c, w in enumerate(weights):   # the generator's running sums, same order
        acc += w
        fp[FP_CUM0 + c] = acc
    fp[FP_LATENCY] = scenario.latency
    fp[FP_LAG] = scenario.shadow_lag
    fp[FP_COVERAGE] = scenario.at_coverage
    fp[FP_COMPENSATION] = scenario.compensation
    ip = np.zeros(N_IP, dtype=np.int64)
    ip[IP_NLOW] = scenario.n_low
    ip[IP_NACT] = scenario.n_act
    ip[IP_SCOPE_CLUSTER] = int(scenario.fault_scope == "cluster")
    for name, value in rule_flags(rules).items():
        ip[SUPPORTED_SWITCHES[name]] = value
    ip[IP_MSG_BYTES] = scenario.msg_bytes
    ip[IP_NON_FIFO] = int(scenario.channel == "non-fifo")
    ip[IP_EXECUTED] = int(scenario.recovery == "executed")
    # derived once: notes FIFO (R1 on a FIFO channel), the two-phase recovery, and whether
    # the channels' last deliveries are needed (FIFO notes, or re-sent twins on FIFO
    # channels under executed recovery)
    fifo = scenario.channel == "fifo"
    ip[IP_FIFO_NOTES] = int(rules.notify_fifo and fifo)
    ip[IP_TWO_PHASE] = int(rules.coordinated_recovery and rules.recovery_barrier)
    ip[IP_TRACK_LD] = int(fifo and (rules.notify_fifo or scenario.recovery == "executed"))
    fp[FP_AFTER_RECOVERY] = scenario.after_recovery
    fp[FP_COORD_PERIOD] = scenario.coord_period
    fp[FP_WINDOW] = scenario.horizon    # the realised means average over t <= phi
    fp[FP_GROWTH] = scenario.fault_growth
    if rules.coordinated_ckpt:   # line events k * coord_period <= horizon (the reference's loop)
        k = 1
        while k * scenario.coord_period <= scenario.horizon:
            k += 1
        ip[IP_N_LINES] = k - 1
    return fp, ip


#: Most rows per stream a block's buffers hold at first, whatever the horizon (8192:
#: about 33 MB of buffers and arenas per thread; ``kernels/layout.alloc_state``).
START_ROWS = 1 << 13


def _initial_capacity(fp: np.ndarray) -> int:
    """First buffer size (rows per stream) of a block of runs.

    The mean count of primary rows to the horizon plus 8 sd, + 64 (the count is
    Poisson: a run needs more with probability below 1e-15; twins are fewer than
    primary rows), but at most ``START_ROWS``: a run keeps only its first rows
    (``kernels/gen.generate_run``), and one that plays past them is generated and
    played again with doubled buffers (``kernels/drivers.simulate_block``), so the
    memory follows the rows played, not the horizon.
    """
    mean = float(fp[FP_TOTAL] * fp[FP_HORIZON])
    return min(int(mean + 8.0 * np.sqrt(mean) + 64), START_ROWS)


def _raise_errors(err: np.ndarray, what: str) -> None:
    for code, run, size in err:
        if code == drivers.ERR_TOO_MANY_ROWS:
            raise ValueError(f"{what}: run {run} has more than {drivers.MAX_ROWS} trace rows "
                             f"(buffers of {size} rows); reduce the horizon or the rates")
        if code == ERR_NO_RULE:
            raise RuntimeError(f"{what}: run {run} called a rule or the event loop compiled "
                               f"apart that was not loaded (kernels/cold.py); this is a bug of "
                               f"mdcd_lab.fast, please report it")
        if code == ERR_CAPACITY:
            raise RuntimeError(f"{what}: a state capacity was exceeded in run {run} "
                               f"({size} rows); this is a bug of mdcd_lab.fast, please report it")
        if code != 0:
            raise RuntimeError(f"{what}: kernel error {code} in run {run}")


def _frame(OI: np.ndarray, OF: np.ndarray, run_col: np.ndarray, seed: int) -> pd.DataFrame:
    cols: dict[str, np.ndarray] = {}
    for k, name in enumerate(INT_METRICS):   # the kernel's output rows (kernels/layout.py)
        cols[name] = OI[k]
    for k, name in enumerate(FLOAT_METRICS):
        cols[name] = OF[k]
    # the outcome's codes are indices into OUTCOMES; the other rows are the columns'
    # final arrays (finalize_columns keeps them: no copy of the table)
    cols["outcome"] = pd.Categorical.from_codes(cols["outcome"], categories=list(OUTCOMES))
    cols["run"] = run_col
    cols["seed"] = np.full(len(run_col), seed, dtype=np.int64)
    return finalize_columns(cols, len(run_col))


def _n_blocks(n_runs: int) -> int:
    return max(1, min(n_runs, numba.get_num_threads()))


def simulate_numba(scenario: Scenario, runs: int, seed: int, protocol: str = "mdcd",
                   progress: bool = True, first_run: int = 0,
                   chunk_size: int | None = None) -> pd.DataFrame:
    """Generate and play runs ``first_run .. first_run + runs - 1`` in the numba kernel.

    Returns exactly what ``simulate(..., engine="reference")`` returns.  Runs are
    processed in chunks of ``chunk_size`` (default 2**14) so the working memory
    is bounded whatever ``runs`` is; each chunk is spread over
    ``numba.get_num_threads()`` threads.  A ``tqdm`` progress bar counts runs if
    ``progress``.
    """
    check_runs_seed(runs, seed, first_run)
    fp, ip = scenario_params(scenario, protocol)
    if chunk_size is None:
        chunk_size = DEFAULT_CHUNK
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) \
            or chunk_size < 1:
        raise ValueError(f"chunk_size must be an integer >= 1, got {chunk_size!r}")
    runs, first_run, chunk_size = int(runs), int(first_run), int(chunk_size)
    if first_run + runs > np.iinfo(np.int64).max:
        raise ValueError("run indices must stay below 2**63")
    words = seed_words(seed)
    cap0 = _initial_capacity(fp)
    OI = np.zeros((N_OUT_I, runs), dtype=np.int64)
    OF = np.zeros((N_OUT_F, runs), dtype=np.float64)
    # a cold compilation is announced (and done) before the progress bar starts
    ensure_compiled(drivers.simulate_block, (words, first_run, 0, 1, fp, ip, cap0, OI, OF, 0,
                                             np.zeros((1, 3), dtype=np.int64), 0), "simulate",
                    SIG_SIMULATE_BLOCK, rules=needed(ip))
    ensure_rules(ip, "simulate")   # the cold rules it calls through their addresses
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=runs, desc=f"{get_rules(protocol).name} (numba)", unit="run")
    try:
        for start in range(0, runs, chunk_size):
            n = min(chunk_size, runs - start)
            n_blocks = _n_blocks(n)
            err = np.zeros((n_blocks, 3), dtype=np.int64)
            drivers.simulate_chunk(words, first_run + start, n, fp, ip, cap0, n_blocks, OI, OF,
                                   start, err)
            _raise_errors(err, "simulate_numba")
            if bar is not None:
                bar.update(n)
    finally:
        if bar is not None:
            bar.close()
    run_col = np.arange(first_run, first_run + runs, dtype=np.int64)
    return _frame(OI, OF, run_col, seed)


def replay_numba(trace: pd.DataFrame, scenario: Scenario, protocol: str = "mdcd") -> pd.DataFrame:
    """Play every run of ``trace`` in the numba kernel (``seed`` column -1).

    The trace is checked and converted by
    [`mdcd_lab.traces.validate_trace`][mdcd_lab.traces.validate_trace] once, flattened to one array
    per column, and all runs are played in parallel.
    """
    fp, ip = scenario_params(scenario, protocol)
    per_run = validate_trace(trace, scenario)
    run_ids = np.array(list(per_run), dtype=np.int64)
    lengths = np.array([len(a["t"]) for a in per_run.values()], dtype=np.int64)
    offsets = np.zeros(len(run_ids) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    empty = empty_run_arrays()
    cols = {k: np.ascontiguousarray(np.concatenate([a[k] for a in per_run.values()])
                                    if per_run else empty[k], dtype=empty[k].dtype)
            for k in ROW_ARRAYS}
    return _replay_columns(offsets, cols, fp, ip, run_ids, "replay_numba")


def generate_traces_numba(scenario: Scenario, runs: int, seed: int,
                          first_run: int = 0) -> pd.DataFrame:
    """[`mdcd_lab.generate_traces`][mdcd_lab.traces.generate_traces] computed by the numba generator
    (same frame)."""
    check_runs_seed(runs, seed, first_run)
    fp, ip = scenario_params(scenario, "mdcd")
    runs, first_run = int(runs), int(first_run)
    words = seed_words(seed)
    counts = np.zeros(runs, dtype=np.int64)
    ensure_compiled(gen.count_rows, (words, first_run, runs, fp, ip, 1, counts), "generate",
                    SIG_COUNT_ROWS)
    cap = gen.count_rows(words, first_run, runs, fp, ip, _initial_capacity(fp), counts)
    n = int(counts.sum())
    offsets = np.zeros(runs + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    rows = np.empty((len(ROW_ARRAYS), n))
    ints = {k: np.empty(n, dtype=np.int64) for k in INT_ARRAYS}
    t, _, _, _, td, uat, ucomp, dn = rows
    run_col = np.empty(n, dtype=np.int64)
    ensure_compiled(gen.fill_rows, (words, first_run, runs, fp, ip, cap, offsets, t,
                                    ints["kind"], ints["src"], ints["dst"], td, uat, ucomp, dn,
                                    run_col), "generate", SIG_FILL_ROWS)
    gen.fill_rows(words, first_run, runs, fp, ip, cap, offsets, t, ints["kind"], ints["src"],
                  ints["dst"], td, uat, ucomp, dn, run_col)
    for k, v in ints.items():
        rows[ROW_ARRAYS.index(k)] = v
    return trace_frame(run_col, rows.T, scenario)


def replay_flat(offsets: np.ndarray, cols: dict[str, np.ndarray], scenario: Scenario,
                protocol: str | Rules) -> pd.DataFrame:
    """Play runs given as flat, already valid columns (``mdcd_lab.explore``'s batches).

    ``cols`` holds ``t, kind, src, dst, t_deliver, u_at, u_comp, d_notify`` as
    [`mdcd_lab.traces.validate_trace`][mdcd_lab.traces.validate_trace] returns them, run ``r`` being
    rows ``offsets[r]:offsets[r + 1]``; runs are numbered from 0.  No validation: the
    caller builds the columns.
    """
    fp, ip = scenario_params(scenario, protocol)
    run_ids = np.arange(len(offsets) - 1, dtype=np.int64)
    return _replay_columns(np.asarray(offsets, dtype=np.int64), cols, fp, ip, run_ids,
                           "replay_flat")


def _replay_columns(offsets: np.ndarray, cols: dict[str, np.ndarray], fp: np.ndarray,
                    ip: np.ndarray, run_ids: np.ndarray, what: str) -> pd.DataFrame:
    """Play the runs of flat columns ``ROW_ARRAYS`` (run
    ``k``: rows ``offsets[k]:offsets[k + 1]``, reported as ``run_ids[k]``)."""
    n_runs = len(run_ids)
    OI = np.zeros((N_OUT_I, n_runs), dtype=np.int64)
    OF = np.zeros((N_OUT_F, n_runs), dtype=np.float64)
    if n_runs:
        n_blocks = _n_blocks(n_runs)
        err = np.zeros((n_blocks, 3), dtype=np.int64)
        empty = empty_run_arrays()   # the column types of SIG_REPLAY_BLOCK (no copy if so)
        columns = tuple(np.ascontiguousarray(cols[k], dtype=empty[k].dtype) for k in ROW_ARRAYS)
        offsets = np.ascontiguousarray(offsets, dtype=np.int64)
        ensure_compiled(drivers.replay_block, (offsets, 0, 1, *columns, fp, ip, OI, OF, err, 0),
                        "replay", SIG_REPLAY_BLOCK, rules=needed(ip))
        ensure_rules(ip, "replay")
        drivers.replay_runs(offsets, *columns, fp, ip, n_blocks, OI, OF, err)
        for row in err:          # report the run id, not its position
            if row[0] != 0:
                row[1] = run_ids[row[1]]
        _raise_errors(err, what)
    return _frame(OI, OF, run_ids, -1)
