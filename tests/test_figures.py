"""The paper figure set: files, reproducible CSVs, and the CLI's checks."""

import dataclasses

import pytest

from mdcd_lab import cli
from mdcd_lab.figures import FIGURES, make_figures
from mdcd_lab.io import load_results, read_provenance

SMALL = ["cost_by_protocol", "outcomes_vs_coverage", "spacetime"]


@pytest.mark.slow
def test_figures_write_pdf_png_csv_and_csvs_are_byte_identical(tmp_path):
    a = make_figures(tmp_path / "a", runs=40, only=SMALL)
    b = make_figures(tmp_path / "b", runs=40, only=SMALL)
    assert set(a) == set(SMALL)
    for name in SMALL:
        suffixes = sorted(p.suffix for p in a[name])
        assert suffixes == [".csv", ".pdf", ".png"]
        for p in a[name]:
            assert p.stat().st_size > 1000
        csv_a = [p for p in a[name] if p.suffix == ".csv"][0]
        csv_b = [p for p in b[name] if p.suffix == ".csv"][0]
        assert csv_a.read_bytes() == csv_b.read_bytes()
        assert read_provenance(csv_a)["figure"] == name
    cost = load_results(tmp_path / "a" / "cost_by_protocol.csv")
    viol = cost[cost["metric"] == "p_violation"].set_index("protocol")["mean"]
    assert viol["mdcd"] == 0 and viol["every-receive"] == 0 and viol["static"] == 0
    assert viol["coordinated"] == 0
    assert set(cost["protocol"]) == {"mdcd", "mdcd-paper", "every-receive", "static",
                                     "coordinated"}


def test_every_figure_has_a_unique_name_and_caption():
    names = [f.name for f in FIGURES]
    assert len(names) == len(set(names)) >= 8
    assert all(f.caption for f in FIGURES)


@pytest.mark.parametrize("argv,needle", [
    (["figures", "--only", "nope"], "unknown figure 'nope'"),
    (["figures", "--runs", "0"], "--runs must be >= 1"),
    (["figures", "--engine", "gpu"], "--engine must be one of"),
])
def test_cli_rejects_bad_arguments_before_work(tmp_path, capsys, argv, needle):
    out = tmp_path / "figs"
    assert cli.main([*argv, "--out", str(out)]) == 2
    assert needle in capsys.readouterr().err
    assert not out.exists()


def test_make_figures_shows_one_bar_over_the_figures(tmp_path, capsys, monkeypatch):
    """Issue 24: "figure k of N" on one bar, and no inner bar (each study gets progress=False)."""
    from mdcd_lab.figures import paper
    make_one = paper._make_one
    built = []
    monkeypatch.setattr(paper, "_make_one",
                        lambda spec, out, runs, engine, formats, seed, base:
                        built.append(spec.name) or [])
    make_figures(tmp_path, runs=5, only=SMALL, progress=True)
    err = capsys.readouterr().err
    assert built == [f.name for f in FIGURES if f.name in SMALL]
    for k, name in enumerate(built, 1):
        assert f"figure {k} of 3: {name}" in err
    assert err.count("\n") == 1          # one bar (redrawn with \r), closed once
    seen = []

    def build(runs, engine, progress, seed, base):
        seen.append(progress)
        raise LookupError("stop before simulating")
    import dataclasses
    with pytest.raises(LookupError):
        make_one(dataclasses.replace(FIGURES[0], build=build), tmp_path, 5, "auto", ("png",))
    assert seen == [False]


def test_make_figures_validates(tmp_path):
    with pytest.raises(ValueError, match="unknown figure"):
        make_figures(tmp_path, only=["x"])
    with pytest.raises(ValueError, match="runs must be"):
        make_figures(tmp_path, runs=0)


@pytest.mark.parametrize("name", ["cost_by_protocol", "outcomes_vs_horizon", "correction_space",
                                  "per_member"])
@pytest.mark.slow
def test_committed_figure_csvs_are_reproduced(tmp_path, name):
    # data/figures/ was made with `mdcd-lab figures --out data/figures --runs 2000`;
    # the code on main must give the same bytes
    from pathlib import Path
    committed = Path(__file__).parent.parent / "data" / "figures" / f"{name}.csv"
    written = make_figures(tmp_path, runs=2000, only=[name])
    csv = [p for p in written[name] if p.suffix == ".csv"][0]
    assert csv.read_bytes() == committed.read_bytes()


@pytest.mark.slow
def test_demo_summary_states_the_figure_scenario(tmp_path):
    """The demo prints figure numbers under the figure's own scenario, not the demo's."""
    from mdcd_lab.figures import BASE, scope_summary_lines
    make_figures(tmp_path, runs=8, only=["violations_by_scope"], formats=("png",))
    lines = scope_summary_lines(tmp_path, BASE)
    assert "fault_rate=0.01" in lines[0] and "at_coverage=1" in lines[0]
    assert "fault_scope" not in lines[0] and "latency" not in lines[0]   # swept / equal
    assert [ln.split(":")[0].strip() for ln in lines[1:]] == [
        "P(oracle violation), fault_scope=cluster", "P(oracle violation), fault_scope=process"]
    assert all("mdcd-paper" in ln for ln in lines[1:])
    make_figures(tmp_path, runs=8, only=["per_member"], formats=("png",))
    lines = scope_summary_lines(tmp_path, BASE, "per_member")
    assert lines[0].startswith("figure per_member (8 runs per point)")
    assert "fault_rate=0.01" in lines[0] and "fault_scope" not in lines[0]
    assert all("mdcd-vector 0.000" in ln for ln in lines[1:])


def test_an_interrupted_figure_set_keeps_whole_files_and_resumes_the_missing_ones(
        tmp_path, capsys, monkeypatch):
    """Issue 23, item 5: files go through a temporary file and a rename, Ctrl-C says
    what is complete, and ``--resume`` makes only the missing figures."""
    from helpers import run_cli

    from mdcd_lab.figures import paper
    out = tmp_path / "f"
    two = ["cost_by_protocol", "spacetime"]
    real = paper.FIGURES

    def interrupted(*a, **k):
        raise KeyboardInterrupt
    monkeypatch.setattr(paper, "FIGURES", tuple(
        dataclasses.replace(f, build=interrupted) if f.name == "spacetime" else f
        for f in real))
    code, _, err = run_cli(["figures", "--only", ",".join(two), "--runs", "20", "--out", out,
                            "--quiet"], capsys)
    assert code == 130
    assert err == (f"mdcd-lab: interrupted; 1 of 2 figures are complete in {out}; run the "
                   f"same command with --resume to make the missing ones\n")
    assert paper.figure_complete(out, "cost_by_protocol", 20, "auto")
    assert not paper.figure_complete(out, "spacetime", 20, "auto")
    assert not paper.figure_complete(out, "cost_by_protocol", 21, "auto")   # other runs
    assert not list(out.glob(".*.tmp")) and not (out / "spacetime.png").exists()
    kept = {p.name: p.stat().st_mtime_ns for p in out.glob("cost_by_protocol.*")}
    monkeypatch.setattr(paper, "FIGURES", real)
    (out / ".spacetime.png.dead.tmp").write_bytes(b"left by a killed process")
    code, stdout, _ = run_cli(["figures", "--only", ",".join(two), "--runs", "20", "--out",
                               out, "--quiet", "--resume"], capsys)
    assert code == 0 and stdout.startswith(f"kept 1 figures already complete in {out} "
                                           f"(--resume): cost_by_protocol\n")
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("cost_by_protocol.*")} == kept
    assert paper.figure_complete(out, "spacetime", 20, "auto")
    assert not list(out.glob(".*.tmp")) and not (out / ".lock").exists()


def test_round_floats_keeps_the_digits_and_leaves_the_rest():
    import numpy as np
    import pandas as pd

    from mdcd_lab.figures.studies import DIGITS, round_floats
    df = pd.DataFrame({"x": [1.2345678912345, 0.1 + 0.2, np.nan, -np.inf, 1e-300],
                       "n": [1, 2, 3, 4, 123456789], "s": list("abcde"),
                       "b": [True, False, True, False, True]})
    r = round_floats(df)
    assert DIGITS == 6
    assert r["x"].iloc[0] == 1.23457 and r["x"].iloc[1] == 0.3
    assert np.isnan(r["x"].iloc[2]) and r["x"].iloc[3] == -np.inf and r["x"].iloc[4] == 1e-300
    pd.testing.assert_frame_equal(r[["n", "s", "b"]], df[["n", "s", "b"]])
    # one more bit of noise in the 15th digit (another machine's libm) writes the same CSV
    noisy = df.assign(x=df["x"] * (1 + 2e-16))
    assert round_floats(noisy).to_csv() == r.to_csv()
    assert round_floats(df, 12)["x"].iloc[0] == 1.23456789123


def test_make_figures_draws_each_figure_from_its_csv(tmp_path):
    """The image make_figures writes is the one draw_figure draws from the CSV and sidecar
    alone (byte for byte on one machine): what the regression test redraws."""
    from mdcd_lab.figures import draw_figure
    from mdcd_lab.figures.paper import save_figure
    from mdcd_lab.figures.studies import round_floats
    written = make_figures(tmp_path, runs=12, only=["cost_by_protocol", "spacetime"],
                           formats=("png", "pdf"))
    for name in ("cost_by_protocol", "spacetime"):
        for fmt in ("png", "pdf"):
            again = tmp_path / f"again.{fmt}"
            save_figure(draw_figure(name, tmp_path), [again], [fmt])
            assert again.read_bytes() == (tmp_path / f"{name}.{fmt}").read_bytes(), (name, fmt)
        csv = [p for p in written[name] if p.suffix == ".csv"][0]
        table = load_results(csv)
        digits = read_provenance(csv)["csv_digits"]
        assert digits == (12 if name == "spacetime" else 6)
        import pandas as pd
        pd.testing.assert_frame_equal(round_floats(table, digits), table)
    with pytest.raises(ValueError, match="unknown figure"):
        draw_figure("nope", tmp_path)


def test_make_figures_redoes_a_figure_with_another_base_and_seed(tmp_path):
    """Issue 24, item 11: one line redoes a paper figure with other parameters; the
    figure's own changes of BASE stay unless base changes the same field."""
    from mdcd_lab.figures import BASE
    make_figures(tmp_path / "a", runs=10, only=["outcomes_vs_coverage"], formats=("png",))
    make_figures(tmp_path / "b", runs=10, only=["outcomes_vs_coverage"], formats=("png",),
                 base=BASE.replace(n_low=3, latency=0.2), seed=7)
    meta_a = read_provenance(tmp_path / "a" / "outcomes_vs_coverage.csv")
    meta_b = read_provenance(tmp_path / "b" / "outcomes_vs_coverage.csv")
    assert meta_a["seed"] == 2026 and meta_b["seed"] == 7
    assert meta_b["base_overrides"] == {"n_low": 3, "latency": 0.2}
    assert {sc["n_low"] for sc in meta_a["scenarios"]} == {2}
    assert {(sc["n_low"], sc["latency"], sc["fault_rate"]) for sc in meta_b["scenarios"]} == \
        {(3, 0.2, 0.02)}        # fault_rate: the figure's own change of BASE
    assert sorted(sc["at_coverage"] for sc in meta_b["scenarios"]) == \
        [0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0]      # the swept field: the figure's grid
    a = load_results(tmp_path / "a" / "outcomes_vs_coverage.csv")
    b = load_results(tmp_path / "b" / "outcomes_vs_coverage.csv")
    assert not a["mean"].equals(b["mean"])
    # resume keeps a figure only if it was made with the same base
    from mdcd_lab.figures.paper import figure_complete
    assert figure_complete(tmp_path / "b", "outcomes_vs_coverage", 10, "auto", ("png",), 7,
                           BASE.replace(n_low=3, latency=0.2))
    assert not figure_complete(tmp_path / "b", "outcomes_vs_coverage", 10, "auto", ("png",),
                               7, BASE)
    with pytest.raises(ValueError, match="base must be a Scenario"):
        make_figures(tmp_path, base={"n_low": 3})
    with pytest.raises(ValueError, match="seed must be"):
        make_figures(tmp_path, seed=-1)


def test_figure_legends_name_the_methods_of_their_csv():
    """sensitivity_latency_lag's legend named "Student t for means" while its CSV said
    otherwise: drawn from the CSV, the legend names the CSV's own methods."""
    from pathlib import Path

    from mdcd_lab.figures import draw_figure
    from mdcd_lab.plots.sweeps import method_names
    folder = Path(__file__).parent.parent / "data" / "figures"
    data = load_results(folder / "sensitivity_latency_lag.csv")
    fig = draw_figure("sensitivity_latency_lag", folder)
    (legend,) = [a.get_legend() for a in fig.axes if a.get_legend() is not None]
    text = legend.get_texts()[-1].get_text()
    p = data["metric"].str.startswith("p_")
    assert text == (f"95% CI ({method_names(data['method'][p])} for probabilities, "
                    f"{method_names(data['method'][~p])} for means)")


def test_correction_space_legend_shows_every_sound_marker():
    from pathlib import Path

    from mdcd_lab.figures import draw_figure
    from mdcd_lab.plots.style import protocol_style
    folder = Path(__file__).parent.parent / "data" / "figures"
    data = load_results(folder / "correction_space.csv")
    fig = draw_figure("correction_space", folder)
    (legend,) = fig.legends
    markers = {(h.get_marker(), h.get_color()) for h in legend.legend_handles}
    for proto in set(data.loc[data["sound"], "protocol"].astype(str)):
        st = protocol_style(proto)
        assert (st["marker"], st["color"]) in markers, proto
