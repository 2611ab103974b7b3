"""The store's writes are atomic and idempotent; its reads aggregate as documented."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from forecasting.errors import CapcostError, InputError, UnknownNameError
from forecasting.interface import CostBasis, Freq, GroupBy
from forecasting.store import Store
from tests.conftest import table_checksums


def _costs(days: int = 40, cost: float = 1.25, provider: str = "AWS") -> pd.DataFrame:
    ds = pd.date_range("2026-01-01", periods=days, freq="D")
    return pd.DataFrame(
        {
            "ChargePeriodStart": ds,
            "ChargePeriodEnd": ds + pd.Timedelta(days=1),
            "BillingPeriodStart": ds.to_period("M").start_time,
            "BillingAccountId": "000123456789",
            "BillingCurrency": "USD",
            "BilledCost": cost,
            "EffectiveCost": cost * 0.8,
            "ListCost": cost * 1.1,
            "ProviderName": provider,
            "ServiceName": "Amazon Elastic Compute Cloud",
            "ServiceCategory": "Compute",
            "ChargeCategory": "Usage",
            "Tags": '{"team":"web"}',
        }
    )


def _ingest_costs(store: Store, frame: pd.DataFrame, source: str = "test") -> int:
    with store.ingest_run(source, {}) as run:
        return store.replace_cost_periods(run, frame)


def test_costs_sum_per_month_for_each_basis(fresh_store: Store) -> None:
    _ingest_costs(fresh_store, _costs())
    for basis, factor in [
        (CostBasis.BILLED, 1.0),
        (CostBasis.EFFECTIVE, 0.8),
        (CostBasis.LIST, 1.1),
    ]:
        frame, unit = fresh_store.read_series("cost", Freq.MONTH, basis=basis)
        assert unit == "USD"
        assert frame["y"].round(6).tolist() == [
            round(31 * 1.25 * factor, 6),
            round(9 * 1.25 * factor, 6),
        ]


def test_reingesting_a_billing_period_replaces_it(fresh_store: Store) -> None:
    _ingest_costs(fresh_store, _costs(cost=1.0))
    _ingest_costs(fresh_store, _costs(days=31, cost=2.0))  # January restated, February untouched
    frame, _ = fresh_store.read_series("cost", Freq.MONTH, basis=CostBasis.BILLED)
    assert frame["y"].round(6).tolist() == [62.0, 9.0]
    items = fresh_store.con.execute("SELECT count(*) FROM cost_line_items").fetchone()
    assert items == (40,)


def test_the_same_ingest_twice_changes_nothing(fresh_store: Store) -> None:
    _ingest_costs(fresh_store, _costs())
    before = table_checksums(fresh_store, exclude=("ingest_runs",))
    _ingest_costs(fresh_store, _costs())
    after = table_checksums(fresh_store, exclude=("ingest_runs",))
    # Only the run id stamped on the rows differs; the content is the same.
    assert before["cost_daily"] == after["cost_daily"]
    assert before["cost_line_items"][0] == after["cost_line_items"][0]


def test_a_failed_ingest_keeps_nothing_and_logs_why(fresh_store: Store) -> None:
    _ingest_costs(fresh_store, _costs())
    before = table_checksums(fresh_store, exclude=("ingest_runs",))
    broken = _costs(cost=3.0)
    broken.loc[5, "BillingCurrency"] = None  # NOT NULL in the schema
    with pytest.raises(Exception, match="BillingCurrency"):
        _ingest_costs(fresh_store, broken)
    assert table_checksums(fresh_store, exclude=("ingest_runs",)) == before
    last = fresh_store.runs()[0]
    assert last["status"] == "failed"
    assert "BillingCurrency" in last["error"]


def test_an_interrupted_ingest_keeps_nothing(fresh_store: Store) -> None:
    before = table_checksums(fresh_store, exclude=("ingest_runs",))
    with pytest.raises(KeyboardInterrupt), fresh_store.ingest_run("test", {}) as run:
        fresh_store.replace_cost_periods(run, _costs())
        raise KeyboardInterrupt
    assert table_checksums(fresh_store, exclude=("ingest_runs",)) == before
    assert fresh_store.runs()[0]["status"] == "failed"


def test_cost_groups_apply_rules_in_priority_and_regroup_history(fresh_store: Store) -> None:
    _ingest_costs(fresh_store, _costs())
    cdn = _costs(provider="Cloudflare").assign(ServiceCategory="Networking", Tags=None)
    _ingest_costs(fresh_store, cdn)
    frame, _ = fresh_store.read_series("cost", Freq.MONTH, GroupBy.GROUP)
    assert set(frame["unique_id"]) == {"Unallocated"}
    fresh_store.set_cost_group_rules(
        [
            {
                "group_name": "Web team",
                "tag_key": "team",
                "tag_value": "web",
                "provider_name": "AWS",
            },
            {"group_name": "Compute", "service_category": "Compute"},
            {"group_name": "CDN", "provider_name": "Cloudflare"},
        ]
    )
    frame, _ = fresh_store.read_series("cost", Freq.MONTH, GroupBy.GROUP)
    assert set(frame["unique_id"]) == {"Web team", "CDN"}


def test_a_rule_without_group_name_is_rejected(fresh_store: Store) -> None:
    with pytest.raises(InputError, match="group_name"):
        fresh_store.set_cost_group_rules([{"provider_name": "AWS"}])


def test_mixed_currencies_are_never_added(fresh_store: Store) -> None:
    _ingest_costs(fresh_store, _costs())
    euros = _costs(provider="Azure").assign(BillingCurrency="EUR", BillingAccountId="eu-1")
    _ingest_costs(fresh_store, euros)
    with pytest.raises(InputError, match="several currencies"):
        fresh_store.read_series("cost", Freq.MONTH)
    frame, unit = fresh_store.read_series("cost", Freq.MONTH, currency="EUR")
    assert unit == "EUR"
    assert frame["y"].sum() == pytest.approx(40 * 1.25 * 0.8)


def test_metrics_aggregate_by_their_rule(fresh_store: Store) -> None:
    ts = pd.date_range("2026-01-01", periods=24 * 40, freq="h")
    values = pd.Series(range(len(ts)), dtype=float)
    frame = pd.DataFrame(
        {
            "ts": ts,
            "metric": "requests_per_second_peak",
            "dimensions": "{}",
            "value": values,
            "unit": "req/s",
        }
    )
    with fresh_store.ingest_run("t", {}) as run:
        fresh_store.replace_metrics(run, frame)
    daily, _ = fresh_store.read_series("requests_per_second_peak", Freq.DAY)
    assert daily["y"].iloc[0] == 23.0  # a day's peak is its max, not its mean
    monthly, _ = fresh_store.read_series("requests_per_second_peak", Freq.MONTH)
    assert monthly["y"].tolist() == [24 * 31 - 1.0, 24 * 40 - 1.0]


def test_metric_reingest_replaces_the_overlapping_window(fresh_store: Store) -> None:
    ts = pd.date_range("2026-01-01", periods=10, freq="D")
    base = pd.DataFrame(
        {"ts": ts, "metric": "users", "dimensions": "{}", "value": 10.0, "unit": "users"}
    )
    with fresh_store.ingest_run("t", {}) as run:
        fresh_store.replace_metrics(run, base)
    with fresh_store.ingest_run("t", {}) as run:
        fresh_store.replace_metrics(run, base.iloc[5:].assign(value=20.0))
    daily, _ = fresh_store.read_series("users", Freq.DAY)
    assert daily["y"].tolist() == [10.0] * 5 + [20.0] * 5


def test_a_unit_clash_is_rejected(fresh_store: Store) -> None:
    frame = pd.DataFrame(
        {
            "ts": [pd.Timestamp("2026-01-01")],
            "metric": "users",
            "dimensions": "{}",
            "value": [1.0],
            "unit": "people",
        }
    )
    with (
        pytest.raises(InputError, match="stored in 'users'"),
        fresh_store.ingest_run("t", {}) as run,
    ):
        fresh_store.replace_metrics(run, frame)


def test_unknown_metric_lists_known_ones(fresh_store: Store) -> None:
    with pytest.raises(UnknownNameError, match="Try: cost"):
        fresh_store.read_series("nope")


def test_no_cost_data_is_a_clear_error(fresh_store: Store) -> None:
    with pytest.raises(CapcostError, match="no cost data"):
        fresh_store.read_series("cost")


def test_complete_only_drops_the_running_month(fresh_store: Store) -> None:
    _ingest_costs(fresh_store, _costs(days=40))  # Jan 1 .. Feb 9
    frame, _ = fresh_store.read_series("cost", Freq.MONTH, complete_only=True)
    assert frame["ds"].tolist() == [pd.Timestamp("2026-01-01")]
    _ingest_costs(fresh_store, _costs(days=31))
    with fresh_store.ingest_run("t", {}) as run:
        fresh_store.replace_cost_periods(run, _costs(days=59).iloc[31:])
    frame, _ = fresh_store.read_series("cost", Freq.MONTH, complete_only=True)
    assert len(frame) == 2  # February is complete on the 28th


def test_plans_read_back_unchanged(fresh_store: Store) -> None:
    values = pd.DataFrame(
        {
            "unique_id": "total",
            "ds": pd.date_range("2027-01-01", periods=3, freq="MS"),
            "forecast": [1.5, 2.25, 3.125],
            "lower": [1.0, 2.0, 3.0],
            "upper": [2.0, 3.0, 4.0],
        }
    )
    plan_id = fresh_store.freeze_plan(
        name="p",
        metric="cost",
        freq="month",
        unit="USD",
        as_of=pd.Timestamp("2026-12-01").date(),
        model="ets",
        values=values,
        level=80,
        assumptions={"growth": 1.1},
    )
    meta, back = fresh_store.read_plan(plan_id)
    assert meta["assumptions"] == {"growth": 1.1}
    assert meta["level"] == 80
    pd.testing.assert_frame_equal(back, values, check_dtype=False)
    assert fresh_store.latest_plan("cost") == plan_id


def test_assumption_sets_are_versioned(fresh_store: Store) -> None:
    assert fresh_store.save_assumptions("cap", {"cpu": 0.7}) == 1
    assert fresh_store.save_assumptions("cap", {"cpu": 0.6}) == 2
    assert fresh_store.load_assumptions("cap") == {"cpu": 0.6}
    assert fresh_store.load_assumptions("cap", version=1) == {"cpu": 0.7}
    with pytest.raises(UnknownNameError, match="Try: cap"):
        fresh_store.load_assumptions("nope")


def test_dimension_sets_add_up_except_percentages(fresh_store: Store) -> None:
    ts = [pd.Timestamp("2026-01-01")] * 2
    frame = pd.DataFrame(
        {
            "ts": ts * 2,
            "metric": ["requests_per_second"] * 2 + ["cpu_utilization"] * 2,
            "dimensions": ['{"lb":"a"}', '{"lb":"b"}', '{"host":"a"}', '{"host":"b"}'],
            "value": [100.0, 50.0, 40.0, 60.0],
            "unit": ["req/s", "req/s", "%", "%"],
        }
    )
    with fresh_store.ingest_run("t", {}) as run:
        fresh_store.replace_metrics(run, frame)
    rps, _ = fresh_store.read_series("requests_per_second", Freq.DAY)
    cpu, _ = fresh_store.read_series("cpu_utilization", Freq.DAY)
    assert rps["y"].tolist() == [150.0]
    assert cpu["y"].tolist() == [50.0]
    per_lb = fresh_store.read_metric_series("requests_per_second", Freq.DAY, by_dimensions=True)
    assert sorted(per_lb["y"]) == [50.0, 100.0]


def test_run_detail_is_kept_in_the_log(fresh_store: Store) -> None:
    with fresh_store.ingest_run("t", {"x": 1}) as run:
        run.detail["api_requests"] = 3
    assert '"api_requests": 3' in fresh_store.runs()[0]["detail"]


def test_ingests_leave_no_views_behind(tmp_path: Path) -> None:
    """Issue 12 item 11: `_incoming` and `_mraw` stayed in the file, naming deleted temp files."""
    from forecasting.ingest.focus import load_focus
    from forecasting.ingest.metrics import load_metrics
    from tests.ingest import billing_fixtures as fx

    db = tmp_path / "v.duckdb"
    with Store(db) as store:
        load_focus(store, [fx.write_csv(fx.focus_rows(), tmp_path / "f.csv", fx.FOCUS_HEADER)])
        (tmp_path / "m.csv").write_text("ts,value\n2024-01-01,5\n2024-01-02,6\n")
        load_metrics(store, tmp_path / "m.csv", metric="users", unit="users")
    with Store(db, read_only=True) as store:
        views = store.con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal")
        assert views.fetchall() == []


def test_a_locked_database_is_explained_without_duckdb_internals(tmp_path: Path) -> None:
    """Issue 12 item 8: the app's lock note was DuckDB's raw text with a PID and a docs link."""
    import subprocess
    import sys

    from forecasting.errors import StoreError

    db = tmp_path / "locked.duckdb"
    Store(db).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
            "print('held', flush=True); time.sleep(60)",
            str(db),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(StoreError) as err:
            Store(db, read_only=True, lock_timeout=0.3)
    finally:
        holder.kill()
        holder.wait()
    message = str(err.value)
    assert message.startswith(f"{db} is busy: another capcost process")
    assert "PID" not in message and "http" not in message and "\n" not in message
