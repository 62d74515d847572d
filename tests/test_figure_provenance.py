"""Every figure's sidecar states exactly the scenarios its figure simulated; PDFs embed
TrueType fonts; docs/figures.md captions name every parameter that differs from Scenario().

The scenarios are captured at the engines' entry points (the numba batch engine and the
reference engine's run player), not read from what the figure code declares.
"""

import re
from pathlib import Path

import matplotlib as mpl
import pytest
from pypdf import PdfReader

import mdcd_lab.api
import mdcd_lab.fast
from mdcd_lab.figures import FIGURES, make_figures
from mdcd_lab.io import read_provenance
from mdcd_lab.plots.style import LabFigure, new_figure
from mdcd_lab.scenario import Scenario

ROOT = Path(__file__).parent.parent
RUNS = 6


def _key(sc):
    d = sc.to_dict() if isinstance(sc, Scenario) else Scenario.from_dict(sc).to_dict()
    return tuple(sorted(d.items()))


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """Each figure made on its own (no study shared), with the engines' inputs captured."""
    out = tmp_path_factory.mktemp("figs")
    captured: dict[str, set] = {}
    current: list[str] = []
    mp = pytest.MonkeyPatch()
    real_numba = mdcd_lab.fast.simulate_numba
    real_play = mdcd_lab.api.play_run

    def numba_spy(scenario, *args, **kwargs):
        captured[current[0]].add(_key(scenario))
        return real_numba(scenario, *args, **kwargs)

    def play_spy(arrays, scenario, *args, **kwargs):
        captured[current[0]].add(_key(scenario))
        return real_play(arrays, scenario, *args, **kwargs)

    mp.setattr(mdcd_lab.fast, "simulate_numba", numba_spy)
    mp.setattr(mdcd_lab.api, "play_run", play_spy)
    try:
        for spec in FIGURES:
            current[:] = [spec.name]
            captured[spec.name] = set()
            make_figures(out, runs=RUNS, only=[spec.name], formats=("pdf", "png"))
    finally:
        mp.undo()
    return out, captured


@pytest.mark.parametrize("name", [f.name for f in FIGURES])
@pytest.mark.slow
def test_sidecar_scenarios_equal_what_the_engines_got(made, name):
    out, captured = made
    meta = read_provenance(out / f"{name}.csv")
    assert captured[name], f"{name}: no engine call was captured"
    assert {_key(s) for s in meta["scenarios"]} == captured[name]
    for study in meta["studies"]:           # each study's grid spans its scenarios
        base = Scenario.from_dict(study["base"])
        grid = study["grid"]
        expected = {_key(base)} if not grid else {
            _key(base.replace(**{k: v})) for k, vals in grid.items() for v in vals}
        assert {_key(s) for s in study["scenarios"]} == expected
    # differs_from_default lists exactly the non-default values of those scenarios
    default = Scenario().to_dict()
    diff = {k: sorted(map(str, v)) for k, v in meta["differs_from_default"].items()}
    want: dict[str, set] = {}
    for s in meta["scenarios"]:
        for k, v in s.items():
            if default[k] != v:
                want.setdefault(k, set()).add(str(v))
    assert diff == {k: sorted(v) for k, v in want.items()}


def _font_subtypes(pdf: Path) -> set[str]:
    kinds = set()
    for page in PdfReader(pdf).pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for ref in fonts.get_object().values():
            font = ref.get_object()
            kinds.add(str(font["/Subtype"]))
            for desc in font.get("/DescendantFonts", []):
                kinds.add(str(desc.get_object()["/Subtype"]))
    return kinds


@pytest.mark.parametrize("name", [f.name for f in FIGURES])
@pytest.mark.slow
def test_pdfs_embed_truetype_not_type3(made, name):
    out, _ = made
    kinds = _font_subtypes(out / f"{name}.pdf")
    assert kinds, "no font found"
    assert "/Type3" not in kinds
    assert kinds <= {"/TrueType", "/Type0", "/CIDFontType2"}


def test_the_font_check_detects_type3(tmp_path):
    """The check above can fail: matplotlib's default PDF font type is 3."""
    fig = LabFigure()
    fig.subplots().set_title("type three")
    with mpl.rc_context({"pdf.fonttype": 3}):
        # a plain Figure.savefig, bypassing LabFigure's TrueType settings
        mpl.figure.Figure.savefig(fig, tmp_path / "t3.pdf")
    assert "/Type3" in _font_subtypes(tmp_path / "t3.pdf")


def test_lab_figures_save_truetype_whatever_the_callers_rcparams(tmp_path):
    fig, ax = new_figure()
    ax.set_xlabel("x")
    with mpl.rc_context({"pdf.fonttype": 3}):
        fig.savefig(tmp_path / "a.pdf")
    assert "/Type3" not in _font_subtypes(tmp_path / "a.pdf")


def _png_size(path) -> tuple[int, int]:
    png = path.read_bytes()          # IHDR: width and height, big-endian, bytes 16-24
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def test_lab_figures_save_pngs_at_300_dpi_by_default(tmp_path):
    """Issue 24 item 4: a saved PNG has 300 pixels per inch (matplotlib's default: 100)."""
    fig, ax = new_figure("single")
    ax.plot([0, 1], [0, 1])
    w_in, h_in = fig.get_size_inches()
    with mpl.rc_context({"savefig.dpi": 72}):     # the caller's setting does not win
        fig.savefig(tmp_path / "a.png")
    assert _png_size(tmp_path / "a.png") == (round(w_in * 300), round(h_in * 300)) \
        == (1050, 651)
    fig.savefig(tmp_path / "b.png", dpi=120)      # an explicit dpi does
    assert _png_size(tmp_path / "b.png") == (round(w_in * 120), round(h_in * 120))


def _caption_sections(text: str) -> dict[str, str]:
    parts = re.split(r"^### `([a-z_]+)`", text, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


@pytest.mark.parametrize("name", [f.name for f in FIGURES])
@pytest.mark.slow
def test_docs_caption_names_every_parameter_that_differs_from_default(made, name):
    out, _ = made
    sections = _caption_sections((ROOT / "docs" / "figures.md").read_text())
    assert name in sections, f"docs/figures.md has no caption '### `{name}`'"
    caption = sections[name]
    meta = read_provenance(out / f"{name}.csv")
    for field, values in meta["differs_from_default"].items():
        assert f"`{field}`" in caption, f"{name}: caption does not name {field}"
        if len(values) == 1:   # a fixed value is stated; swept values are listed
            assert f"{values[0]:g}" in caption if not isinstance(values[0], str) else \
                values[0] in caption, f"{name}: caption lacks {field} = {values[0]}"
