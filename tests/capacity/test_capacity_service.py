"""The capacity service the CLI and the Capacity page share: options, assumptions edits, parts."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from forecasting.capacity.service import CapacityOptions, plan, price_database_headroom, runway
from forecasting.demand.chain import read_history
from forecasting.demand.record import cost_of_record
from forecasting.demand.runway import Runway
from forecasting.errors import InputError
from forecasting.interface import Excuse, Freq, GroupBy
from forecasting.models.options import ForecastOptions, run_models
from forecasting.scenario.assumptions import SavingsScenario
from forecasting.scenario.catalogue import load_catalogue
from forecasting.store import Store
from forecasting.views.savings import LEVER_INPUTS

FAST = {"model": "drift", "paths": 200, "seed": 1}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"level": 100.0}, "parameter level"),
        ({"paths": 0}, "parameter paths"),
        ({"quarters": 0}, "parameter quarters"),
    ],
)
def test_options_out_of_range_are_input_errors(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        CapacityOptions(**fields)


def test_band_labels_follow_the_level() -> None:
    assert ForecastOptions().band_labels == ("P10", "P90")
    assert ForecastOptions(level=50).band_labels == ("P25", "P75")
    assert ForecastOptions(level=95).band_labels == ("P2.5", "P97.5")


def test_the_forecaster_is_injected_and_called_once_per_part(demo_store: Store) -> None:
    calls: list[tuple[int, str]] = []

    def counting(frame: pd.DataFrame, h: int, freq: str, options: ForecastOptions) -> Any:
        calls.append((h, freq))
        return run_models(frame, h, freq, options)

    options = CapacityOptions(**FAST)
    injected = plan(demo_store, options, counting)
    # Users and the bill, Nov 2026 to Dec 2027; then the cost backtest, both from each of
    # the last 12 months as an origin, 12 months ahead, in one call.
    assert calls == [(14, "month"), (14, "month"), (12, "month")]
    pd.testing.assert_frame_equal(injected.table, plan(demo_store, options).table)


def test_the_exports_are_the_cli_csv_byte_for_byte(
    demo_db: Path, demo_store: Store, tmp_path: Path
) -> None:
    from forecasting.capacity.service import runway
    from forecasting.cli import main
    from forecasting.export import to_csv_bytes

    options = CapacityOptions(**FAST, quarters=2)
    cli = ["--db", str(demo_db), "--model", "drift", "--paths", "200", "--seed", "1"]
    assert main(["plan", *cli, "--quarters", "2", "--csv", str(tmp_path / "plan.csv")]) == 0
    assert to_csv_bytes(plan(demo_store, options).export()) == (tmp_path / "plan.csv").read_bytes()
    assert main(["runway", *cli, "--csv", str(tmp_path / "runway.csv")]) == 0
    exported = to_csv_bytes(runway(demo_store, options).export())
    assert exported == (tmp_path / "runway.csv").read_bytes()


def _ingest_cpu(store: Store, ts: pd.Series, values: pd.Series) -> None:
    frame = pd.DataFrame(
        {"ts": ts, "metric": "cpu_utilization", "dimensions": "{}", "value": values, "unit": "%"}
    )
    with store.ingest_run("t", {}) as run:
        store.replace_metrics(run, frame)


def _runway_frame(store: Store) -> pd.DataFrame:
    seen: list[pd.DataFrame] = []

    def recording(frame: pd.DataFrame, h: int, freq: str, options: ForecastOptions) -> Any:
        seen.append(frame)
        return run_models(frame, h, freq, options)

    runway(store, CapacityOptions(**FAST, days=30), recording)
    return seen[0]


def test_runway_forecasts_daily_peaks_where_minutes_are_stored(fresh_store: Store) -> None:
    # Hourly CPU at 40% with one busy hour at 85% a day: the daily mean (41.9%) never alerts
    # at 70%; the minutes an alert sees do, and the runway must forecast those.
    ts = pd.Series(pd.date_range("2026-01-01", periods=24 * 60, freq="h"))
    values = pd.Series(np.where(ts.dt.hour == 14, 85.0, 40.0))
    _ingest_cpu(fresh_store, ts, values)
    frame = _runway_frame(fresh_store)
    assert len(frame) == 60 and (frame["y"] == 85.0).all()


def test_runway_on_real_cloudwatch_minutes_reads_the_daily_peak(
    fresh_store: Store, shared_data: Path
) -> None:
    raw = pd.read_csv(shared_data / "nab" / "ec2_cpu_utilization_5f5533.csv")
    ts = pd.to_datetime(raw["timestamp"])
    _ingest_cpu(fresh_store, ts, raw["value"])
    frame = _runway_frame(fresh_store).set_index("ds")["y"]
    peaks = raw.groupby(ts.dt.normalize())["value"].max()
    means = raw.groupby(ts.dt.normalize())["value"].mean()
    pd.testing.assert_series_equal(frame, peaks.rename("y").rename_axis("ds"), check_freq=False)
    assert (peaks > means).all()


def test_the_demand_scenario_moves_users_and_everything_follows(demo_store: Store) -> None:
    tables = {
        name: plan(demo_store, CapacityOptions(**FAST, demand=name)).table.set_index("quarter")
        for name in ("low", "base", "high", "plan")
    }
    plain = plan(demo_store, CapacityOptions(**FAST)).table.set_index("quarter")
    pd.testing.assert_frame_equal(tables["base"], plain)
    future = tables["base"].index[tables["base"]["source"] == "forecast"]
    for column in (
        "users",
        "requests_per_second",
        "requests_per_second_peak",
        "instances",
        "cost_per_month",
    ):
        low, base, high = (tables[n].loc[future, column] for n in ("low", "base", "high"))
        assert (low <= base).all() and (base <= high).all() and (low < high).any(), column
    # Users per quarter from the plan of record: 2026Q4 averages the stated 150K.
    assert tables["plan"].loc["2026Q4", "users"] == pytest.approx(150_000, rel=0.01)
    with pytest.raises(InputError, match="unknown scenario 'moonshot'"):
        plan(demo_store, CapacityOptions(**FAST, demand="moonshot"))


@pytest.mark.parametrize("level", [50.0, 80.0, 90.0, 95.0])
def test_runway_columns_follow_the_band_labels_at_every_level(
    demo_store: Store, level: float
) -> None:
    # At level 95 the early warning is P2.5: the table named it date_p2 (rounded) while the
    # page's timeline and columns looked for date_p2.5, and the Capacity page raised KeyError.
    from forecasting.views.capacity import runway_columns

    result = runway(demo_store, CapacityOptions(**FAST, days=30, level=level))
    early, hi = result.options.band_labels
    timeline = result.timeline()
    assert len(timeline) == len(result.table)
    wanted = set(runway_columns("USD", early, hi)) - {"headroom_monthly_usd", "cost_group"}
    assert wanted <= set(result.table.columns), wanted - set(result.table.columns)


def _disk_runway(factor: float) -> Runway:
    return Runway(
        "disk_utilization", 75.0, 70.0, date(2027, 3, 1), date(2027, 1, 1), 0.1, 0.9, 0.9, 90.0,
        factor, 0.0, 0.0, None,
    )  # fmt: skip


def test_disk_headroom_without_a_disk_size_says_what_to_enter_and_where() -> None:
    """A finance lead reads the cell: it names the input in words and the page it is on,
    not a code setting (the CLI's --set is named after it, for the shell)."""
    priced = price_database_headroom(_disk_runway(1.2), SavingsScenario(), load_catalogue())
    assert isinstance(priced.headroom_monthly, Excuse)
    reason = priced.headroom_monthly.reason
    assert reason == "not priced: enter the disk's size in GB (Savings page, Database, Disk size)"
    # The input it names exists: the Savings page's Database lever offers it.
    inputs = {spec.label: spec.field for spec in LEVER_INPUTS["database"][1]}
    assert inputs["Disk size (GB)"] == "database_disk_gb"
    sized = SavingsScenario(database_disk_gb=500.0)
    cost = price_database_headroom(_disk_runway(1.2), sized, load_catalogue()).headroom_monthly
    assert isinstance(cost, float) and cost > 0


class CountingStore(Store):
    """The demo's file, read-only, counting which series each read asks for."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, read_only=True)
        self.series_read: list[tuple[Any, ...]] = []

    def read_series(self, metric: str, *args: Any, **kwargs: Any) -> tuple[pd.DataFrame, str]:
        self.series_read.append((metric, *args, *sorted(kwargs.items())))
        return super().read_series(metric, *args, **kwargs)


def test_a_plan_reads_the_demand_history_once(demo_db: Path) -> None:
    """The plan reads the chain's history for its quarters and hands it to the cost of
    record, which read it a second time."""
    with CountingStore(demo_db) as store:
        plan(store, CapacityOptions(**FAST))
        reads = store.series_read
    for metric in ("users", "requests_per_second", "requests_per_second_peak"):
        assert reads.count((metric, Freq.MONTH, ("complete_only", True))) == 1, reads
    assert reads.count(("cost", Freq.MONTH, GroupBy.GROUP, ("complete_only", True))) == 1


def test_the_cost_of_record_on_a_history_read_before_is_the_one_it_reads(
    demo_store: Store,
) -> None:
    options = ForecastOptions(**FAST)
    given = cost_of_record(demo_store, options, history=read_history(demo_store))
    read = cost_of_record(demo_store, options)
    pd.testing.assert_frame_equal(given.chosen.quarters, read.chosen.quarters)
    pd.testing.assert_frame_equal(given.backtest, read.backtest)
    assert given.chain == read.chain and given.why == read.why
