"""Notebook 02 in a real JupyterLab, driven by a headless Chromium (Playwright).

Runs every cell of the notebook in smoke mode, waits for the histogram explorer to render,
drags its warmth slider with the mouse and checks that the plotted histograms (the image's
bytes) and the distance table change. Needs PyPI's ``playwright`` package (``pip install
'hdrisp[browser]'``; its own browser download is not used) and a Chromium executable
(Debian's ``chromium`` package, or ``$HDRISP_CHROMIUM``): skipped, with the reason, without
them. ``.ci/run`` installs both, so CI always runs it (about 1.5 minutes on 2 cores).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from hdrisp.tutorial.runner import NOTEBOOKS_DIR

pytestmark = pytest.mark.slow

NOTEBOOK = "02_histogram_loss_derivation.ipynb"
TOKEN = "hdrisp-browser-test"
# what JupyterLab and the notebook's kernel import, checked before the server starts
SERVER_MODULES = ("jupyterlab", "ipykernel", "ipywidgets", "matplotlib_inline")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _chromium() -> str:
    path = os.environ.get("HDRISP_CHROMIUM") or shutil.which("chromium") \
        or shutil.which("chromium-browser")
    if not path:
        pytest.skip("no Chromium executable (apt-get install chromium, or set HDRISP_CHROMIUM)")
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def browser_tools() -> tuple:
    """Playwright's sync API and the Chromium executable; skips (with the reason) without
    them, and before any server starts."""
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install 'hdrisp[browser]')")
    chromium = _chromium()
    missing = [m for m in SERVER_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"JupyterLab cannot run notebook 02 here: {', '.join(missing)} missing "
                    "(pip install 'hdrisp[notebooks]')")
    return sync_api, chromium


@pytest.fixture
def jupyterlab(browser_tools, tmp_path: Path):
    """A JupyterLab server on a copy of notebook 02, its kernels in smoke mode."""
    shutil.copy(NOTEBOOKS_DIR / NOTEBOOK, tmp_path / NOTEBOOK)
    port = _free_port()
    env = {**os.environ, "HDRISP_SMOKE": "1", "HDRISP_DATA_DIR": str(tmp_path / "data"),
           "OMP_NUM_THREADS": "1", "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    log = open(tmp_path / "server.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}",
         "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}",
         f"--ServerApp.root_dir={tmp_path}", "--ServerApp.allow_root=True",
         "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("JupyterLab did not start:\n"
                                + (tmp_path / "server.log").read_text()[-2000:])
                time.sleep(0.5)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def _number(text: str) -> float:
    """A slider's readout as a number (ipywidgets writes negatives with U+2212)."""
    return float(text.replace("\u2212", "-"))


def _image_digest(page, img) -> str:
    """SHA-256 of the bytes behind an <img> (its blob: URL), computed in the page."""
    return page.evaluate("""async (img) => {
        const bytes = await (await fetch(img.src)).arrayBuffer();
        const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
        return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
    }""", img.element_handle())


def test_histogram_explorer_reacts_to_its_slider_in_jupyterlab(browser_tools, jupyterlab,
                                                                tmp_path):
    sync_api, chromium = browser_tools
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                             args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{jupyterlab}/lab/tree/{NOTEBOOK}?token={TOKEN}")
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
            # run only once the kernel is up: earlier requests are silently dropped
            page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=120_000)
            page.click(".lm-MenuBar-itemLabel:text-is('Run')")
            page.locator(".lm-Menu-itemLabel:text-is('Run All Cells')").click()

            explorer = page.locator(".hdrisp-histogramexplorer")
            try:
                explorer.locator("img").first.wait_for(timeout=240_000)
            except sync_api.TimeoutError:
                page.screenshot(path=str(tmp_path / "timeout.png"), full_page=True)
                errors = page.locator(".jp-RenderedText[data-mime-type*='error']").all_inner_texts()
                pytest.fail(f"the explorer did not render; cell errors: {errors[-3:]}")
            explorer.first.scroll_into_view_if_needed()  # JupyterLab skips off-screen cells
            # the image and the table are two widgets: the table may arrive a moment later
            explorer.locator("table", has_text="hellinger").wait_for(timeout=60_000)
            sheet = explorer.locator("img").first
            # textContent: innerText is empty while JupyterLab skips rendering an off-screen cell
            src, table = sheet.get_attribute("src"), explorer.locator("table").text_content()
            assert src and src.startswith("blob:") and "hellinger" in table
            before = _image_digest(page, sheet)

            # drag the warmth slider's handle with the mouse, most of the way to the left
            warmth = explorer.locator(".widget-slider:has(.widget-label:text-is('warmth (stops)'))")
            readout = warmth.locator(".widget-readout")
            start = _number(readout.text_content())
            warmth.scroll_into_view_if_needed()
            handle = warmth.locator(".noUi-handle").bounding_box()
            track = warmth.locator(".noUi-target").bounding_box()
            assert handle and track
            y = handle["y"] + handle["height"] / 2
            page.mouse.move(handle["x"] + handle["width"] / 2, y)
            page.mouse.down()
            page.mouse.move(track["x"] + track["width"] * 0.1, y, steps=8)
            page.mouse.up()
            try:
                page.wait_for_function("([img, old]) => img.getAttribute('src') !== old",
                                       arg=[sheet.element_handle(), src], timeout=60_000)
            except sync_api.TimeoutError:
                page.screenshot(path=str(tmp_path / "no-redraw.png"))
                pytest.fail(f"the sheet was not redrawn after the drag (warmth {start} → "
                            f"{readout.inner_text()}; screenshot {tmp_path / 'no-redraw.png'})")
            assert _number(readout.text_content()) < start - 1.0  # [-2, 2]: now about -1.6
            assert _image_digest(page, sheet) != before  # the plotted histograms changed
            page.wait_for_function("([el, old]) => el.textContent !== old",  # the numbers too
                                   arg=[explorer.locator("table").element_handle(), table],
                                   timeout=60_000)
            explorer.screenshot(path=str(tmp_path / "explorer.png"))
        finally:
            browser.close()
