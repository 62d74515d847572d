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
