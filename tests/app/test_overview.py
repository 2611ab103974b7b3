"""Overview renders the demo's headline figures, its cost-group table and charts."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP
from tests.app.test_capacity_page import specs


def test_overview_renders_without_exception(app_at: Callable[[str | None], AppTest]) -> None:
    at = app_at(None)
    assert not at.exception
    assert at.title[0].value == "Overview"
    labels = [m.label for m in at.metric]
    assert labels == [
        "Spend Oct 2026",
        "Plan of record, Oct 2026",
        "Year to date 2026",
        "Users (7-day average)",
        "Nov 2026 so far (26 days)",
        "Nowcast Nov 2026",
        "Forecast 2027 Q1",
    ]
    values = [m.value for m in at.metric]
    assert len(set(values)) == len(values), values
    assert all("band" in m.delta for m in at.metric[-2:])


def test_overview_table_has_the_documents_groups(app_at: Callable[[str | None], AppTest]) -> None:
    at = app_at(None)
    table = at.dataframe[0].value
    assert set(table["group"]) == {"Compute", "Database", "CDN", "Monitoring", "Misc"}
    assert table["percent"].sum() == pytest.approx(100, abs=0.3)


def test_overview_charts_carry_the_data(app_at: Callable[[str | None], AppTest]) -> None:
    at = app_at(None)
    # Users and requests/s side by side are one figure of two panels, not two figures.
    assert len(at.get("plotly_chart")) == 2
    charts = specs(at)
    assert list(charts) == ["Monthly cost by group", "Users (daily)", "Requests/s (daily)"]
    assert [t["name"] for t in charts["Requests/s (daily)"]["data"]] == [
        "Requests/s",
        "Peak requests/s",
    ]
    assert [t["name"] for t in charts["Users (daily)"]["data"]] == ["Users"]
    bar_names = {trace["name"] for trace in charts["Monthly cost by group"]["data"]}
    assert bar_names == {"Compute", "Database", "CDN", "Monitoring", "Misc"}


def test_missing_database_shows_what_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAPCOST_DB", str(tmp_path / "absent.duckdb"))
    st.cache_data.clear()
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert not at.exception
    assert "make demo" in at.info[0].value


def test_the_running_month_is_hatched_and_labelled(
    app_at: Callable[[str | None], AppTest],
) -> None:
    at = app_at(None)
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    for trace in spec["data"]:
        shapes = dict(zip(trace["x"], trace["marker"]["pattern"]["shape"], strict=True))
        partial = [x for x, shape in shapes.items() if shape]
        assert [x[:7] for x in partial] == ["2026-11"], trace["name"]
    notes = [a["text"] for a in spec["layout"]["annotations"]]
    assert len(notes) == 1 and re.fullmatch(r"partial: to \d{1,2} Nov 2026", notes[0]), notes
