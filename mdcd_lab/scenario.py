"""The scenario: every model parameter, validated in one place.

A [`Scenario`][mdcd_lab.scenario.Scenario] describes one guarded-operation interval of the clustered
MDCD system of the seed paper (Tai & Tso, Section 3.1, Figure 1): ``n_low``
upgraded or interface-changed components forming the cluster ``G_low``, their
old versions ``G_sdw`` running in shadow mode, and ``n_act`` high-confidence
processes ``G_act``.  Per-field metadata ([`FIELDS`][mdcd_lab.scenario.FIELDS]) gives the allowed
range, the unit and a help text; the CLI, the widgets and the docs read it, so a
new field appears everywhere once it is added here.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

__all__ = ["Scenario", "FIELDS", "FieldInfo", "FAULT_SCOPES", "CHANNELS", "RECOVERY_MODES",
           "MAX_BYTES", "MAX_RUN_ROWS", "MAX_RUN_LINES"]

#: The values of ``Scenario.fault_scope``.
FAULT_SCOPES = ("cluster", "process")
#: The values of ``Scenario.channel``.
CHANNELS = ("fifo", "non-fifo")
#: The values of ``Scenario.recovery``.
RECOVERY_MODES = ("executed", "atomic")

#: Largest ``msg_bytes`` and ``ckpt_bytes`` (16 GiB): a byte total of a run (at most
#: one entry per trace row, below ``2**28`` rows) then stays below ``2**62``, so the
#: int64 metrics such as ``log_bytes_peak`` cannot overflow in either engine.
MAX_BYTES = 1 << 34
#: Largest expected number of trace rows of one run
#: ([`Scenario.expected_rows`][mdcd_lab.scenario.Scenario.expected_rows]): the rates times
#: ``t_end``.  Beyond it one run does not fit in memory, nor its counts in the engines' buffers (the
#: numba engine stops at ``2**28`` rows).
MAX_RUN_ROWS = 1 << 26
#: Largest number of coordinated-checkpoint lines of one run (``horizon /
#: coord_period``), each an event of the ``"coordinated"`` protocol.
MAX_RUN_LINES = 1 << 26


@dataclass(frozen=True)
class FieldInfo:
    """Metadata of one Scenario field.

    Attributes
    ----------
    kind : str
        ``"int"``, ``"float"`` or ``"choice"``.
    lo, hi : float
        Allowed closed range for numbers (``hi`` may be ``inf``).
    lo_open : bool
        If true the lower bound is excluded (``> lo`` rather than ``>= lo``).
    unit : str
        Unit shown on axes and in the docs.
    help : str
        One-line description.
    choices : tuple
        Allowed values of a ``"choice"`` field.
    widget_max : float
        Upper end of slider ranges in the explorers.
    label : str
        Short human-readable name, without the unit (axis labels, explorers).
    """

    kind: str
    lo: float = 0.0
    hi: float = math.inf
    lo_open: bool = False
    unit: str = ""
    help: str = ""
    choices: tuple = ()
    widget_max: float = 1.0
    label: str = ""

    @property
    def axis_label(self) -> str:
        """``label`` with its unit, e.g. ``"shadow lag (time units)"``; a
        probability or a count of processes carries no unit (its label names it)."""
        if not self.unit or self.unit in ("probability", "processes"):
            return self.label
        return f"{self.label} ({self.unit})"

    def describe_range(self) -> str:
        """Human-readable allowed range, used in error messages."""
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        left = "(" if self.lo_open else "["
        right = "]" if math.isfinite(self.hi) else ")"
        hi = "inf" if not math.isfinite(self.hi) else (
            str(int(self.hi)) if self.kind == "int" else f"{self.hi:g}")
        kind = "an integer" if self.kind == "int" else "a number"
        return f"{kind} in {left}{self.lo:g}, {hi}{right}"


def _rate(label: str, help_: str, wmax: float = 5.0) -> FieldInfo:
    return FieldInfo("float", 0.0, math.inf, False, "1/time unit", help_, (), wmax, label)


#: Field metadata, in the order of the dataclass fields.
FIELDS: dict[str, FieldInfo] = {
    "n_low": FieldInfo("int", 1, 64, False, "processes",
                       "processes in the cluster G_low (upgraded components and their "
                       "interface partners); each has an old version in G_sdw", (), 6,
                       label="cluster size n_low"),
    "n_act": FieldInfo("int", 1, 256, False, "processes",
                       "high-confidence processes in G_act", (), 12,
                       label="G_act size n_act"),
    "horizon": FieldInfo("float", 0.0, math.inf, True, "time units",
                         "duration phi of the guarded operation", (), 1000.0,
                         label="guarded-operation duration"),
    "rate_low_act": _rate("G_low \u2192 G_act message rate",
                          "rate of messages from one G_low process to all of G_act"),
    "rate_low_low": _rate("G_low \u2192 G_low message rate",
                          "rate of cluster-internal (new interface) messages from one G_low "
                          "process to the other G_low processes (no traffic when n_low == 1)"),
    "rate_sdw_sdw": _rate("G_sdw \u2192 G_sdw message rate",
                          "rate of internal (old interface) messages from one shadow to the "
                          "other shadows (no traffic when n_low == 1)"),
    "rate_act_low": _rate("G_act \u2192 G_low message rate",
                          "rate of messages from one G_act process to all of G_low (each is "
                          "delivered to the twin shadow too)"),
    "rate_act_act": _rate("G_act \u2192 G_act message rate",
                          "rate of messages from one G_act process to the other G_act processes "
                          "(no traffic when n_act == 1)"),
    "rate_ext_low": _rate("G_low external-message (AT) rate",
                          "rate of external (device) messages of one G_low process; each is "
                          "checked by an acceptance test", 2.0),
    "rate_ext_act": _rate("G_act external-message rate",
                          "rate of external (device) messages of one G_act process", 2.0),
    "fault_rate": _rate("fault rate per G_low process",
                        "rate of design-fault activations per G_low process", 0.05),
    "fault_scope": FieldInfo("choice", help="'cluster': an activation in any member makes every "
                             "member erroneous (the paper's view of G_low as one virtual "
                             "component); 'process': only that member",
                             choices=FAULT_SCOPES,
                             label="fault scope"),
    "at_coverage": FieldInfo("float", 0.0, 1.0, False, "probability",
                             "P[an acceptance test detects an erroneous message]", (), 1.0,
                             label="AT coverage"),
    "compensation": FieldInfo("float", 0.0, 1.0, False, "probability",
                              "P[error compensation succeeds after a failed AT]", (), 1.0,
                              label="P(compensation succeeds)"),
    "latency": FieldInfo("float", 0.0, math.inf, False, "time units",
                         "mean L of each message's own channel delay D ~ Exp(mean L); 0 "
                         "delivers at once.  The realised delay W is D under "
                         "channel='non-fifo'; under 'fifo' it is max(D, backlog), so its mean "
                         "exceeds L: for Poisson traffic of rate lam on the channel, a message "
                         "sent at t has P(W <= w) = (1 - e^{-w/L}) "
                         "exp(-lam L e^{-w/L} (1 - e^{-t/L})) (docs/trace-format.md)",
                         (), 2.0,
                         label="mean L of the exponential channel delay"),
    "channel": FieldInfo("choice", help="'fifo': a message is delivered after every earlier "
                         "message on its channel (t_deliver = max(t + D, previous delivery)); "
                         "'non-fifo': t_deliver = t + D, reordering allowed (protocols that "
                         "assume FIFO refuse it)", choices=CHANNELS,
                         label="channel model"),
    "shadow_lag": FieldInfo("float", 0.0, math.inf, False, "time units",
                            "half-width of the offset U(-lag, lag) drawn for a shadow twin from "
                            "its cluster message; twins then keep the cluster's order "
                            "(t_twin = max(t + U, previous twin)), so the realised offset is "
                            "biased upwards (docs/trace-format.md, twin_offset_mean)", (), 2.0,
                            label="shadow lag"),
    "msg_bytes": FieldInfo("int", 0, MAX_BYTES, False, "bytes", "size of one logged message",
                           (), 4096,
                           label="message size"),
    "ckpt_bytes": FieldInfo("int", 0, MAX_BYTES, False, "bytes", "size of one checkpoint",
                            (), 1 << 20,
                            label="checkpoint size"),
    "coord_period": FieldInfo("float", 0.0, math.inf, True, "time units",
                              "period of the 'coordinated' comparison protocol", (), 100.0,
                              label="coordinated-checkpoint period"),
    "mission": FieldInfo("float", 0.0, math.inf, False, "time units",
                         "mission length theta (docs/performability.md): after the guarded "
                         "operation [0, horizon] the new version runs unguarded until theta; "
                         "0 (default) means no unguarded phase", (), 5000.0,
                         label="mission length theta"),
    "fault_growth": FieldInfo("float", 0.0, math.inf, False, "1/time unit",
                              "reliability growth b of the new version (Goel-Okumoto): the "
                              "fault activations of a G_low process have intensity "
                              "fault_rate * exp(-b t), a = fault_rate / b activations "
                              "expected in all; 0 (default): the constant rate fault_rate "
                              "(docs/performability.md)", (), 0.02,
                              label="reliability growth b of the fault rate"),
    "recovery": FieldInfo("choice", help="'executed': error recovery is played as events: the "
                          "recovery notice travels with the failing output's notification "
                          "delay, each process rolls back or forward when it arrives, the "
                          "shadows take over and re-send on the channels, and the run goes on "
                          "until the system is quiet (docs/protocol.md, section 9); 'atomic': "
                          "one step at detection, the run ends there", choices=RECOVERY_MODES,
                          label="recovery model"),
    "after_recovery": FieldInfo("float", 0.0, math.inf, True, "x longest delay",
                                "executed recovery: cap of the window after detection, as a "
                                "multiple of the longest delay so far (of a message, a "
                                "notification, the recovery notice, or shadow_lag); the run "
                                "ends when the system is quiet or at the cap, whichever is "
                                "first (docs/protocol.md, section 9)", (), 100.0,
                                label="recovery window cap"),
}


@dataclass(frozen=True)
class Scenario:
    """Parameters of one randomized upgrade scenario.

    Every field is checked by ``validate_fields`` when the object is built; a bad
    value raises ``ValueError`` naming the field and its allowed range.
    Rates are Poisson rates per process; ``rate_x_y`` is the total rate of one
    ``x`` process to all of group ``y`` (destinations uniform); ``ext`` is the
    device.  A rate towards the *other* members of a group that has only one
    member (``rate_low_low`` and ``rate_sdw_sdw`` with ``n_low == 1``,
    ``rate_act_act`` with ``n_act == 1``) has no destination and generates no
    traffic: the (1, n) architecture and two-component MDCD are reached from any
    scenario by setting ``n_low`` or ``n_act`` to 1 (see
    ``docs/trace-format.md``).  See ``docs/protocol.md`` for the system model.
    """

    n_low: int = 2
    n_act: int = 3
    horizon: float = 100.0
    rate_low_act: float = 1.0
    rate_low_low: float = 0.5
    rate_sdw_sdw: float = 0.5
    rate_act_low: float = 0.5
    rate_act_act: float = 0.5
    rate_ext_low: float = 0.1
    rate_ext_act: float = 0.2
    fault_rate: float = 0.005
    fault_scope: str = "cluster"
    at_coverage: float = 0.95
    compensation: float = 0.0
    latency: float = 0.0
    channel: str = "fifo"
    shadow_lag: float = 0.0
    msg_bytes: int = 256
    ckpt_bytes: int = 65536
    coord_period: float = 10.0
    mission: float = 0.0
    fault_growth: float = 0.0
    recovery: str = "executed"
    after_recovery: float = 20.0

    def __post_init__(self) -> None:
        validate_fields({k: getattr(self, k) for k in FIELDS})
        for name, info in FIELDS.items():  # normalise 2.0 -> 2 and 1 -> 1.0
            if info.kind == "int":
                object.__setattr__(self, name, int(getattr(self, name)))
            elif info.kind == "float":
                object.__setattr__(self, name, float(getattr(self, name)))

    # -- convenience -------------------------------------------------------------
    def replace(self, **changes: Any) -> Scenario:
        """Return a copy with ``changes`` applied (validated)."""
        unknown = set(changes) - set(FIELDS)
        if unknown:
            raise ValueError(f"unknown Scenario field(s): {', '.join(sorted(unknown))}; "
                             f"known fields: {', '.join(FIELDS)}")
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the parameter fields."""
        return {k: getattr(self, k) for k in FIELDS}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Scenario:
        """Build from a mapping; unknown keys raise ``ValueError`` naming them."""
        unknown = set(values) - set(FIELDS)
        if unknown:
            raise ValueError(f"unknown Scenario field(s): {', '.join(sorted(unknown))}; "
                             f"known fields: {', '.join(FIELDS)}")
        return cls(**values)

    @property
    def t_end(self) -> float:
        """End of a run: the mission length theta if set, else the horizon phi.

        Traces are generated over ``[0, t_end]``; the protocol plays ``[0, horizon]``
        and the unguarded rules ``(horizon, t_end]`` (docs/performability.md).
        """
        return self.mission if self.mission > 0 else self.horizon

    @property
    def n_procs(self) -> int:
        """Number of processes: G_low, G_act and G_sdw."""
        return 2 * self.n_low + self.n_act

    def category_rates(self) -> list[float]:
        """Total rate of each trace event category, in the order of ``constants.CAT_*``.

        The rates both engines' generators draw from
        (``mdcd_lab.traces.generation.category_weights``).  A category towards the
        other members of a one-member group (``low_low`` and ``sdw_sdw`` with
        ``n_low == 1``, ``act_act`` with ``n_act == 1``) has no destination: its
        rate is 0, whatever the field says.
        """
        return _category_rates(self.to_dict())

    @property
    def expected_rows(self) -> float:
        """Mean number of trace rows of one run: every category's events over
        ``[0, t_end]`` plus the shadow twins of cluster messages to G_act and of
        cluster outputs (docs/trace-format.md).  The cost of a run is proportional
        to it; [`MAX_RUN_ROWS`][mdcd_lab.scenario.MAX_RUN_ROWS] bounds it."""
        return _expected_rows(self.to_dict())


def _pick(cond: Any, a: Any, b: Any) -> Any:
    """``a if cond else b``: the ``where`` of one scenario (``numpy.where`` for columns)."""
    return a if cond else b


def _category_rates(v: dict[str, Any], where: Any = _pick) -> list[Any]:
    """The rates of ``Scenario.category_rates`` from field values ``v``: scalars
    with the default ``where``, whole columns with ``where=numpy.where``
    (``mdcd_lab.studies.cost.grid_expected_rows``), the same arithmetic either way."""
    n_low, n_act = v["n_low"], v["n_act"]
    low_low = where(n_low > 1, v["rate_low_low"], 0.0)
    sdw_sdw = where(n_low > 1, v["rate_sdw_sdw"], 0.0)
    act_act = where(n_act > 1, v["rate_act_act"], 0.0)
    return [n_low * v["rate_low_act"], n_low * low_low, n_low * v["rate_ext_low"],
            n_low * v["fault_rate"], n_act * v["rate_act_low"], n_act * act_act,
            n_act * v["rate_ext_act"], n_low * sdw_sdw]


def _expected_rows(v: dict[str, Any], where: Any = _pick) -> Any:
    """``Scenario.expected_rows`` from field values ``v`` (scalars, or columns with
    ``where=numpy.where``)."""
    rates = _category_rates(v, where)
    t_end = where(v["mission"] > 0, v["mission"], v["horizon"])
    return (sum(rates) + rates[0] + rates[2]) * t_end


def _check_number(name: str, value: Any, info: FieldInfo) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"Scenario.{name} must be {info.describe_range()}, "
                         f"got {value!r} of type {type(value).__name__}")
    try:
        v = float(value)
    except OverflowError:   # an int beyond the float range
        raise ValueError(f"Scenario.{name} must be {info.describe_range()}, got an integer "
                         f"of {len(str(abs(value)))} digits") from None
    if info.kind == "int" and not v.is_integer():
        raise ValueError(f"Scenario.{name} must be {info.describe_range()}, got {value!r}")
    if math.isnan(v):
        raise ValueError(f"Scenario.{name} must be {info.describe_range()}, got NaN")
    low_ok = v > info.lo if info.lo_open else v >= info.lo
    if not low_ok or v > info.hi or (math.isinf(v) and info.kind == "int"):
        raise ValueError(f"Scenario.{name} must be {info.describe_range()}, got {value!r}")
    if math.isinf(v):
        raise ValueError(f"Scenario.{name} must be finite, got {value!r}")


def validate_fields(values: dict[str, Any]) -> None:
    """Check every field of a Scenario; raise ``ValueError`` naming the first bad one.

    This is the single place where parameters are validated (Ciw's habit): the
    dataclass, the CLI, sweeps and widgets all end up here.
    """
    for name, info in FIELDS.items():
        value = values[name]
        if info.kind == "choice":
            if value not in info.choices:
                raise ValueError(f"Scenario.{name} must be {info.describe_range()}, "
                                 f"got {value!r}")
        else:
            _check_number(name, value, info)
    if 0 < values["mission"] < values["horizon"]:
        raise ValueError(f"Scenario.mission must be 0 (no unguarded phase) or >= horizon "
                         f"({values['horizon']:g}), got {values['mission']!r}")
    _check_size(values)


def _check_size(values: dict[str, Any]) -> None:
    """One run must fit: its expected trace rows and its coordinated lines are bounded,
    so that neither engine overflows a count or a buffer (the same refusal in both)."""
    rows = _expected_rows(values)
    if not rows <= MAX_RUN_ROWS:     # also catches inf (a huge horizon times a rate)
        what = "mission" if values["mission"] > 0 else "horizon"
        raise ValueError(f"Scenario.{what} x rates: one run would have about {rows:.3g} "
                         f"trace rows, more than {MAX_RUN_ROWS:,} (2**26) one run may hold; "
                         f"reduce the {what} or the message, output and fault rates")
    lines = values["horizon"] / values["coord_period"]
    if not lines <= MAX_RUN_LINES:
        raise ValueError(f"Scenario.coord_period: horizon / coord_period = {lines:.3g} "
                         f"coordinated-checkpoint lines per run, more than {MAX_RUN_LINES:,} "
                         f"(2**26); raise coord_period or reduce the horizon")
