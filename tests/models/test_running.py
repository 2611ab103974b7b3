"""The demo: the running month nowcast, the forecast a year ago, horizon and level coherence."""

from __future__ import annotations

import warnings
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecasting.cli import main
from forecasting.demand.asof import RECORD_AS_OF_COLUMNS, cost_of_record_as_of
from forecasting.demand.chain import CHAIN, DIRECT
from forecasting.interface import Freq
from forecasting.models.asof import AS_OF_COLUMNS, forecast_as_of
from forecasting.models.service import forecast_store
from forecasting.store import Store
from tests.conftest import DEMO_SEED

from .conftest import AsOfTable


@pytest.fixture(scope="module")
def later_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo to the end of November 2026: the month the session demo is inside."""
    from forecasting.demo import build_demo

    path = tmp_path_factory.mktemp("later") / "capcost.duckdb"
    build_demo(path, until=date(2026, 11, 30), seed=DEMO_SEED)
    return path


@pytest.mark.parametrize("metric", ["cost", "users"])
def test_running_month_is_nowcast_from_its_days(
    demo_db: Path, later_demo: Path, metric: str
) -> None:
    with Store(demo_db, read_only=True) as store:
        fc = forecast_store(store, metric, h=3)
    with Store(later_demo, read_only=True) as store:
        actual, _ = store.read_series(metric, Freq.MONTH)
    november = fc.table[fc.table["ds"] == pd.Timestamp("2026-11-01")].iloc[0]
    truth = float(actual.loc[actual["ds"] == pd.Timestamp("2026-11-01"), "y"].iloc[0])
    assert abs(november["forecast"] / truth - 1) < 0.03
    # 26 of 30 days are known: the band is a few percent wide, not a month ahead's.
    assert november["upper"] / november["lower"] < 1.1
    assert any("running (26 of 30 days observed)" in str(e) for e in fc.result.excuses)
    december = fc.table[fc.table["ds"] == pd.Timestamp("2026-12-01")].iloc[0]
    assert december["forecast"] > 0.97 * november["forecast"]


def test_the_months_after_a_running_month_are_forecast_from_its_nowcast(
    later_demo: Path,
) -> None:
    """With 29 of November's 30 days known, December is forecast as from the whole month.

    Before, the months after the nowcast kept the growth of the forecast made without it,
    moved by November's surprise: users grew 14-22% a month, November's nowcast came in
    10% above the forecast of it, and December was 3% above November (the chain's cost
    December barely above the bill's November).
    """
    from forecasting.demand.record import cost_of_record

    with Store(later_demo, read_only=True) as store:
        whole = forecast_store(store, "users", h=2).table.set_index("ds")["forecast"]
        running = store.as_it_stood(date(2026, 11, 29))
        nowcast = forecast_store(running, "users", h=3).table.set_index("ds")["forecast"]
        cost = cost_of_record(running, quarters=1).chosen.months.set_index("ds")["forecast"]
    november, december = pd.Timestamp("2026-11-01"), pd.Timestamp("2026-12-01")
    assert abs(nowcast[december] / whole[december] - 1) < 0.01
    assert nowcast[december] > 1.04 * nowcast[november]
    assert cost[december] > 1.02 * cost[november]


def test_month_forecasts_ignore_horizon_freq_and_level_order(demo_db: Path) -> None:
    with Store(demo_db, read_only=True) as store:
        runs = {h: forecast_store(store, "users", h=h).table for h in (3, 6, 12, 24)}
        quarters = forecast_store(store, "users", freq="quarter", h=2, level=(95, 50)).table
        again = forecast_store(store, "users", freq="quarter", h=2, level=(50, 95)).table
    base = runs[3].set_index("ds")["forecast"]
    for table in runs.values():
        moved = table.set_index("ds")["forecast"].loc[base.index] / base - 1
        assert (moved.abs() < 0.02).all()
    pd.testing.assert_frame_equal(quarters, again)
    by = {lv: part.set_index("ds") for lv, part in quarters.groupby("level")}
    assert (by[95.0]["lower"] <= by[50.0]["lower"]).all()
    assert (by[95.0]["upper"] >= by[50.0]["upper"]).all()
    months = runs[12].set_index("ds")["forecast"]
    q1 = months.loc["2027-01-01":"2027-03-01"].mean()
    assert abs(by[50.0].loc[pd.Timestamp("2027-01-01"), "forecast"] / q1 - 1) < 0.01


@pytest.mark.parametrize("metric", ["users", "cost"])
def test_lower_edges_stay_above_half_the_last_month(demo_db: Path, metric: str) -> None:
    """The direct forecasts' 80% lower edges a year out. Every backtest forecast of the
    demo's cost ran low (10% at one month to 60% in log at eleven): a band as far below the
    forecast as the errors were above reached 0.40x the last month; it now leans up."""
    with Store(demo_db, read_only=True) as store:
        fc = forecast_store(store, metric, h=12)
    assert (fc.table["lower"] > 0.5 * fc.history["y"].iloc[-1]).all()


def _growth_continued(y: np.ndarray, h: int = 12) -> np.ndarray:
    """The last year's compounding growth run on: log-linear on the last 13 months."""
    t = np.arange(13.0)
    slope, level = np.polyfit(t, np.log(y[-13:]), 1)
    return np.exp(level + slope * (12 + np.arange(1, h + 1)))


def test_the_forecast_a_year_ago_beside_what_happened(later_demo: Path) -> None:
    """The demo's year-ago users forecast carries the growth its history shows: within 15%
    of the year that happened (issue 10's target), near that growth continued, far closer
    than AutoETS and AutoTheta on the same history, its 80% band holding at least 8 months.

    Measured with seeds 1, 2, 3, 7 (benchmarks/bench_year_ago.py): the year's total 6.5,
    3.8, 10.2 and 8.3% under; the last year's compounding growth continued 10.1, 3.2, 13.9
    and 6.5% under; AutoETS 41-55% and AutoTheta 48-52% under; 12 of 12 months inside the
    band on every seed. The demo's past grows at its 2026 plan's pace (44% a quarter); when
    it grew 30% a quarter into that plan, the forecast (17-30% under) was as near the year as
    the growth continued (18-27% under), and no honest forecast of that history could be
    within 15%.
    """
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, AutoTheta

    with Store(later_demo, read_only=True) as store:
        out = forecast_as_of(store, "users", date(2025, 11, 30), h=12)
        history, _ = store.read_series("users", Freq.MONTH, complete_only=True)
    total = out.totals.iloc[0]
    assert total["periods"] == 12 and total["actual"] > 0
    history = history[history["ds"] <= "2025-11-01"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        models = [AutoETS(season_length=12), AutoTheta(season_length=12)]
        theirs = StatsForecast(models=models, freq="MS").forecast(df=history, h=12)
    errors = [abs(theirs[m].sum() / total["actual"] - 1) * 100 for m in ("AutoETS", "AutoTheta")]
    continued = _growth_continued(history["y"].to_numpy(float)).sum() / total["actual"] - 1
    assert abs(total["error_pct"]) < 15
    assert abs(total["error_pct"] - 100 * continued) < 5
    assert abs(total["error_pct"]) < min(errors) - 10
    assert total["inside"] >= 8
    assert total["lower"] < total["forecast"] < total["upper"]


def test_the_cost_forecast_a_year_ago_is_the_forecast_of_record_then(later_demo: Path) -> None:
    """The demo's year-ago cost forecast: the backtest on the data to then chose the demand
    chain, whose year is far closer than the direct forecast, AutoETS and AutoTheta.

    Measured with seeds 1, 2, 3, 7 (benchmarks/bench_year_ago.py): the chain 4.7, 3.9, 7.2
    and 6.7% under the year's bill (the direct forecast 33-35% under, AutoETS 38-40%,
    AutoTheta 31-33%), its 80% band holding 11-12 of the 12 months. Cost is 4,000 + 0.08 x
    users a month, so the chain's error is the users forecast's (4-10% under, see above)
    diluted by the fixed part; the bill's own history mixes the fixed part with the per-user
    growth, which is why the direct forecast runs so far under. On the users that happened
    the chain prices the year 0.5-1.7% under.
    """
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, AutoTheta

    with Store(later_demo, read_only=True) as store:
        out = cost_of_record_as_of(store, date(2025, 11, 30), h=12)
        bill, _ = store.read_series("cost", Freq.MONTH, complete_only=True)
    totals = out.totals.set_index("method")
    record = out.of_record(out.totals).iloc[0]
    assert record["method"] == CHAIN and record["periods"] == 12
    assert record["forecast"] == pytest.approx(out.of_record(out.table)["forecast"].sum(), rel=1e-9)
    total = bill.groupby("ds", as_index=False)["y"].sum().assign(unique_id="total")
    history = total[total["ds"] <= "2025-11-01"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        models = [AutoETS(season_length=12), AutoTheta(season_length=12)]
        theirs = StatsForecast(models=models, freq="MS").forecast(df=history, h=12)
    errors = [abs(theirs[m].sum() / record["actual"] - 1) * 100 for m in ("AutoETS", "AutoTheta")]
    assert abs(record["error_pct"]) < 15
    assert abs(record["error_pct"]) < min(errors) - 10
    assert abs(record["error_pct"]) < abs(totals.loc[DIRECT, "error_pct"]) - 10
    assert record["inside"] >= 8
    assert record["lower"] < record["forecast"] < record["upper"]


def test_the_chain_prices_the_users_that_happened_within_two_percent(later_demo: Path) -> None:
    """The chain fitted on the data to 2025-11-30 and run on the users of the year after it:
    what is left of its cost error once the users forecast is taken out (the demo's seeds
    1, 2, 3, 7: 0.5-1.7% under)."""
    from forecasting.demand.chain import fit_chain, read_history, run_chain
    from forecasting.scenario import load_capacity

    with Store(later_demo, read_only=True) as store:
        full = read_history(store)
        then = read_history(store.as_it_stood(date(2025, 11, 30)))
        a = load_capacity(store, None, ())
    chain = fit_chain(then.demand, then.cost, a)
    after = full.demand.index[full.demand.index > pd.Timestamp("2025-11-01")][:12]
    users = full.demand.loc[after, "users"].to_numpy(float)
    run = run_chain(chain, np.tile(users, (500, 1)), pd.DatetimeIndex(after), a, seed=0)
    priced = float(np.median(run.total_cost, axis=0).sum())
    assert abs(priced / full.total_cost.loc[after].sum() - 1) < 0.02


def test_backtest_as_of_prints_the_comparison(later_demo: Path, as_of_table: AsOfTable) -> None:
    table, err = as_of_table(later_demo, "users", "2026-05-31", 9)
    assert list(table.columns) == list(AS_OF_COLUMNS)
    assert table["ds"].iloc[0] == "2026-06-01" and len(table) == 9
    assert table["actual"].notna().sum() == 6  # June to November happened
    np.testing.assert_allclose(table["error"], table["forecast"] - table["actual"], atol=1e-5)
    assert "total of 6 period(s) after 2026-05-31" in err


def test_backtest_as_of_cost_is_the_forecast_of_record_then(
    later_demo: Path, as_of_table: AsOfTable
) -> None:
    table, err = as_of_table(later_demo, "cost", "2026-05-31", 9)
    assert list(table.columns) == list(RECORD_AS_OF_COLUMNS)
    # Both methods, nine months each, the one of record first; the same months and bill.
    assert table.groupby("method").size().to_dict() == {CHAIN: 9, DIRECT: 9}
    assert table["of_record"].sum() == 9 and bool(table["of_record"].iloc[0])
    chosen = table.loc[table["of_record"], "method"].iloc[0]
    assert f"as of 2026-05-31 the cost forecast of record was the {chosen}" in err
    by = {m: part.set_index("ds") for m, part in table.groupby("method")}
    pd.testing.assert_series_equal(by[CHAIN]["actual"], by[DIRECT]["actual"])
    assert table["actual"].notna().sum() == 12  # June to November happened, for each
    np.testing.assert_allclose(table["error"], table["forecast"] - table["actual"], atol=1e-5)
    assert f"total, {chosen} (of record)" in err and "total of 6 period(s)" in err


def test_backtest_as_of_refuses_a_date_before_the_data(
    later_demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["backtest", "users", "--db", str(later_demo), "--as-of", "2023-01-31"]) != 0
    assert "--as-of" in capsys.readouterr().err
