"""Registered variant names and the 32 combinations of the corrections R L C S E
(docs/protocol.md, section 6): accepted wherever a protocol name is, bit-identical on
both engines, not part of the comparison set."""

import dataclasses

import pandas as pd
import pytest
from engines import engines_agree

import mdcd_lab as m
from mdcd_lab import cli
from mdcd_lab.io import load_results
from mdcd_lab.protocols import (
    CORRECTIONS,
    PROTOCOLS,
    SOUND_IN_SCOPES,
    VARIANTS,
    correction_combinations,
    get_rules,
)

#: small, with latency, shadow lag and compensation so that every switch matters
SMALL = m.Scenario(n_low=2, n_act=2, horizon=25.0, fault_rate=0.04, at_coverage=1.0,
                   latency=0.4, shadow_lag=0.4, compensation=0.5)


# --------------------------------------------------------------------------- combinations
def test_the_32_combinations_switch_exactly_their_letters():
    combos = correction_combinations()
    assert len(combos) == 32 and list(combos)[:2] == ["", "R"] and list(combos)[-1] == "RLCSE"
    paper = PROTOCOLS["mdcd-paper"]
    switch_sets = set()
    for letters, rules in combos.items():
        assert "".join(c for c in CORRECTIONS if c in letters) == letters   # R L C S E order
        for c, field in CORRECTIONS.items():
            assert getattr(rules, field) is (c in letters or getattr(paper, field)), \
                (letters, field)
        others = {f.name for f in dataclasses.fields(rules)} - {"name", *CORRECTIONS.values()}
        assert all(getattr(rules, f) == getattr(paper, f) for f in others), letters
        switch_sets.add(dataclasses.replace(rules, name="x"))
    assert len(switch_sets) == 32
    # the registered protocols are the combinations they are, under their own names
    assert combos[""] is PROTOCOLS["mdcd-paper"]
    assert combos["RLCS"] is PROTOCOLS["mdcd"]
    assert combos["LCSE"] is VARIANTS["mdcd-every-level"]
    named = {k for k, r in combos.items() if not r.name.startswith("paper+")}
    assert named == {"", "RLCS", "LCSE"}
    assert combos["CSE"].name == "paper+CSE"
    assert set(SOUND_IN_SCOPES) < set(combos)


# --------------------------------------------------------------------------- variant names
def test_variants_are_protocol_names_but_not_in_the_comparison_set():
    assert m.protocol_names() == tuple(PROTOCOLS)
    assert m.variant_names() == tuple(VARIANTS)
    assert not set(m.protocol_names()) & set(m.variant_names())
    assert "mdcd-every-level" in m.variant_names()
    for name in m.variant_names():
        assert get_rules(name) is VARIANTS[name]


def test_unknown_protocol_names_both_kinds():
    with pytest.raises(ValueError) as exc:
        get_rules("mdcd-v2")
    msg = str(exc.value)
    assert msg.startswith("unknown protocol 'mdcd-v2'")
    assert all(repr(p) in msg for p in (*PROTOCOLS, *VARIANTS))
    with pytest.raises(ValueError, match="unknown protocol"):
        m.simulate(SMALL, 2, 1, protocol="every-level")


@pytest.mark.parametrize("name", tuple(VARIANTS))
def test_variant_by_name_is_bit_identical_on_both_engines(name):
    fast = engines_agree(SMALL, name, runs=4, seed=11)
    assert list(fast["protocol"].cat.categories) == [name]
    by_rules = m.simulate(SMALL, 4, 11, protocol=VARIANTS[name], engine="numba")
    pd.testing.assert_frame_equal(fast, by_rules, check_exact=True)
    assert m.api.resolve_engine("auto", [name]) == "numba"


@pytest.mark.parametrize("sc", [SMALL, SMALL.replace(n_act=3, fault_scope="process",
                                                     channel="non-fifo", at_coverage=0.8)])
def test_every_combination_is_bit_identical_on_both_engines(sc):
    trace = m.generate_traces(sc, 8, 5)
    for rules in correction_combinations().values():
        engines_agree(sc, rules, trace=trace)


def test_sweep_and_specs_accept_variant_names(tmp_path):
    df = m.sweep(SMALL, {"latency": [0.0, 0.4]}, 3, 7,
                 protocols=["mdcd", "mdcd-every-level"], engine="numba", progress=False)
    assert list(df["protocol"].cat.categories) == ["mdcd", "mdcd-every-level"]
    assert len(df) == 2 * 2 * 3
    from mdcd_lab.cli.specs import load_spec
    p = tmp_path / "s.toml"
    p.write_text('[scenario]\nhorizon = 10.0\n\n[run]\nruns = 2\nseed = 1\n'
                 'protocols = ["mdcd", "paper-index-before"]\n')
    assert load_spec(p).protocols == ("mdcd", "paper-index-before")


SPEC = """
[scenario]
n_act = 2
horizon = 20.0
fault_rate = 0.03
at_coverage = 1.0

[run]
runs = 3
seed = 4
protocols = ["mdcd"]
engine = "numba"
"""


def test_cli_runs_a_variant_and_rejects_an_unknown_name_in_one_line(tmp_path, capsys):
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC)
    out = tmp_path / "r.csv"
    code = cli.main(["run", str(spec), "--out", str(out), "--quiet",
                     "--protocol", "mdcd,mdcd-every-level"])
    err = capsys.readouterr().err
    assert code == 0, err
    df = load_results(out)
    assert list(df["protocol"].cat.categories) == ["mdcd", "mdcd-every-level"]
    assert df.groupby("protocol", observed=True).size().tolist() == [3, 3]
    bad = tmp_path / "bad.csv"
    for argv in (["run", str(spec), "--out", str(bad), "--protocol", "mdcd-every-lvl"],
                 ["trace", str(spec), "--run", "0", "--out", str(tmp_path / "tr"), "--protocol",
                  "mdcd-every-lvl"],
                 ["explore", "--scope", "ci", "--protocols", "mdcd,mdcd-every-lvl",
                  "--quiet"]):
        code = cli.main(argv)
        cap = capsys.readouterr()
        assert code == 2, argv
        assert cap.err.startswith("mdcd-lab: error: ") and cap.err.count("\n") == 1, cap.err
        assert "unknown protocol 'mdcd-every-lvl'" in cap.err and "'mdcd-every-level'" in cap.err
        assert cap.out == ""
    assert not bad.exists() and not (tmp_path / "tr").exists()
    code = cli.main(["trace", str(spec), "--run", "0", "--out", str(tmp_path / "tr"), "--protocol",
                     "mdcd-every-level"])
    assert code == 0 and (tmp_path / "tr" / "events.csv").exists()
