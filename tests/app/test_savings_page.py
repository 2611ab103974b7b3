"""The Savings page under AppTest: levers, commitments and a stated plan; numbers as the CLI's."""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from forecasting.cli import main
from forecasting.presentation import readable_text
from forecasting.store import Store
from tests.app.conftest import APP
from tests.app.test_capacity_page import specs, values
from tests.readable import rounded_text

PAGE = "app_pages/savings.py"
FAST = {"sv_model": "drift", "sv_paths": 200, "sv_seed": 1}
CLI_FAST = ["--model", "drift", "--paths", "200", "--seed", "1"]
# The levers as the page names them (their input columns' titles); the CSV keeps the codes.
LEVERS = ["Right-size", "CDN caching", "Database", "Commitments"]


def open_page(at: AppTest, **state: Any) -> AppTest:
    for key, value in {**FAST, **state}.items():
        at.session_state[key] = value
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, at.exception
    return at


def inputs(at: AppTest, on: bool = True) -> AppTest:
    """Open (or close) the lever inputs: drawn only when asked for."""
    at.toggle(key="sv_editing").set_value(on).run()
    assert not at.exception, at.exception
    return at


def show(at: AppTest, section: str) -> AppTest:
    """Switch the page to a section: ``levers`` (the first), ``commitments`` or ``stated``."""
    at.segmented_control(key="sv_section").set_value(section).run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def savings(app_at: Callable[[str | None], AppTest]) -> AppTest:
    return open_page(app_at(None))


def cli_csv(capsys: pytest.CaptureFixture[str], *args: str) -> pd.DataFrame:
    capsys.readouterr()
    assert main(list(args)) == 0
    return pd.read_csv(io.StringIO(capsys.readouterr().out), keep_default_na=False)


def table(at: AppTest, first_column: str, first_value: str) -> pd.DataFrame:
    """The page's dataframe whose first row starts with ``first_value``."""
    for frame in (d.value for d in at.dataframe):
        if first_column in frame and len(frame) and frame[first_column].iloc[0] == first_value:
            return frame
    raise AssertionError(f"no table starting {first_column}={first_value!r}")


def same_numbers(page: pd.DataFrame, cli: pd.DataFrame, columns: list[str], digits: int) -> None:
    """The page shows the CLI's numbers rounded as a person reads them (whole units of money
    from 100 up, ``digits`` decimals at least on the smaller figures)."""
    shown = page[columns].astype(float).reset_index(drop=True)
    written = cli[columns].replace("", math.nan).astype(float).reset_index(drop=True)
    assert shown.columns.tolist() == written.columns.tolist()
    np.testing.assert_allclose(shown, written, rtol=5e-3, atol=0.5 * 10**-digits)


def test_savings_page_renders(savings: AppTest) -> None:
    at = savings
    assert at.title[0].value == "Savings"
    assert at.segmented_control(key="sv_section").value == "levers"
    assert [h.value for h in at.subheader] == [
        "Levers, stacked without double counting",
        "Lever inputs",
    ]
    labels = [m.label for m in at.metric]
    assert labels == [
        "Spend Oct 2026",
        "Stacked savings / month",
        "Naive sum / month",
        "Compute savings rate today",
    ]
    levers = table(at, "lever", "Right-size")
    assert list(levers["lever"]) == LEVERS
    waterfall = specs(at)["Savings per month, stacked in order (Oct 2026)"]["data"]
    assert waterfall[0]["type"] == "waterfall"
    assert values(waterfall[0]["x"]) == [*LEVERS, "stacked total"]
    # The table shows whole units; the chart keeps the cents.
    whole = 0.5 * len(levers)
    assert values(waterfall[0]["y"])[-1] == pytest.approx(
        levers["monthly_savings"].sum(), abs=whole
    )
    assert waterfall[1]["name"] == "naive sum"
    assert values(waterfall[1]["y"]) == [pytest.approx(levers["naive_monthly"].sum(), abs=whole)]
    lever_box = "Target request hit ratio %"
    assert lever_box not in {n.label for n in at.number_input}  # drawn when asked for
    modelled = [c.value for c in inputs(at).caption if c.value.startswith("Result: ")]
    assert len(modelled) == 4 and "P99.5 CPU" in modelled[0]  # what the rule was
    inputs(at, on=False)
    texts = [e.markdown[0].value for e in at.expander if e.label == "How is this computed"]
    assert len(texts) == 1
    assert "request hit ratio target 65%" in texts[0]  # each lever's own assumptions
    assert [b.proto.label for b in at.get("download_button")] == ["Download the levers (CSV)"]

    show(at, "commitments")
    assert [h.value for h in at.subheader] == [
        "Commitments: the forecast beside AWS's look-back",
        "Lever inputs",
    ]
    labels = [m.label for m in at.metric]
    assert labels[:4] == [
        "Recommended commitment",
        "Expected savings / month",
        "Utilisation",
        "Break-even month",
    ]
    # AWS's recommendation in its own terms beside it, on the last 30 days' hourly usage.
    assert labels[4:8] == [
        "AWS look-back, 30 days",
        "Estimated savings / month",
        "Estimated utilisation",
        "Break-even month (look-back)",
    ]
    # Three grids, one per table (five before: the look-back and the paths tables each
    # spilled onto a second grid); the paths table shows its band in one cell, not the size
    # the look-back table above shows.
    grids = {tuple(d.proto.column_order)[:2]: list(d.proto.column_order) for d in at.dataframe}
    assert len(at.dataframe) == len(grids) == 3, grids
    past = grids[("method", "hourly_commitment_usd")]
    paths = next(g for g in grids.values() if "savings_band" in g)
    assert "lookback_monthly_savings_usd" in past and "hourly_commitment_usd" not in paths
    # A card reads the figure its table shows, at the table's precision (not 96% beside 95.5%).
    frame = next(d.value for d in at.dataframe if "savings_band" in d.proto.column_order)
    shown = next(m.value for m in at.metric if m.label == "Utilisation")
    assert "utilisation" in paths and shown == f"{frame['utilisation'].iloc[0]:.1f}%", shown
    demand = table(at, "demand", "P10")
    assert list(demand["demand"]) == ["P10", "P50", "P90"]
    # The expected saving (a card) and the P50 row are two figures: the caption says why.
    expected = next(m.value for m in at.metric if m.label == "Expected savings / month")
    story = next(c.value for c in at.caption if c.value.startswith("The same "))
    assert f"{expected}/month is the mean over every path" in story, story
    assert [b.proto.label for b in at.get("download_button")] == ["Download the commitments (CSV)"]
    texts = [e.markdown[0].value for e in at.expander if e.label == "How is this computed"]
    assert "covered = min(usage, c / (1 - d))" in texts[0].replace("**", "")

    show(at, "stated")
    assert [h.value for h in at.subheader] == ["Stated plan reconciliation", "Lever inputs"]
    stated = table(at, "initiative", "Reserved instances")
    assert stated["initiative"].iloc[-1] == "Total"
    assert "3 of 4 lines flagged" in at.warning[0].value  # against the plan's own month
    assert "same spend as line 2 (Right-sizing pods)" in stated["flags"].iloc[0]
    buttons = [b.proto.label for b in at.get("download_button")]
    assert buttons == ["Download the reconciliation (CSV)"]
    texts = [e.markdown[0].value for e in at.expander if e.label == "How is this computed"]
    assert "implied base" in texts[0].lower()
    # The plan's month as people write it, not as the machine keys it (was "2026-02").
    assert "**Base month** Feb 2026:" in texts[0] and "2026-02" not in texts[0]
    assert "base month Feb 2026" in at.warning[0].value


def same_bands(page: pd.DataFrame, cli: pd.DataFrame) -> None:
    """A lever with a band shows the CLI's; one without (P10 = P50 = P90 in the CSV) shows
    one figure, its band's cells empty, not the same figure three times."""
    page, cli = page.reset_index(drop=True), cli.reset_index(drop=True)
    point = cli["monthly_savings"].astype(float)
    flat = cli["lower"].astype(float).eq(point) & cli["upper"].astype(float).eq(point)
    assert page.loc[flat, ["lower", "upper"]].isna().all().all(), page
    assert page.loc[~flat, ["lower", "upper"]].notna().all().all(), page
    same_numbers(page[~flat], cli[~flat], ["lower", "upper"], 0)


def test_page_numbers_match_the_cli(
    savings: AppTest, demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    at = savings
    cli = cli_csv(capsys, "savings", "--db", str(demo_db), *CLI_FAST)
    levers = table(at, "lever", "Right-size")
    same_numbers(levers, cli, ["base_monthly", "monthly_savings"], 0)
    same_bands(levers, cli)
    assert levers["lever"].iloc[-1] == "Commitments" and not math.isnan(levers["lower"].iloc[-1])
    # The CLI's words, with its dates as a page writes them ("2027-04-21" reads "21 Apr 2027").
    assert levers["assumptions"].tolist() == [readable_text(a) for a in cli["assumptions"]]
    cli = cli_csv(capsys, "commitments", "--db", str(demo_db), *CLI_FAST)
    methods = table(show(at, "commitments"), "method", "forecast")
    # The CLI writes fractions for machines; the page reads them in % (0.777 is 77.7%).
    for share in ("coverage", "utilisation", "lookback_utilisation"):
        cli[share] = cli[share].astype(float) * 100
    columns = ["hourly_commitment_usd", "coverage", "utilisation", "savings_lower_usd"]
    same_numbers(methods, cli, [*columns, "expected_monthly_savings_usd"], 3)
    same_numbers(methods, cli, ["lookback_monthly_savings_usd", "lookback_utilisation"], 3)
    assert methods["break_even_month"].tolist() == cli["break_even_month"].astype(str).tolist()
    # The paths' band, one cell on the page, reads the CLI's two columns.
    paths = next(d.value for d in at.dataframe if "savings_band" in d.proto.column_order)
    ends = [
        (rounded_text(float(a), 0), rounded_text(float(b), 0))
        for a, b in zip(cli["savings_lower_usd"], cli["savings_upper_usd"], strict=True)
    ]
    assert paths["savings_band"].tolist() == [a if a == b else f"{a}–{b}" for a, b in ends]
    with Store(demo_db, read_only=True) as store:
        lines = store.stated_savings("apex-2026").drop(columns="currency")
    lines.to_csv(tmp_path / "stated.csv", index=False)
    cli = cli_csv(capsys, "savings", "--stated", str(tmp_path / "stated.csv"), "--db", str(demo_db))
    stated = table(show(at, "stated"), "initiative", "Reserved instances")
    same_numbers(stated, cli, ["base_monthly", "implied_base", "modelled_monthly"], 0)
    assert stated["flags"].tolist() == [readable_text(f) for f in cli["flags"]]


def test_a_lever_input_acts_like_set_on_the_cli(
    savings: AppTest, demo_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    at = savings
    cdn = ("CDN caching", "monthly_savings")
    before = table(at, "lever", "Right-size").set_index("lever").loc[cdn]
    target = "Target request hit ratio %"
    next(n for n in inputs(at).number_input if n.label == target).set_value(80)
    at.run()
    assert not at.exception
    levers = table(at, "lever", "Right-size").set_index("lever")
    assert levers.loc[cdn] > before > 0  # measured 62%, now aiming higher
    # Closed, the inputs' edit is still used and said to be unsaved; opened, it is shown.
    inputs(at, on=False)
    assert target not in {n.label for n in at.number_input}
    assert table(at, "lever", "Right-size").set_index("lever").loc[cdn] == levers.loc[cdn]
    said = "**Edited here, not saved:** CDN caching: Target request hit ratio 80%."
    assert any(said in c.value for c in at.caption), [c.value for c in at.caption]
    above = ":material/edit: Sized on lever inputs edited below, not saved: CDN caching"
    assert any(c.value.startswith(above) for c in at.caption)
    assert next(n for n in inputs(at).number_input if n.label == target).value == 80
    assert table(at, "lever", "Right-size").set_index("lever").loc[cdn] == levers.loc[cdn]
    hit_ratios = ["--set", "target_request_hit_ratio=0.8"]
    cli = cli_csv(capsys, "savings", "--db", str(demo_db), *CLI_FAST, *hit_ratios)
    same_numbers(levers.reset_index(), cli, ["monthly_savings"], 0)
    same_bands(levers.reset_index(), cli)
    waterfall = specs(at)["Savings per month, stacked in order (Oct 2026)"]["data"][0]
    assert values(waterfall["y"])[1] == pytest.approx(levers.loc[cdn], abs=0.5)


def test_the_plan_is_checked_against_its_own_month(savings: AppTest) -> None:
    at = savings
    # Levers on the last full month; the plan against February 2026, the month the document's
    # figures describe: only the CDN line's base is off by more than 10% ($2,000 implied,
    # about $800 spent), and the two Compute lines act on the same spend.
    assert at.metric[0].label == "Spend Oct 2026"
    show(at, "stated")
    assert "3 of 4 lines flagged" in at.warning[0].value
    assert "base month Feb 2026 (the month the plan's figures describe" in at.warning[0].value
    stated = table(at, "initiative", "Reserved instances").set_index("initiative")
    assert "implied base" not in stated.loc["Reserved instances", "flags"]
    assert "implied base" in stated.loc["CDN cache optimization", "flags"]
    at.number_input(key="sv_tol").set_value(1.0).run()
    assert "4 of 4 lines flagged" in at.warning[0].value  # the database line is 1.7% off
    assert "base month Feb 2026" in at.warning[0].value  # the tolerance flags, not the month
    stated = table(at, "initiative", "Reserved instances").set_index("initiative")
    assert "tolerance 1%" in stated.loc["Database query optimization", "flags"]


def test_an_uploaded_plan_is_reconciled_and_a_bad_one_explained(savings: AppTest) -> None:
    at = show(savings, "stated")
    at.radio(key="sv_source").set_value("Upload a CSV").run()
    assert "Choose a stored plan or upload one" in at.info[0].value
    plan = b"initiative,category,percent,monthly_savings\nRight-size pods,Compute,10,\n"
    at.file_uploader[0].upload("plan.csv", plan, "text/csv")
    at.run()
    stated = table(at, "initiative", "Right-size pods")
    assert list(stated["initiative"]) == ["Right-size pods", "Total"]
    at.file_uploader[0].upload("bad.csv", plan.replace(b",10,", b",ten,"), "text/csv")
    at.run()
    assert not at.exception
    assert any("file bad.csv, row 2, column 'percent'" in i.value for i in at.info)
    levers = table(show(at, "levers"), "lever", "Right-size").set_index("lever")
    compute = levers.loc["Right-size", "base_monthly"]
    assert stated["modelled_monthly"].iloc[0] == pytest.approx(0.10 * compute, abs=0.5)


def test_no_cost_data_is_an_info(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "empty.duckdb"
    Store(db).close()
    monkeypatch.setenv("CAPCOST_DB", str(db))
    st.cache_data.clear()
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    open_page(at)
    assert "No full month of cost data yet" in at.info[0].value
    st.cache_data.clear()


def test_the_savings_band_follows_the_level(app_at: Callable[[str | None], AppTest]) -> None:
    at = open_page(app_at(None), sv_level=50)
    texts = [e.markdown[0].value for e in at.expander if e.label == "How is this computed"]
    assert "(P25-P75 across paths)" in texts[0]
    at.select_slider(key="sv_level").set_value(80).run()
    texts = [e.markdown[0].value for e in at.expander if e.label == "How is this computed"]
    assert "(P10-P90 across paths)" in texts[0]
