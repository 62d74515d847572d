"""fault_scope = "process": what a passed AT of one member says about another's messages.

Nothing.  The cluster's shared ``int_mSN_G_low`` orders all members' messages, and a
"passed AT" validates every level up to its own.  If only the member that
activated the fault is erroneous, another member's passed AT "validates" the
faulty member's earlier messages.  docs/protocol.md ("Findings") gives the rates.
"""

import mdcd_lab as m
from mdcd_lab.metrics import VIOLATIONS

SC = m.Scenario(n_low=2, n_act=2, at_coverage=1.0, fault_scope="process")
ROWS = [
    ("fault", 1.0, "low0"),          # only low0 becomes erroneous
    ("send", 2.0, "low0", "act0"),   # level 1, erroneous: act0 S1, dirty, erroneous
    ("output", 3.0, "low1"),         # low1 is correct: its AT passes, "passed AT" level 1
    ("output", 4.0, "act0"),         # act0 was declared clean: no AT, the error escapes
]


def test_member_at_validates_other_members_messages():
    trace = m.trace_from_rows(ROWS)
    for protocol in ("mdcd", "mdcd-paper"):
        res = m.replay(trace, SC, protocol).iloc[0]
        assert res["outcome"] == "failed" and res["t_end"] == 4.0
        assert res["unsafe_clean"] == 1
    # under the paper's cluster view the same trace is safe: low1 is erroneous too,
    # its AT fails, and the recovery rolls act0 back
    res = m.replay(trace, SC.replace(fault_scope="cluster"), "mdcd").iloc[0]
    assert res["outcome"] == "recovered" and res[list(VIOLATIONS)].sum() == 0


def test_process_scope_rates_are_measurable():
    sc = m.Scenario(n_low=2, n_act=3, at_coverage=1.0, fault_rate=0.01, horizon=100.0,
                    fault_scope="process")
    df = m.simulate(sc, 300, 2026)
    # the failure mode is real and not rare at these rates
    assert (df["outcome"] == "failed").sum() >= 1
    assert (df["unsafe_clean"] > 0).sum() >= 3
