"""The Capacity page under AppTest: plan and runway drawn, numbers equal to the CLI's, edits."""

from __future__ import annotations

import base64
import io
import json
import math
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from forecasting.cli import main
from forecasting.presentation import format_date, format_quarter
from forecasting.store import Store
from tests.app.conftest import APP

PAGE = "app_pages/capacity.py"
# Quick, deterministic forecasts: these tests check the page, not the models.
FAST = {"cap_model": "drift", "cap_paths": 200, "cap_seed": 1}
CLI_FAST = ["--model", "drift", "--paths", "200", "--seed", "1"]
QUARTERS = [f"2026Q{q}" for q in range(1, 5)] + [f"2027Q{q}" for q in range(1, 5)]


def open_page(at: AppTest, **state: Any) -> AppTest:
    for key, value in {**FAST, **state}.items():
        at.session_state[key] = value
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, at.exception
    return at


def editors(at: AppTest, on: bool = True) -> AppTest:
    """Open (or close) the assumption editors: drawn only when asked for."""
    at.toggle(key="cap_editing").set_value(on).run()
    assert not at.exception, at.exception
    return at


def show(at: AppTest, section: str) -> AppTest:
    """Switch the page to one of its sections (``plan``, the first, or ``runway``)."""
    at.segmented_control(key="cap_section").set_value(section).run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def capacity(app_at: Callable[[str | None], AppTest]) -> AppTest:
    return open_page(app_at(None))


def values(data: Any) -> list[Any]:
    """A trace's x or y as a list: plotly ships numpy arrays as base64 typed arrays."""
    if isinstance(data, dict) and "bdata" in data:
        return np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"]).tolist()
    return list(data)


def specs(at: AppTest) -> dict[str, dict[str, Any]]:
    """Every chart on the page by its title, a figure's panels each as a chart of its own."""
    out: dict[str, dict[str, Any]] = {}
    for chart in at.get("plotly_chart"):
        out.update(panels_of(json.loads(chart.proto.spec)))
    return out


def panels_of(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A figure of panels (charts.panels: no title of its own, one title over each panel)
    split into a figure per panel: its traces and notes, by the axes they are drawn on."""
    layout = spec["layout"]
    if layout.get("title", {}).get("text"):
        return {layout["title"]["text"]: spec}
    notes = layout.get("annotations", [])
    titles = [a for a in notes if a.get("xref") == "paper" and a.get("yref") == "paper"]
    out = {}
    for i, title in enumerate(titles):
        x = "x" if i == 0 else f"x{i + 1}"
        data = [t for t in spec["data"] if t.get("xaxis", "x") == x]
        mine = [a for a in notes if a.get("xref") == x]
        out[title["text"]] = {"data": data, "layout": {"annotations": mine, "title": title}}
    return out


def cli_csv(capsys: pytest.CaptureFixture[str], *args: str) -> pd.DataFrame:
    capsys.readouterr()
    assert main(list(args)) == 0
    return pd.read_csv(io.StringIO(capsys.readouterr().out), keep_default_na=False)


def users_data_to(demo_db: Path) -> Any:
    with Store(demo_db, read_only=True) as store:
        return store.last_full_day("users")


def shown_quarters(demo_db: Path, quarters: list[str]) -> list[str]:
    """The plan's quarter labels: the running one (the data stops inside it) says so."""
    with Store(demo_db, read_only=True) as store:
        to = store.last_full_day("users")
    assert to is not None
    running = f"{to.year}Q{(to.month - 1) // 3 + 1}"
    mark = f" (running, data to {to.day} {to:%b})"
    return [format_quarter(q) + (mark if q == running else "") for q in quarters]


def test_plan_and_runway_render(capacity: AppTest, demo_db: Path) -> None:
    at = capacity
    assert at.title[0].value == "Capacity"
    assert at.segmented_control(key="cap_section").value == "plan"
    assert [h.value for h in at.subheader] == [
        "Quarterly plan: demand to instances to dollars",
        "Capacity assumptions",
    ]
    assert not at.info
    labels = [m.label for m in at.metric]
    assert labels == [
        "Instances, 2027 Q4 (P50)",
        "Infrastructure cost / month, 2027 Q4 (P50)",
        "Peak req/s, 2027 Q4 (P50)",
    ]
    # The change is in the figure's unit, against a running quarter said to be one.
    assert [m.delta.split(" vs ")[1] for m in at.metric] == ["2026 Q4 (observed + forecast)"] * 3
    assert at.metric[1].delta.endswith(" USD vs 2026 Q4 (observed + forecast)")
    plan = at.dataframe[0].value
    assert list(plan["quarter"]) == shown_quarters(demo_db, QUARTERS)
    assert "2026 Q4 (running, data to " in plan["quarter"].iloc[3]
    # The table's two cost columns, and why they part ways by its last quarter (here the
    # drift model's two forecasts may agree: then it says so).
    chain, direct = (plan[c].iloc[-1] for c in ("chain_cost_per_month", "direct_cost_per_month"))
    gap = next(c.value for c in at.caption if " the demand chain" in c.value)
    if abs(chain / direct - 1) <= 0.005:
        assert gap.startswith(
            f"By 2027 Q4 the demand chain and the direct forecast agree ({round(chain):,} USD"
        )
    else:
        assert gap.startswith("**Why the two differ by 2027 Q4**")
        assert f"{max(chain, direct) / min(chain, direct):.2f}x" in gap
        assert f"{round(chain):,} USD" in gap and "users, forecast to grow" in gap
    charts = specs(at)
    instances = charts["Instances (from the quarter's peak req/s)"]["data"]
    # The running quarter is ringed, named in the legend and over its point.
    assert [t["name"] for t in instances] == ["P90", "P10–P90", "P50", "2026 Q4: running"]
    assert values(instances[3]["x"]) == ["2026 Q4"]
    assert values(instances[3]["y"]) == [plan["instances"].iloc[3]]
    notes = [
        a["text"].replace("<br>", " ")  # a long note breaks after its colon
        for a in charts["Instances (from the quarter's peak req/s)"]["layout"]["annotations"]
    ]
    assert notes == [
        f"running, data to {format_date(users_data_to(demo_db))}: observed months + forecast"
    ]
    assert values(instances[2]["x"]) == [format_quarter(q) for q in QUARTERS]
    assert values(instances[2]["y"]) == plan["instances"].tolist()
    assert values(instances[0]["y"]) == plan["instances_upper"].tolist()
    users = charts["Users (quarterly mean)"]["data"]
    assert users[3]["name"] == "Plan of record"
    assert values(users[3]["y"])[:4] == [50_000, 75_000, 100_000, 150_000]  # the document's
    assert [b.proto.label for b in at.get("download_button")] == ["Download the plan (CSV)"]
    explained = [e.markdown[0].value for e in at.expander if e.label == "How is this computed"]
    assert "ceil(peak req/s / 105)" in explained[0]  # 150 req/s per pod at 70%

    show(at, "runway")  # the other section: only it is built and drawn
    assert [h.value for h in at.subheader] == ["Runway to alert thresholds", "Capacity assumptions"]
    charts = specs(at)
    assert len(charts) == 1
    runway = charts["Runway from 26 Nov 2026 to the horizon (26 Nov 2027)"]["data"]
    rows = {y for t in runway for y in values(t["y"])}
    assert "DB connection pool utilization ≥ 90%" in rows and "CPU utilization ≥ 70%" in rows
    table = at.dataframe[0].value
    assert set(table["metric"]) == {
        "CPU utilization",
        "Memory utilization",
        "DB connection pool utilization",
        "Disk utilization",
    }
    assert [b.proto.label for b in at.get("download_button")] == ["Download the runway (CSV)"]
    explained = [e.markdown[0].value for e in at.expander if e.label == "How is this computed"]
    assert "Headroom" in explained[0]


def test_page_numbers_match_the_cli(
    capacity: AppTest, demo_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = capacity.dataframe[0].value
    cli = cli_csv(capsys, "plan", "--db", str(demo_db), *CLI_FAST)
    # The CSV says in `complete` what the page writes into the running quarter's label.
    assert cli.columns[-1] == "complete"
    assert cli["complete"].tolist() == [True] * 3 + [False] * 5
    cli = cli.drop(columns="complete")
    assert list(cli.columns) == list(page.columns[: len(cli.columns)])
    numbers = [c for c in cli.columns if c not in ("quarter", "source")]
    # The page rounds as a person reads: whole users, instances and dollars from 100 up.
    page_numbers = page[numbers].astype(float)
    cli_numbers = cli[numbers].replace("", math.nan).astype(float)
    np.testing.assert_allclose(page_numbers, cli_numbers, rtol=5e-3, atol=0.5)
    runway = cli_csv(capsys, "runway", "--db", str(demo_db), *CLI_FAST)
    shown = show(capacity, "runway").dataframe[0].value
    for column in ("date_p50", "date_p10"):  # ISO in the CSV, "20 Jun 2027" on the page
        dates = [format_date(d) if d[:1].isdigit() else d for d in runway[column]]
        assert shown[column].tolist() == dates
    peaks = runway["max_p90_pct"].tolist()
    assert shown["max_p90_pct"].tolist() == pytest.approx(peaks, abs=0.0501)  # half up, 1 place


def test_quarters_and_level_recompute_the_plan(capacity: AppTest, demo_db: Path) -> None:
    at = capacity
    at.number_input(key="cap_quarters").set_value(1).run()
    assert list(at.dataframe[0].value["quarter"]) == shown_quarters(demo_db, QUARTERS[:5])
    at.select_slider(key="cap_level").set_value(50).run()
    assert not at.exception
    instances = specs(at)["Instances (from the quarter's peak req/s)"]["data"]
    assert [t["name"] for t in instances] == ["P75", "P25–P75", "P50", "2026 Q4: running"]
    assert at.metric[0].label == "Instances, 2027 Q1 (P50)"


def test_an_edited_assumption_resizes_the_plan_without_saving(
    capacity: AppTest, demo_db: Path
) -> None:
    at = editors(capacity)
    sizing = at.data_editor[0]
    at.session_state[sizing.key] = {
        "edited_rows": {0: {"target_cpu_pct": 50}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert not at.exception
    plan = at.dataframe[0].value
    for _, row in plan.iterrows():  # 150 req/s per pod at 50%, N+1, at least 3
        assert row["instances"] == max(3, math.ceil(row["requests_per_second_peak"] / 75) + 1)
    explained = next(e for e in at.expander if e.label == "How is this computed")
    assert "`target_utilisation` = 0.5" in explained.markdown[0].value
    with Store(demo_db, read_only=True) as store:
        assert store.assumption_set_names() == ["apex-capacity"]


def test_the_editors_open_when_asked_and_keep_their_edits_while_closed(
    capacity: AppTest,
) -> None:
    at = capacity
    assert not at.data_editor
    line = next(c.value for c in at.caption if c.value.startswith("From **apex-capacity**:"))
    assert "150 req/s per pod at 70% CPU" in line and "Not saved" not in line
    assert not [c.value for c in at.caption if "edited below, not saved" in c.value]
    assert "CPU utilization 70%" in line
    base = at.dataframe[0].value["instances"].tolist()
    editors(at)
    assert len(at.data_editor) == 2
    at.session_state[at.data_editor[0].key] = {
        "edited_rows": {0: {"rps_per_instance": 300}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    edited = at.dataframe[0].value["instances"].tolist()
    assert edited != base
    editors(at, on=False)  # closed: the plan still uses the edit, and says so
    assert not at.data_editor
    assert at.dataframe[0].value["instances"].tolist() == edited
    line = next(c.value for c in at.caption if c.value.startswith("From **apex-capacity**:"))
    assert "300 req/s per pod" in line and "**Edited here, not saved.**" in line
    # Above the figures too: kept edits outlive a visit to another page.
    warned = [c.value for c in at.caption if "edited below, not saved" in c.value]
    assert len(warned) == 1
    editors(at)  # opened again: the editor shows the edit it keeps
    assert at.data_editor[0].value["rps_per_instance"].tolist() == [300]
    assert at.dataframe[0].value["instances"].tolist() == edited


def test_saving_a_set_selects_it_everywhere(
    demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "capcost.duckdb"
    shutil.copy(demo_db, db)
    monkeypatch.setenv("CAPCOST_DB", str(db))
    st.cache_data.clear()
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    editors(open_page(at))
    at.session_state[at.data_editor[1].key] = {
        "edited_rows": {0: {"threshold_pct": 60}},  # cpu_utilization
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    at.text_input[0].set_value("cfo-review").run()
    at.button[0].click().run()
    assert not at.exception
    assert "Saved **cfo-review** version 1" in at.success[0].value
    assert at.selectbox(key="cap_set").value == "cfo-review"
    assert at.session_state["assumption_set"] == "cfo-review"
    with Store(db, read_only=True) as store:
        saved = store.load_assumptions("cfo-review")
    assert saved["alert_thresholds"]["cpu_utilization"] == 60
    assert saved["target_utilisation"] == 0.7 and "target_cpu_utilisation" not in saved
    runway = show(at, "runway").dataframe[0].value.set_index("metric")
    assert runway.loc["CPU utilization", "threshold_pct"] == 60
    for key, value in {"sv_model": "drift", "sv_paths": 200}.items():
        at.session_state[key] = value
    at.switch_page("app_pages/savings.py")
    at.run()
    assert at.selectbox(key="sv_set").value == "cfo-review"
    st.cache_data.clear()


def test_no_data_is_an_info(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "empty.duckdb"
    Store(db).close()  # migrated, no data
    monkeypatch.setenv("CAPCOST_DB", str(db))
    st.cache_data.clear()
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    open_page(at)
    reasons = [i.value for i in at.info]
    assert any("no users, requests_per_second" in r for r in reasons)
    reasons = [i.value for i in show(at, "runway").info]
    assert any("none of the metrics with alert thresholds is stored" in r for r in reasons)
    assert not at.data_editor  # drawn when asked for
    assert editors(at).data_editor  # the assumptions can still be edited and saved
    st.cache_data.clear()


def test_an_assumption_edit_reuses_the_forecasts(
    app_at: Callable[[str | None], AppTest], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A widget that does not change the history or the forecast settings forecasts nothing."""
    from forecasting.models import options as service

    calls: list[str] = []
    real = service.run_models

    def counting(frame: pd.DataFrame, h: int, freq: str, options: Any) -> Any:
        calls.append(freq)
        return real(frame, h, freq, options)

    monkeypatch.setattr(service, "run_models", counting)
    at = open_page(app_at(None))
    # The plan's users and bill, and its cost backtest (12 origins x both, in one call);
    # the runway's section is not shown.
    assert sorted(calls) == ["month"] * 3
    editors(at)
    assert sorted(calls) == ["month"] * 3  # opening the editors forecasts nothing either
    at.session_state[at.data_editor[0].key] = {
        "edited_rows": {0: {"rps_per_instance": 300}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    plan = at.dataframe[0].value
    assert plan["instances"].iloc[0] == max(
        3, math.ceil(plan["requests_per_second_peak"].iloc[0] / 210) + 1
    )
    assert len(calls) == 3
    at.number_input(key="cap_quarters").set_value(2).run()
    # A longer horizon: only the plan's users and bill (the backtest's horizon is its own).
    assert sorted(calls) == ["month"] * 5
    show(at, "runway")  # its daily forecast, once
    assert sorted(calls) == ["day", *["month"] * 5]


def test_in_january_every_quarter_is_a_forecast(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import date

    from forecasting.demo import build_demo

    db = tmp_path / "january.duckdb"
    build_demo(db, until=date(2027, 1, 15), seed=7)  # the last full month is December
    monkeypatch.setenv("CAPCOST_DB", str(db))
    st.cache_data.clear()
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    open_page(at)
    plan = at.dataframe[0].value
    running = "2027 Q1 (running, data to 15 Jan)"
    assert list(plan["quarter"]) == [running] + [f"2027 Q{q}" for q in range(2, 5)] + ["2028 Q1"]
    assert set(plan["source"]) == {"forecast"}
    cost = specs(at)["Infrastructure cost per month"]
    assert [a["text"].replace("<br>", " ") for a in cost["layout"]["annotations"]] == [
        "running, data to 15 Jan 2027: forecast, no full month yet"
    ]
    assert at.metric[0].label == "Instances, 2028 Q1 (P50)"
    assert "vs 2027 Q1" in at.metric[0].delta
    st.cache_data.clear()
