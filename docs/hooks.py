"""mkdocs hooks of the docs site (mkdocs.yml, ``hooks:``); not a page (``exclude_docs``).

- The committed figure set (``data/figures/``: PNG, PDF, CSV and sidecars) is published
  under the same path, and the gallery page (``gallery.md``) is generated from its PNGs
  and the captions of ``docs/figures.md``: a figure redrawn or added there shows in the
  next build without editing any page.
- The tutorial is notebook ``notebooks/02_protocol_in_pictures.ipynb``, executed at
  build time by mkdocs-jupyter (at the same path on the site).
- Wherever a page names a guide as ``docs/NAME.md`` (the docstrings of the API pages
  do: they are read in the source and in ``help()`` too), the name becomes a link to
  that guide.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

try:
    from mkdocs.plugins import event_priority
except ImportError:   # tests/test_docs_site.py imports the pure functions without mkdocs
    def event_priority(priority):
        return lambda f: f

ROOT = Path(__file__).resolve().parent.parent
FIGURES_DIR = ROOT / "data" / "figures"
FIGURE_SUFFIXES = (".png", ".pdf", ".csv", ".csv.meta.json")
TUTORIAL = ROOT / "notebooks" / "02_protocol_in_pictures.ipynb"
GALLERY = "gallery.md"

#: a caption of docs/figures.md: "### `name`" and the text up to the next heading
CAPTION = re.compile(r"^### `([\w-]+)`\n(.*?)(?=^#{1,3} |\Z)", re.M | re.S)


def captions(figures_md: str) -> dict[str, str]:
    """The captions of docs/figures.md's "Captions" section, by figure name, in order."""
    part = figures_md.split("\n## Captions\n", 1)[-1]
    return {name: text.strip() for name, text in CAPTION.findall(part)}


def alt_text(caption: str) -> str:
    """The caption's first sentence as plain text (an image's alt text)."""
    plain = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", caption)
    plain = " ".join(plain.replace("`", "").replace("*", "").split())
    first = re.split(r"(?<=[a-z0-9)])\.\s", plain, maxsplit=1)[0]
    return first.replace("[", "(").replace("]", ")")


def gallery_markdown(figures_md: str, pngs: list[str], others: set[str]) -> str:
    """The gallery page: every PNG of data/figures with its caption, in the caption order
    of docs/figures.md, then any figure without a caption.  ``others`` names the other
    files of data/figures (PDF, CSV, sidecars), linked when present."""
    caps = captions(figures_md)
    order = [n for n in caps if n in pngs] + sorted(n for n in pngs if n not in caps)
    out = ["# Figure gallery", "",
           "Every figure of the committed set (`data/figures/`, made by `make figures`: "
           "2000 runs per point, seed 2026) with its caption from "
           "[the figure set](figures.md), which also says how the set is made and what "
           "each sidecar records.  Click a figure for the full-size PNG.", ""]
    for name in order:
        cap = caps.get(name, "(no caption in docs/figures.md)")
        png = f"data/figures/{name}.png"
        links = [f"[PNG]({png})"]
        for suffix, label in ((".pdf", "PDF"), (".csv", "CSV"),
                              (".csv.meta.json", "provenance")):
            if name + suffix in others:
                links.append(f"[{label}](data/figures/{name}{suffix})")
        out += [f"## `{name}`", "", f"[![{alt_text(cap)}]({png})]({png})", "", cap, "",
                "Files: " + " · ".join(links), ""]
    return "\n".join(out)


@event_priority(100)   # before mkdocs-jupyter's on_files, which must see the tutorial
def on_files(files, config):
    from mkdocs.structure.files import File
    names = sorted(p.name for p in FIGURES_DIR.iterdir()
                   if p.is_file() and p.name.endswith(FIGURE_SUFFIXES))
    for name in names:
        files.append(File.generated(config, f"data/figures/{name}",
                                    abs_src_path=str(FIGURES_DIR / name)))
    pngs = [n[: -len(".png")] for n in names if n.endswith(".png")]
    figures_md = (Path(config.docs_dir) / "figures.md").read_text(encoding="utf-8")
    files.append(File.generated(config, GALLERY,
                                content=gallery_markdown(figures_md, pngs, set(names))))
    # a File of its own (not File.generated, whose content mkdocs-jupyter cannot read),
    # at the notebook's path in the repository: it runs in notebooks/, as in JupyterLab
    files.append(File(TUTORIAL.relative_to(ROOT).as_posix(), src_dir=str(ROOT),
                      dest_dir=config.site_dir, use_directory_urls=config.use_directory_urls))
    return files


#: what the guide-name links skip (links, preformatted code, tags) and what they link
_MENTION = re.compile(r"<a\b.*?</a>|<pre\b.*?</pre>|<code>docs/([\w-]+)\.md</code>"
                      r"|<[^>]*>|(?<![\w/.-])docs/([\w-]+)\.md\b", re.S)


def link_guide_names(text: str, url_of) -> str:
    """``docs/NAME.md`` (as code or text, outside links and code blocks) -> a link to
    ``url_of("NAME.md")``; names ``url_of`` returns None for stay as they are."""
    def repl(m: re.Match) -> str:
        name = m.group(1) or m.group(2)
        if name is None:
            return m.group(0)
        url = url_of(f"{name}.md")
        if url is None:
            return m.group(0)
        return f'<a href="{html.escape(url)}">{m.group(0)}</a>'
    return _MENTION.sub(repl, text)


def on_page_content(text: str, page, config, files) -> str:
    def url_of(src_uri: str):
        f = files.get_file_from_path(src_uri)
        return None if f is None or not f.is_documentation_page() else f.url_relative_to(
            page.file)
    return link_guide_names(text, url_of)
