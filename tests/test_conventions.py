"""Research-software conventions: licence, citation, changelog, docs site, ignored outputs."""

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_license_is_the_declared_mit_license():
    assert PYPROJECT["project"]["license"] == "MIT"
    assert PYPROJECT["project"]["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "WITHOUT WARRANTY OF ANY KIND" in text


def test_citation_file_matches_the_package():
    text = (ROOT / "CITATION.cff").read_text()
    assert re.search(r"^cff-version: 1\.2\.0$", text, re.M)
    version = re.search(r'^version: "([^"]+)"$', text, re.M)
    assert version and version[1] == PYPROJECT["project"]["version"]
    assert re.search(r"^license: MIT$", text, re.M)
    assert re.search(r"^authors:\n  - ", text, re.M) and "Tai" in text and "Tso" in text


def test_changelog_has_an_unreleased_section_and_the_current_version():
    text = (ROOT / "CHANGELOG.md").read_text()
    assert "## [Unreleased]" in text
    assert f"## [{PYPROJECT['project']['version']}]" in text


def _mkdocs_pages() -> set[str]:
    nav = (ROOT / "mkdocs.yml").read_text()
    return set(re.findall(r":\s*([\w/.-]+\.md)\s*$", nav, re.M))


#: Pages docs/hooks.py generates at build time (not files of docs/).
GENERATED_PAGES = {"gallery.md"}


def test_every_doc_page_is_in_the_site_navigation():
    pages = {str(p.relative_to(ROOT / "docs")) for p in (ROOT / "docs").rglob("*.md")}
    assert pages | GENERATED_PAGES == _mkdocs_pages()


#: Top-level modules that are not the public API (issue 24 item 7: the API reference
#: shows the public modules only): the engines' internals, the codes they share and the
#: command line's modules, described in docs/architecture.md and docs/cli.md.
INTERNAL_MODULES = {"mdcd_lab.constants", "mdcd_lab.reference", "mdcd_lab.fast",
                    "mdcd_lab.cli"}


def test_every_public_module_has_an_api_page_and_no_internal_one():
    documented = set()
    for page in (ROOT / "docs" / "api").glob("*.md"):
        documented |= {name for name in re.findall(r"^::: ([\w.]+)", page.read_text(), re.M)
                       if name.count(".") <= 1}
    public = {"mdcd_lab"}
    for path in (ROOT / "mdcd_lab").iterdir():
        if path.name.startswith("_") or path.name == "__pycache__":
            continue
        if path.suffix == ".py" or (path / "__init__.py").exists():
            public.add(f"mdcd_lab.{path.stem}")
    assert INTERNAL_MODULES <= public, sorted(INTERNAL_MODULES - public)
    assert documented == public - INTERNAL_MODULES, (
        sorted(public - INTERNAL_MODULES - documented), sorted(documented & INTERNAL_MODULES))


def test_docs_extra_and_make_target():
    extra = " ".join(PYPROJECT["project"]["optional-dependencies"]["docs"])
    assert "mkdocs-material" in extra and "mkdocstrings[python]" in extra
    make = (ROOT / "Makefile").read_text()
    assert re.search(r"^docs: ", make, re.M) and "mkdocs build --strict" in make
    assert "make docs" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(),
                    reason="not a git checkout")
def test_outputs_are_git_ignored():
    for path in ("notebooks/out/01_quickstart.ipynb", "site/index.html", "out/demo/x.csv"):
        proc = subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT)
        assert proc.returncode == 0, f"{path} is not ignored"


def _numeric(node) -> bool:
    import ast
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
        and not isinstance(node.value, bool)


def test_no_test_asserts_a_wall_clock_limit():
    """Issue 24 item 2: no hypothesis deadline, no short wait that fails a test, no assert
    on elapsed time.  Hang guards (``HANG_GUARD_S``, 1800 s) are fine; so are the short
    timeouts of a poll that is retried (``urlopen``) or of a teardown that then kills."""
    import ast
    found = []
    for path in sorted([*(ROOT / "tests").glob("*.py"), *(ROOT / "tests_browser").glob("*.py")]):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.keyword) and node.arg == "deadline" \
                    and not (isinstance(node.value, ast.Constant) and node.value.value is None):
                found.append(f"{where}: a hypothesis deadline")
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "_wait" \
                    and len(node.args) > 1 and _numeric(node.args[1]):
                found.append(f"{where}: _wait(..., {node.args[1].value}) fails the test")
            if isinstance(node, ast.Assert):
                text = ast.unparse(node.test)
                if re.search(r"perf_counter|monotonic|time\.time|elapsed|wall", text) \
                        and re.search(r"<=? *[0-9]", text):
                    found.append(f"{where}: assert {text}")
    assert not found, "\n".join(found)
