"""Messages and notifications of one run, matched from its event log and trace.

Part of [`mdcd_lab.plots.spacetime.spacetime_data`][mdcd_lab.plots.spacetime_data]: ``_messages``
pairs each send with its delivery (FIFO channels: the n-th send on a channel is its
n-th delivery; ``act_j -> low_i`` sends also reach ``sdw_i``, D16) and
``_notifications`` each "passed AT" notification with its arrival, both as
tidy tables.  Nothing is simulated here.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd

_NAME_RE = re.compile(r"^(low|act|sdw)(\d+)$")
_TOL = 1e-9


def _split(name: str) -> tuple[str, int] | None:
    m = _NAME_RE.match(str(name))
    return (m.group(1), int(m.group(2))) if m else None


def _known(v: Any) -> float:
    """An event field as a float; its "not set" value -1 as NaN."""
    return math.nan if v < 0 else float(v)


def _messages(events: pd.DataFrame, trace: pd.DataFrame | None) -> pd.DataFrame:
    trace_td: dict[tuple[str, str], list[float]] = defaultdict(list)
    if trace is not None:
        sends = trace[trace["kind"] == "send"]
        tds = (sends["t_deliver"].to_numpy(dtype=float) if "t_deliver" in sends.columns
               else np.full(len(sends), np.nan))
        for s, d, td in zip(sends["src"].astype(str), sends["dst"].astype(str), tds,
                            strict=True):
            trace_td[s, d].append(float(td))
    delivered: dict[tuple[str, str], list[tuple[float, float, float]]] = defaultdict(list)
    # a message a recovered process dropped (executed recovery, D4) arrived too
    dl = events[events["event"].isin(["deliver", "discard"])]
    for t, proc, peer, dirty, err in zip(*(dl[c] for c in ("t", "proc", "peer", "dirty", "err")),
                                         strict=True):
        delivered[str(peer), str(proc)].append((float(t), _known(dirty), _known(err)))
    n_sent: dict[tuple[str, str], int] = defaultdict(int)
    n_recv: dict[tuple[str, str], int] = defaultdict(int)
    rows = []
    sd = events[events["event"] == "send"]
    for t, src, dst, level, s_dirty, s_err in zip(
            *(sd[c] for c in ("t", "proc", "peer", "level", "dirty", "err")), strict=True):
        src, dst = str(src), str(dst)
        k = n_sent[src, dst]
        n_sent[src, dst] += 1
        tds = trace_td.get((src, dst), [])
        td = tds[k] if k < len(tds) else math.nan
        receivers = [(dst, False)]
        s_parts, d_parts = _split(src), _split(dst)
        if s_parts and d_parts and s_parts[0] == "act" and d_parts[0] == "low":
            receivers.append((f"sdw{d_parts[1]}", True))   # D16: the shadow gets a copy
        for rcv, is_copy in receivers:
            j = n_recv[src, rcv]
            n_recv[src, rcv] += 1
            got = delivered.get((src, rcv), [])
            if j < len(got):
                t_del, d_dirty, d_err = got[j]
                ok = True
            else:
                t_del, d_dirty, d_err, ok = td, math.nan, math.nan, False
            # what the sender piggybacked, else what the receiver saw
            dirty = _known(s_dirty) if s_dirty >= 0 else d_dirty
            err = _known(s_err) if s_err >= 0 else d_err
            rows.append((src, rcv, float(t), t_del, ok, dirty, err, _level(level), is_copy))
    return pd.DataFrame(rows, columns=["src", "dst", "t_send", "t_deliver", "delivered",
                                       "dirty", "err", "level", "copy"])


def _level(v: object) -> object:
    """A level as drawn: an ``int``, or a tuple of per-member counters (``"mdcd-vector"``)."""
    return tuple(int(x) for x in v) if isinstance(v, tuple) else int(v)


def _notifications(events: pd.DataFrame, trace: pd.DataFrame | None, procs: list[str],
                   t_end: float) -> pd.DataFrame:
    recipients_all = [p for p in procs if not p.startswith("low")]
    notified = events[events["event"] == "notified"]
    used: set[int] = set()
    outputs = None
    if trace is not None and "d_notify" in trace.columns:
        outputs = trace[trace["kind"] == "output"]
    rows = []
    for t0, origin, level, index in zip(*(events.loc[events["event"] == "notify", c]
                                          for c in ("t", "proc", "level", "index")),
                                        strict=True):
        t0 = float(t0)
        t_arr = math.inf
        if outputs is not None:
            hit = outputs[(outputs["src"].astype(str) == origin)
                          & (np.abs(outputs["t"].to_numpy(float) - t0) <= _TOL)]
            if len(hit):
                d = float(hit["d_notify"].iloc[0])
                t_arr = t0 + (0.0 if math.isnan(d) else d)
        if math.isinf(t_arr):   # no trace: the first unused matching arrival
            cand = notified[(notified["level"].map(lambda v, lv=level: v == lv))
                            & (notified["index"] == index)
                            & (notified["t"] >= t0 - _TOL) & ~notified.index.isin(used)]
            if len(cand):
                t_arr = float(cand["t"].iloc[0])
        if not math.isinf(t_arr):
            used.update(notified.index[np.abs(notified["t"].to_numpy(float) - t_arr) <= _TOL])
        for r in recipients_all:
            if r != origin:
                rows.append((origin, r, t0, t_arr, t_arr <= t_end + _TOL, _level(level)))
    return pd.DataFrame(rows, columns=["origin", "recipient", "t_send", "t_arrive", "arrived",
                                       "level"])
