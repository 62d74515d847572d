"""The example notebooks run top to bottom on a fresh kernel with their defaults.

Each notebook has a cell tagged ``parameters`` (papermill's convention), is
stored without outputs, and must finish within two minutes.  Every cell that
draws is tagged ``figure`` (checked against the cells' code), and once executed
each of them must show a picture: an ``image/png`` output, as in Jupyter,
JupyterLab and nbconvert.
"""

import ast
import base64
import json
from pathlib import Path

import nbformat
import pytest
from helpers import HANG_GUARD_S
from nbclient import NotebookClient

ROOT = Path(__file__).parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


PLOT_CALLS = ("show", "display")


def _draws(source: str) -> bool:
    """Whether a cell's top-level code calls a plot function (``plot_*``, ``show``,
    ``display``); calls inside a function definition do not count."""
    tree = ast.parse(source)
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)):
            continue
        for node in ast.walk(stmt):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(
                    f, ast.Attribute) else ""
                if name.startswith("plot_") or name in PLOT_CALLS:
                    return True
    return False


def _tagged(cell, tag: str) -> bool:
    return tag in cell.get("metadata", {}).get("tags", [])


def test_there_are_four_notebooks():
    assert [p.stem[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_without_outputs_and_parameterised(path):
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_plotting_cells_are_tagged_figure(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [_tagged(c, "figure") for c in code] == [_draws(c.source) for c in code]


def test_the_protocol_in_pictures_has_pictures():
    nb = nbformat.read(ROOT / "notebooks" / "02_protocol_in_pictures.ipynb", as_version=4)
    assert sum(_tagged(c, "figure") for c in nb.cells) >= 6


def test_plot_call_detection():
    assert _draws("plot_sweep(df, 'x', 'y')") and _draws("for p in ps:\n    display(f(p))")
    assert _draws("show([('send', 1.0, 'low0', 'act0')], title='S1')")
    assert not _draws("def show(rows):\n    return plot_spacetime(rows)")
    assert not _draws("summarize(df)") and not _draws("from x import plot_sweep")


def _pngs(cell) -> list[bytes]:
    return [base64.b64decode(o["data"]["image/png"]) for o in cell.get("outputs", [])
            if o.get("output_type") in ("display_data", "execute_result")
            and "image/png" in o.get("data", {})]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
@pytest.mark.slow
def test_notebook_runs_with_defaults(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:   # keep outputs out of the repository
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            cell.source += f'\nout_dir = r"{tmp_path}"'
    # the per-cell timeout is a hang guard, not a speed limit (no test asserts a time)
    NotebookClient(nb, timeout=HANG_GUARD_S, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and _tagged(cell, "figure"):
            pngs = _pngs(cell)
            assert pngs, f"{path.name} cell {i} draws but shows no image/png: " + str(
                [o.get("data", {}).get("text/plain", o.get("output_type"))
                 for o in cell.get("outputs", [])])
            assert all(p[:8] == b"\x89PNG\r\n\x1a\n" and len(p) > 2000 for p in pngs)
