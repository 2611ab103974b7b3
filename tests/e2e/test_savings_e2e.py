"""The Savings page in a real browser: charts drawn, CSVs equal to the CLI's, inputs work."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Page, expect

from forecasting.store import Store
from tests.e2e.readable_scan import settle
from tests.e2e.test_capacity_e2e import (
    CLI_FAST,
    ERRORS,
    FAST,
    cli_bytes,
    downloaded,
    full_screenshot,
)

pytestmark = pytest.mark.e2e
CDN_SAVING = (
    "() => [...document.querySelectorAll('.js-plotly-plot')]"
    ".find(p => p.layout.title.text.includes('Savings per month')).data[0].y[1]"
)


def test_savings_page_in_a_browser(
    page: Page, app_url: str, artifacts: Path, demo_db: Path, tmp_path: Path
) -> None:
    page.set_viewport_size({"width": 1600, "height": 1000})
    page.goto(f"{app_url}/savings?{FAST}")
    expect(page.get_by_role("heading", name="Savings", exact=True)).to_be_visible(timeout=60_000)
    expect(page.locator(".js-plotly-plot")).to_have_count(1, timeout=120_000)  # the levers'
    expect(page.locator(ERRORS)).to_have_count(0)

    db = ["--db", str(demo_db)]
    levers = downloaded(page, "Download the levers (CSV)")
    assert levers == cli_bytes(tmp_path, "savings", *db, *CLI_FAST)
    frame = pd.read_csv(io.BytesIO(levers))
    assert list(frame.columns[:4]) == ["lever", "category", "base_monthly", "monthly_savings"]
    assert list(frame["lever"]) == ["right-size", "cdn", "database", "commitments"]

    before = page.evaluate(CDN_SAVING)
    assert before > 0  # measured in the demo's Cloudflare analytics
    page.get_by_text("Edit the lever inputs").click()  # drawn when asked for
    box = page.get_by_label("Target request hit ratio %")
    box.fill("80")
    box.press("Enter")
    page.wait_for_function(f"({CDN_SAVING})() > {before}", timeout=60_000)
    expect(page.locator(ERRORS)).to_have_count(0)
    settle(page)  # the chart redraws before the run ends; a button clicked mid-run is replaced
    expect(page.get_by_text("Evidence: request hit ratio 62.0%")).to_be_visible()
    edited = downloaded(page, "Download the levers (CSV)")
    ratios = ["--set", "target_request_hit_ratio=0.8"]
    assert edited == cli_bytes(tmp_path, "savings", *db, *CLI_FAST, *ratios)
    full_screenshot(page, artifacts / "savings.png")

    # The other sections, one at a time, each in the link.
    page.set_viewport_size({"width": 1600, "height": 1000})
    box.fill("65")  # back to the set's value, as the CLI's commitments read it
    box.press("Enter")
    settle(page)
    page.get_by_role("radio", name="Commitments", exact=True).click()
    expect(page).to_have_url(re.compile(r"[?&]sv_section=Commitments"), timeout=60_000)
    expect(page.locator(".js-plotly-plot")).to_have_count(1, timeout=120_000)  # one figure
    settle(page)
    commitments = downloaded(page, "Download the commitments (CSV)")
    assert commitments == cli_bytes(tmp_path, "commitments", *db, *CLI_FAST)
    full_screenshot(page, artifacts / "savings_commitments.png")

    page.set_viewport_size({"width": 1600, "height": 1000})
    page.get_by_role("radio", name="Stated plan", exact=True).click()
    expect(page).to_have_url(re.compile(r"[?&]sv_section=Stated\+plan"), timeout=60_000)
    expect(page.locator(".js-plotly-plot")).to_have_count(1, timeout=120_000)  # one figure
    settle(page)
    with Store(demo_db, read_only=True) as store:
        stated = store.stated_savings("apex-2026").drop(columns="currency")
    stated.to_csv(tmp_path / "apex-2026.csv", index=False)
    reconciled = downloaded(page, "Download the reconciliation (CSV)")
    assert reconciled == cli_bytes(
        tmp_path, "savings", "--stated", str(tmp_path / "apex-2026.csv"), *db
    )
    expect(page.locator(ERRORS)).to_have_count(0)
    full_screenshot(page, artifacts / "savings_stated.png")
