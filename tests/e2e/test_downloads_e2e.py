"""A download that cannot be made, in a real browser: the page says why and keeps saying it."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import start_app
from tests.e2e.readable_scan import settle
from tests.e2e.test_capacity_e2e import downloaded

pytestmark = pytest.mark.e2e
PACK = "Download the review pack (Excel)"
# A writer holding the file until its stdin closes (the app waits 10 s for a lock).
HOLD = (
    "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
    "sys.stdin.read(); c.close()"
)


def test_a_download_that_fails_says_why_until_one_is_made(
    page: Page, demo_db: Path, tmp_path: Path
) -> None:
    """The review pack asked for while an ingest holds the database: streamlit's own note
    lasts 5 s, the page's line names the file and the reason and stays; the next click,
    once the writer has gone, downloads the pack and takes the line away."""
    db = tmp_path / "capcost.duckdb"
    shutil.copyfile(demo_db, db)  # a copy of its own to lock, not the shared server's
    proc, url = start_app(db, tmp_path / "streamlit.log")
    try:
        page.set_viewport_size({"width": 1400, "height": 1000})
        page.goto(f"{url}/review")
        expect(page.get_by_role("button", name=PACK)).to_be_visible(timeout=180_000)
        settle(page)
        writer = subprocess.Popen(
            [sys.executable, "-c", HOLD, str(db)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert writer.stdout is not None and writer.stdout.readline().strip() == "held"
            page.get_by_role("button", name=PACK).click()
            line = page.get_by_text(re.compile(r"^cost_review_.*\.xlsx was not made: .* is busy"))
            expect(line).to_be_visible(timeout=90_000)
        finally:
            assert writer.stdin is not None
            writer.stdin.close()
            writer.wait(timeout=30)
        settle(page)
        page.wait_for_timeout(6_000)  # past streamlit's own 5 s note: the line stays
        expect(line).to_have_count(1)
        assert downloaded(page, PACK)[:2] == b"PK"  # an xlsx is a zip
        expect(line).to_have_count(0, timeout=60_000)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
