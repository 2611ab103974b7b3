"""The Capacity page in a real browser: charts drawn, CSVs equal to the CLI's, widgets work."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Page, expect

from forecasting.cli import main

pytestmark = pytest.mark.e2e
# The page reads these from the link, so the browser and the CLI run the same quick forecast.
FAST = "model=drift&paths=200&seed=1"
CLI_FAST = ["--model", "drift", "--paths", "200", "--seed", "1"]
ERRORS = '[data-testid="stException"]'
# The plan's four panels are one plotly figure (its graph div carries it): the x values of
# the instances panel's P50 line (the third panel: axis x3).
INSTANCES_X = (
    "() => document.querySelector('.js-plotly-plot').data"
    ".find(t => t.name === 'P50' && t.xaxis === 'x3').x.length"
)


def cli_bytes(tmp_path: Path, *args: str) -> bytes:
    out = tmp_path / f"{args[0]}.csv"
    assert main([*args, "--csv", str(out)]) == 0
    return out.read_bytes()


def downloaded(page: Page, button: str) -> bytes:
    with page.expect_download() as info:
        page.get_by_role("button", name=button).click()
    return Path(info.value.path()).read_bytes()


def full_screenshot(page: Page, path: Path) -> None:
    """Streamlit scrolls inside its main block: grow the window to the content, then shoot."""
    height = page.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": 1600, "height": int(height) + 50})
    page.wait_for_timeout(500)  # plotly redraws to the new width
    page.screenshot(path=str(path), full_page=True)


def test_capacity_page_in_a_browser(
    page: Page, app_url: str, artifacts: Path, demo_db: Path, tmp_path: Path
) -> None:
    page.set_viewport_size({"width": 1600, "height": 1000})
    page.goto(f"{app_url}/capacity?{FAST}")
    expect(page.get_by_role("heading", name="Capacity", exact=True)).to_be_visible(timeout=60_000)
    expect(page.locator(".js-plotly-plot")).to_have_count(1, timeout=120_000)  # the plan's
    expect(page.locator(".js-plotly-plot .main-svg").first).to_be_visible()
    expect(page.locator(ERRORS)).to_have_count(0)

    plan = downloaded(page, "Download the plan (CSV)")
    assert plan == cli_bytes(tmp_path, "plan", "--db", str(demo_db), *CLI_FAST)
    frame = pd.read_csv(tmp_path / "plan.csv")
    assert list(frame.columns[:5]) == ["quarter", "source", "users", "users_lower", "users_upper"]
    assert {"instances", "cost_per_month", "plan_cost_per_month"} <= set(frame.columns)

    assert page.evaluate(INSTANCES_X) == 8  # 2026Q1 to 2027Q4
    quarters = page.get_by_label("Quarters ahead")
    quarters.fill("1")
    quarters.press("Enter")
    page.wait_for_function(f"({INSTANCES_X})() === 5", timeout=60_000)
    expect(page.locator(ERRORS)).to_have_count(0)
    full_screenshot(page, artifacts / "capacity.png")

    # The other section, in the link too: only its chart is drawn.
    page.set_viewport_size({"width": 1600, "height": 1000})
    page.get_by_role("radio", name="Runway", exact=True).click()
    expect(page).to_have_url(re.compile(r"[?&]cap_section=Runway"), timeout=60_000)
    expect(page.locator(".js-plotly-plot")).to_have_count(1, timeout=120_000)
    runway = downloaded(page, "Download the runway (CSV)")
    assert runway == cli_bytes(tmp_path, "runway", "--db", str(demo_db), *CLI_FAST)
    expect(page.locator(ERRORS)).to_have_count(0)
    full_screenshot(page, artifacts / "capacity_runway.png")
    page.goto(f"{app_url}/capacity?cap_section=Runway&{FAST}")  # a link opens the section
    heading = page.get_by_role("heading", name="Runway to alert thresholds")
    expect(heading).to_be_visible(timeout=120_000)
    expect(page.locator(".js-plotly-plot")).to_have_count(1, timeout=120_000)


# Per running-period note on the page: how many points along every drawn line, and how many
# markers, fall inside its text box as chromium laid it out (lines of width 0, a band's
# edges, are not drawn).
NOTE_HITS = """() => [...document.querySelectorAll('.js-plotly-plot')].flatMap(gd => {
  const lines = [...gd.querySelectorAll('.scatterlayer .js-line')]
    .filter(p => parseFloat(getComputedStyle(p).strokeWidth) > 0);
  const points = [...gd.querySelectorAll('.scatterlayer .points .point')];
  return [...gd.querySelectorAll('.annotation')]
    .filter(a => a.textContent.startsWith('running'))
    .map(note => {
      const box = note.querySelector('.annotation-text-g').getBoundingClientRect();
      const inside = (x, y) => x > box.left && x < box.right && y > box.top && y < box.bottom;
      let sampled = 0, hits = 0;
      for (const path of lines) {
        const m = path.getScreenCTM(), length = path.getTotalLength();
        for (let d = 0; d <= length; d += 2) {
          const p = path.getPointAtLength(d);
          sampled += 1;
          hits += inside(m.a * p.x + m.c * p.y + m.e, m.b * p.x + m.d * p.y + m.f) ? 1 : 0;
        }
      }
      for (const point of points) {
        const r = point.getBoundingClientRect();
        hits += inside(r.left + r.width / 2, r.top + r.height / 2) ? 1 : 0;
      }
      return {text: note.textContent, sampled, hits};
    });
})"""


@pytest.mark.parametrize("width", [1600, 1280])
def test_the_running_note_covers_no_line(page: Page, app_url: str, width: int) -> None:
    """Each plan panel's "running, data to ..." note lies clear of every drawn line and
    marker (the lines rise through where a note straight above its point would sit), at a
    wide and a laptop window."""
    page.set_viewport_size({"width": width, "height": 1000})
    page.goto(f"{app_url}/capacity?{FAST}")
    expect(page.locator(".js-plotly-plot .main-svg").first).to_be_visible(timeout=120_000)
    page.wait_for_timeout(1000)  # plotly redraws to the column's width
    notes = page.evaluate(NOTE_HITS)
    assert len(notes) == 4, notes  # one per panel: users, req/s, instances, cost
    for note in notes:
        assert note["sampled"] > 100, note  # the lines were found and sampled
        assert note["hits"] == 0, note
