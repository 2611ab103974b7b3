"""The savings service the CLI and the Savings page share: stated plans, options, parts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from forecasting.errors import InputError
from forecasting.savings.service import (
    SavingsOptions,
    read_stated,
    stored_stated,
)
from forecasting.store import Store

FAST = {"model": "drift", "paths": 200, "seed": 1}
HEADER = b"initiative,category,percent,monthly_savings\n"


def test_read_stated_from_bytes_and_from_a_path(tmp_path: Path) -> None:
    content = HEADER + b"RI,Compute,20,800\nCDN,CDN,,200\n"
    from_bytes = read_stated(content, "upload.csv")
    path = tmp_path / "plan.csv"
    path.write_bytes(content)
    pd.testing.assert_frame_equal(from_bytes, read_stated(path))
    assert from_bytes["percent"].isna().tolist() == [False, True]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "file upload.csv: not a readable CSV"),
        (b"\xff\xfe\x00", "file upload.csv: not a readable CSV"),
        (HEADER + b"RI,Compute,-5,\n", "file upload.csv, row 2, column 'percent'"),
    ],
)
def test_unreadable_stated_plans_name_the_file(content: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        read_stated(content, "upload.csv")


def test_a_stored_plan_in_another_currency_is_refused(demo_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "copy.duckdb"
    db.write_bytes(demo_db.read_bytes())
    with Store(db) as store:
        lines = pd.DataFrame(
            [{"initiative": "RI", "category": "Compute", "percent": 20.0, "monthly_savings": 800.0}]
        )
        store.save_stated_savings("euro-plan", lines, "EUR")
        assert len(stored_stated(store, "apex-2026")) == 4
        with pytest.raises(InputError, match="'euro-plan' is in EUR, the bill in USD"):
            stored_stated(store, "euro-plan")


@pytest.mark.parametrize(
    ("fields", "message"),
    [({"tolerance": 1.0}, "parameter tolerance"), ({"lookback": (0,)}, "parameter lookback")],
)
def test_options_out_of_range_are_input_errors(fields: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        SavingsOptions(**fields)  # type: ignore[arg-type]


def test_the_exports_are_the_cli_csv_byte_for_byte(
    demo_db: Path, demo_store: Store, tmp_path: Path
) -> None:
    from forecasting.cli import main
    from forecasting.export import to_csv_bytes
    from forecasting.savings.service import commitments, levers, reconcile_stated

    options = SavingsOptions(**FAST)
    cli = ["--db", str(demo_db), "--model", "drift", "--paths", "200", "--seed", "1"]
    out = tmp_path / "out.csv"
    assert main(["savings", *cli, "--csv", str(out)]) == 0
    assert to_csv_bytes(levers(demo_store, options).export()) == out.read_bytes()
    assert main(["commitments", *cli, "--csv", str(out)]) == 0
    assert to_csv_bytes(commitments(demo_store, options).export()) == out.read_bytes()
    stated = stored_stated(demo_store, "apex-2026")
    stated.to_csv(tmp_path / "stated.csv", index=False)
    assert main(["savings", *cli, "--stated", str(tmp_path / "stated.csv"), "--csv", str(out)]) == 0
    reconciled = reconcile_stated(demo_store, options, stated, "apex-2026")
    assert to_csv_bytes(reconciled.export()) == out.read_bytes()


def _euro_bill(store: Store) -> Store:
    """Three months of an EC2 bill in EUR: 100 EUR a day, on demand."""
    days = pd.date_range("2026-08-01", "2026-10-31", freq="D")
    frame = pd.DataFrame(
        {
            "ChargePeriodStart": days,
            "ChargePeriodEnd": days + pd.Timedelta(days=1),
            "BillingPeriodStart": days.to_period("M").start_time,
            "BillingCurrency": "EUR",
            "BilledCost": 100.0,
            "EffectiveCost": 100.0,
            "ListCost": 100.0,
            "ProviderName": "AWS",
            "BillingAccountId": "012345678901",
            "ServiceName": "Amazon Elastic Compute Cloud",
            "ServiceCategory": "Compute",
            "RegionId": "eu-west-1",
            "SkuId": "BoxUsage:m6i.xlarge",
            "ChargeDescription": "EC2 m6i.xlarge",
            "ChargeCategory": "Usage",
            "PricingCategory": "Standard",
        }
    )
    with store.ingest_run("test", {}) as run:
        store.replace_cost_periods(run, frame)
    return store


def test_levers_and_commitments_refuse_a_bill_the_catalogue_cannot_price(
    fresh_store: Store,
) -> None:
    """The catalogue's prices are USD and no exchange rate is kept: a EUR bill priced with
    them would mix units and print as dollars, so both refuse it, naming the currencies."""
    from forecasting.savings.service import commitments, levers

    store = _euro_bill(fresh_store)
    for run in (levers, commitments):
        with pytest.raises(InputError, match=r"parameter --db: the bill is in EUR .* in USD"):
            run(store, SavingsOptions(**FAST))


def test_a_stated_plan_is_reconciled_in_the_bills_currency(fresh_store: Store) -> None:
    from forecasting.savings.service import reconcile_stated

    store = _euro_bill(fresh_store)
    stated = read_stated(HEADER + b"Rightsize EC2,Compute,10,\nRI,Compute,,500\n", "plan.csv")
    result = reconcile_stated(store, SavingsOptions(**FAST, base_month="2026-10"), stated, "p")
    assert result.currency == "EUR" and result.total_spend == pytest.approx(3100.0)
    flags = " ".join(result.table["flags"].astype(str))
    assert "$" not in flags and "stacked" in flags and "EUR" in flags
    assert "acts on 2,790 EUR of on-demand" in flags  # what right-sizing left, in EUR
