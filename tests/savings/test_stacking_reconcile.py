"""Stacking levers and reconciling stated plans, against hand calculations and properties."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasting.errors import InputError
from forecasting.savings.reconcile import lever_of, plan_month, reconcile, validate_stated
from forecasting.savings.stacking import Lever, stack, waterfall

# The document's cost breakdown at 50K users, with Compute split across two services and
# $1,000 of EC2 already under a Savings Plan.
SPEND = pd.DataFrame(
    {
        "cost_group": ["Compute", "Compute", "Compute", "Database", "CDN", "Monitoring", "Misc"],
        "ServiceCategory": [
            "Compute",
            "Compute",
            "Compute",
            "Databases",
            "Networking",
            "Management and Governance",
            "Security",
        ],
        "ServiceName": [
            "Amazon Elastic Compute Cloud",
            "Amazon Elastic Compute Cloud",
            "Amazon Elastic Container Service",
            "Supabase Pro",
            "Cloudflare CDN",
            "Datadog",
            "AWS Secrets Manager",
        ],
        "PricingCategory": [
            "Committed",
            "Standard",
            "Standard",
            "Standard",
            "Standard",
            "Standard",
            "Standard",
        ],
        "ChargeCategory": ["Usage"] * 7,
        "cost": [1000.0, 1800.0, 1200.0, 2000.0, 800.0, 800.0, 400.0],
    }
)
# The document's "Optimization Initiatives", as the demo stores them (apex-2026).
STATED = pd.DataFrame(
    {
        "initiative": [
            "Reserved instances",
            "Right-sizing pods",
            "CDN cache optimization",
            "Database query optimization",
        ],
        "category": ["Compute", "Compute", "CDN", "Database"],
        "percent": [20.0, 15.0, 10.0, 5.0],
        "monthly_savings": [800.0, 600.0, 200.0, 100.0],
    }
)


def test_document_plan_is_reconciled_with_the_right_flags() -> None:
    rec = reconcile(STATED, SPEND)
    lines = rec.lines.set_index("initiative")
    ri, rs = lines.loc["Reserved instances"], lines.loc["Right-sizing pods"]
    cdn, db = lines.loc["CDN cache optimization"], lines.loc["Database query optimization"]
    # Implied bases: 800 / 20% = 4,000; 600 / 15% = 4,000; 200 / 10% = 2,000; 100 / 5% = 2,000.
    assert [ri["implied_base"], rs["implied_base"], cdn["implied_base"], db["implied_base"]] == [
        4000,
        4000,
        2000,
        2000,
    ]
    assert [ri["base_monthly"], cdn["base_monthly"], db["base_monthly"]] == [4000, 800, 2000]
    # RI and right-sizing act on the same Compute spend: both say so.
    assert "same spend as line 2 (Right-sizing pods)" in ri["flags"]
    assert "same spend as line 1 (Reserved instances)" in rs["flags"]
    # CDN: $200 at 10% implies a $2,000 base, but CDN spend is $800.
    assert "implied base $2,000 vs $800 spend (+150%" in cdn["flags"]
    assert db["flags"] == ""
    # Stacked in lever order: right-size 15% of 4,000 = 600; CDN 10% of 800 = 80; database 5%
    # of 2,000 = 100; the RIs last, on what is left of on-demand EC2 only (RIs cover neither
    # Fargate nor what the Savings Plan covers): 20% of 1,800 x 0.85 = 306, not 20% of 3,400.
    assert list(lines["order"]) == [4, 1, 2, 3]
    assert rs["modelled_monthly"] == pytest.approx(600)
    assert cdn["modelled_monthly"] == pytest.approx(80)
    assert db["modelled_monthly"] == pytest.approx(100)
    assert ri["modelled_monthly"] == pytest.approx(306)
    assert "acts on $1,530 of on-demand EC2 usage left (not the $2,200" in ri["flags"]
    assert rec.stated_total == 1700 and rec.total_spend == 8000
    assert rec.stacked_total == pytest.approx(1086)  # 13.6% of 8,000, not the stated 21.25%
    assert rec.naive_total == pytest.approx(1580)


def test_a_savings_plan_line_acts_on_uncovered_ec2_and_fargate() -> None:
    stated = pd.DataFrame(
        {
            "initiative": ["Compute Savings Plan"],
            "category": ["Compute"],
            "percent": [20.0],
            "monthly_savings": [800.0],
        }
    )
    line = reconcile(stated, SPEND).lines.iloc[0]
    # 1,800 of on-demand EC2 and 1,200 of Fargate: 20% of 3,000, not of the 4,000 of Compute.
    assert line["modelled_monthly"] == pytest.approx(600)
    assert line["base_monthly"] == 4000 and "implied base" not in line["flags"]


def test_percent_only_and_dollar_only_lines_count_alike_in_every_total() -> None:
    stated = pd.DataFrame(
        {
            "initiative": ["Right-sizing pods", "CDN cache optimization"],
            "category": ["Compute", "CDN"],
            "percent": [15.0, None],
            "monthly_savings": [None, 80.0],
        }
    )
    rec = reconcile(stated, SPEND)
    # 15% of 4,000 = 600 stated in percent; $80 stated in dollars (10% of 800).
    assert rec.stated_total == pytest.approx(680)
    assert rec.stacked_total == pytest.approx(680)
    assert rec.naive_total == pytest.approx(680)
    total = rec.table().iloc[-1]
    assert total["stated_monthly"] == pytest.approx(680)
    assert total["stated_percent"] == pytest.approx(8.5)


def test_reconciliation_table_has_the_cli_columns_and_a_total_row() -> None:
    table = reconcile(STATED, SPEND).table()
    assert list(table.columns) == [
        "initiative",
        "category",
        "stated_percent",
        "stated_monthly",
        "base_monthly",
        "implied_base",
        "modelled_monthly",
        "flags",
    ]
    total = table.iloc[-1]
    assert total["initiative"] == "Total" and total["stated_monthly"] == 1700
    assert total["stated_percent"] == pytest.approx(21.25)
    assert total["modelled_monthly"] == pytest.approx(1086)
    assert "stacked $1,086 (13.6%) vs stated $1,700 (21.2%)" in total["flags"]


def test_a_service_inside_a_group_is_not_saved_twice() -> None:
    stated = pd.DataFrame(
        {
            "initiative": ["Graviton migration", "Savings plan"],
            "category": ["Amazon Elastic Compute Cloud", "compute"],  # case-insensitive
            "percent": [10.0, 20.0],
            "monthly_savings": [280.0, None],
        }
    )
    rec = reconcile(stated, SPEND)
    grav, sp = rec.lines.iloc[0], rec.lines.iloc[1]
    assert grav["matched"] == "ServiceName" and sp["matched"] == "cost_group"
    assert grav["modelled_monthly"] == pytest.approx(280)
    # The plan acts on what the Graviton line left of on-demand EC2 (1,800 x 0.9 = 1,620) and
    # on Fargate (1,200): 20% of 2,820 is 564, not 800.
    assert sp["modelled_monthly"] == pytest.approx(564)
    assert "same spend as line 1" in sp["flags"] and "same spend as line 2" in grav["flags"]
    assert math.isnan(sp["implied_base"])


def test_unknown_category_and_oversized_claims_are_flagged() -> None:
    stated = pd.DataFrame(
        {
            "initiative": ["Kill the mainframe", "Monitoring cleanup"],
            "category": ["Mainframe", "Monitoring"],
            "percent": [50.0, None],
            "monthly_savings": [100.0, 900.0],
        }
    )
    rec = reconcile(stated, SPEND)
    assert "no spend found for category 'Mainframe'" in rec.lines.loc[0, "flags"]
    assert rec.lines.loc[0, "modelled_monthly"] == 0
    assert "stated saving exceeds the $800 it acts on" in rec.lines.loc[1, "flags"]
    # Dollars only: the percent is taken as dollars over the base, capped at all of it.
    assert rec.lines.loc[1, "modelled_monthly"] == pytest.approx(800)


def test_tolerance_decides_the_base_flag() -> None:
    stated = STATED.iloc[[3]].assign(monthly_savings=108.0)  # implies 2,160 vs 2,000: +8%
    assert reconcile(stated, SPEND, tolerance=0.10).lines.loc[0, "flags"] == ""
    assert "implied base" in reconcile(stated, SPEND, tolerance=0.05).lines.loc[0, "flags"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"percent": ["x", 15, 10, 5]}, r"row 2, column 'percent'"),
        ({"monthly_savings": [800, -1, 200, 100]}, r"row 3, column 'monthly_savings'"),
        ({"category": ["Compute", "", "CDN", "Database"]}, r"row 3, column 'category'"),
        ({"percent": [None, 15, 10, 5], "monthly_savings": [None, 600, 200, 100]}, "row 2"),
        ({"percent": [120, 15, 10, 5]}, "percent above 100"),
    ],
)
def test_bad_stated_plans_name_row_and_column(
    change: dict[str, list[object]], message: str
) -> None:
    bad = STATED.astype(object).assign(**change)
    with pytest.raises(InputError, match=message):
        validate_stated(bad, "plan.csv")


def test_missing_columns_are_named() -> None:
    with pytest.raises(InputError, match="monthly_savings"):
        validate_stated(STATED.drop(columns="monthly_savings"))


@pytest.mark.parametrize(
    ("initiative", "lever"),
    [
        ("Reserved instances", "commitments"),
        ("Compute Savings Plan", "commitments"),
        ("Right-sizing pods", "right-size"),
        ("CDN cache optimization", "cdn"),
        ("Database query optimization", "database"),
        ("Renegotiate Datadog", None),
    ],
)
def test_initiatives_are_matched_to_levers(initiative: str, lever: str | None) -> None:
    assert lever_of(initiative) == lever


def test_stack_applies_levers_in_order_to_what_is_left() -> None:
    bases = {"Compute": 4000.0, "CDN": 800.0}
    levers = [
        Lever("commitments", "Compute", 0.2, 0.1, 0.25, "1-year SP"),
        Lever.from_dollars("right-size", "Compute", 600.0, 4000.0),
        Lever.from_dollars("cdn", "CDN", 200.0, 800.0),
    ]
    out = stack(levers, bases)
    assert list(out["lever"]) == ["right-size", "cdn", "commitments"]
    assert list(out["order"]) == [1, 2, 3]
    sp = out.iloc[2]
    assert sp["base_monthly"] == pytest.approx(3400)
    assert sp["monthly_savings"] == pytest.approx(680)
    assert (sp["lower"], sp["upper"]) == pytest.approx((340, 850))
    assert sp["naive_monthly"] == pytest.approx(800)
    bars = waterfall(out, bases)
    assert list(bars["step"]) == ["spend", "right-size", "cdn", "commitments", "after savings"]
    assert bars["running_total"].iloc[-1] == pytest.approx(4800 - 600 - 200 - 680)
    assert bars["naive_sum"].iloc[-1] == pytest.approx(4800 - 600 - 200 - 800)


def test_lever_from_dollars_caps_at_the_base() -> None:
    lv = Lever.from_dollars("cdn", "CDN", 2000.0, 800.0, lower=-50.0)
    assert (lv.lower_rate, lv.rate, lv.upper_rate) == (0.0, 1.0, 1.0)
    assert Lever.from_dollars("cdn", "CDN", 10.0, 0.0).rate == 0


def test_stack_rejects_unknown_categories() -> None:
    with pytest.raises(InputError, match="Storage"):
        stack([Lever("database", "Storage", 0.1, 0.1, 0.1)], {"Compute": 1.0})


RATES = st.lists(
    st.tuples(
        st.sampled_from(["right-size", "cdn", "database", "commitments", "other"]),
        st.sampled_from(["Compute", "CDN"]),
        st.floats(0, 1),
    ),
    min_size=1,
    max_size=8,
)


# No deadline: on a shared machine a slow example is not a failure of the property.
@settings(deadline=None)
@given(RATES, st.floats(0, 1e6), st.floats(0, 1e6))
def test_stacked_never_exceeds_naive_nor_spend(
    specs: list[tuple[str, str, float]], compute: float, cdn: float
) -> None:
    bases = {"Compute": compute, "CDN": cdn}
    out = stack([Lever(n, c, r, r, r) for n, c, r in specs], bases)
    assert out["monthly_savings"].sum() <= out["naive_monthly"].sum() + 1e-6
    for category, base in bases.items():
        assert out.loc[out["category"] == category, "monthly_savings"].sum() <= base + 1e-6
    assert (out["monthly_savings"] >= 0).all()


@settings(deadline=None)
@given(RATES)
def test_zero_percent_lever_saves_nothing(specs: list[tuple[str, str, float]]) -> None:
    bases = {"Compute": 4000.0, "CDN": 800.0}
    levers = [Lever(n, c, r, r, r) for n, c, r in specs] + [Lever("database", "CDN", 0, 0, 0)]
    out = stack(levers, bases)
    assert out.loc[out["lever"] == "database", "monthly_savings"].iloc[-1] == 0


@settings(deadline=None)
@given(
    st.lists(st.floats(0, 100), min_size=4, max_size=4),
    st.lists(st.floats(0, 1e4), min_size=7, max_size=7),
)
def test_reconciled_savings_never_exceed_spend_or_the_naive_sum(
    percents: list[float], costs: list[float]
) -> None:
    spend = SPEND.assign(cost=costs)
    rec = reconcile(STATED.assign(percent=percents), spend)
    assert rec.stacked_total <= rec.naive_total + 1e-6
    assert rec.stacked_total <= rec.total_spend + 1e-6
    zero = reconcile(STATED.assign(percent=[0.0, 0.0, 0.0, 0.0]), spend)
    assert zero.stacked_total == 0


def test_the_plan_month_is_the_one_its_figures_describe() -> None:
    # The document's lines imply Compute $4,000, CDN $2,000 and Database $2,000: February's
    # spend fits three of the four lines, November's (twice the spend) none.
    months = {"2026-02": SPEND, "2026-11": SPEND.assign(cost=SPEND["cost"] * 2)}
    found = plan_month(STATED, months)
    assert found is not None
    month, why = found
    assert month == "2026-02" and "3 of 4 implied bases within 10%" in why
    # Dollars only, or percent only: nothing to read a month off.
    assert plan_month(STATED.assign(percent=None), months) is None
    assert plan_month(STATED, {}) is None
