"""Parameter studies: grids, random / quasi-random samples and per-point seeds.

A *point* is a plain ``dict`` mapping some [`Scenario`][mdcd_lab.scenario.Scenario]
field names to values; it is applied to a base scenario with
``base.replace(**point)``.  Everything here is a pure function of its
arguments (no global random state), so a study is reproducible from the grid
or sampling ranges, the study seed and the base scenario alone.

Typical use::

    points = expand_grid({"n_low": [2, 4, 8], "at_coverage": [0.9, 0.99]})
    scenarios = validate_points(base, points)        # fail fast, before any work
    seeds = [point_seed(study_seed, p) for p in points]

See ``docs/results-and-summaries.md``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import numbers
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from scipy.stats import qmc

from .._checks import check_int
from ..scenario import FIELDS, Scenario
from .cost import check_points

__all__ = ["expand_grid", "validate_points", "sample", "point_seed", "grid_values",
           "SAMPLING_METHODS"]

#: Accepted values of the ``method`` argument of [`sample`][mdcd_lab.studies.sample].
SAMPLING_METHODS = ("lhs", "sobol", "halton", "random")

_MASK63 = (1 << 63) - 1


def _plain(value: Any) -> Any:
    """Turn a NumPy scalar (or 0-d array) into the equivalent Python object."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _check_keys(keys: Sequence[Any], what: str) -> None:
    unknown = [k for k in keys if k not in FIELDS]
    if unknown:
        raise ValueError(f"{what}: unknown Scenario field(s) {', '.join(map(repr, unknown))}; "
                         f"known fields: {', '.join(FIELDS)}")


def grid_values(key: str, value: Any) -> list[Any]:
    """The list of values one grid entry ``key: value`` stands for (see
    [`expand_grid`][mdcd_lab.studies.expand_grid])."""
    if isinstance(value, (str, bytes)):
        return [value]
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return [_plain(value)]
        if value.ndim != 1:
            raise ValueError(f"grid key {key!r}: an array of values must be 1-D, "
                             f"got shape {value.shape}")
        values = [_plain(v) for v in value]
    elif isinstance(value, (list, tuple, range)):
        values = [_plain(v) for v in value]
    elif isinstance(value, (set, frozenset)):
        raise ValueError(f"grid key {key!r}: a set has no order; pass a list so that the "
                         f"order of the points is reproducible")
    elif isinstance(value, (Mapping, Iterator)):
        raise ValueError(f"grid key {key!r}: expected a value or a list/tuple/array of "
                         f"values, got {type(value).__name__}")
    else:
        return [_plain(value)]
    if not values:
        raise ValueError(f"grid key {key!r} has an empty list of values")
    _check_no_duplicate(key, values)
    return values


def _check_no_duplicate(key: str, values: list[Any]) -> None:
    """Refuse a value listed twice (numbers equal by value: ``2`` and ``2.0``), in one
    pass over the values (a set of the hashable ones)."""
    seen: set[Any] = set()
    for v in values:
        tag = ("n", v) if isinstance(v, numbers.Real) else (type(v).__name__, v)
        try:
            dup = tag in seen
            seen.add(tag)
        except TypeError:     # unhashable: Scenario will refuse it
            continue
        if dup:
            raise ValueError(f"grid key {key!r} lists the value {v!r} more than once "
                             f"(duplicate grid points)")


def expand_grid(grid: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Cartesian product of parameter values.

    Parameters
    ----------
    grid : mapping of str to value or list of values
        Keys are [`Scenario`][mdcd_lab.scenario.Scenario] field names.  A list,
        tuple, ``range`` or 1-D NumPy array is a list of values; anything else
        (including a ``str``) is one value.  NumPy scalars become Python
        scalars.

    Returns
    -------
    list of dict
        One dict per grid point, with the keys of ``grid`` in their order.  The
        first key varies slowest (as ``itertools.product``).  An empty
        ``grid`` gives ``[{}]``: one point, the base scenario itself.

    Raises
    ------
    ValueError
        If a key is not a Scenario field (the message lists the known fields),
        a list of values is empty or has a duplicate, a value is a set,
        mapping or iterator, or the grid has more than
        ``MAX_POINTS`` points (checked before they
        are built).

    Notes
    -----
    The values are not checked against the field ranges here; use
    ``validate_points`` for that.

    Examples
    --------
    >>> expand_grid({"n_low": [2, 4], "fault_scope": "process"})
    [{'n_low': 2, 'fault_scope': 'process'}, {'n_low': 4, 'fault_scope': 'process'}]
    """
    if not isinstance(grid, Mapping):
        raise TypeError(f"grid must be a mapping of Scenario fields to values, "
                        f"got {type(grid).__name__}")
    keys = list(grid)
    _check_keys(keys, "grid")
    lists = [grid_values(k, grid[k]) for k in keys]
    check_points(math.prod(len(v) for v in lists), " x ".join(str(len(v)) for v in lists))
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*lists)]


def validate_points(base: Scenario, points: Sequence[Mapping[str, Any]]) -> list[Scenario]:
    """Build the scenario of every point, failing before any simulation work.

    Parameters
    ----------
    base : Scenario
        The scenario every point modifies.
    points : sequence of mapping
        Points as returned by [`expand_grid`][mdcd_lab.studies.expand_grid] or
        [`sample`][mdcd_lab.studies.sample].

    Returns
    -------
    list of Scenario
        ``base.replace(**point)`` for every point, in order.

    Raises
    ------
    ValueError
        The first invalid point, as ``"grid point {...}: <Scenario message>"``.
    TypeError
        If ``base`` is not a Scenario or a point is not a mapping.
    """
    if not isinstance(base, Scenario):
        raise TypeError(f"base must be a Scenario, got {type(base).__name__}")
    out = []
    for point in points:
        if not isinstance(point, Mapping):
            raise TypeError(f"a grid point must be a mapping, got {type(point).__name__}")
        changes = {k: _plain(v) for k, v in point.items()}
        try:
            out.append(base.replace(**changes))
        except ValueError as exc:
            raise ValueError(f"grid point {dict(point)!r}: {exc}") from exc
    return out


def _check_range(name: str, bounds: Any) -> tuple[float, float]:
    info = FIELDS[name]
    if info.kind == "choice":
        raise ValueError(f"cannot sample {name!r}: it is a choice field "
                         f"({info.describe_range()}); put it in a grid instead")
    if (isinstance(bounds, (str, bytes)) or not isinstance(bounds, Sequence | np.ndarray)
            or len(bounds) != 2):
        raise ValueError(f"range of {name!r} must be a (lo, hi) pair, got {bounds!r}")
    lo, hi = (_plain(b) for b in bounds)
    for b in (lo, hi):
        if isinstance(b, bool) or not isinstance(b, numbers.Real) or not math.isfinite(b):
            raise ValueError(f"range of {name!r} must be two finite numbers, got {bounds!r}")
    if lo > hi:
        raise ValueError(f"range of {name!r} has lo > hi: ({lo!r}, {hi!r})")
    lo_bad = lo <= info.lo if info.lo_open else lo < info.lo
    if lo_bad or hi > info.hi:
        raise ValueError(f"range of {name!r} ({lo!r}, {hi!r}) is outside the allowed values: "
                         f"Scenario.{name} must be {info.describe_range()}")
    if info.kind == "int" and math.ceil(lo) > math.floor(hi):
        raise ValueError(f"range of {name!r} ({lo!r}, {hi!r}) contains no integer")
    return float(lo), float(hi)


def _unit_sample(method: str, n: int, d: int, seed: int) -> np.ndarray:
    """``n`` points of ``[0, 1)^d`` drawn with ``method`` from ``SeedSequence(seed)``."""
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    if method == "random":
        return rng.random((n, d))
    if method == "lhs":
        engine: qmc.QMCEngine = qmc.LatinHypercube(d, scramble=True, rng=rng)
    elif method == "sobol":
        engine = qmc.Sobol(d, scramble=True, rng=rng)
    else:
        engine = qmc.Halton(d, scramble=True, rng=rng)
    return engine.random(n)


def sample(ranges: Mapping[str, tuple[float, float]], n: int, seed: int,
           method: str = "lhs") -> list[dict[str, Any]]:
    """Random, Latin-hypercube or low-discrepancy sample of numeric Scenario fields.

    Parameters
    ----------
    ranges : mapping of str to (lo, hi)
        Closed range of every sampled field (``lo == hi`` fixes a field).
        Fields must be ``"int"`` or ``"float"`` fields of
        [`FIELDS`][mdcd_lab.scenario.FIELDS], and the range must lie inside the
        field's allowed range.
    n : int
        Number of points, at least 1.  For ``"sobol"`` use a power of 2:
        other sizes lose the balance properties and SciPy warns.
    seed : int
        Non-negative seed; the generator is
        ``np.random.default_rng(np.random.SeedSequence(seed))``, which draws
        the random points or the randomisation of the design.
    method : {"lhs", "sobol", "halton", "random"}
        ``"random"``: independent uniform draws.  ``"lhs"``: Latin hypercube
        (``scipy.stats.qmc.LatinHypercube``): ``[0, 1)`` is cut into ``n``
        equal strata per dimension, each stratum holds exactly one point
        (uniform inside it), and the strata are permuted independently per
        dimension.  ``"sobol"`` and ``"halton"``: scrambled Sobol' and Halton
        low-discrepancy sequences (``scipy.stats.qmc.Sobol``,
        ``scipy.stats.qmc.Halton``), which fill the space more evenly than
        random or LHS points for the same ``n``.

    Returns
    -------
    list of dict
        ``n`` points with the keys of ``ranges`` in their order; values are
        Python ``float`` or, for int fields, ``int``.

    Raises
    ------
    ValueError
        Unknown field, choice field, bad or out-of-range bounds, ``lo > hi``,
        ``n < 1``, negative seed or unknown method.

    Notes
    -----
    A design in ``[0, 1)^d`` (one dimension per field, in the order of
    ``ranges``) is mapped to the ranges.  Int fields are drawn uniformly over
    the integers ``ceil(lo) .. floor(hi)``: the unit-interval coordinate ``u``
    maps to ``floor(ceil(lo) + u * k)`` with ``k`` the number of integers, so
    every integer is equally likely (plain rounding of ``lo + u * (hi - lo)``
    would give the two end values half the weight of the others).  The
    mapping is monotone, so an LHS spreads the integers evenly.  The same
    ``(ranges, n, seed, method)`` always gives the same points.
    """
    if not isinstance(ranges, Mapping):
        raise TypeError(f"ranges must be a mapping of field to (lo, hi), "
                        f"got {type(ranges).__name__}")
    if not ranges:
        raise ValueError("ranges is empty: give at least one field to sample")
    names = list(ranges)
    _check_keys(names, "sample")
    bounds = [_check_range(k, ranges[k]) for k in names]
    n = check_int("n", n, 1)
    seed = check_int("seed", seed, 0)
    if method not in SAMPLING_METHODS:
        raise ValueError(f"unknown sampling method {method!r}; choose one of {SAMPLING_METHODS}")
    u = _unit_sample(method, n, len(names), seed)
    u = np.minimum(u, np.nextafter(1.0, 0.0))  # keep every coordinate below 1
    columns: list[list[Any]] = []
    for j, (name, (lo, hi)) in enumerate(zip(names, bounds, strict=True)):
        if FIELDS[name].kind == "int":
            first, last = math.ceil(lo), math.floor(hi)
            k = last - first + 1
            vals = np.minimum(np.floor(first + u[:, j] * k), last)
            columns.append([int(v) for v in vals])
        else:
            vals = np.clip(lo + u[:, j] * (hi - lo), lo, hi)
            columns.append([float(v) for v in vals])
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def _canonical_value(key: str, value: Any) -> list[str]:
    value = _plain(value)
    if isinstance(value, str):
        return ["s", value]
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"point_seed: value of {key!r} must be a number or a string, "
                         f"got {value!r} of type {type(value).__name__}")
    return ["n", repr(float(value))]


def point_seed(study_seed: int, point: Mapping[str, Any]) -> int:
    """Deterministic seed of one study point, derived from its parameter values.

    Parameters
    ----------
    study_seed : int
        Non-negative seed of the whole study.
    point : mapping of str to number or str
        The point's parameters.

    Returns
    -------
    int
        A non-negative integer below ``2**63``.

    Notes
    -----
    The point is canonicalised as the JSON of its items sorted by key, every
    number written as ``repr(float(v))`` (so ``2`` and ``2.0`` agree but ``0.1``
    and ``0.10000001`` do not) and tagged to tell it from a string.  The
    BLAKE2b digest (16 bytes, four little-endian 32-bit words ``w``) is mixed
    with the study seed as
    ``SeedSequence([study_seed, *w]).generate_state(2, np.uint64)[0]``, masked
    to 63 bits.  The seed therefore depends on the parameter values only: not
    on the dict order, nor on where the point sits in a grid, so adding points
    to a study leaves the others' seeds (and results) unchanged.  Fields that
    are not in the point (taken from the base scenario) do not enter the seed.

    Raises
    ------
    ValueError
        Negative or non-integer ``study_seed``, non-str key, or a value that is
        neither a number nor a string.
    """
    study_seed = check_int("study_seed", study_seed, 0)
    if not isinstance(point, Mapping):
        raise TypeError(f"point must be a mapping, got {type(point).__name__}")
    items = []
    for key in point:
        if not isinstance(key, str):
            raise ValueError(f"point_seed: keys must be str, got {key!r}")
        items.append([key, *_canonical_value(key, point[key])])
    items.sort(key=lambda item: item[0])
    text = json.dumps(items, ensure_ascii=True, separators=(",", ":"))
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()
    words = np.frombuffer(digest, dtype="<u4").tolist()
    state = np.random.SeedSequence([study_seed, *words]).generate_state(2, np.uint64)
    return int(state[0]) & _MASK63
