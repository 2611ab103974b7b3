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
    expect(charts).to_have_count(3, timeout=60_000)
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
    assert any("vs the same days of Oct 2026" in t for t in texts)
    values = [page.locator('[data-testid="stMetricValue"]').nth(i).inner_text() for i in range(7)]
    assert len(set(values)) == 7, values


def test_the_running_month_is_marked_partial(page: Page, app_url: str) -> None:
    page.goto(app_url)
    chart = page.locator(".js-plotly-plot").first
    expect(chart).to_be_visible(timeout=60_000)
    expect(chart.locator(".annotation-text", has_text="partial")).to_have_count(1)
    expect(chart.locator("pattern").first).to_be_attached()
