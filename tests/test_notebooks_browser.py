"""Notebook 02 in a real JupyterLab, driven by a headless Chromium (Playwright).

Runs every cell of the notebook in smoke mode, waits for the histogram explorer to render,
types a new warmth into its slider and checks that the plotted histograms and the distance
table change. Needs the optional ``playwright`` package and a Chromium executable (Debian's
``chromium`` package, or ``$HDRISP_CHROMIUM``); skipped, with the reason, without them.
"""

from __future__ import annotations

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
def jupyterlab(tmp_path: Path):
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


def test_histogram_explorer_reacts_to_its_slider_in_jupyterlab(jupyterlab, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    chromium = _chromium()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
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
            sheet = explorer.locator("img").first
            src, table = sheet.get_attribute("src"), explorer.locator("table").inner_text()
            assert src and src.startswith("blob:") and "hellinger" in table

            warmth = explorer.locator(".widget-slider:has(.widget-label:text-is('warmth (stops)'))")
            warmth.locator(".widget-readout").click()
            page.keyboard.press("Control+A")
            page.keyboard.type("1.5")
            page.keyboard.press("Enter")
            page.wait_for_function("([img, old]) => img.getAttribute('src') !== old",
                                   arg=[sheet.element_handle(), src], timeout=60_000)
            assert explorer.locator("table").inner_text() != table
            explorer.screenshot(path=str(tmp_path / "explorer.png"))
        finally:
            browser.close()
