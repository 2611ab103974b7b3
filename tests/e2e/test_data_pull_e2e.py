"""Data page in a real browser: a Cost Explorer and a CloudWatch pull against a moto server,
each started from the page, moving its progress bar and landing in the run log."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from playwright.sync_api import Page, expect

from forecasting.store import Store
from tests.e2e.conftest import _free_port, chromium_path, start_app
from tests.e2e.readable_scan import GRID, choose, read_grid, settle
from tests.ingest.test_cloudwatch import ALB_QUERY, put_a_day_of_requests
from tests.ingest.test_cost_explorer import EC2, day, group, page

pytestmark = pytest.mark.e2e

# Every state the page's progress bar is drawn in, recorded as it happens: a pull of a few
# rows is over (and the page rerun) before a test could look at the bar afterwards.
WATCH_PROGRESS = """() => {
  window.progressSeen = [];
  const record = () => document.querySelectorAll('[data-testid="stProgress"]').forEach(el => {
    const bar = el.querySelector('[role="progressbar"]');
    const seen = {text: el.innerText.trim(), value: bar ? bar.getAttribute('aria-valuenow') : null};
    if (!window.progressSeen.some(s => s.text === seen.text && s.value === seen.value)) {
      window.progressSeen.push(seen);
    }
  });
  new MutationObserver(record).observe(document.body,
    {subtree: true, childList: true, characterData: true, attributes: true});
}"""


@pytest.fixture
def moto_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path]]:
    """A moto server holding a day of Cost Explorer results and of ALB request counts, and
    the app on an empty database, pointed at it by boto3's default chain (environment)."""
    chromium_path()
    port = _free_port()
    moto = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=(tmp_path / "moto.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    start = date.today() - timedelta(days=2)
    result = page([day(f"{start}", f"{start + timedelta(days=1)}", [group(EC2, "1", "10", "9")])])
    body = json.dumps({"results": [result]}).encode()
    request = urllib.request.Request(
        f"{endpoint}/moto-api/static/ce/cost-and-usage-results", body, method="POST"
    )
    urllib.request.urlopen(request, timeout=5)
    cloudwatch_config = tmp_path / "cloudwatch.toml"
    cloudwatch_config.write_text(ALB_QUERY)
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "CAPCOST_CLOUDWATCH_CONFIG": str(cloudwatch_config),
        "CAPCOST_REFRESH": "0",  # the run log is what is checked, not a refresh after it
    }.items():
        monkeypatch.setenv(key, value)
    cw = boto3.client("cloudwatch", region_name="us-east-1", endpoint_url=endpoint)
    put_a_day_of_requests(cw, start)
    db = tmp_path / "capcost.duckdb"
    Store(db).close()
    proc, url = start_app(db, tmp_path / "streamlit.log")
    yield url, db
    proc.terminate()
    moto.terminate()
    proc.wait(timeout=20)
    moto.wait(timeout=20)


def _pull(page: Page, url: str, source: str) -> list[dict[str, Any]]:
    """Open the Data page, choose ``source``, press Pull and wait for its notice; the
    progress bar's states seen meanwhile."""
    page.set_viewport_size({"width": 1400, "height": 1200})
    page.goto(f"{url}/data")
    expect(page.get_by_text("ingest cost-explorer")).to_be_visible(timeout=60_000)
    settle(page)
    if source != "Cost Explorer":
        choose(page, "Source", source)
    page.evaluate(WATCH_PROGRESS)
    page.get_by_role("button", name="Pull").click()
    expect(page.get_by_text(f"rows stored from {source}")).to_be_visible(timeout=90_000)
    settle(page)
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    seen: list[dict[str, Any]] = page.evaluate("() => window.progressSeen")
    return seen


def _run_log(page: Page) -> list[dict[str, str]]:
    """The Ingest runs table as the page shows it: one dict per row, by header."""
    grid = page.locator(GRID).last
    cells, heads, _size, _sideways = read_grid(page, grid)
    rows: dict[str, dict[str, str]] = {}
    for cell_id, text in cells.items():
        # glide's accessible cells are named "glide-cell-<column>-<row>"
        column, row = cell_id.rsplit("-", 2)[-2:]
        rows.setdefault(row, {})[heads.get(str(int(column) + 1), column)] = text
    return [rows[r] for r in sorted(rows, key=int)]


@pytest.mark.parametrize(
    ("source", "logged", "metric"),
    [
        ("Cost Explorer", "cost-explorer", None),
        ("CloudWatch", "cloudwatch", "requests_per_second"),
    ],
)
def test_a_pull_from_the_page_moves_its_bar_and_lands_in_the_run_log(
    moto_app: tuple[str, Path], page: Page, source: str, logged: str, metric: str | None
) -> None:
    url, db = moto_app
    seen = _pull(page, url, source)
    # The bar was drawn, said what it was doing, and moved on from its start.
    assert seen, "no progress bar was drawn"
    assert seen[0]["text"] == f"Starting the {source} pull", seen
    assert len(seen) > 1 and any(s["text"] != seen[0]["text"] for s in seen), seen
    with Store(db, read_only=True) as store:
        run = store.runs()[0]
        assert run["status"] == "succeeded" and run["source"].startswith(logged), run
        if metric is not None:
            assert metric in store.stored_metrics()
    # The run log on the page shows the run as the store holds it.
    log = _run_log(page)
    assert [r.get("Status") for r in log] == ["succeeded"], log
    # (the grid's accessible copy of a number is its value; the canvas draws it "3,757")
    assert log[0]["Source"].startswith(logged), log
    assert log[0]["Rows"].replace(",", "") == str(run["rows"]) and run["rows"] > 0, log
    assert log[0]["Run"] == str(run["run_id"]), log
    started = datetime.now(UTC).strftime("%-d %b %Y")
    assert log[0]["Started"].startswith(started), log
