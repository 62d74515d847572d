"""Every way a command can go wrong ends in one line naming the file, and exit 2 (issue 23).

In-process: bad input refused before any work, leaving no output; failures of the
machine (a full disk, out of memory, a number too large) mapped by ``main`` to one
line.  The package face imports on first use, so that the command's handling covers
the imports of numpy, pandas and numba too.
"""

import errno
import importlib

import pytest
from helpers import run_cli, write_file

from mdcd_lab import cli

cli_main = importlib.import_module("mdcd_lab.cli.main")

SCENARIO = """
[scenario]
horizon = 20.0
fault_rate = 0.03

[run]
runs = 6
seed = 4
protocols = ["mdcd", "mdcd-paper"]
engine = "reference"
"""

NESTED = "a = " + "[" * 3000 + "]" * 3000 + "\n"

#: (file contents: str or bytes, command, needle): every one exit 2, one line, no output.
BAD_SPECS = [
    ("", "run", "the file is empty; a scenario file needs a [scenario] or a [run] table"),
    ("# only a comment\n", "run", "the file is empty"),
    ("", "sweep", "the file is empty"),
    ("[scenario]\nn_low = 2\n".encode("latin-1") + "# café\n".encode("latin-1"), "run",
     "not a UTF-8 text file (byte 26 is b'\\xe9')"),
    (b"\x00\x01\x02\xff\xfe", "run", "not a UTF-8 text file"),
    (NESTED, "run", "nested too deeply"),
    ("[scenario]\nhorizon = " + "9" * 400 + "\n", "run",
     "Scenario.horizon must be a number in (0, inf), got an integer of 400 digits"),
    ("[scenario]\nmsg_bytes = 2000000000000000000\n", "run",
     "Scenario.msg_bytes must be an integer in [0, 17179869184]"),
    ("[scenario]\nhorizon = 1e7\n", "run", "trace rows, more than 67,108,864"),
    ("[run]\nruns = 9223372036854775808\n", "run", "[run] runs must be < 2**63"),
]


@pytest.mark.parametrize("text,command,needle", BAD_SPECS)
def test_bad_spec_files_are_one_line_naming_the_file(tmp_path, capsys, monkeypatch, text,
                                                       command, needle):
    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "spec.toml"
    spec.write_bytes(text if isinstance(text, bytes) else text.encode())
    code, stdout, err = run_cli([command, spec, "--out", tmp_path / "r.csv"], capsys)
    assert code == 2, err
    assert err.startswith(f"mdcd-lab: error: {spec}: ") and err.count("\n") == 1, err
    assert needle in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spec.toml"] and stdout == ""


@pytest.mark.parametrize("exc,needle", [
    (MemoryError(), "spec.toml: out of memory"),
    (OverflowError("int too large to convert"), "spec.toml: int too large to convert"),
    (RecursionError("maximum recursion depth exceeded"), "spec.toml: the input is nested"),
    (OSError(errno.ENOSPC, "No space left on device"),
     "spec.toml: No space left on device [ENOSPC]"),
    (OSError(errno.EROFS, "Read-only file system", "/x/r.csv"),
     "/x/r.csv: Read-only file system [EROFS]"),
    (OSError(errno.EFBIG, "File too large", "/x/r.csv"), "/x/r.csv: File too large [EFBIG]"),
])
def test_failures_at_any_moment_are_one_line(tmp_path, capsys, monkeypatch, exc, needle):
    """What used to be a traceback with exit 1 (a full disk, out of memory ...)."""
    spec = write_file(tmp_path, SCENARIO)

    def boom(args):
        raise exc
    parser = cli.build_parser
    monkeypatch.setattr(cli_main, "build_parser", lambda: _with(parser(), "run", boom))
    code, stdout, err = run_cli(["run", spec], capsys)
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith("mdcd-lab: error: ") and needle in err, err


def _with(parser, command, func):
    sub = next(a for a in parser._actions if a.dest == "command")
    sub.choices[command].set_defaults(func=func)
    return parser


def test_ctrl_c_at_any_moment_is_one_line(tmp_path, capsys, monkeypatch):
    spec = write_file(tmp_path, SCENARIO)

    def interrupted(args):
        raise KeyboardInterrupt
    parser = cli.build_parser
    monkeypatch.setattr(cli_main, "build_parser", lambda: _with(parser(), "run", interrupted))
    code, stdout, err = run_cli(["run", spec], capsys)
    assert (code, err) == (130, "mdcd-lab: interrupted (run)\n")


def test_the_package_face_imports_on_first_use_and_reaches_its_subpackages():
    """``import mdcd_lab`` and ``import mdcd_lab.cli.main`` load no numerical library
    (so Ctrl-C while they load is the command's one line), and the lazy face still
    gives every public name and every subpackage (``mdcd_lab.plots``, ...)."""
    import subprocess
    import sys
    code = ("import sys, mdcd_lab, mdcd_lab.cli.main\n"
            "print(sorted(m for m in ('numpy', 'pandas', 'numba') if m in sys.modules))\n"
            "print(mdcd_lab.Scenario.__name__, mdcd_lab.protocols.__name__,\n"
            "      mdcd_lab.plots.__name__, callable(mdcd_lab.simulate))\n"
            "try:\n    mdcd_lab.no_such_name\nexcept AttributeError as e:\n    print(e)\n"
            "import mdcd_lab.cli.duration, mdcd_lab.performability.worth\n"
            "from mdcd_lab.performability import worth, duration_study\n"
            "print(callable(worth), type(worth).__name__, duration_study.__name__)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, check=True).stdout.splitlines()
    assert out == ["[]", "Scenario mdcd_lab.protocols mdcd_lab.plots True",
                   "module 'mdcd_lab' has no attribute 'no_such_name'",
                   "True function duration_study"]


def test_existing_outputs_are_not_overwritten_without_force(tmp_path, capsys):
    """Issue 23, item 6: ``run`` (its default file too) and ``trace --out`` overwrote
    existing files without asking; now one line, exit 2, the file untouched."""
    spec = write_file(tmp_path, SCENARIO)
    out = tmp_path / "r.csv"
    out.write_text("mine")
    code, _, err = run_cli(["run", spec, "--out", out, "--quiet"], capsys)
    assert code == 2 and out.read_text() == "mine"
    assert err == (f"mdcd-lab: error: --out {out}: exists; pass --force to overwrite it (or "
                   f"--resume to finish an interrupted run)\n")
    assert run_cli(["run", spec, "--out", out, "--quiet", "--force"], capsys)[0] == 0
    summary = tmp_path / "s.csv"
    summary.write_text("mine")
    code, _, err = run_cli(["summarize", out, "--out", summary], capsys)
    assert code == 2 and "exists; pass --force" in err and summary.read_text() == "mine"
    trace_dir = tmp_path / "t"
    trace_dir.mkdir()
    (trace_dir / "events.csv").write_text("mine")
    code, _, err = run_cli(["trace", spec, "--run", "0", "--out", trace_dir], capsys)
    assert code == 2 and f"--out {trace_dir / 'events.csv'}: exists" in err
    assert not (trace_dir / "trace.csv").exists()
    assert run_cli(["trace", spec, "--run", "0", "--out", trace_dir, "--force"], capsys)[0] == 0
