"""capcost savings, commitments and ingest pricing on the demo database, and their bad input."""

from __future__ import annotations

import argparse
import io
import json
import shutil
from pathlib import Path

import boto3
import pandas as pd
import pytest
from botocore.stub import Stubber

from forecasting.cli import main
from forecasting.savings.pricing.commands import refresh_catalogue
from forecasting.savings.store_inputs import cost_rows
from forecasting.scenario import catalogue
from forecasting.store import Store

FAST = ["--model", "drift", "--paths", "200", "--seed", "1"]


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[pd.DataFrame, str]:
    assert main(list(args)) == 0
    captured = capsys.readouterr()
    return pd.read_csv(io.StringIO(captured.out), keep_default_na=False), captured.err


@pytest.fixture(scope="module")
def stated_csv(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's stated plan (the document's optimisation table), as a user would export it."""
    with Store(demo_db, read_only=True) as store:
        lines = store.stated_savings("apex-2026")
    path = tmp_path_factory.mktemp("stated") / "apex-2026.csv"
    lines.drop(columns="currency").to_csv(path, index=False)
    return path


def test_demo_stated_plan_is_reconciled(
    demo_db: Path, stated_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # February 2026: the month the document's figures describe (about 50K users).
    table, err = _run(
        capsys,
        "savings",
        "--stated",
        str(stated_csv),
        "--base-month",
        "2026-02",
        "--db",
        str(demo_db),
    )
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
    rows = table.set_index("initiative")
    ri, rs = rows.loc["Reserved instances"], rows.loc["Right-sizing pods"]
    cdn, db = rows.loc["CDN cache optimization"], rows.loc["Database query optimization"]
    compute, cdn_base, db_base = (float(r["base_monthly"]) for r in (ri, cdn, db))
    assert compute == pytest.approx(4000, rel=0.06) and db_base == pytest.approx(2000, rel=0.06)
    assert cdn_base == pytest.approx(800, rel=0.06)
    assert "same spend as line 2 (Right-sizing pods)" in ri["flags"]
    assert "same spend as line 1 (Reserved instances)" in rs["flags"]
    assert "implied base $2,000 vs $" in cdn["flags"]
    assert "implied base" not in ri["flags"] + db["flags"]  # within 10% of the data
    # Stacked in lever order on what is left: right-size, CDN, database, then the RIs, which
    # act on on-demand EC2 only (not Fargate, not what the Savings Plan covers already).
    assert float(rs["modelled_monthly"]) == pytest.approx(0.15 * compute, abs=0.01)
    with Store(demo_db, read_only=True) as store:
        spend = cost_rows(store, pd.Timestamp("2026-02-01"), pd.Timestamp("2026-03-01"))
    ec2 = spend[
        (spend["ServiceName"] == "Amazon Elastic Compute Cloud")
        & (spend["ServiceCategory"] == "Compute")
        & (spend["ChargeCategory"] == "Usage")
        & (spend["PricingCategory"] != "Committed")
    ]["cost"].sum()
    assert 0 < ec2 < compute / 2
    assert float(ri["modelled_monthly"]) == pytest.approx(0.20 * 0.85 * ec2, abs=0.01)
    assert "acts on $" in ri["flags"] and "on-demand EC2 usage left" in ri["flags"]
    assert float(cdn["modelled_monthly"]) == pytest.approx(0.10 * cdn_base, abs=0.01)
    assert float(db["modelled_monthly"]) == pytest.approx(0.05 * db_base, abs=0.01)
    total = rows.loc["Total"]
    assert float(total["stated_monthly"]) == 1700
    modelled = sum(float(rows.loc[i, "modelled_monthly"]) for i in rows.index if i != "Total")
    assert float(total["modelled_monthly"]) == pytest.approx(modelled, abs=0.02)
    assert float(total["modelled_monthly"]) < 1700
    assert "stacked $" in err and "vs stated $1,700" in err


def test_stated_plan_against_a_later_month(
    demo_db: Path, stated_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # By October 2026 Compute spend has doubled: the plan's dollars no longer match its base.
    table, err = _run(
        capsys,
        "savings",
        "--stated",
        str(stated_csv),
        "--base-month",
        "2026-10",
        "--db",
        str(demo_db),
    )
    ri = table.set_index("initiative").loc["Reserved instances"]
    assert float(ri["base_monthly"]) > 8000
    assert "implied base $4,000 vs $" in ri["flags"]
    assert "base month 2026-10 (asked for)" in err


def test_the_stored_plan_by_name_against_the_month_it_describes(
    demo_db: Path, stated_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stored, err = _run(capsys, "savings", "--stated", "apex-2026", "--db", str(demo_db))
    # No --base-month: the month the plan's figures describe (its Compute and Database lines
    # imply $4,000 and $2,000, the spend of early 2026), not the last full month, so the CDN
    # line's $2,000 is checked against that month's ~$800 of CDN spend and flagged.
    assert "base month 2026-0" in err and "the month the plan's figures describe" in err
    month = err.split("base month ")[1][:7]
    assert "2026-01" <= month <= "2026-03"
    cdn = stored.set_index("initiative").loc["CDN cache optimization"]
    assert float(cdn["base_monthly"]) == pytest.approx(800, rel=0.1)
    assert "implied base $2,000 vs $" in cdn["flags"]
    # The same plan from a file gives the same table.
    from_file, _ = _run(capsys, "savings", "--stated", str(stated_csv), "--db", str(demo_db))
    pd.testing.assert_frame_equal(stored, from_file)


def test_an_unknown_stated_plan_names_the_stored_ones(
    demo_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["savings", "--stated", "apex-2025", "--db", str(demo_db)]) == 2
    err = capsys.readouterr().err
    assert "no such file, nor a stored plan of that name (stored plans: apex-2026)" in err


def test_savings_levers_on_the_demo(demo_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table, err = _run(capsys, "savings", "--db", str(demo_db), *FAST)
    assert list(table.columns) == [
        "lever",
        "category",
        "base_monthly",
        "monthly_savings",
        "lower",
        "upper",
        "percent_of_base",
        "order",
        "assumptions",
        "evidence",
    ]
    assert list(table["lever"]) == ["right-size", "cdn", "database", "commitments"]
    levers = table.set_index("lever")
    # The demo stores the evidence: every lever but commitments says what it read.
    assert (levers.loc[["right-size", "cdn", "database"], "monthly_savings"] > 0).all()
    assert "Cloudflare analytics" in levers.loc["cdn", "evidence"]
    sp = levers.loc["commitments"]
    assert 0 < sp["lower"] <= sp["monthly_savings"] <= sp["upper"] < sp["base_monthly"]
    for _, row in table.iterrows():
        assert 0 <= row["monthly_savings"] <= row["base_monthly"]
    assert "effective savings rate of Compute today" in err and "naive sum" in err


def test_commitments_forecast_beside_look_back(
    demo_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table, err = _run(capsys, "commitments", "--db", str(demo_db), *FAST)
    assert list(table["method"]) == [
        "forecast",
        "look-back 7 days",
        "look-back 30 days",
        "look-back 60 days",
    ]
    assert set(table["scope"]) == {"all eligible compute"}
    for column in ("utilisation", "coverage", "lookback_utilisation", "lookback_coverage"):
        assert ((table[column] > 0) & (table[column] <= 1)).all(), column
    forecast = table.iloc[0]
    # The recommendation pays off under the forecast and over the last 30 days' own usage.
    assert forecast["expected_monthly_savings_usd"] > 0
    assert forecast["lookback_days"] == 30 and forecast["lookback_monthly_savings_usd"] > 0
    # The forecast recommendation maximises expected savings over the paths the look-back
    # commitments are also scored on; each look-back maximises over its own window.
    best = forecast["expected_monthly_savings_usd"]
    assert (table["expected_monthly_savings_usd"] <= best + 1e-6).all()
    thirty = table.set_index("method").loc["look-back 30 days"]
    assert forecast["lookback_monthly_savings_usd"] <= thirty["lookback_monthly_savings_usd"]
    assert list(table["lookback_days"]) == [30, 7, 30, 60]
    assert "EC2, Fargate" in forecast["note"] and "commitments owned cover $" in forecast["note"]
    assert "effective savings rate of Compute today" in err


def test_reserved_instances_never_count_fargate(
    demo_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ri, _ = _run(capsys, "commitments", "--db", str(demo_db), "--offering", "ri_standard", *FAST)
    sp, _ = _run(capsys, "commitments", "--db", str(demo_db), *FAST)
    assert set(ri["scope"]) <= {"m6i us-east-1", "c6i us-east-1"}
    assert not ri["note"].str.contains("Fargate").any()
    # The RI scopes' on-demand usage adds up to less than the Savings Plan's (no Fargate).
    ri_usage = ri[ri["method"] == "look-back 30 days"]["lookback_on_demand_usd_per_hour"].sum()
    sp_usage = sp[sp["method"] == "look-back 30 days"]["lookback_on_demand_usd_per_hour"].sum()
    assert 0 < ri_usage < sp_usage


def test_commitment_options(demo_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table, _ = _run(
        capsys,
        "commitments",
        "--db",
        str(demo_db),
        "--term",
        "3",
        "--payment",
        "all_upfront",
        "--lookback",
        "30",
        *FAST,
    )
    assert list(table["method"]) == ["forecast", "look-back 30 days"]
    forecast = table.iloc[0]
    # All upfront: the whole term is paid at purchase, so nothing pays back in month 1.
    assert forecast["upfront_usd"] == pytest.approx(
        forecast["hourly_commitment_usd"] * 36 * 730, rel=1e-3
    )
    assert int(forecast["break_even_month"]) > 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "initiative,category,percent,monthly_savings\nRI,Compute,twenty,800\n",
            "row 2, column 'percent'",
        ),
        ("initiative,category,percent\nRI,Compute,20\n", "missing columns ['monthly_savings']"),
        ("initiative,category,percent,monthly_savings\nRI,,20,800\n", "row 2, column 'category'"),
    ],
)
def test_bad_stated_plans_exit_2_naming_the_cell(
    demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    path = tmp_path / "plan.csv"
    path.write_text(content)
    assert main(["savings", "--stated", str(path), "--db", str(demo_db)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("capcost: error:") and message in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["savings", "--stated", "/nonexistent/plan.csv"], "no such file"),
        (["savings", "--base-month", "2031-01"], "not a full month of cost data"),
        (["commitments", "--scenario", "nope"], "unknown assumption set 'nope'"),
    ],
)
def test_savings_mistakes_exit_2(
    demo_db: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main([*args, "--db", str(demo_db)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("capcost: error:") and message in err


@pytest.mark.parametrize(
    "args",
    [
        ["savings", "--base-month", "2026-13"],
        ["savings", "--tolerance", "120"],
        ["commitments", "--term", "2"],
        ["commitments", "--lookback", "0,30"],
        ["commitments", "--payment", "some_upfront"],
    ],
)
def test_bad_arguments_are_usage_errors(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    assert "error: argument" in capsys.readouterr().err


def test_ingest_pricing_rewrites_the_catalogue_and_logs_the_run(tmp_path: Path) -> None:
    prices = tmp_path / "prices"
    shutil.copytree(catalogue.DEFAULT_FOLDER, prices)
    client = boto3.client(
        "pricing", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    product = {
        "product": {"attributes": {"instanceType": "m6i.large", "vcpu": "2", "memory": "8 GiB"}},
        "terms": {
            "OnDemand": {
                "T": {"priceDimensions": {"D": {"unit": "Hrs", "pricePerUnit": {"USD": "0.0999"}}}}
            }
        },
    }
    db = tmp_path / "capcost.duckdb"
    args = argparse.Namespace(db=str(db), region="us-east-1", prices=str(prices), dry_run=False)
    with Stubber(client) as stub:
        stub.add_response("get_products", {"PriceList": [json.dumps(product)]})
        stub.add_response("get_products", {"PriceList": []})
        assert refresh_catalogue(args, client) == 0
    compute = pd.read_csv(prices / "compute.csv", dtype=str, keep_default_na=False)
    row = compute[(compute["instance_type"] == "m6i.large") & (compute["offering"] == "on_demand")]
    assert row["hourly_usd"].tolist() == ["0.0999"] and row["source"].tolist() == ["aws-price-list"]
    with Store(db, read_only=True) as store:
        run = store.runs("pricing")[0]
    assert run["status"] == "succeeded" and run["rows"] == 1


def test_ingest_pricing_dry_run_writes_nothing(tmp_path: Path) -> None:
    prices = tmp_path / "prices"
    shutil.copytree(catalogue.DEFAULT_FOLDER, prices)
    before = (prices / "compute.csv").read_bytes()
    client = boto3.client(
        "pricing", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    args = argparse.Namespace(
        db=str(tmp_path / "c.duckdb"), region="us-east-1", prices=str(prices), dry_run=True
    )
    with Stubber(client) as stub:
        stub.add_response("get_products", {"PriceList": []})
        stub.add_response("get_products", {"PriceList": []})
        assert refresh_catalogue(args, client) == 0
    assert (prices / "compute.csv").read_bytes() == before


def test_set_overrides_an_assumption(demo_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base, _ = _run(capsys, "savings", "--db", str(demo_db), *FAST)
    table, _ = _run(
        capsys, "savings", "--db", str(demo_db), *FAST, "--set", "target_request_hit_ratio=0.7"
    )
    cdn = table.set_index("lever").loc["cdn"]
    # The hit ratio is measured (62% in the analytics): a higher target avoids more requests.
    assert cdn["monthly_savings"] > base.set_index("lever").loc["cdn", "monthly_savings"] > 0
    assert "-> target 70%" in cdn["evidence"] and "request hit ratio 62.0%" in cdn["evidence"]


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("colour=blue", "unknown assumption 'colour'"),
        ("request_hit_ratio=2", "request_hit_ratio must be in [0, 1]"),
        ("target_utilisation=70", "target_utilisation must be in (0, 1]"),
    ],
)
def test_bad_settings_exit_2(
    demo_db: Path, capsys: pytest.CaptureFixture[str], setting: str, message: str
) -> None:
    assert main(["savings", "--db", str(demo_db), "--set", setting, *FAST]) == 2
    err = capsys.readouterr().err
    assert err.startswith("capcost: error:") and message in err


def test_demo_savings_plan_shows_in_the_effective_savings_rate(demo_db: Path) -> None:
    """The demo's Compute Savings Plan: $2/h at 28% off, always fully used (hand calculation)."""
    from forecasting.savings.commitments import effective_savings_rate
    from forecasting.savings.eligibility import eligible_rows, to_hours, uncovered_hours

    start, end = pd.Timestamp("2026-10-01"), pd.Timestamp("2026-11-01")
    with Store(demo_db, read_only=True) as store:
        rows = cost_rows(store, start, end)
    usage = rows[(rows["cost_group"] == "Compute") & (rows["ChargeCategory"] == "Usage")]
    committed = usage[usage["PricingCategory"] == "Committed"]
    hours = 31 * 24
    # Covered usage: the $2/h amortised commitment, listed at its on-demand price 2 / 0.72.
    assert committed["cost"].sum() == pytest.approx(2 * hours, abs=0.01)
    assert committed["list_cost"].sum() == pytest.approx(2 / 0.72 * hours, abs=0.05)
    saved = usage["list_cost"].sum() - usage["cost"].sum()
    assert saved == pytest.approx((2 / 0.72 - 2) * hours, abs=0.05)
    esr = effective_savings_rate(float(usage["list_cost"].sum()), float(usage["cost"].sum()))
    assert esr == pytest.approx(saved / usage["list_cost"].sum())
    # What a new commitment could cover is the rest: on-demand usage, hour by hour.
    with Store(demo_db, read_only=True) as store:
        items = eligible_rows(store.compute_usage_items(start.date(), end.date()), "compute_sp")
    owned = items["PricingCategory"] == "Committed"
    left = uncovered_hours(to_hours(items), to_hours(items[owned]))
    assert len(left) == hours
    on_demand = items.loc[~owned, "ListCost"].sum()
    assert left.sum() == pytest.approx(on_demand)
