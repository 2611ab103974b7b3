"""Data page: freshness, quality warnings and run history render; uploads run the real ingest."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from forecasting.store import Store
from tests.app.conftest import APP
from tests.ingest import billing_fixtures as fx

PAGE = "app_pages/data.py"


def test_data_page_renders_on_the_demo(app_at: Callable[[str | None], AppTest]) -> None:
    at = app_at(PAGE)
    assert not at.exception
    assert at.title[0].value == "Data"
    headers = [h.value for h in at.subheader]
    assert headers == ["Sources", "Data quality", "Ingest a file", "Pull from AWS", "Ingest runs"]
    freshness = at.dataframe[0].value
    assert {"source", "last_day", "rows", "last_status"} <= set(freshness.columns)
    assert "demo" in set(freshness["source"])
    runs = at.dataframe[-1].value
    assert "succeeded" in set(runs["status"])
    assert at.warning or at.success  # the quality section says something either way


@pytest.fixture
def fresh_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[AppTest, Path]:
    db = tmp_path / "capcost.duckdb"
    monkeypatch.setenv("CAPCOST_DB", str(db))
    st.cache_data.clear()
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.switch_page(PAGE)
    at.run()
    return at, db


def test_upload_a_billing_export(fresh_app: tuple[AppTest, Path], tmp_path: Path) -> None:
    at, db = fresh_app
    assert "no database" in at.info[0].value  # nothing yet, but the upload box is there
    rows = fx.focus_rows()
    content = fx.write_csv(rows, tmp_path / "focus.csv", fx.FOCUS_HEADER).read_bytes()
    at.file_uploader[0].upload("focus.csv", content, "text/csv")
    at.run()
    at.button[0].click()
    at.run()
    assert not at.exception
    assert f"{len(rows)} rows stored from focus.csv" in at.success[0].value
    assert "focus" in set(at.dataframe[0].value["source"])
    assert any("no category" in w.value.lower() for w in at.warning)  # the fixture's tax line
    with Store(db, read_only=True) as store:
        assert store.runs()[0]["status"] == "succeeded"


def test_a_broken_upload_names_row_and_column(
    fresh_app: tuple[AppTest, Path], tmp_path: Path
) -> None:
    at, db = fresh_app
    rows = fx.focus_rows()
    rows[2] |= {"BilledCost": "12,50"}
    content = fx.write_csv(rows, tmp_path / "bad.csv", fx.FOCUS_HEADER).read_bytes()
    at.file_uploader[0].upload("march.csv", content, "text/csv")
    at.run()
    at.button[0].click()
    at.run()
    assert not at.exception
    message = at.error[0].value
    assert message.startswith("file march.csv, row 3, column 'BilledCost'")
    with Store(db, read_only=True) as store:
        assert store.con.execute("SELECT count(*) FROM cost_line_items").fetchall() == [(0,)]
        assert store.runs()[0]["status"] == "failed"


def test_upload_a_metric_file(fresh_app: tuple[AppTest, Path]) -> None:
    at, db = fresh_app
    at.radio[0].set_value("metric")
    at.run()
    at.text_input[0].input("signups")
    at.text_input[1].input("users")
    at.text_input[2].input("channel=web")
    content = b"day,signups\n2024-05-01,10\n2024-05-02,14\n"
    at.file_uploader[0].upload("signups.csv", content, "text/csv")
    at.run()
    at.button[0].click()
    at.run()
    assert not at.exception
    assert "2 rows stored from signups.csv" in at.success[0].value
    with Store(db, read_only=True) as store:
        daily = store.con.execute(
            "SELECT day, mean, dimensions FROM metric_daily WHERE metric = 'signups' ORDER BY day"
        ).fetchall()
    assert [(str(d), m, dims) for d, m, dims in daily] == [
        ("2024-05-01", 10.0, '{"channel":"web"}'),
        ("2024-05-02", 14.0, '{"channel":"web"}'),
    ]
