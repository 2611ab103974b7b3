"""Data page pulls: Cost Explorer against moto (injected results) into the run log; no
credentials is a one-line note, never a traceback; each source shows its cron line."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import streamlit as st
from moto import mock_aws
from streamlit.testing.v1 import AppTest

from forecasting.store import Store
from tests.app.conftest import APP
from tests.ingest.test_cost_explorer import EC2, day, group, inject, page

PAGE = "app_pages/data.py"


def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def data_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[AppTest, Path]]:
    db = tmp_path / "capcost.duckdb"
    Store(db).close()
    monkeypatch.setenv("CAPCOST_DB", str(db))
    _isolated(monkeypatch, tmp_path)
    st.cache_data.clear()
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.switch_page(PAGE)
    at.run()
    yield at, db
    st.cache_data.clear()


def _pull(at: AppTest) -> None:
    next(b for b in at.button if b.label == "Pull").click()
    at.run()


def test_each_source_shows_its_cron_line(data_page: tuple[AppTest, Path]) -> None:
    at, db = data_page
    assert not at.exception
    assert "ingest cost-explorer" in at.code[0].value and str(db) in at.code[0].value
    at.selectbox[0].set_value("cloudwatch")
    at.run()
    assert "ingest cloudwatch --config" in at.code[0].value
    assert at.code[0].value.startswith("30 6 * * * ")


def test_no_credentials_is_one_line(data_page: tuple[AppTest, Path]) -> None:
    at, _db = data_page
    _pull(at)
    assert not at.exception
    message = at.error[0].value
    assert message.startswith("Cost Explorer pull failed: no AWS credentials found")
    assert "\n" not in message and "Traceback" not in message


def test_a_cost_explorer_pull_lands_in_the_run_log(
    data_page: tuple[AppTest, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    at, db = data_page
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    start = date.today() - timedelta(days=2)
    with mock_aws():
        inject(
            page(
                [
                    day(
                        f"{start}",
                        f"{start + timedelta(days=1)}",
                        [group(EC2, "111111111111", "10.5", "9.5")],
                    )
                ]
            )
        )
        at.date_input[0].set_value(start)
        at.run()
        _pull(at)
    assert not at.exception, at.exception
    assert "rows stored from Cost Explorer" in at.success[0].value
    with Store(db, read_only=True) as store:
        run = store.runs()[0]
    assert run["status"] == "succeeded" and run["source"].startswith("cost-explorer")
    runs = at.dataframe[-1].value
    assert "succeeded" in set(runs["status"])
