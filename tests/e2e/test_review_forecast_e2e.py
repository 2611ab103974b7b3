"""Forecast and Cost review pages in a real browser: charts, CSVs equal to the CLI's, the
freeze button writing a plan of record that the review then shows."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Page, expect

from forecasting.store import Store
from tests.e2e.conftest import start_app
from tests.e2e.test_capacity_e2e import cli_bytes, downloaded, full_screenshot

pytestmark = pytest.mark.e2e
ERRORS = '[data-testid="stException"]'
FORECAST_POINTS = (
    "() => [...document.querySelectorAll('.js-plotly-plot')]"
    ".find(p => p.layout.title.text.includes('actuals, backtests'))"
    ".data.find(t => t.name === 'forecast').x.length"
)


def test_forecast_page_draws_and_matches_the_cli(
    page: Page, app_url: str, demo_db: Path, tmp_path: Path, artifacts: Path
) -> None:
    page.goto(f"{app_url}/forecast")
    expect(page.locator(".js-plotly-plot .main-svg").first).to_be_visible(timeout=120_000)
    expect(page.locator(ERRORS)).to_have_count(0)
    assert page.evaluate(FORECAST_POINTS) == 12
    got = pd.read_csv(io.BytesIO(downloaded(page, "Download monthly CSV")))
    cli = pd.read_csv(
        io.BytesIO(cli_bytes(tmp_path, "forecast", "cost", "--db", str(demo_db), "--horizon", "12"))
    )
    assert list(got.columns) == [
        "unique_id",
        "ds",
        "forecast",
        "lower",
        "upper",
        "level",
        "model",
        "complete",
    ]
    pd.testing.assert_frame_equal(got, cli, check_exact=False, rtol=1e-9)
    full_screenshot(page, artifacts / "forecast.png")


def test_forecast_horizon_change_redraws_the_chart(page: Page, app_url: str) -> None:
    page.goto(f"{app_url}/forecast")
    expect(page.locator(".js-plotly-plot .main-svg").first).to_be_visible(timeout=120_000)
    slider = page.get_by_role("slider").first
    slider.focus()
    for _ in range(2):
        slider.press("ArrowLeft")  # 12 -> 6 months, in steps of 3
    expect(page.locator(ERRORS)).to_have_count(0)
    page.wait_for_function(f"({FORECAST_POINTS})() === 6", timeout=120_000)


@pytest.fixture
def writable_app(demo_db: Path, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A server on a copy of the demo, for tests that write."""
    db = tmp_path / "copy.duckdb"
    db.write_bytes(demo_db.read_bytes())
    proc, url = start_app(db, tmp_path / "streamlit.log")
    yield url, db
    proc.terminate()
    proc.wait(timeout=20)


def test_freeze_writes_a_plan_the_review_then_shows(
    page: Page, writable_app: tuple[str, Path], artifacts: Path
) -> None:
    url, db = writable_app
    page.goto(f"{url}/review?month=2026-11")  # the running month, which the new plan covers
    expect(page.get_by_role("heading", name="Cost review")).to_be_visible(timeout=120_000)
    expect(page.locator(".js-plotly-plot .main-svg").first).to_be_visible(timeout=120_000)
    expect(page.locator(ERRORS)).to_have_count(0)
    page.get_by_role("button", name="Freeze the forecast as the plan of record").click()
    expect(page.get_by_text("Frozen as plans")).to_be_visible(timeout=180_000)
    with Store(db, read_only=True) as store:
        names = store.plans()["name"].tolist()
    assert names[0] == "Plan of record 2026-11"
    page.reload()
    expect(page.get_by_text("Plan: Plan of record 2026-11")).to_be_visible(timeout=120_000)
    with zipfile.ZipFile(
        io.BytesIO(downloaded(page, "Download the review (zip of CSVs)"))
    ) as archive:
        assert "plan_vs_actual_2026-11.csv" in archive.namelist()
        plan = pd.read_csv(archive.open("plan_vs_actual_2026-11.csv"))
    # One unit per column (USD, users, USD/user), and the running month says it is running.
    assert list(plan.columns[:4]) == ["month", "cost_planned", "cost_actual", "cost_vs_plan"]
    assert plan["complete"].tolist() == [False]
    full_screenshot(page, artifacts / "review.png")
