"""The docs site's own tools (docs/check_site.py, docs/hooks.py) on tiny inputs, and what
the guides promise about the code (docs/cli.md lists every command; no docstring keeps
a Sphinx role).  The built site itself is checked by ``make docs`` (check_site) and
opened in Chromium by tests_browser/test_docs_site.py."""

from __future__ import annotations

import argparse
import ast
import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).parent.parent


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"docs_{name}", ROOT / "docs" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check_site = _load("check_site")
hooks = _load("hooks")


def test_raw_roles_found_as_markdown_renders_them():
    html = "<p>Write it with :func:<code>to_csv</code> and :data:`FIELDS`.</p>"
    found = check_site.raw_roles(html)
    assert len(found) == 2
    assert ":func:<code>" in found[0] and ":data:`" in found[1]
    for role in ("class", "mod", "meth", "attr"):
        assert check_site.raw_roles(f"<li>:{role}:<code>x</code></li>")


def test_links_and_words_are_not_raw_roles():
    html = ('<p><a class="autorefs autorefs-internal" href="#mdcd_lab.io.to_csv">'
            "<code>to_csv</code></a>, the roles <code>:func:</code> and <code>:mod:</code>; "
            "ratio 1:2, time 10:30.</p>")
    assert check_site.raw_roles(html) == []


def test_unlinked_guide_names():
    assert check_site.unlinked_guide_names(
        "<p>See docs/protocol.md, and <code>docs/cli.md</code>.</p>") == [
            "docs/protocol.md", "docs/cli.md"]
    assert check_site.unlinked_guide_names(
        '<p><a href="../protocol/">docs/protocol.md</a>, '
        '<a href="../cli/"><code>docs/cli.md</code></a></p>'
        "<pre><code>cat docs/protocol.md</code></pre>") == []


def test_missing_images_and_the_gallery(tmp_path):
    site, figures = tmp_path / "site", tmp_path / "figures"
    (site / "gallery").mkdir(parents=True)
    (site / "data").mkdir()
    figures.mkdir()
    (site / "data" / "a.png").write_bytes(b"png")
    for name in ("a.png", "b.png"):
        (figures / name).write_bytes(b"png")
    gallery = site / "gallery" / "index.html"
    gallery.write_text('<img alt="a" src="../data/a.png"><img alt="x" src="../data/x.png">'
                       '<img src="data:image/png;base64,AAAA">')
    assert check_site.missing_images(gallery.read_text(), gallery, site) == ["../data/x.png"]
    problems = check_site.check(site, figures)
    assert problems == ["gallery/index.html: image not found: ../data/x.png",
                        "gallery/index.html: figure b.png not shown"]
    gallery.write_text('<img alt="a" src="../data/a.png"><img src="../data/b.png">')
    (site / "data" / "b.png").write_bytes(b"png")
    assert check_site.check(site, figures) == []
    assert check_site.main(["check_site", str(tmp_path / "empty")]) == 1


def test_guide_names_become_links_outside_links_and_code_blocks():
    urls = {"protocol.md": "../protocol/", "cli.md": "../cli/"}
    html = ("<p>See docs/protocol.md and <code>docs/cli.md</code>; docs/nope.md stays.</p>"
            '<pre><code>cat docs/protocol.md</code></pre><a href="x">docs/cli.md</a>'
            '<span title="docs/cli.md">t</span>')
    out = hooks.link_guide_names(html, urls.get)
    assert out == ('<p>See <a href="../protocol/">docs/protocol.md</a> and '
                   '<a href="../cli/"><code>docs/cli.md</code></a>; docs/nope.md stays.</p>'
                   '<pre><code>cat docs/protocol.md</code></pre><a href="x">docs/cli.md</a>'
                   '<span title="docs/cli.md">t</span>')
    assert check_site.unlinked_guide_names(out) == ["docs/nope.md"]


def test_gallery_from_the_captions():
    figures_md = ("# The figure set\n\nIntro naming `x`.\n\n## Captions\n\n"
                  "### `beta`\nThe second figure. More words.\n\n"
                  "### `alpha`\nThe first `alpha` figure, see [the protocol](protocol.md).\n"
                  "Second line.\n\n## After\n\nNot a caption.\n")
    assert hooks.captions(figures_md) == {
        "beta": "The second figure. More words.",
        "alpha": "The first `alpha` figure, see [the protocol](protocol.md).\nSecond line."}
    page = hooks.gallery_markdown(figures_md, ["alpha", "beta", "gamma"],
                                  {"alpha.png", "alpha.csv", "beta.png", "gamma.png"})
    headings = re.findall(r"^## `(\w+)`$", page, re.M)
    assert headings == ["beta", "alpha", "gamma"]   # caption order, then the uncaptioned
    assert "[![The second figure](data/figures/beta.png)](data/figures/beta.png)" in page
    assert ("[![The first alpha figure, see the protocol](data/figures/alpha.png)]"
            in page)
    assert "[CSV](data/figures/alpha.csv)" in page and "beta.csv" not in page
    assert "Not a caption" not in page


def test_cli_guide_lists_every_command():
    from mdcd_lab.cli import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    table = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `mdcd-lab ([\w-]+)", table, re.M))
    assert listed == set(sub.choices), (listed, set(sub.choices))


ROLE = re.compile(r":(func|class|data|mod|meth|attr|obj|exc):`")


def test_no_docstring_keeps_a_sphinx_role():
    """mkdocstrings shows a Sphinx role as literal text: docstrings and ``#:`` comments
    write ``[`name`][mdcd_lab.module.name]`` cross-references or plain code."""
    found = []
    for path in sorted((ROOT / "mdcd_lab").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        docs = [node.body[0].value.value for node in ast.walk(ast.parse(source))
                if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef,
                                     ast.AsyncFunctionDef))
                and node.body and isinstance(node.body[0], ast.Expr)
                and isinstance(node.body[0].value, ast.Constant)
                and isinstance(node.body[0].value.value, str)]
        docs += [line for line in source.splitlines() if line.lstrip().startswith("#:")]
        found += [f"{path.relative_to(ROOT)}: {m.group(0)}" for d in docs
                  for m in ROLE.finditer(d)]
    assert not found, found[:10]
