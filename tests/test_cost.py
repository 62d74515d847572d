"""Work bounded before it starts: grids counted before they are built, duplicates found
in one pass, a study's cost estimated and refused naming the override (issue 23, item 3)."""

import math
import re

import pytest
from helpers import run_cli, write_file

from mdcd_lab.scenario import Scenario
from mdcd_lab.studies import cost, sweep
from mdcd_lab.studies.grid import expand_grid

BASE = Scenario(horizon=20.0)


def test_a_huge_grid_is_refused_before_its_points_are_built():
    """10^9 points used to die in a MemoryError at 3.5 GB."""
    with pytest.raises(ValueError, match=r"grid: 1,000,000,000 points \(1000 x 1000 x 1000\) "
                                         r"is more than 1,000,000"):
        expand_grid({"horizon": list(range(1, 1001)), "latency": [i / 1e3 for i in range(1000)],
                     "n_low": list(range(1, 1001))})
    with pytest.raises(ValueError, match="points"):
        sweep(BASE, [{"horizon": 1.0}] * (cost.MAX_POINTS + 1), 1, 1, progress=False)


def test_duplicates_are_found_in_one_pass_among_many_values():
    """A list of 10^5 values hung in a quadratic check; 2 and 2.0 are one value."""
    values = [float(i) for i in range(1, 100_001)]
    assert len(expand_grid({"horizon": values})) == 100_000
    with pytest.raises(ValueError, match="lists the value 7.0 more than once"):
        expand_grid({"horizon": [*values[:10], 7.0]})
    with pytest.raises(ValueError, match="lists the value 2.0 more than once"):
        expand_grid({"n_low": [1, 2, 2.0]})
    assert len(expand_grid({"fault_scope": ["process", "cluster"]})) == 2


def test_estimate_is_points_protocols_runs_and_expected_rows():
    scs = [BASE, BASE.replace(horizon=40.0)]
    rows = BASE.expected_rows
    assert cost.estimate_events(scs, 10, 3) == pytest.approx((rows + 2 * rows) * 10 * 3)


def test_a_study_over_max_events_is_refused_naming_the_override():
    grid = {"n_low": [1, 2]}
    events = cost.estimate_events([BASE.replace(n_low=1), BASE.replace(n_low=2)], 4, 2)
    need = math.ceil(events)
    with pytest.raises(ValueError, match=re.escape(f"about {events:.3g} trace events (2 points "
                                                   f"x 2 protocols x 4 runs") +
                       f".* pass max_events={need} "):
        sweep(BASE, grid, 4, 1, protocols=["mdcd", "mdcd-paper"], engine="reference",
              progress=False, max_events=100)
    df = sweep(BASE, grid, 4, 1, protocols=["mdcd", "mdcd-paper"], engine="reference",
               progress=False, max_events=need)
    assert len(df) == 2 * 2 * 4


def test_the_stopping_rule_counts_its_max_runs():
    with pytest.raises(ValueError, match="x 500 runs"):
        sweep(BASE, {"n_low": [1]}, 50, 1, engine="reference", progress=False,
              target_rel_halfwidth=0.1, max_runs=500, max_events=1000)


def test_a_result_table_beyond_half_the_memory_is_refused(monkeypatch):
    monkeypatch.setattr(cost, "_physical_memory", lambda: 2 * 100 * cost.RESULT_ROW_BYTES)
    with pytest.raises(ValueError, match="result table would hold 101 rows.*split it"):
        sweep(BASE, {"n_low": [1]}, 101, 1, engine="reference", progress=False)


def test_the_cli_refuses_a_costly_run_in_one_line_and_writes_nothing(tmp_path, capsys):
    spec = write_file(tmp_path, "[scenario]\nhorizon = 1000.0\n[run]\nruns = 100000000\n")
    out = tmp_path / "r.csv"
    code, stdout, err = run_cli(["run", spec, "--out", out], capsys)
    assert code == 2 and stdout == "" and not out.exists() and err.count("\n") == 1
    assert err.startswith(f"mdcd-lab: error: {spec}: the run would play about 1e+12 trace "
                          f"events (1 point x 1 protocol x 100,000,000 runs")
    assert "--max-events 1001000000000" in err
    code, _, err = run_cli(["run", spec, "--out", out, "--runs", "3", "--max-events", "10"],
                           capsys)
    assert code == 2 and "more than max_events=10" in err


def _random_grid(rng):
    """A grid of 1 to 3 numeric fields over the ranges the estimate reads (n_low and
    n_act from 1, so that the "only with a partner" rates are switched off too)."""
    import numpy as np
    fields = {"n_low": lambda k: rng.choice(np.arange(1, 6), k, replace=False).tolist(),
              "n_act": lambda k: rng.choice(np.arange(1, 6), k, replace=False).tolist(),
              "horizon": lambda k: sorted(set(rng.uniform(1, 20, k).round(3).tolist())),
              "mission": lambda k: [0.0, *sorted(set(rng.uniform(20, 500, k - 1).round(3)
                                                     .tolist()))],
              "fault_rate": lambda k: sorted(set(rng.uniform(0, 0.2, k).round(5).tolist())),
              "rate_low_low": lambda k: sorted(set(rng.uniform(0, 3, k).round(4).tolist())),
              "rate_act_act": lambda k: sorted(set(rng.uniform(0, 3, k).round(4).tolist())),
              "rate_ext_low": lambda k: sorted(set(rng.uniform(0.1, 3, k).round(4)
                                                   .tolist()))}
    keys = rng.choice(list(fields), rng.integers(1, 4), replace=False)
    return {str(k): fields[str(k)](int(rng.integers(2, 5))) for k in keys}


def test_grid_expected_rows_equal_each_points_scenario_on_random_grids():
    """The estimate on whole columns (before a grid is built) equals, bit for bit, each
    point's ``Scenario.expected_rows``, in expand_grid's order, on 40 grids drawn at
    random (seed 23) over n_low, n_act 1..5, horizon 1..20, mission 0 or 20..500 and
    rates."""
    import numpy as np

    from mdcd_lab.studies.grid import validate_points
    rng = np.random.default_rng(np.random.SeedSequence(23))
    for _ in range(40):
        grid = _random_grid(rng)
        want = [sc.expected_rows for sc in validate_points(BASE, expand_grid(grid))]
        got = cost.grid_expected_rows(BASE, {k: list(v) for k, v in grid.items()})
        assert got.tolist() == want, grid
    assert cost.grid_expected_rows(BASE, {}).tolist() == [BASE.expected_rows]


def test_a_costly_grid_is_refused_before_a_point_is_built(monkeypatch):
    """A 10^6-point study over max_events took 5 minutes and 1 GB to refuse (every point's
    Scenario was built first); now no point is built."""
    from mdcd_lab.studies import plan as plan_mod

    def built(*_a, **_k):
        raise AssertionError("a point was built before the cost was checked")

    monkeypatch.setattr(plan_mod, "validate_points", built)
    monkeypatch.setattr(plan_mod, "expand_grid", built)
    grid = {"at_coverage": [0.5 + i * 1e-4 for i in range(1000)],
            "latency": [0.01 * i for i in range(1000)]}
    with pytest.raises(ValueError, match=r"the study would play about .* trace events "
                                         r"\(1,000,000 points x 1 protocol x 100,000 runs"):
        sweep(BASE, grid, 100_000, 1, protocols=["mdcd"], engine="reference", progress=False)
