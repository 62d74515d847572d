"""The docs site in a real headless Chromium: the quickstart and the gallery show images.

The test serves the built site (``site/``, made by ``make docs``; CI builds it before
``make test-browser``) with ``python -m http.server`` on 127.0.0.1 and a free port,
opens the pages in the system's Chromium (selenium) and checks that every image of
each page is loaded and has a size (``naturalWidth > 0``), that the gallery shows
every PNG of ``data/figures/``, and that the tutorial page holds the executed
notebook's pictures.  Screenshots go to ``out/browser/``.  The server is stopped at
the end, also on failure.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser   # the browser tier (docs/testing.md): make test-browser

pytest.importorskip("selenium")

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "site"
SHOTS = ROOT / "out" / "browser"
#: a guard against a hang, not a speed limit
HANG_GUARD_S = 300


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def site():
    """The base URL of the built site, served on 127.0.0.1; the server stops at the end."""
    if not (SITE / "index.html").is_file() or not (SITE / "gallery" / "index.html").is_file():
        pytest.fail("no built site in site/: run `make docs` first")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
         "--directory", str(SITE)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        end = time.monotonic() + HANG_GUARD_S
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"http.server exited with {server.returncode}")
            try:
                with urllib.request.urlopen(base + "/index.html", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                if time.monotonic() > end:
                    raise
                time.sleep(0.2)
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


IMAGES_JS = """
return Array.from(document.querySelectorAll('article img')).map(im => ({
  src: im.getAttribute('src'), complete: im.complete, width: im.naturalWidth,
  height: im.naturalHeight}));
"""


def _images(driver, url: str, stem: str) -> list[dict]:
    """Open ``url``, wait until the page and its images have loaded, return the images of
    its article (src, loaded, natural size); screenshot to out/browser/."""
    driver.get(url)
    end = time.monotonic() + HANG_GUARD_S
    while True:
        ready = driver.execute_script("return document.readyState") == "complete"
        images = driver.execute_script(IMAGES_JS)
        if ready and all(im["complete"] for im in images):
            break
        if time.monotonic() > end:
            raise AssertionError(f"{url}: images still loading after {HANG_GUARD_S} s")
        time.sleep(0.2)
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / f"docs_{stem}.png"))
    return images


def test_quickstart_shows_an_image(site, browser):
    images = _images(browser, f"{site}/quickstart/", "quickstart")
    assert images, "the quickstart page has no image"
    broken = [im["src"] for im in images if im["width"] <= 0]
    assert not broken, f"images not shown: {broken}"


def test_gallery_shows_every_figure(site, browser):
    images = _images(browser, f"{site}/gallery/", "gallery")
    shown = {Path(im["src"]).name for im in images if im["width"] > 0 and im["height"] > 0}
    expected = {p.name for p in (ROOT / "data" / "figures").glob("*.png")}
    assert expected, "no PNG in data/figures"
    assert expected <= shown, f"figures not shown: {sorted(expected - shown)}"
    broken = [im["src"] for im in images if im["width"] <= 0]
    assert not broken, f"images not shown: {broken}"


def test_tutorial_shows_the_notebooks_pictures(site, browser):
    images = _images(browser, f"{site}/notebooks/02_protocol_in_pictures/", "tutorial")
    shown = [im for im in images if im["width"] > 50]
    assert len(shown) >= 6, f"{len(shown)} pictures of the executed notebook shown"
