"""Every per-run metric in one table: name, dtype and definition.

Both engines fill exactly these columns, in this order, and ``docs/metrics.md``
is generated from the same table (see [`metrics_markdown`][mdcd_lab.metrics.metrics_markdown]).
Times are in the scenario's time unit; "logs" means every message log of every process
(receiver-side logs of G_act and G_sdw, sender-side ``int_msg_log`` and
``ext_msg_log`` of G_sdw).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .constants import OUTCOMES

__all__ = ["Metric", "METRICS", "METRIC_NAMES", "METRIC_LABELS", "ENGINE_METRICS", "INT_METRICS",
           "FLOAT_METRICS", "OUTCOMES", "VIOLATIONS", "SUPPORTS", "NONNEGATIVE_SUPPORTS",
           "RUN_LENGTH_METRICS", "empty_results", "metrics_markdown", "finalize_frame",
           "finalize_columns"]

#: What values a metric can take, which decides its default confidence interval in
#: [`mdcd_lab.stats.summary.summarize`][mdcd_lab.stats.summarize]: ``"count"`` (non-negative
#: integers), ``"nonnegative"`` (non-negative reals), ``"real"`` (any sign), ``"label"`` (an
#: identifier or category, not summarised by default).
SUPPORTS = ("count", "nonnegative", "real", "label")
#: Supports whose confidence intervals never go below 0.
NONNEGATIVE_SUPPORTS = ("count", "nonnegative")


@dataclass(frozen=True)
class Metric:
    """One per-run metric.

    ``default`` is its value in a run that never sets it (a counter that never
    counts, a recovery metric of a run without recovery); both engines start
    every run with it.
    """

    name: str
    dtype: str
    unit: str
    definition: str
    default: float | int | str = 0
    #: One of [`SUPPORTS`][mdcd_lab.metrics.SUPPORTS].
    support: str = "real"
    #: Axis label of the metric in figures, without the unit (see
    #: [`axis_label`][mdcd_lab.metrics.Metric.axis_label]).
    label: str = ""
    #: It grows with the run's length in every run
    #: ([`RUN_LENGTH_METRICS`][mdcd_lab.metrics.RUN_LENGTH_METRICS]).
    run_length: bool = False

    @property
    def axis_label(self) -> str:
        """The label with its unit, as on a figure axis: ``"checkpoints per run"``,
        ``"largest rollback distance (time units)"``.  A unit that the label already
        names (counts such as checkpoints, entries, messages) is not repeated."""
        label = self.label or self.name
        unit = {"time": "time units"}.get(self.unit, self.unit)
        if not unit or unit in label or unit in ("rows",):
            return label
        return f"{label} ({unit})"


def _m(name: str, dtype: str, unit: str, definition: str,
       default: float | int | str = 0, support: str | None = None) -> Metric:
    """A metric; ``support`` defaults to ``"count"`` for int64, ``"real"`` for float64
    and ``"label"`` for categories: declare non-negative float metrics (times, sizes)
    ``support="nonnegative"`` and signed integer ones ``support="real"``."""
    if support is None:
        support = {"int64": "count", "category": "label"}.get(dtype, "real")
    if support not in SUPPORTS:
        raise ValueError(f"metric {name!r}: support must be one of {SUPPORTS}, got {support!r}")
    return Metric(name, dtype, unit, definition, default, support)


METRICS: tuple[Metric, ...] = (
    _m("run", "int64", "", "run index r; its stream is SeedSequence(seed, spawn_key=(r,))",
       support="label"),
    _m("seed", "int64", "", "study seed (-1 when a trace was replayed)", support="label"),
    _m("outcome", "category", "", "'completed' (reached the horizon, or the mission's end), "
       "'failed' (an erroneous external message reached the device) or 'recovered' (error "
       "recovery completed)", "completed"),
    _m("t_end", "float64", "time", "time the run ended: horizon (mission if set), failure, or "
       "the end of recovery (executed recovery: when the system is quiet, or the window's cap; "
       "atomic: the detection)", math.nan, support="nonnegative"),
    _m("n_events", "int64", "rows", "trace rows processed (rows with t <= t_end)"),
    _m("t_fault", "float64", "time", "first design-fault activation (NaN if none)", math.nan,
       support="nonnegative"),
    _m("t_detect", "float64", "time", "time of the failed AT that invoked recovery (NaN if none)",
       math.nan, support="nonnegative"),
    _m("t_fail", "float64", "time", "time an erroneous external message reached the device "
       "(t_end of a 'failed' run; NaN if none)", math.nan, support="nonnegative"),
    _m("t_guarded", "float64", "time", "duration of guarded operation: until the horizon, a "
       "failure or the end of recovery (t_end, at most the horizon unless a recovery runs "
       "past it); 0 under 'unguarded' (docs/performability.md)", 0.0, support="nonnegative"),
    _m("phase", "int64", "", "phase in which the run ended: 0 guarded operation [0, horizon], "
       "1 unguarded phase (horizon, mission] (docs/performability.md)", support="label"),
    _m("ckpt_total", "int64", "checkpoints", "checkpoints established (ckpt_act + ckpt_sdw)"),
    _m("ckpt_act", "int64", "checkpoints", "checkpoints established by G_act processes"),
    _m("ckpt_sdw", "int64", "checkpoints", "checkpoints established by G_sdw processes"),
    _m("ckpt_s1", "int64", "checkpoints", "checkpoints taken by rule S1 (clean -> contaminated)"),
    _m("ckpt_s2", "int64", "checkpoints", "checkpoints taken by rule S2 (further contamination)"),
    _m("ckpt_array_peak", "int64", "checkpoints", "peak over time of the checkpoints held by "
       "all processes together"),
    _m("log_entries_peak", "int64", "entries", "peak over time of the entries in all logs"),
    _m("log_entries_mean", "float64", "entries", "time-average over the guarded operation "
       "[0, t_guarded] of the entries in all logs", 0.0, support="nonnegative"),
    _m("log_bytes_peak", "int64", "bytes", "log_entries_peak * msg_bytes"),
    _m("log_sender_peak", "int64", "entries", "peak of the sender-side logs (shadows' "
       "int_msg_log and ext_msg_log)"),
    _m("log_receiver_peak", "int64", "entries", "peak of the receiver-side logs"),
    _m("n_logged", "int64", "entries", "log insertions: messages logged by receivers, by the "
       "shadows' sender-side logs and with coordinated checkpoint lines"),
    _m("n_at", "int64", "tests", "acceptance tests performed"),
    _m("n_at_passed", "int64", "tests", "acceptance tests passed"),
    _m("n_app_msgs", "int64", "messages", "application messages sent during guarded "
       "operation (a G_act message to low_i and its copy to sdw_i count twice; shadow twins "
       "are suppressed, not sent)"),
    _m("piggyback_bytes", "int64", "bytes", "bytes those messages piggyback: a dirty_bit "
       "and a level (docs/metrics.md, \"Piggyback size model\")"),
    _m("n_notifications", "int64", "broadcasts", "'passed AT' notifications broadcast"),
    _m("n_compensated", "int64", "messages", "failed ATs whose error compensation succeeded"),
    _m("rollback_procs", "int64", "processes", "processes rolled back at recovery"),
    _m("rollback_dist_max", "float64", "time", "largest time from a restored checkpoint to "
       "its rollback (the detection under atomic recovery)", math.nan, support="nonnegative"),
    _m("rollback_dist_sum", "float64", "time", "sum over rolled-back processes of that time",
       0.0, support="nonnegative"),
    _m("rollback_events_max", "int64", "receptions", "largest number of message receptions "
       "undone by one rollback"),
    _m("n_replayed", "int64", "messages", "logged messages replayed after rollback"),
    _m("n_resent", "int64", "messages", "messages and outputs the shadows re-send from their "
       "logs on takeover"),
    _m("n_suppressed", "int64", "messages", "twins the shadows suppress after takeover "
       "(atomic recovery: will still suppress)"),
    _m("n_discarded", "int64", "messages", "executed recovery: messages a recovered process "
       "drops (sent before their sender recovered and not validated, D4)"),
    _m("recovery_latency", "float64", "time", "executed recovery: time from the detection to "
       "the quiet system (NaN if none, or if the window's cap came first; 0 under atomic "
       "recovery)", math.nan, support="nonnegative"),
    _m("orphans", "int64", "messages", "oracle: messages in a restored state whose sending is "
       "undone"),
    _m("lost", "int64", "messages", "oracle: messages a restored state needs that are neither "
       "kept, replayed, re-sent, in transit nor regenerated"),
    _m("duplicates", "int64", "messages", "oracle: messages that would be delivered twice"),
    _m("lost_outputs", "int64", "messages", "oracle: external messages the device never gets"),
    _m("dup_outputs", "int64", "messages", "oracle: external messages the device gets twice"),
    _m("contaminated_restore", "int64", "states", "oracle: recovered process states that are "
       "still erroneous, plus erroneous messages replayed or re-sent"),
    _m("unsafe_clean", "int64", "processes", "oracle: processes that were erroneous while their "
       "dirty bit was 0"),
    _m("cascade", "int64", "processes", "oracle: processes that keep an orphan and would have "
       "to roll back again"),
    _m("delivery_delay_mean", "float64", "time", "realised channel delay: mean of t_deliver - t "
       "over the run's sends with a delivery time and t <= horizon (with a mission too: the "
       "guarded operation; NaN if none); above latency under channel='fifo' "
       "(docs/trace-format.md)", math.nan, support="nonnegative"),
    _m("twin_offset_mean", "float64", "time", "realised shadow-twin offset: mean of t_twin - t "
       "over the run's twins (twin k of cluster event k; both at t <= horizon; NaN if none); "
       "above 0 because twins are made non-decreasing (docs/trace-format.md)", math.nan),
)

#: Axis label of each metric (without its unit), for figures and the explorers.
METRIC_LABELS: dict[str, str] = {
    "run": "run", "seed": "seed", "outcome": "outcome",
    "t_end": "end of run", "n_events": "trace events played",
    "t_fault": "time of the first fault", "t_detect": "time of detection",
    "ckpt_total": "checkpoints per run", "ckpt_act": "G_act checkpoints per run",
    "ckpt_sdw": "G_sdw checkpoints per run", "ckpt_s1": "S1 checkpoints per run",
    "ckpt_s2": "S2 checkpoints per run", "ckpt_array_peak": "peak checkpoints held",
    "log_entries_peak": "peak log entries", "log_entries_mean": "mean log entries",
    "log_bytes_peak": "peak log memory", "log_sender_peak": "peak sender-log entries",
    "log_receiver_peak": "peak receiver-log entries", "n_at": "acceptance tests",
    "n_at_passed": "acceptance tests passed", "n_notifications": "'passed AT' broadcasts",
    "n_compensated": "compensated AT failures (messages)",
    "rollback_procs": "processes rolled back", "rollback_dist_max": "largest rollback distance",
    "rollback_dist_sum": "total rollback distance",
    "rollback_events_max": "receptions undone by one rollback",
    "n_replayed": "replayed messages", "n_resent": "re-sent messages",
    "n_suppressed": "suppressed twin messages", "n_discarded": "discarded messages",
    "recovery_latency": "recovery latency", "orphans": "orphan messages",
    "lost": "lost messages", "duplicates": "duplicate messages",
    "lost_outputs": "lost external messages", "dup_outputs": "duplicate external messages",
    "contaminated_restore": "contaminated restores (states)",
    "unsafe_clean": "unsafe clean processes", "cascade": "cascading processes",
    "delivery_delay_mean": "mean delivery delay", "twin_offset_mean": "mean shadow-twin offset",
    "t_fail": "time of failure", "t_guarded": "guarded-operation time",
    "phase": "phase of the end", "n_logged": "logged messages",
    "n_app_msgs": "application messages", "piggyback_bytes": "piggybacked bytes",
}
#: Non-negative metrics that grow with the run's length in every run, faults or not:
#: the run's length itself (``t_end``, ``t_guarded``) and the running totals and running
#: peaks of normal operation up to it.  A run that ends early (outcome ``'failed'`` or
#: ``'recovered'``) holds less of them than one that completes, so a sample that happens
#: to hold no early ending overstates their mean; ``summarize`` bounds that bias
#: (``mdcd_lab.stats.intervals.RARE_MODE_RUNS``, docs/results-and-summaries.md,
#: *Intervals*).  Not here: time-averages (``log_entries_mean``, the ``*_mean`` delays),
#: event times (``t_fault``, ...) and what only faults produce (recovery, compensation and
#: oracle counters), which are not smaller in a run that ends early.
RUN_LENGTH_METRICS: tuple[str, ...] = (
    "t_end", "n_events", "t_guarded", "ckpt_total", "ckpt_act", "ckpt_sdw", "ckpt_s1",
    "ckpt_s2", "ckpt_array_peak", "log_entries_peak", "log_bytes_peak", "log_sender_peak",
    "log_receiver_peak", "n_logged", "n_at", "n_at_passed", "n_app_msgs", "piggyback_bytes",
    "n_notifications")
#: Every per-run metric, in column order: name, dtype, unit, definition, label (the
#: table of docs/metrics.md).
METRICS = tuple(replace(m, label=METRIC_LABELS.get(m.name, m.name.replace("_", " ")),
                        run_length=m.name in RUN_LENGTH_METRICS) for m in METRICS)

#: The column names of a per-run table, in order.
METRIC_NAMES: tuple[str, ...] = tuple(m.name for m in METRICS)
#: The metrics an engine computes for a run: all but ``run`` and ``seed`` (the
#: drivers add those).
ENGINE_METRICS: tuple[Metric, ...] = tuple(m for m in METRICS if m.name not in ("run", "seed"))
#: The numba kernel's output rows, in this order: integer-valued metrics
#: (``outcome`` as its code in ``OUTCOMES``) ...
INT_METRICS: tuple[str, ...] = tuple(m.name for m in ENGINE_METRICS if m.dtype != "float64")
#: ... and floating-point ones.
FLOAT_METRICS: tuple[str, ...] = tuple(m.name for m in ENGINE_METRICS if m.dtype == "float64")
#: Oracle columns whose sum is the number of violations of one run.
VIOLATIONS = ("orphans", "lost", "duplicates", "lost_outputs", "contaminated_restore",
              "unsafe_clean", "cascade")


def finalize_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Give a per-run frame the schema's column order and compact dtypes."""
    cols = {name: df[name] for name in df.columns}
    return finalize_columns(cols, len(df))


def finalize_columns(cols: dict, n: int) -> pd.DataFrame:
    """The per-run frame of ``n`` runs from named columns (arrays, Series or
    categoricals), in the schema's order and dtypes, then the other columns.

    A writable array that already has its dtype is not copied: the frame holds it
    (the numba engine's output rows), so a table of 10^6 runs costs its own size
    once, not twice (issue 20).  Anything else is copied into a new array.
    """
    out: dict[str, object] = {}
    for m in METRICS:
        col = cols[m.name] if m.name in cols else np.zeros(n)
        if m.dtype == "category":
            out[m.name] = pd.Categorical(col, categories=list(OUTCOMES))
        else:
            out[m.name] = _owned(col, m.dtype)
    for c, col in cols.items():
        if c not in METRIC_NAMES:
            out[c] = _owned(col, None)
    return pd.DataFrame(out, index=pd.RangeIndex(n), copy=False)


def _owned(col, dtype) -> np.ndarray:
    """``col`` as a writable array of ``dtype`` (its own if ``None``), copied unless it
    is a writable ndarray of that dtype already."""
    if isinstance(col, np.ndarray) and col.flags.writeable and dtype in (None, col.dtype):
        return col
    return np.array(col, dtype=dtype, copy=True)


def empty_results() -> pd.DataFrame:
    """A zero-row frame with the per-run schema."""
    return finalize_frame(pd.DataFrame({m.name: [] for m in METRICS}))


def metrics_markdown() -> str:
    """The metrics table as Markdown (docs/metrics.md is written from it)."""
    lines = ["| column | dtype | unit | support | grows with the run | definition |",
             "| --- | --- | --- | --- | --- | --- |"]
    for m in METRICS:
        grows = "yes" if m.run_length else ""
        lines.append(f"| `{m.name}` | {m.dtype} | {m.unit} | {m.support} | {grows} | "
                     f"{m.definition} |")
    return "\n".join(lines) + "\n"
