"""What learners see, in a real browser: JupyterLab headless on loopback, Debian's Chromium driven by Playwright.

1. Open the hand-scoring notebook (02), run all cells, type a sample into the scorer widget, and check that the
   composite and the verdict it shows are those of ``eval_chat_quality``.
2. Open the back-test notebook (04), run all cells, drag the patience slider, and check that the trigger label
   changes to the trigger step ``coursekit.backtest.replay`` computes for the new setting.

Screenshots go to build/screenshots/ (or $COURSEKIT_SCREENSHOTS). The learner notebooks are copied to a temporary
folder first, so nothing the browser saves touches the repository. Without Chromium or Playwright the test is
skipped, unless COURSEKIT_REQUIRE_BROWSER=1 (set by .ci/run), where it fails instead.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from coursekit.alarm.gate import CoherenceGate
from coursekit.alarm.metrics import eval_chat_quality
from coursekit.backtest.datasets import v1_log_path
from coursekit.backtest.replay import backtest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
REQUIRED = os.environ.get("COURSEKIT_REQUIRE_BROWSER") == "1"
SHOTS = Path(os.environ.get("COURSEKIT_SCREENSHOTS", ROOT / "build" / "screenshots"))
TOKEN = "smoke-alarm-browser-test"
CHROMIUM_ARGS = [  # a closed network: no background services, no first-run, no GPU
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover - the pinned requirements install it
    sync_playwright = None

if sync_playwright is None or CHROMIUM is None:
    missing = "playwright" if sync_playwright is None else "chromium (apt-get install chromium)"
    if REQUIRED:
        raise RuntimeError(f"COURSEKIT_REQUIRE_BROWSER=1 but {missing} is missing")
    pytest.skip(f"browser test needs {missing}", allow_module_level=True)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on loopback serving copies of notebooks 02 and 04; yields its base URL."""
    work = tmp_path_factory.mktemp("lab")
    for name in ("02_hand_scoring.ipynb", "04_gate_and_backtest.ipynb"):
        shutil.copy(ROOT / "notebooks" / name, work / name)
    settings = work / ".settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    # No "would you like news?" toast over the notebook, and no update check on a closed network.
    (settings / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    # Start the notebook's own kernel without asking, as a learner's first "Run All" expects; render every cell
    # (JupyterLab otherwise leaves off-screen cells out of the page, widgets included).
    tracker = work / ".settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"autoStartDefaultKernel": True, "windowingMode": "none"}))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(work / ".settings"), JUPYTER_RUNTIME_DIR=str(work / ".runtime"),
               JUPYTERLAB_WORKSPACES_DIR=str(work / ".workspaces"))
    env.pop("COURSEKIT_GRADING", None)  # learners' interactive mode: checks display, never raise
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={work}"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            raise AssertionError("JupyterLab did not start within 60 s")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def run_all(page):
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name=re.compile("^Run All Cells")).click()
    select = page.get_by_role("button", name="Select", exact=True)  # a kernel dialog, if the kernel was slow
    try:
        select.wait_for(timeout=2_000)
        select.click()
    except PlaywrightTimeout:
        pass


def open_and_run_all(browser, lab, name):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(60_000)
    page.goto(f"{lab}/lab/tree/{name}?reset&token={TOKEN}")  # reset: no tabs restored from another page
    page.locator(".jp-Notebook:visible").first.wait_for()
    started = page.locator(".jp-InputArea-prompt", has_text=re.compile(r"\[(\d+|\*)\]"))
    # A "Run All" sent while the kernel is still starting can be dropped: try again until a cell runs.
    for _ in range(4):
        run_all(page)
        try:
            started.first.wait_for(timeout=30_000)
            return page
        except PlaywrightTimeout:
            continue
    page.screenshot(path=str(SHOTS / f"{name}.FAILED.png"))
    raise AssertionError(f"{name}: no cell ran after four Run All attempts")


def wait_for_widget(page, locator, timeout_ms, shot):
    """Wait for ``locator``; if the run stopped short of it (on a loaded machine a Run All sent as the kernel settled
    was seen to run only the first cells and leave the kernel idle), Run All once more, then wait again."""
    for attempt in range(2):
        try:
            locator.wait_for(timeout=timeout_ms)
            return
        except PlaywrightTimeout:
            if attempt:
                page.screenshot(path=str(SHOTS / shot))
                raise
            run_all(page)


def test_scorer_widget_shows_the_reference_score(browser, lab):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = open_and_run_all(browser, lab, "02_hand_scoring.ipynb")
    box = page.locator(".coursekit-scorer-text textarea").first
    wait_for_widget(page, box, 120_000, "02_FAILED.png")
    box.scroll_into_view_if_needed()
    total, verdict = page.locator(".coursekit-scorer-total").first, page.locator(".coursekit-scorer-verdict").first

    for sample in ("region " * 40, "The loss curve looked fine while the samples quietly fell apart."):
        box.fill(sample)
        want = eval_chat_quality(sample)
        expect(total).to_have_text(f"{want.total:.2f} / 100", timeout=20_000)
        expect(verdict).to_contain_text("DEGENERATE" if want.degenerate() else "passes")
        expect(verdict).to_contain_text(f"{want.total:.2f}")
    page.screenshot(path=str(SHOTS / "02_scorer_widget.png"), full_page=False)
    page.close()


def test_backtest_slider_moves_the_trigger(browser, lab):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = open_and_run_all(browser, lab, "04_gate_and_backtest.ipynb")
    trigger = page.locator(".coursekit-trigger").first
    wait_for_widget(page, trigger, 180_000, "04_FAILED.png")
    trigger.scroll_into_view_if_needed()
    records = list(_v1_records())

    def expected(patience: int) -> str:
        step = backtest(records, CoherenceGate(30.0, patience)).trigger_step
        return "never" if step is None else f"{step:,}"

    expect(trigger).to_contain_text(expected(5), timeout=30_000)  # v2's gate: 132,000
    page.screenshot(path=str(SHOTS / "04_backtest_before.png"))

    slider = page.locator(".widget-slider", has_text="patience").first
    handle, readout = slider.locator(".noUi-handle").first, slider.locator(".widget-readout").first
    start = int(readout.inner_text())
    box = handle.bounding_box()
    track = slider.locator(".noUi-target").first.bounding_box()
    # Drag the handle left, to the start of the track: the smallest patience.
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(track["x"] - 20, box["y"] + box["height"] / 2, steps=12)
    page.mouse.up()
    expect(readout).not_to_have_text(str(start), timeout=10_000)
    patience = int(readout.inner_text())
    assert patience < start
    expect(trigger).to_contain_text(expected(patience), timeout=60_000)
    assert expected(patience) != expected(start)  # the label really moved
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first.wait_for()  # the timeline redrawn
    page.screenshot(path=str(SHOTS / "04_backtest_after_drag.png"))
    page.close()


def _v1_records():
    with open(v1_log_path(), encoding="utf-8") as fh:
        for line in fh:
            yield json.loads(line)
