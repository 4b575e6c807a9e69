"""The HTML report in a real browser: headless Chromium (Debian's package) driven by Playwright.

Specification:
- the demo's report (raw and standardized sweeps) opens from a file with no network and no
  console error, and every curves chart draws one trace per candidate;
- clicking a candidate's legend entry hides its curve, clicking again shows it;
- the lr slider highlights one candidate and shows that candidate's verdict and evidence;
- the raw/smoothed buttons switch the curves;
- hostile names (a ``<script>`` column name, an ``onerror`` file name) are shown as text, never run.

A screenshot of the demo report is saved in the test's temporary folder. With
``LRSCOUT_UPDATE_DOCS_SCREENSHOT=1`` it also replaces ``docs/report.png``.

Chromium: ``apt-get update && apt-get install -y chromium``. Playwright's own browser download
cannot work on a closed network, so the test launches the system binary.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from lrscout.cli.demo_cmd import TITLE as DEMO_TITLE, demo_results
from lrscout.data import Table, housing
from lrscout.report import charts
from lrscout.report.html import write_html
from lrscout.workflows.tabular import sweep_table

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install playwright)")
CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed: "
                                                          "apt-get update && apt-get install -y chromium")

# On a closed network Chromium otherwise stalls on connections that cannot succeed; as root it
# needs --no-sandbox.
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run"]
VIEWPORT = {"width": 1360, "height": 1500}
DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "report.png"
HOSTILE_COLUMN = "<script>window.pwned = 'column'</script>"
HOSTILE_FILE = "<img src=x onerror=\"window.pwned = 'file'\">.csv"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM, headless=True, args=ARGS,
            viewport=VIEWPORT)
        yield context
        context.close()


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory) -> Path:
    return write_html(demo_results(), tmp_path_factory.mktemp("demo") / "report.html",
                      title=f"lrscout demo: {DEMO_TITLE}")


class Opened:
    """A report open in a tab, with every console error and uncaught exception it raised."""

    def __init__(self, browser, path: Path) -> None:
        self.page = browser.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_load_state("load")
        self.page.wait_for_selector(".js-plotly-plot .scatterlayer .trace")

    def chart(self, expression: str, chart_id: str = "curves-0"):
        return self.page.evaluate(f"(gd => {expression})(document.getElementById('{chart_id}'))")

    def wait_until(self, expression: str, chart_id: str = "curves-0") -> None:
        """Plotly applies a legend click after its double-click window, so wait for the effect
        (Playwright's usual 30 s bound: it only stops a wait for an effect that never comes)."""
        self.page.wait_for_function(f"(gd => {expression})(document.getElementById('{chart_id}'))", timeout=30_000)

    def visible_card(self, panel: int = 0) -> str:
        return self.page.evaluate(
            f"document.querySelector('#cards-{panel} .card:not([hidden])').getAttribute('data-candidate')")


@pytest.fixture
def opened(browser, demo_report):
    tab = Opened(browser, demo_report)
    yield tab
    tab.page.close()


def test_the_demo_report_draws_every_candidate_without_console_errors(opened, tmp_path):
    for panel, (_, result) in enumerate(demo_results()):
        n = len(result.candidates)
        assert opened.chart("gd.data.length", f"curves-{panel}") == n
        assert opened.chart("gd.querySelectorAll('.scatterlayer .trace').length", f"curves-{panel}") == n
    assert opened.visible_card() == "all"
    assert opened.errors == []
    shot = opened.page.screenshot(path=str(tmp_path / "report.png"))
    assert len(shot) > 50_000  # a drawn page, not a blank one
    if os.environ.get("LRSCOUT_UPDATE_DOCS_SCREENSHOT") == "1":
        DOCS_SCREENSHOT.write_bytes(shot)


def test_clicking_a_legend_entry_hides_that_candidate_and_clicking_again_shows_it(opened):
    entry = opened.page.locator("#curves-0 .legend .traces").nth(0)
    entry.click()
    opened.wait_until("gd.data[0].visible === 'legendonly'")
    assert opened.chart("gd.data.map(t => t.visible !== 'legendonly')") == [False, True, True]
    assert opened.chart("gd.querySelectorAll('.scatterlayer .trace').length") == 2
    entry.click()
    opened.wait_until("gd.data[0].visible !== 'legendonly'")
    assert opened.chart("gd.querySelectorAll('.scatterlayer .trace').length") == 3
    assert opened.errors == []


def test_the_slider_highlights_one_candidate_and_shows_its_evidence(opened):
    # click the slider's rail under the label of the second candidate, lr 0.01
    label = opened.page.locator("#curves-0 .slider-label", has_text=re.compile(r"^0\.01$")).bounding_box()
    rail = opened.page.locator("#curves-0 .slider-rail-touch-rect").bounding_box()
    opened.page.mouse.click(label["x"] + label["width"] / 2, rail["y"] + rail["height"] / 2)
    opened.wait_until(f"gd.data[1].opacity === 1 && gd.data[0].opacity === {charts.OPACITY_FADED}")
    assert opened.chart("gd.data.map(t => t.opacity)") == [charts.OPACITY_FADED, 1.0, charts.OPACITY_FADED]
    assert opened.visible_card() == "1"
    card = opened.page.locator("#cards-0 .card:not([hidden])").inner_text()
    assert "lr 0.01" in card and "good" in card and "relative decrease" in card
    assert opened.errors == []


def test_the_buttons_switch_between_smoothed_and_raw_losses(opened):
    first_raw = demo_results()[0][1].candidates[0].train_loss[:3].tolist()
    assert opened.chart("gd.data[0].y.slice(0, 3)") != pytest.approx(first_raw)
    opened.page.locator("#curves-0 .updatemenu-button", has_text="raw loss").click()
    opened.wait_until("gd.data[0].hovertemplate.indexOf('smoothed') < 0")
    assert opened.chart("gd.data[0].y.slice(0, 3)") == pytest.approx(first_raw)
    assert opened.errors == []


def test_hostile_names_are_shown_as_text_and_never_run(browser, tmp_path):
    t = housing(n=200)
    table = Table(name=HOSTILE_FILE, columns=(HOSTILE_COLUMN, "depth", "price"), cells=t.cells)
    result = sweep_table(table, "price", lrs=[1e-2, 1e-1], steps=60, batch_size=32)
    tab = Opened(browser, write_html(result, tmp_path / "hostile.html"))
    try:
        assert tab.page.evaluate("window.pwned") is None
        tab.page.click("details.config summary")
        text = tab.page.inner_text("body")
        assert HOSTILE_COLUMN in text and HOSTILE_FILE in text
        assert tab.errors == []
    finally:
        tab.page.close()
