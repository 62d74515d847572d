"""A summary as a paper prints it: "mean [lo, hi]" per protocol and point, and as LaTeX
(mdcd_lab.stats.wide, ``mdcd-lab summarize --latex``; issue 24, item 11)."""

import pandas as pd
import pytest
from helpers import run_cli

import mdcd_lab as m
from mdcd_lab.stats import summary_latex, summary_table
from mdcd_lab.stats.wide import format_interval


def _summary():
    rows = []
    for h in (25.0, 50.0):
        for p, mean, lo, hi in (("mdcd", 69.3455, 67.6102, 71.0744),
                                ("mdcd-paper", 0.0075, 0.0035, 0.0123)):
            rows.append({"protocol": p, "horizon": h, "metric": "ckpt_total", "n": 100,
                         "mean": mean + h, "ci_low": lo + h, "ci_high": hi + h,
                         "method": "hall", "level": 0.95})
    return pd.DataFrame(rows)


def test_format_interval_gives_the_digits_the_interval_supports():
    assert format_interval(69.3455, 67.6102, 71.0744) == "69.3 [67.6, 71.1]"
    assert format_interval(0.0075, 0.0035, 0.0123) == "0.0075 [0.0035, 0.0123]"
    assert format_interval(69.3455, 67.6102, 71.0744, ci_digits=3) == "69.35 [67.61, 71.07]"
    assert format_interval(0.0, 0.0, 0.0) == "0 [0, 0]"
    assert format_interval(2.5, float("nan"), float("nan")) == "2.5 [-, -]"


def test_wide_table_one_column_per_protocol_one_row_per_point():
    t = summary_table(_summary())
    assert list(t.columns) == ["mdcd", "mdcd-paper"]
    assert list(t.index) == [(25.0, "ckpt_total"), (50.0, "ckpt_total")]
    assert t.loc[(25.0, "ckpt_total"), "mdcd"] == "94.3 [92.6, 96.1]"
    long = summary_table(_summary(), wide=False)
    assert len(long) == 4 and long["cell"].iloc[0] == "94.3 [92.6, 96.1]"
    with pytest.raises(ValueError, match="lacks the column"):
        summary_table(_summary().drop(columns="ci_low"))
    with pytest.raises(ValueError, match="several rows"):
        summary_table(pd.concat([_summary(), _summary()]))


def test_latex_table_is_escaped_with_booktabs_and_names_the_method():
    text = summary_latex(_summary(), caption="Checkpoints", label="tab:ckpt")
    first, *rest = text.splitlines()
    assert first == "% mean [lo, hi]: 95% confidence intervals (skew-corrected t)"
    body = "\n".join(rest)
    assert "\\toprule" in body and "\\bottomrule" in body and "\\label{tab:ckpt}" in body
    assert "ckpt\\_total" in body and "ckpt_total" not in body
    assert "25 & ckpt\\_total & 94.3 [92.6, 96.1] & 25.0075 [25.0035, 25.0123] \\\\" in body


def test_cli_summarize_latex(tmp_path, capsys):
    df = m.simulate(m.Scenario(horizon=20.0), 30, 1, protocol="mdcd")
    path = m.to_csv(df, tmp_path / "r.csv")
    code, out, _ = run_cli(["summarize", path, "--metrics", "ckpt_total,p_failed",
                            "--latex"], capsys)
    assert code == 0
    assert out.startswith("% mean [lo, hi]: 95% confidence intervals")
    s = m.summarize(df, by=["protocol"], metrics=["ckpt_total", "p_failed"])
    assert out == summary_latex(s)
