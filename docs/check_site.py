"""Checks of the built docs site, run by ``make docs`` after ``mkdocs build``.

- no page shows a raw Sphinx role (``:func:`to_csv```, ``:class:``, ``:data:``,
  ``:mod:``, ``:meth:``, ``:attr:``): the docstrings write mkdocstrings
  cross-references (``[`to_csv`][mdcd_lab.io.to_csv]``) or plain code;
- every image of every page is a file of the site;
- the gallery shows every PNG of the committed figure set (``data/figures/``);
- no page names a guide as ``docs/NAME.md`` without linking it.

Usage: ``python docs/check_site.py [SITE_DIR]``; prints one line per problem and
exits 1 if there is any.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
ROLES = ("func", "class", "data", "mod", "meth", "attr")
#: a role as Markdown renders it (``:func:<code>x</code>``) or as left in text
RAW_ROLE = re.compile(rf":({'|'.join(ROLES)}):(?:<code>|`)")
IMG_SRC = re.compile(r"<img\b[^>]*?\bsrc=\"([^\"]+)\"", re.S)
#: text that is neither a link, preformatted code nor a tag, and a guide's name in it
_SKIP = re.compile(r"<a\b.*?</a>|<pre\b.*?</pre>|<[^>]*>", re.S)
GUIDE_NAME = re.compile(r"(?<![\w/.-])docs/[\w-]+\.md\b")


def raw_roles(html: str) -> list[str]:
    """The raw roles a page shows, each with a little of its context."""
    return [html[max(0, m.start() - 30): m.end() + 30].replace("\n", " ")
            for m in RAW_ROLE.finditer(html)]


def image_sources(html: str) -> list[str]:
    """The ``src`` of every ``<img>`` of a page (inline ``data:`` images included)."""
    return IMG_SRC.findall(html)


def missing_images(html: str, page: Path, site: Path) -> list[str]:
    """The images of ``page`` (a file of ``site``) that are not files of the site."""
    missing = []
    for src in image_sources(html):
        parts = urlsplit(src)
        if parts.scheme == "data":
            continue
        if parts.scheme or parts.netloc:
            missing.append(f"{src} (not a file of the site)")
            continue
        target = (page.parent / unquote(parts.path)).resolve()
        if not target.is_file() or site.resolve() not in target.parents:
            missing.append(src)
    return missing


def unlinked_guide_names(html: str) -> list[str]:
    """``docs/NAME.md`` mentions outside links and code blocks."""
    text = _SKIP.sub(" ", html)
    return GUIDE_NAME.findall(text)


def check(site: Path, figures: Path = ROOT / "data" / "figures") -> list[str]:
    """Every problem of the built site ``site``, one line each."""
    problems = []
    pages = sorted(site.rglob("*.html"))
    if not pages:
        return [f"{site}: no HTML page (build the site first: make docs)"]
    for page in pages:
        html = page.read_text(encoding="utf-8")
        rel = page.relative_to(site)
        problems += [f"{rel}: raw role ...{r}..." for r in raw_roles(html)]
        problems += [f"{rel}: image not found: {s}" for s in missing_images(html, page, site)]
        problems += [f"{rel}: {n} is not a link" for n in unlinked_guide_names(html)]
    gallery = site / "gallery" / "index.html"
    if not gallery.is_file():
        problems.append("gallery/index.html: no gallery page")
    else:
        shown = {Path(urlsplit(s).path).name for s in image_sources(gallery.read_text("utf-8"))}
        for png in sorted(figures.glob("*.png")):
            if png.name not in shown:
                problems.append(f"gallery/index.html: figure {png.name} not shown")
    return problems


def main(argv: list[str]) -> int:
    site = Path(argv[1]) if len(argv) > 1 else ROOT / "site"
    problems = check(site)
    for line in problems:
        print(f"check_site: {line}", file=sys.stderr)
    n_pages = len(list(site.rglob("*.html")))
    print(f"check_site: {n_pages} pages, {len(problems)} problems", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
