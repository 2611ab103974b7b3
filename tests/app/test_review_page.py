"""The Cost review page renders the demo's review with no exception."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import streamlit as st
from pytest import MonkeyPatch
from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, tables
from tests.app.test_capacity_page import specs


def test_review_page_renders(app_at: Callable[[str | None], AppTest]) -> None:
    at = app_at("app_pages/review.py")
    assert not at.exception
    assert at.title[0].value == "Cost review"
    # The review opens on the month just ended; the picker lists the running month first,
    # marked as the tables mark it; ended months keep their name.
    assert at.selectbox[0].value == "2026-10"
    assert at.selectbox[0].options[:2] == ["Nov 2026 (to 26 Nov)", "Oct 2026"]
    assert "Spend Oct 2026" in [m.label for m in at.metric]
    at.selectbox[0].select("2026-11").run()
    assert not at.exception
    # The demo stops on 26 Nov: the running month is compared with the same days before.
    # The two unit-economics charts side by side are one figure of two panels.
    assert len(at.get("plotly_chart")) == 2
    charts = specs(at)
    assert list(charts) == [
        "Change by group, Nov 2026 1–26 vs Oct 2026 1–26",
        "Cost per user",
        "Cost per million requests",
    ]
    # One legend for both panels: its entries in words, not the columns' code names.
    legend = [t["name"] for t in charts["Cost per user"]["data"]]
    legend += [t["name"] for t in charts["Cost per million requests"]["data"]]
    assert legend == ["Cost per user", "Per M requests"]
    variance = json.loads(at.dataframe[0].proto.columns)
    assert variance["previous"]["label"] == "Oct 2026 1–26 (USD)"
    assert variance["current"]["label"] == "Nov 2026 1–26 (USD)"
    assert "Spend Nov 2026 (month to date)" in [m.label for m in at.metric]
    plan = tables(at)[3]  # one unit per row, never USD and users in one column
    assert plan["Measure"].tolist() == ["Cost", "Users", "Cost per user"]
    assert plan["Planned"].str.endswith((" USD", " users", " USD/user")).all()


def test_a_whole_month_is_compared_with_the_whole_month_before(
    app_at: Callable[[str | None], AppTest],
) -> None:
    at = app_at("app_pages/review.py")
    at.selectbox[0].select("2026-10").run()
    assert next(iter(specs(at))) == "Change by group, Oct 2026 vs Sep 2026"
    assert json.loads(at.dataframe[0].proto.columns)["current"]["label"] == "Oct 2026 (USD)"


def test_choosing_a_month_updates_the_plan_comparison(
    app_at: Callable[[str | None], AppTest],
) -> None:
    at = app_at("app_pages/review.py")
    at.selectbox[0].select("2026-04").run()
    assert not at.exception
    labels = {m.label: m.value for m in at.metric}
    assert labels["Plan of record"] == "10,000 USD"
    assert "Spend Apr 2026" in labels


def test_freezing_a_plan_makes_the_review_compare_with_it(
    app_at: Callable[[str | None], AppTest], demo_db: Path, tmp_path: Path, monkeypatch: MonkeyPatch
) -> None:
    db = tmp_path / "copy.duckdb"
    db.write_bytes(demo_db.read_bytes())
    monkeypatch.setenv("CAPCOST_DB", str(db))
    at = app_at("app_pages/review.py")
    plans_before = len(tables(at)[-1])
    at.button[0].click().run()
    assert not at.exception
    assert any("Frozen as plans" in s.value for s in at.success)
    assert len(tables(at)[-1]) == plans_before + 2
    at.run()  # the next run's review reads the new plan
    plan = next(m for m in at.metric if m.label == "Plan of record")
    assert plan.value != "13,867 USD"  # no longer the document's plan prorated to 26 days


def test_no_cost_data_is_an_info(empty_app_at: Callable[[str], AppTest]) -> None:
    at = empty_app_at("app_pages/review.py")
    assert "no cost data stored yet" in at.info[0].value
    assert not at.metric and not at.dataframe and not at.button


@pytest.mark.parametrize(
    ("link", "opened", "spend"),
    [
        ("2026-09", "2026-09", "Spend Sep 2026"),
        # A month with no data is no link: the review opens on the month just ended.
        ("1999-01", "2026-10", "Spend Oct 2026"),
    ],
)
def test_a_link_opens_the_review_on_the_month_it_names(
    demo_db: Path, monkeypatch: MonkeyPatch, link: str, opened: str, spend: str
) -> None:
    monkeypatch.setenv("CAPCOST_DB", str(demo_db))
    st.cache_data.clear()
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["month"] = link
    at.run()
    at.switch_page("app_pages/review.py")
    at.run()
    assert not at.exception
    assert at.selectbox[0].value == opened
    assert spend in [m.label for m in at.metric]
    st.cache_data.clear()
