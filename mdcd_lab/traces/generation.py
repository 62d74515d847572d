"""The random generator of a run's trace rows: the readable reference of the numba kernel.

``_generate_one`` draws one run's rows from superposed Poisson processes
(Section 3.1's system model), seeded per run by
[`run_seed_sequence`][mdcd_lab.traces.run_seed_sequence], with the total rate split by
``category_weights``; [`realised_means`][mdcd_lab.traces.realised_means] gives a run's mean realised
delivery delay and twin offset.  The numba engine's ``mdcd_lab.fast.kernels.gen`` is this code bit
for bit (docs/scaling.md).  The trace table built from these rows, its validation and hand-written
traces are in [`mdcd_lab.traces`][mdcd_lab.traces]
([`mdcd_lab.traces.generate_traces`][mdcd_lab.traces.generate_traces]); the format is documented in
``docs/trace-format.md``.
"""

from __future__ import annotations

import math

import numpy as np

from ..constants import (
    CAT_ACT_ACT,
    CAT_ACT_LOW,
    CAT_EXT_ACT,
    CAT_EXT_LOW,
    CAT_FAULT,
    CAT_LOW_ACT,
    CAT_LOW_LOW,
    CAT_SDW_SDW,
    KIND_FAULT,
    KIND_OUTPUT,
    KIND_SEND,
)
from ..scenario import Scenario

__all__ = ["run_seed_sequence", "category_weights", "realised_means"]


def run_seed_sequence(seed: int, run: int) -> np.random.SeedSequence:
    """The seed sequence of run ``run`` of a study seeded with ``seed``.

    Run ``r`` always gets ``SeedSequence(seed, spawn_key=(r,))``, so it is the same
    whatever the number of runs, the chunking or the machine.
    """
    return np.random.SeedSequence(int(seed), spawn_key=(int(run),))


def category_weights(s: Scenario) -> list[float]:
    """Total rate of each event category, in the order of the ``CAT_*`` constants.

    Both engines take their rates from here
    ([`Scenario.category_rates`][mdcd_lab.scenario.Scenario.category_rates]).  A category towards
    the other members of a one-member group (``low_low`` and ``sdw_sdw`` with ``n_low == 1``,
    ``act_act`` with ``n_act == 1``) has no destination: its rate is 0, whatever the Scenario field
    says.
    """
    return s.category_rates()


def _pick(u: float, n: int) -> int:
    k = int(u * n)
    return n - 1 if k >= n else k


def _generate_one(s: Scenario, rng: np.random.Generator) -> list[tuple]:
    """Generate the rows of one run (the readable reference generator).

    Superposed Poisson processes: the next event comes after an exponential gap
    with the total rate; its category is chosen in proportion to the category
    rates, the source and destination uniformly.  A row draws only what its kind
    uses, in this order: gap (``standard_exponential``), category, source
    (``random``); a send: destination, channel delay (exponential), and a
    ``low -> act`` send its twin offset; an output: AT draw, compensation draw,
    notification delay (exponential), and a ``low`` output its twin offset; a
    fault: nothing more, or under reliability growth (``fault_growth > 0``) one
    exponential that keeps it with probability ``exp(-fault_growth * t)``
    (thinning of the constant-rate candidates: activations of intensity
    ``fault_rate * exp(-fault_growth * t)`` per G_low process, the Goel-Okumoto
    model; docs/performability.md).  Shadow twins of cluster messages to G_act and of
    cluster outputs are emitted at ``t + U(-shadow_lag, shadow_lag)``, made
    non-decreasing so they keep the cluster's order (twin k is the twin of
    cluster message k, Section 3.2).  Events are drawn up to ``horizon +
    shadow_lag``; those past the horizon keep only a twin that falls before it,
    so that a run of a longer horizon only adds rows after the shorter one's
    horizon (the prefix property).  The draws do not depend on ``latency`` or
    ``shadow_lag`` (a zero value multiplies them by 0), so scenarios that differ
    only there share their rows' times, kinds and endpoints.
    """
    weights = category_weights(s)
    total = 0.0
    for w in weights:
        total += w
    n_low, n_act = s.n_low, s.n_act
    sdw0 = n_low + n_act
    n_procs = 2 * n_low + n_act
    last_deliver = np.zeros(n_procs * n_procs)
    primary: list[tuple] = []
    twins: list[tuple] = []
    last_twin = 0.0
    t = 0.0
    if total <= 0.0:
        return []
    nan = math.nan
    exponential = rng.standard_exponential
    # events up to horizon + shadow_lag: a twin of an event just past the horizon can
    # fall before it (the prefix property: a longer horizon adds rows after, only)
    last_t = s.horizon + s.shadow_lag
    fifo = s.channel == "fifo"
    uniform = rng.random
    growth = s.fault_growth
    while True:
        t = t + exponential() / total
        if t > last_t:
            break
        keep = t <= s.horizon   # past the horizon: only a twin may be kept
        x = uniform() * total
        cat = 7
        acc = 0.0
        for c in range(8):
            acc += weights[c]
            if x < acc:
                cat = c
                break
        while weights[cat] <= 0.0:  # guard against x == total by rounding
            cat -= 1
        u_src = uniform()
        if cat in (CAT_LOW_ACT, CAT_LOW_LOW, CAT_EXT_LOW, CAT_FAULT, CAT_SDW_SDW):
            i = _pick(u_src, n_low)
            src = i if cat != CAT_SDW_SDW else sdw0 + i
        else:
            src = n_low + _pick(u_src, n_act)
        if cat == CAT_FAULT:
            # reliability growth (Goel-Okumoto): a candidate at the constant rate is an
            # activation with probability exp(-fault_growth * t), i.e. when an Exp(1)
            # draw exceeds fault_growth * t (thinning; no draw at the constant rate)
            if growth > 0.0 and not exponential() > growth * t:
                continue
            if keep:
                primary.append((t, KIND_FAULT, src, -1, nan, nan, nan, nan))
            continue
        if cat in (CAT_EXT_LOW, CAT_EXT_ACT):
            u_at = uniform()
            u_comp = uniform()
            d_notify = s.latency * exponential()
            if keep:
                primary.append((t, KIND_OUTPUT, src, -1, nan, u_at, u_comp, d_notify))
            if cat == CAT_EXT_LOW:
                lag = (2.0 * uniform() - 1.0) * s.shadow_lag
                tt = max(t + lag, last_twin)
                last_twin = tt
                if tt <= s.horizon:
                    twins.append((tt, KIND_OUTPUT, sdw0 + src, -1, nan, nan, nan, nan))
            continue
        u_dst = uniform()
        if cat == CAT_LOW_ACT:
            dst = n_low + _pick(u_dst, n_act)
        elif cat == CAT_LOW_LOW:
            dst = _pick(u_dst, n_low - 1)
            dst = dst + 1 if dst >= src else dst
        elif cat == CAT_ACT_LOW:
            dst = _pick(u_dst, n_low)
        elif cat == CAT_ACT_ACT:
            dst = _pick(u_dst, n_act - 1)
            dst = n_low + (dst + 1 if dst >= src - n_low else dst)
        else:  # CAT_SDW_SDW
            dst = _pick(u_dst, n_low - 1)
            dst = sdw0 + (dst + 1 if dst >= src - sdw0 else dst)
        delay = s.latency * exponential()
        if fifo:   # after every earlier message on the channel
            ch = src * n_procs + dst
            td = max(t + delay, last_deliver[ch])
            last_deliver[ch] = td
        else:
            td = t + delay
        if keep:
            primary.append((t, KIND_SEND, src, dst, td, nan, nan, nan))
        if cat == CAT_LOW_ACT:
            lag = (2.0 * uniform() - 1.0) * s.shadow_lag
            tt = max(t + lag, last_twin)
            last_twin = tt
            if tt <= s.horizon:
                twins.append((tt, KIND_SEND, sdw0 + src, dst, nan, nan, nan, nan))
    # stable merge: at equal times the cluster's own row comes before the twin
    out: list[tuple] = []
    a = b = 0
    while a < len(primary) or b < len(twins):
        if b >= len(twins) or (a < len(primary) and primary[a][0] <= twins[b][0]):
            out.append(primary[a])
            a += 1
        else:
            out.append(twins[b])
            b += 1
    return out


def realised_means(t: np.ndarray, kind: np.ndarray, src: np.ndarray, dst: np.ndarray,
                   t_deliver: np.ndarray, n_low: int, n_act: int,
                   window: float = math.inf) -> tuple[float, float]:
    """Mean realised delivery delay and mean realised twin offset of one run's rows.

    ``delivery_delay_mean``: the mean of ``t_deliver - t`` over the sends that have
    a delivery time (every send but the suppressed ``sdw -> act`` twins) and
    ``t <= window``, in row order.  ``twin_offset_mean``: the mean of
    ``t_twin - t`` over the twins, the ``k``-th ``sdw -> act`` send paired with
    the ``k``-th ``low -> act`` send and the ``k``-th ``sdw`` output with the
    ``k``-th ``low`` output, in twin order, where both lie at or before
    ``window``.  NaN when there is none.  The engines pass the horizon phi as
    ``window``, so a mission run averages over its guarded operation, like the
    same run without a mission (docs/metrics.md).  Sums run in that order, one
    addition at a time (the numba engine's ``gen.realised_means`` gives the same
    bits).
    """
    total, n = 0.0, 0
    for i in range(len(t)):
        if kind[i] == KIND_SEND and t_deliver[i] == t_deliver[i] and t[i] <= window:
            total += float(t_deliver[i]) - float(t[i])
            n += 1
    delay = total / n if n > 0 else math.nan

    def original(k: int) -> bool:
        return bool(src[k] < n_low and (kind[k] == KIND_OUTPUT or (
            kind[k] == KIND_SEND and n_low <= dst[k] < n_low + n_act)))

    sends = [float(t[k]) for k in range(len(t)) if original(k) and kind[k] == KIND_SEND]
    outputs = [float(t[k]) for k in range(len(t)) if original(k) and kind[k] == KIND_OUTPUT]
    total, n, n_s, n_o = 0.0, 0, 0, 0
    for k in range(len(t)):
        if src[k] < n_low + n_act or not (kind[k] == KIND_OUTPUT or (
                kind[k] == KIND_SEND and n_low <= dst[k] < n_low + n_act)):
            continue
        if kind[k] == KIND_SEND:
            if n_s >= len(sends):
                continue
            t0 = sends[n_s]
            n_s += 1
        else:
            if n_o >= len(outputs):
                continue
            t0 = outputs[n_o]
            n_o += 1
        if t0 <= window and t[k] <= window:
            total += float(t[k]) - t0
            n += 1
    offset = total / n if n > 0 else math.nan
    return delay, offset

