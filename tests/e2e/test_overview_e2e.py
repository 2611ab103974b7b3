"""Overview in a real browser: charts drawn, no error element, the CSV download parses."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def test_overview_draws_its_charts(page: Page, app_url: str, artifacts: Path) -> None:
    page.goto(app_url)
    expect(page.get_by_role("heading", name="Overview")).to_be_visible(timeout=60_000)
    charts = page.locator(".js-plotly-plot")
    # Cost by group, then users and requests/s as one figure of two panels.
    expect(charts).to_have_count(2, timeout=60_000)
    expect(page.locator(".js-plotly-plot .main-svg").first).to_be_visible()
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    page.screenshot(path=str(artifacts / "overview.png"), full_page=True)


def test_overview_csv_download_parses(page: Page, app_url: str) -> None:
    page.goto(app_url)
    button = page.get_by_role("button", name="Download CSV")
    expect(button).to_be_visible(timeout=60_000)
    with page.expect_download() as info:
        button.click()
    frame = pd.read_csv(io.BytesIO(Path(info.value.path()).read_bytes()))
    assert list(frame.columns) == ["group", "monthly_cost", "percent"]
    assert set(frame["group"]) == {"Compute", "Database", "CDN", "Monitoring", "Misc"}


def test_overview_cards_answer_the_first_questions(page: Page, app_url: str) -> None:
    page.goto(app_url)
    metrics = page.locator('[data-testid="stMetric"]')
    expect(metrics).to_have_count(7, timeout=90_000)
    texts = metrics.all_inner_texts()
    assert any(t.startswith("Nowcast Nov 2026") for t in texts), texts
    assert any("80% band" in t for t in texts)
    assert any("USD vs Oct 2026 1–26" in t for t in texts)
    values = [page.locator('[data-testid="stMetricValue"]').nth(i).inner_text() for i in range(7)]
    assert len(set(values)) == 7, values


def test_the_running_month_is_marked_partial(page: Page, app_url: str) -> None:
    page.goto(app_url)
    chart = page.locator(".js-plotly-plot").first
    expect(chart).to_be_visible(timeout=60_000)
    expect(chart.locator(".annotation-text", has_text="partial")).to_have_count(1)
    expect(chart.locator("pattern").first).to_be_attached()
    # The note is read clear of the legend (above the plot it was written over "CDN").
    note = chart.locator(".annotation", has_text="partial").bounding_box()
    legend = chart.locator(".legend").bounding_box()
    assert note is not None and legend is not None
    boxes = [
        {"l": b["x"], "r": b["x"] + b["width"], "t": b["y"], "b": b["y"] + b["height"]}
        for b in (note, legend)
    ]
    assert not _overlap(*boxes), boxes


# Per figure of panels: its legend's box and each panel title's box as chromium laid them
# out (a title is an annotation without an arrow), and whether any two of them overlap.
PANEL_BOXES = """() => [...document.querySelectorAll('.js-plotly-plot')]
  .filter(gd => gd.querySelectorAll('.draglayer .nsewdrag').length > 1)
  .map(gd => {
    const box = e => { const r = e.getBoundingClientRect();
      return {l: r.left, r: r.right, t: r.top, b: r.bottom}; };
    const titles = [...gd.querySelectorAll('.annotation')]
      .filter(a => !a.querySelector('.annotation-arrow-g'))
      .map(a => ({text: a.textContent, ...box(a.querySelector('.annotation-text-g'))}));
    const legend = gd.querySelector('.legend');
    const plots = [...gd.querySelectorAll('.draglayer .nsewdrag')].map(box);
    return {titles, legend: legend ? box(legend) : null, plots};
  })"""


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return a["l"] < b["r"] and b["l"] < a["r"] and a["t"] < b["b"] and b["t"] < a["b"]


@pytest.mark.parametrize("path", ["", "review"])
@pytest.mark.parametrize("width", [1600, 1024])
def test_side_by_side_charts_are_one_figure_of_panels(
    page: Page, app_url: str, artifacts: Path, path: str, width: int
) -> None:
    """Users beside requests/s (Overview), cost per user beside cost per million requests
    (Cost review): one figure of two panels, each under its own title, their legend clear
    of the titles and the panels clear of each other, at a wide and a laptop window."""
    page.set_viewport_size({"width": width, "height": 1000})
    page.goto(f"{app_url}/{path}")
    expect(page.locator(".js-plotly-plot .main-svg").first).to_be_visible(timeout=120_000)
    page.wait_for_timeout(1500)  # plotly redraws to the column's width
    figures = page.evaluate(PANEL_BOXES)
    assert len(figures) == 1, figures
    (figure,) = figures
    expected = {"": ["Users (daily)", "Requests/s (daily)"]}.get(
        path, ["Cost per user", "Cost per million requests"]
    )
    assert [t["text"] for t in figure["titles"]] == expected
    assert len(figure["plots"]) == 2 and not _overlap(*figure["plots"])
    for title in figure["titles"]:
        assert figure["legend"] is None or not _overlap(title, figure["legend"]), figure
        assert not any(_overlap(title, plot) for plot in figure["plots"]), figure
    page.screenshot(path=str(artifacts / f"panels_{path or 'overview'}_{width}.png"))
