"""The duration study's figure, explorer and command line (docs/performability.md)."""

import pytest

import mdcd_lab as m
from mdcd_lab import cli
from mdcd_lab.io import load_results, read_provenance
from mdcd_lab.performability import duration
from mdcd_lab.plots.duration import plot_duration
from mdcd_lab.widgets.duration import duration_explorer

SMALL = m.Scenario(n_low=1, n_act=2, rate_low_low=0.0, rate_sdw_sdw=0.0, fault_rate=0.01,
                   at_coverage=0.9)


@pytest.fixture(scope="module")
def study():
    return m.duration_study(SMALL, [10.0, 40.0, 100.0], 100.0, 150, 3,
                            protocols=("mdcd", "coordinated"), n_boot=100)


def test_plot_duration(study):
    fig = plot_duration(study.table, study.optimum)
    assert len(fig.axes) == 2
    assert fig.axes[0].get_ylabel() == "mean worth E[W]"
    # the figure shows the set of phi not below the best, not only a point
    texts = [t.get_text() for t in fig.legends[0].get_texts()] if fig.legends else \
        [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert "phi not below the best (MCB set)" in texts
    assert "smooth optimum and its interval" in texts
    in_set = study.table[study.table["in_best_set"]]
    drawn = {round(x, 9) for line in fig.axes[0].get_lines() if line.get_marker() == "o"
             and line.get_linestyle() == "None" for x in line.get_xdata()}
    assert {round(x, 9) for x in in_set["phi"]} <= drawn
    with pytest.raises(ValueError, match="lacks the column"):
        plot_duration(study.table.drop(columns=["Y"]))


def test_explorer_sliders_replot_without_simulating(study, monkeypatch):
    ex = duration_explorer(study)
    assert ex.n_draws == 1 and ex.output.outputs[0]["data"]["image/png"]
    # every cost slider shows its unit beside it (issue 24: "at", "logged", "delta" had none)
    rows = ex.widget.children[1].children[0].children
    units = {row.children[0].description: row.children[1].value for row in rows}
    assert units["at"] == "<small>time units per acceptance test</small>"
    assert units["logged"] == "<small>time units per logged message</small>"
    assert units["delta"] == "<small>service rate after recovery (0 to 1)</small>"
    assert set(units) == set(ex.sliders)

    def no_simulation(*args, **kwargs):
        raise AssertionError("the explorer must not simulate")

    monkeypatch.setattr(duration, "simulate", no_simulation)
    monkeypatch.setattr(m.api, "simulate", no_simulation)
    before = ex.study.table["worth_mean"].copy()
    ex.sliders["shadow_rate"].value = 0.25
    assert ex.study.costs.shadow_rate == 0.25 and ex.n_draws == 2
    guarded = (ex.study.table["phi"] > 0).to_numpy()
    assert (ex.study.table["worth_mean"][guarded] < before[guarded]).all()
    assert (ex.study.table["worth_mean"][~guarded] == before[~guarded]).all()
    assert ex.study.runs is study.runs
    ex.sliders["delta"].value = 0.0
    assert ex.study.costs.delta == 0.0 and ex.n_draws == 3
    assert "best phi" in ex.optimum.value and "not below the best" in ex.optimum.value
    assert ex.last_error is None
    # fresh runs exist at the study's own optimum only: reported there, named elsewhere
    o = ex.study.optimum
    moved = o["phi_opt"] != o["fresh_phi"]
    assert o.loc[moved, "worth_fresh"].isna().all()
    assert o.loc[~moved, "worth_fresh"].notna().all()
    if moved.any():
        assert "runs at phi" in ex.optimum.value
    with pytest.raises(ValueError, match="DurationStudy"):
        duration_explorer(study.table)


def test_cli_duration(tmp_path, capsys):
    out = tmp_path / "d"
    code = cli.main(["duration", "--mission", "100", "--phis", "0,30,100", "--runs", "40",
                     "--protocols", "mdcd", "--cost", "shadow_rate=0.1", "--out", str(out),
                     "--quiet", "--refine", "--engine", "auto"])
    assert code == 0
    text = capsys.readouterr().out
    assert "best phi of the grid" in text and "not below the best" in text
    table = load_results(out / "duration.csv")
    fine = [p for p in table["phi"] if p not in (0.0, 30.0, 100.0)]
    assert {0.0, 30.0, 100.0} <= set(table["phi"]) and len(fine) == 8   # --refine
    assert read_provenance(out / "optimum.csv")["costs"]["shadow_rate"] == 0.1
    assert read_provenance(out / "optimum.csv")["refine"] is True
    assert read_provenance(out / "optimum.csv")["engine"] == "numba"    # auto, resolved
    assert len(load_results(out / "runs.parquet")) == 11 * 40
    fresh = load_results(out / "fresh.parquet")
    opt = load_results(out / "optimum.csv").iloc[0]
    assert len(fresh) == 40 and set(fresh["phi"]) == {opt["phi_opt"]}


@pytest.mark.parametrize("argv,needle", [
    (["--cost", "shadow=1"], "NAME=VALUE"),
    (["--cost", "delta=2"], "Costs.delta"),
    (["--phis", "0,x"], "comma-separated numbers"),
    (["--phis", "50,10", "--mission", "100"],
     "phis must be strictly increasing, got [50, 10]\n"),      # a clean value list
    (["--phis", "0.5,250", "--mission", "100"],
     "every phi must lie in [0, mission=100], got [0.5, 250]\n"),
    (["--mission", "-1"], "--mission must be > 0"),
    (["--protocols", "unguarded"], "guarded protocol"),
])
def test_cli_duration_rejects_bad_input_before_work(tmp_path, capsys, argv, needle):
    out = tmp_path / "d"
    assert cli.main(["duration", *argv, "--runs", "5", "--out", str(out), "--quiet"]) == 2
    assert needle in capsys.readouterr().err
    assert not out.exists()
