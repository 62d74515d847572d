"""The event log of one reference run: structured columns, and text derived from them.

The protocol code records an event with ``state.Run.log``: its kind (a
``Event``), process, peer, level, index and the
kind's own fields (``ckpt``, ``t_restore``, ``dirty``, ...; see
``EVENT_FIELDS``).  ``event_frame`` turns the records into the
DataFrame [`mdcd_lab.run_events`][mdcd_lab.api.run_events] returns.  Its ``info`` column is
human-readable text written here from the other columns, for people only:
nothing in mdcd_lab reads it (the space-time diagram reads the columns,
docs/plots-and-widgets.md).
"""

from __future__ import annotations

import math

import pandas as pd

from ..constants import EVENT_KINDS, Event

__all__ = ["EVENT_COLUMNS", "EVENT_FIELDS", "event_frame", "describe"]

#: Optional fields of an event: name -> (dtype, value when the kind does not set it,
#: meaning).  docs/trace-format.md ("Event log") lists them with the kinds that set them.
EVENT_FIELDS: dict[str, tuple[str, object, str]] = {
    "ckpt": ("int64", -1, "checkpoint ordinal within its process (ckpt_s1/ckpt_s2: the new "
             "one, rollback: the restored one); coord_ckpt: the line number"),
    "t_restore": ("float64", math.nan, "rollback: time of the restored checkpoint"),
    "dirty": ("int64", -1, "send, deliver: the piggybacked dirty_bit; failure: the "
              "sender's dirty_bit"),
    "err": ("int64", -1, "send: the sender is erroneous; deliver: the message is"),
    "k": ("int64", -1, "cluster message number (G_low -> G_act sends and their twins; "
          "0 for other messages)"),
    "e": ("int64", -1, "cluster output number (outputs of G_low and their twins)"),
    "n": ("int64", -1, "reclaim: checkpoints deleted; rollback: receptions undone; "
          "coord_ckpt: checkpoints in the line; suppress: messages to suppress; "
          "violation: the count"),
    "n_rcv_log": ("int64", -1, "reclaim: receiver-log entries deleted; coord_ckpt: "
                  "in-transit messages logged with the line"),
    "n_sender_log": ("int64", -1, "reclaim: sender-log entries deleted"),
    "metric": ("object", "", "violation: the oracle metric (docs/metrics.md)"),
}

EVENT_COLUMNS: tuple[str, ...] = ("t", "proc", "event", "peer", "level", "index",
                                  *EVENT_FIELDS, "info")


def _kv(row: dict, *names: str) -> str:
    return " ".join(f"{n}={row[n]}" for n in names if row[n] != -1)


def describe(row: dict) -> str:
    """A short human-readable text for one event (the ``info`` column)."""
    ev = row["event"]
    if ev in (Event.SEND, Event.DELIVER):
        return _kv(row, "dirty", "err", "k")
    if ev == Event.RECLAIM:
        return (f"deleted {row['n']} ckpt, {row['n_rcv_log']} rcv log, "
                f"{row['n_sender_log']} sender log")
    if ev == Event.ROLLBACK:
        return (f"to checkpoint {row['ckpt']} of t={row['t_restore']:.6g}, "
                f"undoes {row['n']} receptions")
    if ev == Event.FAILURE:
        return ("undetected erroneous output" if row["dirty"] != 0
                else "erroneous output, dirty_bit 0")
    if ev == Event.LOG_SDR:
        return f"twin k={row['k']}"
    if ev == Event.LOG_EXT:
        return f"twin output e={row['e']}"
    if ev == Event.RESEND:
        return f"output e={row['e']}" if row["e"] > 0 else f"message k={row['k']}"
    if ev == Event.SUPPRESS:
        return f"{row['n']} to suppress"
    if ev == Event.COORD_CKPT:
        return f"{row['n']} checkpoints, {row['n_rcv_log']} in-transit messages logged"
    if ev == Event.VIOLATION:
        return f"{row['metric']}={row['n']}"
    return ""


def _levels(values: list) -> pd.Series:
    """A level column: ``int64``, or tuples (``object``) under ``"mdcd-vector"``,
    whose levels have one counter per cluster member (``levels``)."""
    if all(isinstance(v, int) for v in values):
        return pd.Series(values, dtype="int64")
    return pd.Series(values, dtype=object)


def event_frame(records: list[tuple], names: list[str]) -> pd.DataFrame:
    """The event log as a DataFrame with ``EVENT_COLUMNS``.

    Parameters
    ----------
    records : list of tuple
        ``(t, proc, event, peer, level, index, fields)`` as ``state.Run.log``
        stores them (process indices, ``-1`` for none; ``fields`` a dict).
    names : list of str
        Process names by index.
    """
    bad = sorted({str(r[2]) for r in records} - set(EVENT_KINDS))
    if bad:
        raise ValueError(f"event kinds {bad} are not in mdcd_lab.constants.EVENT_KINDS")
    for r in records:   # a process index, or -1: no process ("system", no peer)
        for what, i in (("process", r[1]), ("peer", r[3])):
            if not -1 <= i < len(names):
                raise ValueError(f"event row {str(r[2])!r} at t={r[0]}: {what} {i} is neither "
                                 f"a process index (0 to {len(names) - 1}) nor -1 (none)")
    cols: dict[str, list] = {c: [] for c in EVENT_COLUMNS if c != "info"}
    for t, proc, event, peer, level, index, fields in records:
        cols["t"].append(t)
        cols["proc"].append(names[proc] if proc >= 0 else "system")
        cols["event"].append(str(event))
        cols["peer"].append(names[peer] if peer >= 0 else "")
        cols["level"].append(level)
        cols["index"].append(index)
        for f, (_dtype, missing, _doc) in EVENT_FIELDS.items():
            cols[f].append(fields.get(f, missing))
    df = pd.DataFrame({
        "t": pd.Series(cols["t"], dtype="float64"),
        "proc": pd.Series(cols["proc"], dtype=object),
        "event": pd.Categorical(cols["event"], categories=list(EVENT_KINDS)),
        "peer": pd.Series(cols["peer"], dtype=object),
        "level": _levels(cols["level"]),
        "index": _levels(cols["index"]),
        **{f: pd.Series(cols[f], dtype=dtype) for f, (dtype, _m, _d) in EVENT_FIELDS.items()},
    })
    df["info"] = pd.Series([describe(r) for r in df.to_dict("records")], dtype=object)
    return df
