"""Figure regression: every figure of the set, drawn from its committed CSV, against a
committed PNG baseline (docs/figures.md, "Regression test").

Each figure is drawn by :func:`mdcd_lab.figures.draw_figure` from
``data/figures/NAME.csv`` and its sidecar (nothing is simulated but the one run whose
trace ``spacetime`` shows), saved as a small PNG (:data:`DPI`) and compared with
``tests/figure_baselines/NAME.png`` by matplotlib's ``compare_images`` (RMS of the
pixel differences, :data:`TOL`).  A change of a colour, a marker, a legend, a label
or a layout fails; anti-aliasing noise does not.

When matplotlib (or FreeType) changes, or a figure is changed on purpose, refresh the
baselines and look at them before committing::

    make figure-baselines      # = python tests/test_figure_baselines.py --refresh

``versions.json`` beside the baselines records the matplotlib and FreeType that drew
them; a failure names both versions.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIGURE_DIR = ROOT / "data" / "figures"
BASELINE_DIR = Path(__file__).resolve().parent / "figure_baselines"
#: Resolution of the baselines: small files (a double-column figure is 430 px wide),
#: still enough to see a colour, a marker or a moved legend.
DPI = 60
#: Largest RMS difference (0-255 grey levels) accepted: above the noise of
#: anti-aliasing, far below what a changed colour gives (``test_a_changed_colour_fails``).
TOL = 2.0


def _versions() -> dict[str, str]:
    import matplotlib
    from matplotlib import ft2font
    return {"matplotlib": matplotlib.__version__, "freetype": ft2font.__freetype_version__}


def _draw(name: str, path: Path) -> Path:
    from mdcd_lab.figures import draw_figure
    from mdcd_lab.figures.paper import save_figure
    save_figure(draw_figure(name, FIGURE_DIR), [path], ["png"], dpi=DPI)
    return path


def _names() -> list[str]:
    from mdcd_lab.figures import FIGURES
    return [f.name for f in FIGURES]


def refresh() -> None:
    """Redraw every baseline from the committed CSVs (``make figure-baselines``)."""
    BASELINE_DIR.mkdir(exist_ok=True)
    for name in _names():
        _draw(name, BASELINE_DIR / f"{name}.png")
        print(f"wrote {BASELINE_DIR / name}.png")
    (BASELINE_DIR / "versions.json").write_text(json.dumps(_versions(), indent=1) + "\n")


def _compare(name: str, actual: Path) -> str | None:
    from matplotlib.testing.compare import compare_images
    return compare_images(str(BASELINE_DIR / f"{name}.png"), str(actual), tol=TOL)


@pytest.mark.slow
@pytest.mark.parametrize("name", _names())
def test_figure_matches_its_baseline(name, tmp_path):
    actual = _draw(name, tmp_path / f"{name}.png")
    diff = _compare(name, actual)
    if diff is not None:
        recorded = json.loads((BASELINE_DIR / "versions.json").read_text())
        pytest.fail(f"{name} differs from tests/figure_baselines/{name}.png: {diff}\n"
                    f"baselines drawn with {recorded}, this run with {_versions()}; if the "
                    f"change is wanted (or matplotlib changed), `make figure-baselines`, "
                    f"look at the new PNGs and commit them")


def test_every_figure_has_a_baseline():
    assert sorted(p.stem for p in BASELINE_DIR.glob("*.png")) == sorted(_names())


@pytest.mark.slow
def test_a_changed_colour_fails(tmp_path, monkeypatch):
    """The comparison sees a visual change: mdcd drawn in another colour (every line,
    band and bar of it) is refused at :data:`TOL`; drawn as committed it passes."""
    from mdcd_lab.plots import style
    monkeypatch.setitem(style.PROTOCOL_STYLES, "mdcd",
                        {**style.PROTOCOL_STYLES["mdcd"], "color": style.OKABE_ITO["black"]})
    for name in ("cost_by_protocol", "outcomes_vs_coverage"):
        diff = _compare(name, _draw(name, tmp_path / f"{name}.png"))
        assert diff is not None and "RMS" in diff, name
    monkeypatch.undo()
    assert _compare("cost_by_protocol", _draw("cost_by_protocol",
                                              tmp_path / "same.png")) is None


if __name__ == "__main__":
    if sys.argv[1:] != ["--refresh"]:
        sys.exit("usage: python tests/test_figure_baselines.py --refresh")
    refresh()
