"""Data-quality warnings: each check fires on a store built to trip it, else stays quiet."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from forecasting.errors import InputError
from forecasting.ingest.focus import load_focus
from forecasting.ingest.metrics import load_metrics
from forecasting.ingest.quality import data_status, quality_warnings
from forecasting.ingest.upload import UploadKind, ingest_upload
from forecasting.store import Store
from tests.ingest import billing_fixtures as fx


def clean_rows() -> list[dict[str, str]]:
    """The FOCUS fixture without its deliberate warts (tax without category)."""
    return [r for r in fx.focus_rows() if r["ServiceCategory"] != "NULL"]


def checks(store: Store) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for warning in quality_warnings(store):
        out.setdefault(warning.check, []).append(warning.message)
    return out


def ingest(store: Store, tmp: Path, rows: list[dict[str, str]], name: str = "f.csv") -> None:
    load_focus(store, [fx.write_csv(rows, tmp / name, fx.FOCUS_HEADER)])


def test_clean_data_has_no_warnings(fresh_store: Store, tmp_path: Path) -> None:
    ingest(fresh_store, tmp_path, clean_rows())
    assert checks(fresh_store) == {}


def test_a_missing_day_is_a_gap(fresh_store: Store, tmp_path: Path) -> None:
    rows = [r for r in clean_rows() if not r["ChargePeriodStart"].startswith("2024-09-29")]
    ingest(fresh_store, tmp_path, rows)
    [message] = checks(fresh_store)["gaps"]
    assert message.startswith("2 days have no cost inside the span of their provider's data (2")
    gaps = quality_warnings(fresh_store)[0].examples
    assert set(gaps["ProviderName"]) == {"AWS", "Microsoft"}
    assert {str(d)[:10] for d in gaps["first_missing"]} == {"2024-09-29"}


def test_uncategorised_cost_is_reported_with_its_amount(fresh_store: Store, tmp_path: Path) -> None:
    ingest(fresh_store, tmp_path, fx.focus_rows())
    [message] = checks(fresh_store)["no category"]
    assert message.startswith("1.05 USD of cost has no ServiceCategory")


def test_mixed_currencies(fresh_store: Store, tmp_path: Path) -> None:
    euro = [
        r | {"BillingCurrency": "EUR"} for r in clean_rows() if r["ProviderName"] == "Microsoft"
    ]
    ingest(fresh_store, tmp_path, [r for r in clean_rows() if r["ProviderName"] == "AWS"], "a.csv")
    ingest(fresh_store, tmp_path, euro, "b.csv")
    [message] = checks(fresh_store)["mixed currencies"]
    assert "2 currencies (USD, EUR)" in message


def test_negative_usage(fresh_store: Store, tmp_path: Path) -> None:
    rows = clean_rows()
    rows[0] |= {"ConsumedQuantity": "-3"}
    ingest(fresh_store, tmp_path, rows)
    assert checks(fresh_store)["negative usage"] == [
        "1 line items have a negative ConsumedQuantity; usage cannot be negative (credits "
        "belong in the cost columns)"
    ]


def test_two_sources_for_one_account_day(fresh_store: Store, tmp_path: Path) -> None:
    ingest(fresh_store, tmp_path, clean_rows())
    # The same account's day again, as an API source would write it.
    with fresh_store.ingest_run("cost-explorer", {}) as run:
        frame = pd.DataFrame(
            {
                "ChargePeriodStart": [pd.Timestamp("2024-09-28")],
                "ChargePeriodEnd": [pd.Timestamp("2024-09-29")],
                "BillingPeriodStart": [pd.Timestamp("2024-09-01")],
                "BillingAccountId": ["012345678901"],
                "SubAccountId": ["009876543210"],
                "BillingCurrency": ["USD"],
                "BilledCost": [5.0],
                "ProviderName": ["AWS"],
                "ServiceCategory": ["Compute"],
            }
        )
        fresh_store.replace_cost_window(
            run,
            frame,
            start=pd.Timestamp("2024-09-28").date(),
            end=pd.Timestamp("2024-09-29").date(),
        )
    [message] = checks(fresh_store)["duplicate days"]
    assert message.startswith("1 days hold cost of the same account from more than one source")
    assert "cost-explorer, focus" in message


def test_metric_gaps_doubles_and_negatives(fresh_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("ts,value\n2024-01-01,5\n2024-01-02,-1\n2024-01-05,4\n")
    load_metrics(fresh_store, path, metric="queue_depth", unit="messages")
    with fresh_store.ingest_run("cloudwatch", {}) as run:
        fresh_store.replace_metrics(
            run,
            pd.DataFrame(
                {
                    "ts": [pd.Timestamp("2024-01-01 12:00")],
                    "metric": ["queue_depth"],
                    "dimensions": ["{}"],
                    "value": [7.0],
                    "unit": ["messages"],
                }
            ),
        )
    found = checks(fresh_store)
    assert found["gaps"] == [
        "2 days have no observations inside the span of their metric (1 gaps); forecasts "
        "treat them as unknown, never as zero"
    ]
    assert found["duplicate days"][0].startswith("1 metric days hold observations from more")
    assert found["negative usage"] == ["1 metric days have negative values (queue_depth)"]


def test_data_status_bundles_freshness_runs_and_warnings(
    fresh_store: Store, tmp_path: Path
) -> None:
    ingest(fresh_store, tmp_path, fx.focus_rows())
    status = data_status(fresh_store)
    assert list(status.freshness["source"]) == ["focus"]
    assert list(status.runs["status"]) == ["succeeded"]
    assert [w.check for w in status.warnings] == ["no category"]


# -- uploads (the app's path into the same ingestion) ---------------------------------------
def test_upload_runs_the_file_ingest(fresh_store: Store, tmp_path: Path) -> None:
    content = fx.write_csv(clean_rows(), tmp_path / "x.csv", fx.FOCUS_HEADER).read_bytes()
    result = ingest_upload(fresh_store, "../../etc/focus.csv", content, UploadKind.BILLING)
    assert result.rows == len(clean_rows())


def test_upload_errors_name_the_uploaded_file(fresh_store: Store) -> None:
    with pytest.raises(InputError) as err:
        ingest_upload(
            fresh_store, "usage.csv", b"ts,value\n2024-01-01,x\n", UploadKind.METRIC, metric="users"
        )
    assert str(err.value) == "file usage.csv, row 1, column 'value': cannot read 'x' as a number"
    with pytest.raises(InputError, match=r"upload a \.csv"):
        ingest_upload(fresh_store, "notes.txt", b"hello", UploadKind.BILLING)
