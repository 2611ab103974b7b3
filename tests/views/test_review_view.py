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


def _whole(text: str) -> int:
    """A card's whole-currency figure: "-1,234 USD" -> -1234."""
    return int(text.split()[0].replace(",", "").replace("+", ""))


@pytest.mark.parametrize("month", ["2026-10", "2026-11"])
def test_the_cards_add_up_as_a_reader_adds_them(demo_store: Store, month: str) -> None:
    """A change beside two figures is their difference as shown (574 - 514 read "+61"), and
    the volume and rate variances add up to the variance shown beside them (-230 + 59 beside
    -172); the running month (2026-11 here) the same, day for day."""
    result = review.build_review(demo_store, month)
    assert isinstance(result, review.ReviewView)
    spend, previous = result.cards[0], result.cards[1]
    assert _whole(previous.note) == _whole(spend.value) - _whole(previous.value)
    assert isinstance(result.plan, variance.PlanVariance)
    split = result.split_cards
    assert len(split) == 2
    total = result.plan_rows().set_index("Measure").loc["Cost", "Actual - plan"]
    assert sum(_whole(c.value) for c in split) == _whole(total)
    assert all(total in c.help for c in split)


@pytest.mark.parametrize(
    ("parts", "total"),
    [([-230.4, 58.9], -171.5), ([0.4, 0.4, 0.4], 1.2), ([10.5, -3.5], 7.0), ([1e6 + 0.5], 1e6)],
)
def test_shown_parts_add_up_to_the_shown_total(parts: list[float], total: float) -> None:
    from forecasting.presentation import shown_parts
    from forecasting.presentation.figures import round_half_up

    shown = shown_parts(parts, total)
    assert sum(shown) == float(round_half_up(total, 0))
    assert all(abs(s - p) < 1 for s, p in zip(shown, parts, strict=True))
