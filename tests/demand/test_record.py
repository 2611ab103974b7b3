"""The cost forecast of record: one figure per month and quarter on every page and in the CLI."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecasting.capacity.service import CapacityOptions, plan
from forecasting.cli import main
from forecasting.demand.chain import CHAIN, DIRECT
from forecasting.demand.record import cost_of_record
from forecasting.errors import InputError
from forecasting.interface import Excuse
from forecasting.models.options import ForecastOptions
from forecasting.models.service import forecast_store
from forecasting.store import Store
from forecasting.views import ForecastRequest, build_forecast, build_outlook

NEXT_QUARTER = pd.Timestamp("2027-01-01")  # the demo runs to 2026-11-26


@pytest.fixture(scope="module")
def record(demo_db: Path) -> object:
    with Store.reader(demo_db) as store:
        return cost_of_record(store)


def _quarter(frame: pd.DataFrame, start: pd.Timestamp = NEXT_QUARTER) -> pd.Series:
    return frame[pd.to_datetime(frame["ds"]) == start].iloc[0]


def test_overview_capacity_forecast_page_and_cli_show_one_figure(
    demo_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store.reader(demo_db) as store:
        outlook = build_outlook(store)
        planned = plan(store, CapacityOptions())
        page = build_forecast(store, ForecastRequest("Cost, total", horizon=6))
    assert not isinstance(outlook, Excuse) and not isinstance(page, Excuse)
    row = planned.table.set_index("quarter").loc["2027Q1"]
    figure = outlook.next_quarter.forecast
    # The plan budgets a quarter per month: its total over the quarter's three months.
    assert 3 * row["cost_per_month"] == pytest.approx(figure, rel=1e-12)
    assert 3 * row["cost_per_month_lower"] == pytest.approx(outlook.next_quarter.lower)
    assert 3 * row["cost_per_month_upper"] == pytest.approx(outlook.next_quarter.upper)
    assert _quarter(page.quarters)["forecast"] == pytest.approx(figure, rel=1e-12)
    assert (
        main(["forecast", "cost", "--freq", "quarter", "--horizon", "2", "--db", str(demo_db)]) == 0
    )
    out = capsys.readouterr()
    printed = _quarter(pd.read_csv(io.StringIO(out.out)))
    assert printed["forecast"] == pytest.approx(figure, abs=1e-6)
    assert (printed["lower"], printed["upper"]) == pytest.approx(
        (outlook.next_quarter.lower, outlook.next_quarter.upper), abs=1e-6
    )
    # Each says which forecast it is and what the other one says.
    chosen = planned.cost_backtest.loc[planned.cost_backtest["selected"], "method"].iloc[0]
    other = DIRECT if chosen == CHAIN else CHAIN
    assert f"this is the {chosen}" in out.err and ", the cost forecast of record (" in out.err
    assert f"the {other}: --method {other.split()[0]}" in out.err
    assert f"the {chosen}" in outlook.next_quarter.card("Forecast", "USD", "").help
    assert other in outlook.next_quarter.card("Forecast", "USD", "").help
    direct_row = row["chain_cost_per_month" if other == CHAIN else "direct_cost_per_month"]
    assert outlook.next_quarter.other == pytest.approx(3 * direct_row)
    assert page.methods is not None and set(page.methods["method"]) == {CHAIN, DIRECT}
    assert page.methods.loc[page.methods["of_record"], "method"].unique().tolist() == [chosen]
    assert chosen.capitalize() in [c.value for c in page.cards]


def test_the_backtest_winner_is_of_record_and_the_loser_is_kept(record: object) -> None:
    scores = record.backtest.set_index("method")  # type: ignore[attr-defined]
    winner = scores["smape"].idxmin()
    assert record.chosen.method == winner and bool(scores.loc[winner, "selected"])  # type: ignore[attr-defined]
    assert record.other is not None and record.other.method != winner  # type: ignore[attr-defined]
    assert "sMAPE" in record.why  # type: ignore[attr-defined]


def test_the_direct_method_is_the_plain_forecast_of_the_bill(
    demo_store: Store, record: object
) -> None:
    plain = forecast_store(demo_store, "cost", h=6)
    direct = record.method(DIRECT).months.head(6)  # type: ignore[attr-defined]
    np.testing.assert_allclose(direct["forecast"], plain.table["forecast"], rtol=1e-9)
    np.testing.assert_allclose(direct["lower"], plain.table["lower"], rtol=1e-9)


def test_the_running_month_is_nowcast_from_its_days_whichever_wins(
    demo_store: Store, record: object
) -> None:
    months = {f.method: f.months.iloc[0] for f in (record.chosen, record.other)}  # type: ignore[attr-defined]
    assert {m["ds"] for m in months.values()} == {pd.Timestamp("2026-11-01")}
    assert not any(m["complete"] for m in months.values())
    assert months[CHAIN]["forecast"] == pytest.approx(months[DIRECT]["forecast"])
    seen, _ = demo_store.read_series("cost", "day", start=pd.Timestamp("2026-11-01").date())
    assert months[CHAIN]["lower"] > seen["y"].sum()  # 26 days are known; 4 remain


def test_a_quarter_does_not_depend_on_how_far_the_forecast_runs(demo_store: Store) -> None:
    short = cost_of_record(demo_store, quarters=1)
    long = cost_of_record(demo_store, quarters=3)
    for name in (CHAIN, DIRECT):
        a = _quarter(short.method(name).quarters)
        b = _quarter(long.method(name).quarters)
        assert (a["forecast"], a["lower"], a["upper"]) == pytest.approx(
            (b["forecast"], b["lower"], b["upper"]), rel=1e-12
        )


def test_bands_nest_across_levels_and_sit_above_zero(demo_store: Store) -> None:
    r = cost_of_record(demo_store, levels=(50.0, 80.0, 95.0))
    for f in (r.chosen, r.other):
        assert f is not None
        q = f.quarters.pivot(index="ds", columns="level", values=["lower", "upper"])
        assert (q["lower"][95.0] <= q["lower"][80.0]).all()
        assert (q["lower"][80.0] <= q["lower"][50.0]).all()
        assert (q["upper"][50.0] <= q["upper"][80.0]).all()
        assert (q["upper"][80.0] <= q["upper"][95.0]).all()
        assert (f.months["lower"] > 0).all()


def test_bands_ignore_the_order_of_the_levels(demo_store: Store) -> None:
    """Both methods, months (the running one too) and quarters: the same bands whichever
    level comes first (the CLI ran at the first: 0.14% on the demo's running month)."""
    tables = []
    for levels in ((95.0, 50.0, 80.0), (50.0, 80.0, 95.0), (80.0, 95.0, 50.0)):
        options = ForecastOptions(level=levels[0])
        r = cost_of_record(demo_store, options, quarters=2, levels=levels)
        tables.append(
            {
                (f.method, part): getattr(f, part).sort_values(["ds", "level"], ignore_index=True)
                for f in (r.chosen, r.other)
                if f is not None
                for part in ("months", "quarters")
            }
        )
    first = tables[0]
    assert len(first) == 4
    for other in tables[1:]:
        assert other.keys() == first.keys()
        for key, frame in first.items():
            pd.testing.assert_frame_equal(other[key], frame)


def test_scenario_base_is_the_plain_cost_forecast_of_record(
    demo_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["forecast", "cost", "--horizon", "6", "--db", str(demo_db)]
    assert main(argv) == 0
    plain = capsys.readouterr().out
    assert main([*argv, "--scenario", "base"]) == 0
    assert capsys.readouterr().out == plain
    assert main([*argv, "--scenario", "high"]) == 0
    out = capsys.readouterr()
    high = pd.read_csv(io.StringIO(out.out))
    assert high["model"].str.startswith("demand chain").all()
    assert "this is the demand chain" in out.err and "under the high scenario" in out.err
    assert "--method direct" not in out.err  # the bill's own forecast cannot follow users


def test_a_named_model_is_the_direct_forecast_as_asked(
    demo_db: Path, demo_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["forecast", "cost", "--model", "naive", "--db", str(demo_db)]) == 0
    out = capsys.readouterr()
    printed = pd.read_csv(io.StringIO(out.out))
    assert (printed["model"] == "naive").all()
    assert "direct cost forecast by naive, as asked" in out.err
    plain = forecast_store(demo_store, "cost", model="naive")
    np.testing.assert_allclose(printed["forecast"], plain.table["forecast"], atol=1e-6)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--method", "chain", "--by", "group"], "--method applies to the stored total"),
        (["--method", "direct", "--freq", "day"], "--method applies to the stored total"),
        (["--scenario", "high", "--by", "group"], "cost is the total through the demand chain"),
        (["--scenario", "high", "--method", "direct"], "cannot follow the high scenario"),
        (["--method", "record", "--input", "x.csv"], "--method applies to the stored total"),
    ],
)
def test_cost_methods_refuse_what_they_cannot_do(
    demo_db: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    metric = [] if "--input" in extra else ["cost"]
    assert main(["forecast", *metric, *extra, "--db", str(demo_db)]) != 0
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_without_users_the_direct_forecast_is_of_record(tmp_path: Path) -> None:
    from forecasting.demo import build_demo

    path = tmp_path / "cost_only.duckdb"
    build_demo(path, until=pd.Timestamp("2026-11-26").date(), seed=7)
    with Store(path) as store:
        for table in ("metric_daily", "metric_observations"):  # a bill and no users
            store.con.execute(f"DELETE FROM {table} WHERE metric = ?", ["users"])
    with Store.reader(path) as store:
        r = cost_of_record(store, ForecastOptions(), quarters=1)
        outlook = build_outlook(store)
        with pytest.raises(InputError, match="users"):
            cost_of_record(store, quarters=1, demand="high")
    assert r.chosen.method == DIRECT and r.other is None and "cannot run" in r.why
    assert not isinstance(outlook, Excuse)
    assert outlook.next_quarter.forecast == pytest.approx(_quarter(r.chosen.quarters)["forecast"])


def test_the_review_freezes_the_cost_forecast_of_record(demo_db: Path, tmp_path: Path) -> None:
    import shutil

    from forecasting.views.review import freeze_plan_of_record

    path = tmp_path / "review.duckdb"
    shutil.copy(demo_db, path)
    with Store(path) as store:
        cost_id, _ = freeze_plan_of_record(store)
        meta, values = store.read_plan(cost_id)
        record = cost_of_record(store, ForecastOptions())
    months = record.chosen.months.head(12)
    assert meta["assumptions"]["method"] == record.chosen.method
    assert len(values) == 12
    np.testing.assert_allclose(values["forecast"], months["forecast"], rtol=1e-9)
    np.testing.assert_allclose(values["lower"], months["lower"], rtol=1e-9)
