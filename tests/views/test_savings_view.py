"""The Savings page's view: each part fails on its own, the inputs offer the catalogue's names."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from forecasting.errors import InputError
from forecasting.interface import Excuse
from forecasting.presentation import format_money
from forecasting.savings.service import CommitmentResult, SavingsOptions
from forecasting.store import Store
from forecasting.views.assumptions import build_choices
from forecasting.views.savings import (
    LEVER_INPUTS,
    InputKind,
    aws_cards,
    aws_row,
    build_savings,
    commitment_caption,
    commitment_cards,
    commitment_columns,
    commitment_table,
    demand_story,
    edited_inputs,
    input_options,
    lever_rows,
    lookback_caption,
    lookback_columns,
)
from tests.readable import rounded_text

FAST = {"model": "drift", "paths": 200, "seed": 1}
HEADER = b"initiative,category,percent,monthly_savings\n"


def test_each_part_fails_on_its_own(demo_store: Store) -> None:
    bad = HEADER + b"RI,Compute,twenty,800\n"
    report = build_savings(demo_store, SavingsOptions(**FAST), bad, stated_source="bad.csv")
    assert isinstance(report.reconciliation, Excuse)
    assert "file bad.csv, row 2, column 'percent'" in report.reconciliation.reason
    assert not isinstance(report.levers, Excuse) and not isinstance(report.commitments, Excuse)
    unknown = build_savings(demo_store, SavingsOptions(**FAST), "nope")
    assert isinstance(unknown.reconciliation, Excuse)
    assert "unknown stated savings plan 'nope'. Try: apex-2026" in unknown.reconciliation.reason
    late = build_savings(demo_store, SavingsOptions(base_month="2030-01", **FAST))
    for part in (late.levers, late.commitments):
        assert isinstance(part, Excuse) and "2030-01 is not a full month" in part.reason


def test_without_look_back_only_the_forecast_is_scored(demo_store: Store) -> None:
    report = build_savings(demo_store, SavingsOptions(lookback=(), **FAST))
    assert not isinstance(report.commitments, Excuse)
    assert report.commitments.table["method"].tolist() == ["forecast"]


def test_every_lever_input_is_a_scenario_field_with_its_options(demo_store: Store) -> None:
    made = build_choices(demo_store, None)
    for _, inputs in LEVER_INPUTS.values():
        for spec in inputs:
            value = getattr(made.savings, spec.field)  # every input prefills from the set
            if spec.kind is InputKind.CHOICE:
                assert value in input_options(spec.field, made, {"database_provider": "Supabase"})
    assert input_options("commitment_offering", made, {}) == ["compute_sp", "ri_standard"]
    assert input_options("commitment_term_years", made, {}) == [1, 3]
    assert input_options("commitment_payment", made, {}) == [
        "no_upfront",
        "partial_upfront",
        "all_upfront",
    ]
    assert input_options("database_tier", made, {"database_provider": "nobody"}) == []


def test_a_section_builds_only_its_part(fresh_store: Store) -> None:
    """The page shows one section at a time: the other parts are not computed (None)."""
    options = SavingsOptions(model="drift", paths=200, seed=1)
    view = build_savings(fresh_store, options, "apex-2026", sections=("commitments",))
    assert view.levers is None and view.reconciliation is None
    assert view.commitments is not None and view.lever_results == {}
    with pytest.raises(InputError, match="unknown section 'plan'; try: levers, commitments"):
        build_savings(fresh_store, options, sections=("plan",))


@pytest.mark.parametrize(
    ("forecast", "lookback", "shown", "note", "share"),
    [
        # The demo's: one figure at cents; the decimals that tell them apart, and the gap.
        (6.7231, 6.7164, ("6.723 USD/h", "6.716 USD/h"), "-0.007 USD/h vs the forecast", "-0.1%"),
        (6.72, 4.10, ("6.72 USD/h", "4.10 USD/h"), "-2.62 USD/h vs the forecast", "-39.0%"),
        (5.0, 7.5, ("5.00 USD/h", "7.50 USD/h"), "+2.50 USD/h vs the forecast", "+50.0%"),
        (6.72, 6.72, ("6.72 USD/h", "6.72 USD/h"), "same as the forecast", ""),
    ],
)
def test_the_two_methods_commitments_never_read_as_one_figure(
    demo_store: Store,
    forecast: float,
    lookback: float,
    shown: tuple[str, str],
    note: str,
    share: str,
) -> None:
    """The gap is the note, short enough for the card's one line (a longer one was cut off
    at "vs the foreca..."); its share of the forecast method's is in the help."""
    view = build_savings(demo_store, SavingsOptions(**FAST), sections=("commitments",))
    result = view.commitments
    assert isinstance(result, CommitmentResult)
    table = result.table.copy()
    row = aws_row(result)
    assert row is not None
    table.loc[0, "hourly_commitment_usd"] = forecast
    table.loc[row.name, "hourly_commitment_usd"] = lookback
    crafted = dataclasses.replace(result, table=table)
    mine, theirs = commitment_cards(crafted, "USD")[0], aws_cards(crafted, "USD")[0]
    assert (mine.value, theirs.value) == shown
    assert theirs.note == note and len(note) <= 30
    assert "on-demand" in theirs.help and share in theirs.help


def test_a_lever_without_a_band_shows_one_figure() -> None:
    table = pd.DataFrame(
        {
            "lever": ["right-size", "commitments"],
            "monthly_savings": [984.33, 1346.91],
            "lower": [984.33, 675.24],
            "upper": [984.33, 1578.18],
        }
    )
    shown = lever_rows(table)
    assert shown["lever"].tolist() == ["Right-size", "Commitments"]
    assert shown.loc[0, ["lower", "upper"]].isna().all()  # not 984 = 984 = 984
    assert shown.loc[1, ["lower", "upper"]].tolist() == [675.24, 1578.18]


def test_the_expected_saving_and_the_p50_rows_tell_one_story(demo_store: Store) -> None:
    """The cards' expected saving is the mean over the paths; the P50 row is the saving if
    demand followed its median every hour. On the demo they differ (the commitment is used in
    full at P50, capped, while paths that dip below what it covers pull the mean down), and
    the table's caption says so in the two figures the page shows."""
    view = build_savings(demo_store, SavingsOptions(**FAST), sections=("commitments",))
    result = view.commitments
    assert isinstance(result, CommitmentResult) and not isinstance(result.by_demand, Excuse)
    expected = commitment_cards(result, "USD")[1].value
    rows = result.by_demand.set_index("demand")["monthly_savings_usd"]
    median = format_money(rows["P50"], "USD", cents=False)
    story = demand_story(result, "USD")
    assert expected != median  # the demo's case: two figures, so the page must say why
    assert f"{median}/month" in story and f"{expected}/month" in story
    assert "mean over every path" in story and "used in full" in story
    # The same words hold whatever the figures: equal ones read as one.
    same = result.by_demand.assign(
        monthly_savings_usd=result.table.iloc[0]["expected_monthly_savings_usd"]
    )
    agreed = demand_story(dataclasses.replace(result, by_demand=same), "USD")
    assert agreed.endswith("the expected saving.")
    # The table's band is the paths' spread, never read as the saving at P10/P90 demand.
    columns = commitment_columns("USD", "P10", "P90", result.table)
    assert columns["savings_band"].label == "P10–P90 of paths"
    assert columns["expected_monthly_savings_usd"].label == "Expected savings USD/month"


def test_the_commitment_tables_say_once_what_every_row_shares(demo_store: Store) -> None:
    """The look-back and the paths tables each fit one grid: the demo's one scope and its
    upfront of 0 are said in the caption, the windows are in the methods' names, the size is
    not repeated in the paths table and its band is one cell; the CSV keeps every column."""
    view = build_savings(demo_store, SavingsOptions(**FAST), sections=("commitments",))
    result = view.commitments
    assert isinstance(result, CommitmentResult) and not isinstance(result.by_demand, Excuse)
    t = result.table
    assert t["scope"].nunique() == 1 and t["upfront_usd"].eq(0).all()  # the demo's case
    past = lookback_columns("USD", t)
    assert not {"scope", "upfront_usd", "lookback_days"} & set(past)
    assert "hourly_commitment_usd" in past and "lookback_monthly_savings_usd" in past
    caption = lookback_caption(result)
    assert f"each covers {t['scope'].iloc[0]}" in caption and "none paid upfront" in caption
    assert "the forecast method's on the last 30 days" in caption
    assert t.loc[t["method"] == "forecast", "lookback_days"].tolist() == [30]
    paths = commitment_columns("USD", "P10", "P90", t)
    assert not {"scope", "hourly_commitment_usd", "savings_lower_usd"} & set(paths)
    assert not {"downside_utilisation", "downside_break_even_month"} & set(paths)
    assert set(result.export().columns) >= {"scope", "upfront_usd", "downside_utilisation"}
    # What the caption says of the hidden downside columns holds: the recommended
    # commitment's utilisation and break-even at P10 demand are the demand table's P10 row.
    best, p10 = t.iloc[0], result.by_demand.set_index("demand").loc["P10"]
    assert best["downside_utilisation"] == pytest.approx(p10["utilisation"])
    assert best["downside_break_even_month"] == p10["break_even_month"]
    assert best["downside_monthly_savings_usd"] == pytest.approx(p10["monthly_savings_usd"])
    assert "P10 row of the table above" in commitment_caption(result, "P10", "P90")
    shown = commitment_table(result, "USD")
    ends = [
        (rounded_text(a, 0), rounded_text(b, 0))
        for a, b in zip(t["savings_lower_usd"], t["savings_upper_usd"], strict=True)
    ]
    assert shown["savings_band"].tolist() == [a if a == b else f"{a}–{b}" for a, b in ends]
    assert any(a != b for a, b in ends)
    assert shown["note"].eq("").all()  # every row's note is the section's caption


def test_what_differs_between_rows_keeps_its_column() -> None:
    """Two scopes (RIs per family) and an upfront payment: each row says its own."""
    table = pd.DataFrame(
        {
            "method": ["forecast", "forecast", "look-back 7 days"],
            "scope": ["c6i us-east-1", "m6i us-east-1", "m6i us-east-1"],
            "upfront_usd": [0.0, 1200.0, None],
            "savings_lower_usd": [40.0, 55.5, None],
            "savings_upper_usd": [40.004, 80.25, 10.0],
            "note": ["label", "label; no usage in the last 7 days", "label"],
        }
    )
    result = CommitmentResult(
        table=table,
        by_demand=Excuse("no paths"),
        cumulative=Excuse("no paths"),
        label="label",
        terms=None,  # type: ignore[arg-type]
        effective_savings_rate=0.0,
        cost_group="Compute",
        options=SavingsOptions(**FAST),
    )
    assert {"scope", "upfront_usd"} <= set(lookback_columns("USD", table))
    assert "scope" in commitment_columns("USD", "P10", "P90", table)
    assert "(" not in lookback_caption(result)  # nothing shared to say
    assert "P10 row" not in commitment_caption(result, "P10", "P90")  # no demand table
    shown = commitment_table(result, "USD")
    # Cents below 100 (as the money columns); a band of one figure reads it once.
    assert shown["savings_band"].tolist() == ["40.00", "55.50–80.25", "—"]
    assert shown["note"].tolist() == ["", "label; no usage in the last 7 days", ""]


def test_edited_inputs_are_named_as_the_inputs_are_labelled() -> None:
    """What a page sized on unsaved edits says was edited: each lever's title, then its
    changed inputs in the order the page shows them, values as typed there."""
    settings = (
        ("top_queries_optimised", 20),
        ("target_request_hit_ratio", 0.8),
        ("cpu_headroom", 0.155),
        ("origin_in_aws", False),
        ("database_disk_gb", 1000.0),
        ("database_tier", None),
        ("commitment_offering", "compute_sp"),
    )
    assert edited_inputs(settings) == (
        "Right-size: CPU headroom 15.5%; "
        "CDN caching: Origin in AWS no, Target request hit ratio 80%; "
        "Database: Tier (when the bill names none) not set, Slowest queries optimised 20, "
        "Disk size (GB) 1,000; "
        "Commitments: Offering Compute Savings Plan"
    )
    assert edited_inputs(()) == ""
