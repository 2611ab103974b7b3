"""capcost forecast / backtest / drivers: help, clean errors, CSV round trips, the demo store."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecasting.cli import main
from forecasting.models.result import BACKTEST_COLUMNS, FORECAST_COLUMNS
from forecasting.models.service import FROZEN_BACKTEST
from forecasting.store import Store
from tests.models.conftest import seasonal_series


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _csv(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text))


@pytest.fixture
def monthly_csv(tmp_path: Path) -> Path:
    path = tmp_path / "spend.csv"
    ds = pd.date_range("2021-01-31", periods=48, freq="ME")
    pd.DataFrame({"ds": ds.strftime("%Y-%m-%d"), "y": seasonal_series()}).to_csv(path, index=False)
    return path


@pytest.mark.parametrize("command", ["forecast", "backtest", "drivers"])
def test_commands_exist_with_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    assert "usage: capcost " + command in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["forecast"], "give a stored METRIC or --input"),
        (["forecast", "cost", "--input", "x.csv"], "give a stored METRIC or --input"),
        (["forecast", "--input", "nope.csv"], "cannot read"),
        (["forecast", "--input", "{csv}", "--model", "prophet"], "unknown model 'prophet'. Try:"),
        (["forecast", "--input", "{csv}", "--by", "group"], "--by applies to stored cost"),
        (["backtest", "--input", "{csv}", "--freq", "day"], "not one value per day"),
    ],
)
def test_bad_arguments_fail_with_one_line(
    argv: list[str], message: str, monthly_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [a.replace("{csv}", str(monthly_csv)) for a in argv]
    code, out, err = _run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith("capcost: error: ") and message in err
    assert len(err.strip().splitlines()) == 1


def test_argparse_rejects_out_of_range_level(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["forecast", "cost", "--level", "120"])
    assert info.value.code == 2
    assert "between 0 and 100" in capsys.readouterr().err


def test_input_round_trip(monthly_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "forecast", "--input", str(monthly_csv), "--model", "theta")
    assert code == 0
    frame = _csv(out)
    assert list(frame.columns) == list(FORECAST_COLUMNS)
    assert len(frame) == 12  # one season of months by default
    assert frame["ds"].iloc[0] == "2025-01-31"  # month ends continue as month ends
    assert (frame["unique_id"] == "spend").all() and (frame["model"] == "theta").all()
    assert (frame["lower"] <= frame["forecast"]).all() and (
        frame["forecast"] <= frame["upper"]
    ).all()


def test_input_many_series_levels_and_notes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ds = pd.date_range("2015-01-01", periods=30, freq="QS")
    rows = [
        pd.DataFrame({"unique_id": uid, "ds": ds.strftime("%Y-%m-%d"), "y": seasonal_series(30, s)})
        for s, uid in enumerate(["eu", "us"])
    ]
    frame = pd.concat(rows).drop(index=[7])  # a gap in both series
    path = tmp_path / "regions.csv"
    frame.to_csv(path, index=False)
    out_path = tmp_path / "out.csv"
    code, out, err = _run(
        capsys,
        "forecast",
        "--input",
        str(path),
        "--level",
        "50",
        "--level",
        "95",
        "--horizon",
        "6",
        "--model",
        "ets",
        "--csv",
        str(out_path),
    )
    assert code == 0 and out == ""
    result = pd.read_csv(out_path)
    assert len(result) == 2 * 6 * 2
    assert set(result["level"]) == {50.0, 95.0}
    assert result["ds"].min() == "2022-07-01"
    assert "capcost: note:" in err and "filled by linear interpolation" in err


def test_backtest_prints_the_accuracy_table(
    monthly_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, "backtest", "--input", str(monthly_csv), "--horizon", "6")
    table = _csv(out)
    assert code == 0 and list(table.columns) == list(BACKTEST_COLUMNS)
    assert table["selected"].sum() == 1
    assert (table["horizon"] == 19).all()  # the history's (48 months), whatever --horizon says


# -- the demo store ------------------------------------------------------------------------------
def test_quarterly_bands_come_from_paths(demo_store: Store) -> None:
    from forecasting.models.service import forecast_store

    fc = forecast_store(demo_store, "cost", freq="quarter", h=4, seed=1)
    monthly = fc.result.forecast
    monthly = monthly.assign(quarter=monthly["ds"].dt.to_period("Q").dt.start_time)
    width = (monthly["upper"] - monthly["lower"]).groupby(monthly["quarter"]).sum()
    narrower = 0
    for row in fc.table.itertuples():
        assert row.lower <= row.forecast <= row.upper
        assert row.upper - row.lower <= width[row.ds] + 1e-6
        narrower += row.upper - row.lower < 0.98 * width[row.ds]
    assert narrower >= 2  # months do not move in lockstep: the sum's band is narrower
    assert len(fc.table) == 4


def test_users_roll_up_by_mean_not_sum(demo_store: Store) -> None:
    from forecasting.models.service import forecast_store

    fc = forecast_store(demo_store, "users", freq="quarter", h=2)
    months = fc.result.forecast
    first = fc.table.iloc[1]  # a quarter wholly in the forecast
    inside = months[months["ds"].dt.to_period("Q").dt.start_time == first["ds"]]
    assert first["forecast"] == pytest.approx(inside["forecast"].mean())


def test_freeze_reads_back_unchanged(
    demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "copy.duckdb"
    shutil.copy(demo_db, db)
    code, out, err = _run(
        capsys,
        "forecast",
        "cost",
        "--db",
        str(db),
        "--freq",
        "quarter",
        "--freeze",
        "FY27 test plan",
    )
    assert code == 0 and "froze 'FY27 test plan'" in err
    printed = _csv(out)
    with Store(db, read_only=True) as store:
        plan_id = store.latest_plan("cost", "FY27 test plan")
        assert plan_id is not None
        meta, values = store.read_plan(plan_id)
    assert meta["freq"] == "quarter" and meta["level"] == 80
    assert meta["assumptions"]["metric"] == "cost" and meta["assumptions"]["backtest"]
    # The cost of record is the demand chain, scored on the bill by sMAPE alone: what it
    # lacks is kept as null, with the evidence behind the score.
    assert values["ds"].dt.strftime("%Y-%m-%d").tolist() == printed["ds"].tolist()
    [chain] = meta["assumptions"]["backtest"]
    assert chain["model"] == "demand chain" and chain["smape"] > 0
    assert chain["coverage"] is None and chain["windows"] > 1 and chain["errors"] > 1
    for col in ("forecast", "lower", "upper"):
        np.testing.assert_allclose(values[col], printed[col], rtol=1e-9, atol=1e-6)


def test_a_frozen_plan_keeps_the_backtest_as_capcost_backtest_scores_it(
    demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "copy.duckdb"
    shutil.copy(demo_db, db)
    code, _, err = _run(capsys, "forecast", "users", "--db", str(db), "--freeze", "FY27 users")
    assert code == 0, err
    with Store(db, read_only=True) as store:
        plan_id = store.latest_plan("users", "FY27 users")
        assert plan_id is not None
        meta, _ = store.read_plan(plan_id)
    code, out, err = _run(capsys, "backtest", "users", "--db", str(db))
    assert code == 0, err
    scored = _csv(out)
    scored = scored[scored["selected"]]
    kept = pd.DataFrame(meta["assumptions"]["backtest"])
    merged = kept.merge(scored, on=["unique_id", "model"], suffixes=("", "_cli"))
    assert len(merged) == len(kept) == len(scored) > 0
    assert set(kept.columns) == set(FROZEN_BACKTEST)
    for col in set(FROZEN_BACKTEST) - {"unique_id", "model"}:
        np.testing.assert_allclose(merged[col], merged[f"{col}_cli"], atol=1e-4, err_msg=col)


def test_scenarios_order_users_and_cost(demo_store: Store) -> None:
    from forecasting.demand.record import cost_of_record
    from forecasting.models.options import ForecastOptions
    from forecasting.models.scenarios import scenario_forecast

    users, cost = {}, {}
    for name in ("low", "base", "high"):
        fc = scenario_forecast(demo_store, "users", name, freq="quarter", h=4, seed=2)
        users[name] = fc.table["forecast"].iloc[-1]
        record = cost_of_record(demo_store, ForecastOptions(seed=2), quarters=3, demand=name)
        cost[name] = record.chosen.quarters["forecast"].iloc[-1]
    assert users["low"] < users["base"] < users["high"]
    assert cost["low"] < cost["base"] < cost["high"]


def test_drivers_command_recovers_the_demo_cost_model(
    demo_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, "drivers", "--db", str(demo_db))
    table = _csv(out).set_index("group")
    assert code == 0
    total = table.loc["total"]
    # The demo company: $4,000 a month plus $0.08 per user.
    assert total["fixed"] == pytest.approx(4000, rel=0.03)
    assert total["per_user"] == pytest.approx(0.08, rel=0.03)
    assert total["fixed_lower"] < total["fixed"] < total["fixed_upper"]
    assert table.loc["Compute", "per_user"] == pytest.approx(0.05, rel=0.05)
    assert total["per_million_requests"] > 0


def test_help_lists_every_registered_model(capsys: pytest.CaptureFixture[str]) -> None:
    from forecasting.models.registry import model_names

    with pytest.raises(SystemExit):
        main(["forecast", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert all(name in text for name in model_names())


def test_quarterly_bands_at_several_levels_nest(demo_store: Store) -> None:
    from forecasting.models.service import forecast_store

    fc = forecast_store(demo_store, "cost", freq="quarter", h=3, level=(50, 80, 95), seed=3)
    by_level = {lv: part.reset_index(drop=True) for lv, part in fc.table.groupby("level")}
    assert (by_level[95.0]["upper"] > by_level[80.0]["upper"]).all()
    assert (by_level[80.0]["upper"] > by_level[50.0]["upper"]).all()
    assert (by_level[95.0]["lower"] < by_level[50.0]["lower"]).all()


@pytest.mark.parametrize("freq", ["month", "quarter"])
def test_base_scenario_is_the_plain_forecast(demo_store: Store, freq: str) -> None:
    from forecasting.models.scenarios import scenario_forecast
    from forecasting.models.service import forecast_store

    base = scenario_forecast(demo_store, "users", "base", freq=freq, h=4, seed=2)
    plain = forecast_store(demo_store, "users", freq=freq, h=4, seed=2)
    pd.testing.assert_frame_equal(base.table, plain.table)
    high = scenario_forecast(demo_store, "users", "high", freq=freq, h=4, seed=2)
    assert (high.table["forecast"].iloc[1:] > plain.table["forecast"].iloc[1:]).all()
