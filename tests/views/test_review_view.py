"""The Cost review page's view: every table of a month, and the plan of record it compares with."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from forecasting import variance
from forecasting.interface import Excuse
from forecasting.store import Store
from forecasting.views import review


def test_demo_review_has_every_table(demo_store: Store) -> None:
    result = review.build_review(demo_store, "2026-10")
    assert isinstance(result, review.ReviewView) and result.complete
    assert isinstance(result.plan, variance.PlanVariance)
    assert result.plan.planned_cost == 16_000.0
    assert set(result.tables()) == {
        "variance_by_group_2026-10",
        "variance_by_service_2026-10",
        "top_movers_2026-10",
        "plan_vs_actual_2026-10",
        "unit_economics",
    }
    assert isinstance(review.build_review(demo_store, "2019-01"), Excuse)


def test_a_frozen_plan_of_record_is_what_the_review_compares_with(
    demo_db: Path, tmp_path: Path
) -> None:
    db = tmp_path / "copy.duckdb"
    db.write_bytes(demo_db.read_bytes())
    with Store(db) as store:
        cost_plan, users_plan = review.freeze_plan_of_record(store, model="theta", horizon=3)
        meta, values = store.read_plan(cost_plan)
        assert meta["name"] == "Plan of record 2026-11" and meta["level"] == 80
        assert values["ds"].dt.strftime("%Y-%m").tolist() == ["2026-11", "2026-12", "2027-01"]
        assert (values["lower"] <= values["forecast"]).all() and (
            values["forecast"] <= values["upper"]
        ).all()
        against = variance.plan_variance(store, "2026-11")
        assert isinstance(against, variance.PlanVariance) and against.plan_id == cost_plan
        # The running month is compared with the plan prorated to the 26 days with data.
        assert against.planned_cost == pytest.approx(values["forecast"].iloc[0] * 26 / 30)
        assert store.read_plan(users_plan)[0]["metric"] == "users"


def test_the_review_opens_on_the_month_just_ended() -> None:
    months = ["2026-12", "2026-11", "2026-10"]
    # On 1 December the month to review is November, not one day of December.
    assert review.reviewed_month(months, date(2026, 12, 1)) == "2026-11"
    # November's last day is in: November has ended and is the newest month.
    assert review.reviewed_month(months[1:], date(2026, 11, 30)) == "2026-11"
    # Part of November only: October is the month just ended.
    assert review.reviewed_month(months[1:], date(2026, 11, 29)) == "2026-10"
    # No month has ended yet (a first partial month): the one there is.
    assert review.reviewed_month(["2026-11"], date(2026, 11, 3)) == "2026-11"
    assert review.reviewed_month([], date(2026, 11, 3)) is None


def test_build_review_defaults_to_the_month_just_ended(demo_store: Store) -> None:
    # The demo's data stops on 26 November.
    result = review.build_review(demo_store)
    assert isinstance(result, review.ReviewView)
    assert result.month == "2026-10" and result.complete
