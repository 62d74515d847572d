"""The correction space (docs/protocol.md, section 6): the study of the 32
combinations of the corrections on common traces, its table, the Pareto frontier of
the sound ones and the figure ``correction_space``."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_variants import SMALL

from mdcd_lab.io import load_results
from mdcd_lab.plots.correction import plot_correction_space
from mdcd_lab.studies.correction_space import correction_study, correction_table, pareto_frontier

ROOT = Path(__file__).parent.parent


# --------------------------------------------------------------------------- table, frontier
def test_pareto_frontier():
    x = np.array([1.0, 2.0, 2.0, 3.0, 1.0, 4.0])
    y = np.array([5.0, 3.0, 4.0, 1.0, 5.0, 1.0])
    # (2, 4) is dominated by (2, 3); (4, 1) by (3, 1); equal points dominate neither
    assert pareto_frontier(x, y).tolist() == [True, True, False, True, True, False]
    assert pareto_frontier([], []).tolist() == []


def test_correction_table_from_a_study():
    df = correction_study(SMALL, 60, 3, engine="numba")
    assert len(df) == 32 * 60 and df["combination"].nunique() == 32
    assert df.attrs["engines"]["mdcd"] == "numba"
    # common traces: the runs of every combination have the same trace (t_fault)
    tf = df.pivot(index="run", columns="combination", values="t_fault")
    assert tf.nunique(axis=1, dropna=False).eq(1).all()
    t = correction_table(df)
    assert len(t) == 32 and (t["n"] == 60).all()
    row = t.set_index("combination").loc["RLCS"]
    mine = df[df["combination"] == "RLCS"]
    assert row["protocol"] == "mdcd" and row["bad_runs"] == 0
    assert row["ckpt_total_mean"] == pytest.approx(mine["ckpt_total"].mean())
    assert row["log_entries_peak_ci_low"] < row["log_entries_peak_mean"] < \
        row["log_entries_peak_ci_high"]
    paper = t.set_index("combination").loc[""]
    assert paper["bad_runs"] > 0 and not paper["sound"]
    assert (t["sound"] <= t["sound_in_scopes"]).all() and (t["pareto"] <= t["sound"]).all()
    assert (t.loc[t["sound"], "bad_runs"] == 0).all()
    sound = t[t["sound"]]
    mask = pareto_frontier(sound["ckpt_total_mean"], sound["log_entries_peak_mean"])
    assert t["pareto"].sum() == mask.sum() >= 1


def test_committed_figure_data_name_the_sound_combinations_and_the_frontier():
    """data/figures/correction_space.csv (reproduced byte for byte by test_figures.py):
    on 2000 common traces per scenario, CSE, RCS and RCSE (sound in the exhaustive scopes)
    lose messages, and the frontier's ends are mdcd and mdcd-every-level."""
    t = load_results(ROOT / "data" / "figures" / "correction_space.csv")
    assert t.groupby("scenario").size().tolist() == [32, 32]
    for _, part in t.groupby("scenario"):
        part = part.fillna({"combination": ""}).set_index("combination")
        assert set(part.index[part["sound"]]) == {"RLCS", "LCSE", "RLCSE"}
        assert (part.loc[["CSE", "RCS", "RCSE"], "bad_runs"] > 0).all()
        assert set(part.loc[part["pareto"], "protocol"]) == {"mdcd", "mdcd-every-level"}
        # mdcd: fewest checkpoints of the sound ones; mdcd-every-level: least log
        assert part.loc["RLCS", "ckpt_total_mean"] < part.loc["LCSE", "ckpt_total_mean"]
        assert part.loc["LCSE", "log_entries_peak_mean"] < \
            part.loc["RLCS", "log_entries_peak_mean"]


def test_plot_correction_space_marks_sound_unsound_and_frontier():
    df = correction_study(SMALL, 40, 3, engine="numba")
    t = pd.concat([correction_table(df).assign(panel="a"),
                   correction_table(df).assign(panel="b")], ignore_index=True)
    fig = plot_correction_space(t, panel="panel", titles=["A", "B"])
    gids = [a.get_gid() for ax in fig.axes for a in ax.get_children()]
    bands = len(fig.axes) // 2               # 2 with a broken y axis, else 1
    assert bands in (1, 2)
    # every point in every band of its panel (a band's y limits show what is in it)
    assert gids.count("sound") == int(t["sound"].sum()) * bands
    assert gids.count("unsound") == 2 * bands
    assert gids.count("frontier") == (2 * bands if t["pareto"].any() else 0)
    assert gids.count("axis_break") == (4 if bands == 2 else 0)
    labels = [tx.get_text() for ax in fig.axes for tx in ax.texts]
    assert any(lb.startswith("RLCS = mdcd") for lb in labels) == bool(
        t.loc[t["combination"] == "RLCS", "sound"].all())
    with pytest.raises(ValueError, match="lacks the column"):
        plot_correction_space(t.drop(columns="pareto"))
    with pytest.raises(ValueError, match="titles gives 1"):
        plot_correction_space(t, panel="panel", titles=["A"])
