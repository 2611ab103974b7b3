"""Data page in a real browser: a Cost Explorer pull against a moto server lands in the run log."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from forecasting.store import Store
from tests.e2e.conftest import _free_port, chromium_path, start_app
from tests.ingest.test_cost_explorer import EC2, day, group, page

pytestmark = pytest.mark.e2e


@pytest.fixture
def moto_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path]]:
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
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }.items():
        monkeypatch.setenv(key, value)
    db = tmp_path / "capcost.duckdb"
    Store(db).close()
    proc, url = start_app(db, tmp_path / "streamlit.log")
    yield url, db
    proc.terminate()
    moto.terminate()
    proc.wait(timeout=20)
    moto.wait(timeout=20)


def test_a_cost_explorer_pull_from_the_page(moto_app: tuple[str, Path], page: Page) -> None:
    url, db = moto_app
    page.goto(f"{url}/data")
    expect(page.get_by_text("ingest cost-explorer")).to_be_visible(timeout=60_000)
    page.get_by_role("button", name="Pull").click()
    expect(page.get_by_text("rows stored from Cost Explorer")).to_be_visible(timeout=60_000)
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    with Store(db, read_only=True) as store:
        assert store.runs()[0]["status"] == "succeeded"
