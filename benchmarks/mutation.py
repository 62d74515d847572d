"""Mutation testing of the reference rules and the oracle: the per-module table of docs/testing.md.

``make mutation`` (or ``python benchmarks/mutation.py levels confidence ...``) runs
mutmut 3 (configuration: ``[tool.mutmut]`` in pyproject.toml) on each module of
``mdcd_lab/reference/`` named on the command line, one module at a time, and
prints one row per module: mutants, killed, equivalent, survived, the kill rate
of the non-equivalent mutants, and the wall and CPU time of the module's run.

mutmut copies the package to ``mutants/``, records once which fast-tier tests
execute each function, and runs each mutant against those tests only.  A mutant
is *equivalent* when it behaves like the original on every input; the ones
found so far are listed, with the reason, in ``EQUIVALENT`` below and in
docs/testing.md.  ``--survivors`` prints the diff of every surviving mutant.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = "mdcd_lab/reference"
MODULES = ("levels", "confidence", "low", "act", "sdw", "recovery", "oracle")

#: Reasons shared by several equivalent mutants (below).
_SEND_ORDINALS = ("`p.n_sent += 2`: send ordinals are only compared with each other "
                  "(`send_ord >= n_sent` of a checkpoint, the oracle's cut), never counted; "
                  "any increasing numbering gives the same comparisons")
_TWIN_ORDINALS = ("`p.n_twins += 2`: twin ordinals are only compared with each other "
                  "(`twin_ord >= n_twins` of a checkpoint or cut), never counted; any "
                  "increasing numbering gives the same comparisons")
_LOG_DEFAULT = ("a trailing `-1` of a `send` or `failure` row dropped: `Run.log`'s default "
                "for it is `-1`: the same row")
_ACT_V_EXT = ("`v_ext` of a G_act process's own validation `None`, left out, `+1` or `-2` "
              "for `-1`: `memory_reclamation` and `coordinated.validate` read `v_ext` for "
              "shadows only")
_DEFERRED_DRAW = ("a placeholder draw (`0.0`) of a deferred twin row `1.0`: a twin row "
                  "carries its number, and `_play_row` then calls `sdw.make_twin`, which "
                  "reads none of the row's draws")
_NO_CKPT_UNREACHABLE = ("`if (p.ckpt_array) or True`, or `+1` or `-2` for the `-1` of the `else`: "
                        "msg_logging runs only right after checkpointing or with "
                        "dirty_bit == 1, and dirty_bit == 1 iff ckpt_array is non-empty "
                        "(confidence family), so the `else -1` branch is unreachable")
_OUTPUT_ORDINALS = ("`if v_ext > 0` or `>= 1` for `if v_ext >= 0`: output ordinals `e` "
                    "start at 1 (`ext_mSN_G_low` is incremented before use, and a shadow's "
                    "twin output takes its original's `e`; tests/test_event_log.py checks "
                    "`e >= 1` on every `log_ext` row), so with `v_ext == 0` the filter "
                    "`w.e > v_ext` keeps every entry, as skipping it does")
_LOW_SEND_ORDINALS = ("a G_low send's ordinal `None`, or `p.n_sent = 1`, `-= 1`, `+= 2` "
                      "for `+= 1`: a G_low process never rolls back (atomic recovery "
                      "restores G_act and G_sdw processes, executed recovery stops G_low, "
                      "D20), so no cut or "
                      "undo ever compares its send ordinals (`m.src in cut`, "
                      "`m.src == q.idx` of a recovered process)")
_AFTER_FAILURE = ("the cluster output of an undetected erroneous G_low output recorded as "
                  "`None` or as not delivered: `end_failed` ends the run, and every reader "
                  "of `cluster_outputs` (the recovery, the window's quiet check and its "
                  "oracle) runs only while the run has not ended")

#: Mutants that behave like the original on every input, with the reason
#: (docs/testing.md, "Equivalent mutants").  Keys are mutmut's mutant names.
EQUIVALENT: dict[str, str] = {
    "mdcd_lab.reference.levels.xǁScalarLevelsǁjoin__mutmut_3":
        "`a if a > b else b` for `a if a >= b else b`: when a == b both return the same value",
    "mdcd_lab.reference.levels.xǁScalarLevelsǁexcess__mutmut_4":
        "`a - b if a >= b else 0` for `... if a > b ...`: when a == b both return 0",
    "mdcd_lab.reference.levels.xǁScalarLevelsǁpiggyback_bytes__mutmut_1":
        "default `numbered=True`: the scalar piggyback (one counter) does not read `numbered`",
    "mdcd_lab.reference.levels.xǁVectorLevelsǁjoin__mutmut_4":
        "`x if x > y else y` for `x if x >= y else y`: when x == y both give the same component",
    "mdcd_lab.reference.levels.xǁVectorLevelsǁexcess__mutmut_10":
        "`if x >= y` for `if x > y` in the sum of `x - y`: the added terms are 0",
    "mdcd_lab.reference.act.x_act_send__mutmut_11": _SEND_ORDINALS,
    "mdcd_lab.reference.act.x_act_send__mutmut_74": _LOG_DEFAULT,
    "mdcd_lab.reference.act.x_act_output__mutmut_13": _LOG_DEFAULT,
    "mdcd_lab.reference.act.x_act_output__mutmut_54": _LOG_DEFAULT,
    "mdcd_lab.reference.act.x_act_output__mutmut_80": _ACT_V_EXT,
    "mdcd_lab.reference.act.x_act_output__mutmut_84": _ACT_V_EXT,
    "mdcd_lab.reference.act.x_act_output__mutmut_85": _ACT_V_EXT,
    "mdcd_lab.reference.act.x_act_output__mutmut_86": _ACT_V_EXT,
    "mdcd_lab.reference.act.x__to_device__mutmut_4":
        "`device_act.get(None, 0)` for `.get((p.idx, p.n_out), 0)`: `n_out` only grows and "
        "`_to_device` writes ordinal `n_out` before incrementing it, `act_output_copy` only "
        "ordinals below it, so the key is never present: both read 0",
    "mdcd_lab.reference.sdw.x__release_ahead__mutmut_5": _DEFERRED_DRAW,
    "mdcd_lab.reference.sdw.x__release_ahead__mutmut_6": _DEFERRED_DRAW,
    "mdcd_lab.reference.sdw.x__release_ahead__mutmut_7": _DEFERRED_DRAW,
    "mdcd_lab.reference.sdw.x__release_ahead__mutmut_8": _DEFERRED_DRAW,
    "mdcd_lab.reference.sdw.x_sdw_send__mutmut_18": _SEND_ORDINALS,
    "mdcd_lab.reference.sdw.x_sdw_send__mutmut_37": _LOG_DEFAULT,
    "mdcd_lab.reference.sdw.x_sdw_twin_output__mutmut_15": _TWIN_ORDINALS,
    "mdcd_lab.reference.sdw.x_sdw_twin_send__mutmut_17": _TWIN_ORDINALS,
    "mdcd_lab.reference.confidence.x_msg_logging__mutmut_3": _NO_CKPT_UNREACHABLE,
    "mdcd_lab.reference.confidence.x_msg_logging__mutmut_6": _NO_CKPT_UNREACHABLE,
    "mdcd_lab.reference.confidence.x_msg_logging__mutmut_7": _NO_CKPT_UNREACHABLE,
    "mdcd_lab.reference.confidence.x_memory_reclamation__mutmut_49": _OUTPUT_ORDINALS,
    "mdcd_lab.reference.confidence.x_memory_reclamation__mutmut_50": _OUTPUT_ORDINALS,
    "mdcd_lab.reference.low.x_low_send__mutmut_33": _LOW_SEND_ORDINALS,
    "mdcd_lab.reference.low.x_low_send__mutmut_49": _LOW_SEND_ORDINALS,
    "mdcd_lab.reference.low.x_low_send__mutmut_50": _LOW_SEND_ORDINALS,
    "mdcd_lab.reference.low.x_low_send__mutmut_51": _LOW_SEND_ORDINALS,
    "mdcd_lab.reference.low.x_low_output__mutmut_33": _AFTER_FAILURE,
    "mdcd_lab.reference.low.x_low_output__mutmut_34": _AFTER_FAILURE,
    "mdcd_lab.reference.oracle.x_record_verdicts__mutmut_29":
        "one of the three `-1` (peer, level, index) of the violation row dropped: the "
        "others move up and the last takes its default, `-1`: the same row",
    "mdcd_lab.reference.oracle.x_record_verdicts__mutmut_30":
        "one of the three `-1` (peer, level, index) of the violation row dropped: the "
        "others move up and the last takes its default, `-1`: the same row",
    "mdcd_lab.reference.oracle.x_record_verdicts__mutmut_31":
        "one of the three `-1` (peer, level, index) of the violation row dropped: the "
        "others move up and the last takes its default, `-1`: the same row",
    "mdcd_lab.reference.recovery.x_rollback__mutmut_3":
        "`... or p.dirty_bit != 1 and not p.ckpt_array` for `... or p.dirty_bit != 1 or not "
        "p.ckpt_array`: a G_act or G_sdw process has dirty_bit == 1 iff its ckpt_array is "
        "non-empty (confidence.checkpointing appends before dirty_bit = 1, "
        "memory_reclamation sets dirty_bit = 1 if ckpt_array else 0), so both skip the same "
        "processes",
    "mdcd_lab.reference.recovery.x_rollback__mutmut_4":
        "`p.role not in (ACT, SDW) and p.dirty_bit != 1 or not p.ckpt_array`: a G_act or "
        "G_sdw process is skipped iff its ckpt_array is empty, i.e. iff dirty_bit != 1 (the "
        "invariant above); any other process never checkpoints (only checkpointing appends, "
        "for G_act and G_sdw), so its empty ckpt_array skips it in both",
    "mdcd_lab.reference.recovery.x_recovery_round__mutmut_18":
        "`p.ext_ivr = None` for `= ext_star`: the round runs only under atomic recovery, "
        "which ends the run right after; nothing reads a shadow's ext_ivr after it "
        "(validated_levels takes ext_star itself under coordinated_recovery)",
    "mdcd_lab.reference.recovery.x_validated_levels__mutmut_10":
        "`ext_ivr = max(q.ext_ivr ...)` also under coordinated_recovery: the recovery round "
        "ran just before (error_recovery) and set every shadow's ext_ivr to ext_star, and "
        "there is always a shadow (sdw0), so the max is ext_star",
    "mdcd_lab.reference.recovery.x_validated_levels__mutmut_13":
        "`default=None` in the max over the shadows: never empty (sdw0 is a shadow in "
        "every run, state.Run: n_low >= 1)",
    "mdcd_lab.reference.recovery.x_validated_levels__mutmut_15":
        "no `default` in the max over the shadows: never empty (sdw0)",
    "mdcd_lab.reference.recovery.x_validated_levels__mutmut_16":
        "`default=1` in the max over the shadows: never empty (sdw0)",
    "mdcd_lab.reference.recovery.x_restore_point__mutmut_1":
        "`p.dirty_bit != 1 and not p.ckpt_array`: dirty_bit == 1 iff ckpt_array is non-empty "
        "(as for x_rollback__mutmut_3; executed.recover empties both together), so both "
        "return None for the same processes",
}

#: mutmut's exit codes (``mutmut.stats.status_by_exit_code``): tests failed; the
#: mutant ran out of its CPU limit (SIGXCPU: it never finishes the tests, a hang the
#: suite cannot miss), counted as killed and listed apart; tests passed.
KILLED = {1, 3}
TIMEOUT = {24, -24, 36, 152, 255}
DETECTED = KILLED | TIMEOUT
SURVIVED = {0}
INTERRUPTED = {-2, -9, -15}


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def tally(module: str) -> dict:
    """The row of ``mdcd_lab/reference/<module>.py`` from the results mutmut recorded
    (``mutants/<path>.meta``); mutants not checked yet (an interrupted run) are
    counted apart, never as killed or survived."""
    path = f"{REFERENCE}/{module}.py"
    meta_path = ROOT / "mutants" / f"{path}.meta"
    if not meta_path.is_file():
        raise SystemExit(f"no mutmut results for {path} (run it first: mutmut run)")
    codes = json.loads(meta_path.read_text())["exit_code_by_key"]
    # a worker stopped by a signal (an interrupted run: -9, -15) has no verdict yet
    checked = {k: c for k, c in codes.items() if c is not None and c not in INTERRUPTED}
    killed = sorted(k for k, c in checked.items() if c in DETECTED)
    equivalent = sorted(k for k, c in checked.items() if c not in DETECTED and k in EQUIVALENT)
    survived = sorted(k for k, c in checked.items()
                      if c not in DETECTED and k not in EQUIVALENT)
    real = len(checked) - len(equivalent)
    return dict(module=f"reference/{module}.py", mutants=len(codes), checked=len(checked),
                killed=len(killed), equivalent=len(equivalent), survived=len(survived),
                kill_rate=len(killed) / real if real else float("nan"),
                wall_s=float("nan"), cpu_s=float("nan"), survivors=survived,
                timeouts=sorted(k for k, c in checked.items() if c in TIMEOUT),
                other={k: c for k, c in checked.items() if c not in DETECTED | SURVIVED})


def unchecked(module: str, survivors: bool = False) -> list[str]:
    """The mutants of ``module`` without a verdict in ``mutants/`` (never run, or stopped),
    and with ``survivors`` the surviving ones too (to check them against new tests)."""
    meta_path = ROOT / "mutants" / f"{REFERENCE}/{module}.py.meta"
    if not meta_path.is_file():
        return []
    codes = json.loads(meta_path.read_text())["exit_code_by_key"]
    return sorted(k for k, c in codes.items() if c is None or c in INTERRUPTED
                  or (survivors and c not in DETECTED and k not in EQUIVALENT))


def run_module(module: str, verbose: bool, max_children: int | None = None,
               resume: bool = False, survivors: bool = False) -> dict:
    """Run mutmut on ``mdcd_lab/reference/<module>.py``; return its row of the table.

    mutmut checks every mutant the pattern names again; the results of a run that was
    stopped stay in ``mutants/`` for :func:`tally` (``--report``).  With ``resume``
    only the mutants without a verdict yet are run (``unchecked``; with ``survivors``
    the surviving ones too), by name.
    """
    path = f"{REFERENCE}/{module}.py"
    if not (ROOT / path).is_file():
        raise SystemExit(f"no module {path}")
    # the fast tier's sizes (helpers.examples); one numba thread (mutmut forks per mutant)
    env = dict(os.environ, NUMBA_NUM_THREADS="1", MDCD_TEST_TIER="fast")
    t0, c0 = time.perf_counter(), _cpu()
    names = [f"mdcd_lab.reference.{module}.*"]
    if resume and (ROOT / "mutants" / f"{path}.meta").is_file():
        names = unchecked(module, survivors)
        if not names:
            return dict(tally(module), wall_s=0.0, cpu_s=0.0)
    cmd = [_bin("mutmut"), "run", *names]
    if max_children is not None:
        cmd[2:2] = ["--max-children", str(max_children)]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=not verbose, text=True)
    wall, cpu = time.perf_counter() - t0, _cpu() - c0
    if proc.returncode != 0:
        raise SystemExit(f"mutmut failed on {path}:\n{proc.stdout}\n{proc.stderr}")
    return dict(tally(module), wall_s=wall, cpu_s=cpu)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("modules", nargs="*", default=list(MODULES),
                    help=f"modules of {REFERENCE} (default: {' '.join(MODULES)})")
    ap.add_argument("--survivors", action="store_true", help="print each survivor's diff")
    ap.add_argument("--verbose", action="store_true", help="show mutmut's own output")
    ap.add_argument("--max-children", type=int, default=None,
                    help="mutants run side by side (mutmut's default: the number of cores)")
    ap.add_argument("--resume", action="store_true",
                    help="run only the mutants without a verdict in mutants/ (a stopped run)")
    ap.add_argument("--recheck-survivors", action="store_true",
                    help="with --resume: the surviving mutants too (after new tests)")
    ap.add_argument("--report", action="store_true",
                    help="only print the table from the results recorded in mutants/ (no run)")
    args = ap.parse_args(argv)
    if args.report:
        rows = [tally(m) for m in args.modules]
    else:
        rows = [run_module(m, args.verbose, args.max_children, args.resume,
                           args.recheck_survivors) for m in args.modules]
    print("| module | mutants | checked | killed | equivalent | survived "
          "| killed of non-equivalent checked | wall | CPU |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| `{r['module']}` | {r['mutants']} | {r['checked']} | {r['killed']} "
              f"| {r['equivalent']} | {r['survived']} | {100 * r['kill_rate']:.1f}% "
              f"| {r['wall_s']:.0f} s | {r['cpu_s']:.0f} s |")
    for r in rows:
        if r["timeouts"]:
            print(f"\n{r['module']}: killed by a timeout (counted as killed): "
                  f"{' '.join(r['timeouts'])}")
        if r["other"]:
            print(f"\n{r['module']}: not killed for another reason (timeout, no tests...): "
                  f"{r['other']}")
        if r["survivors"]:
            print(f"\n{r['module']}: survivors: {' '.join(r['survivors'])}")
            if args.survivors:
                for name in r["survivors"]:
                    subprocess.run([_bin("mutmut"), "show", name], cwd=ROOT)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
