"""Which usage each commitment offering covers, and that usage hour by hour."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import InputError
from forecasting.savings.eligibility import (
    ALL_ELIGIBLE,
    eligible_rows,
    hourly_profile,
    instance_family,
    to_hours,
    uncovered_hours,
    usage_kind,
)

EC2 = "Amazon Elastic Compute Cloud"
ECS = "Amazon Elastic Container Service"
# (service, SkuId, ChargeDescription, RegionId, ListCost $ per day)
USAGE = [
    (
        EC2,
        "BoxUsage:m6i.xlarge",
        "Amazon Elastic Compute Cloud BoxUsage:m6i.xlarge",
        "us-east-1",
        100.0,
    ),
    (
        EC2,
        "H9ZN7EUEHC2S7YH5",
        "$0.34 per On Demand Linux c5.2xlarge Instance Hour",
        "us-east-1",
        50.0,
    ),
    (EC2, "BoxUsage:m6i.2xlarge", "Savings Plan covered usage", "us-west-2", 20.0),
    (
        EC2,
        "HQEH3ZWJVT46JHRG",
        "$0.085 per GB - next 40 TB / month data transfer out",
        "us-east-1",
        7.0,
    ),
    (
        EC2,
        "DataTransfer-Out-Bytes",
        "Amazon Elastic Compute Cloud DataTransfer-Out-Bytes",
        "us-east-1",
        9.0,
    ),
    (EC2, "EBS:VolumeUsage.gp3", "$0.08 per GB-month of General Purpose (gp3)", "us-east-1", 3.0),
    (
        ECS,
        "Fargate-vCPU-Hours",
        "Amazon Elastic Container Service Fargate-vCPU-Hours",
        "us-east-1",
        40.0,
    ),
    (
        ECS,
        "Fargate-GB-Hours",
        "Amazon Elastic Container Service Fargate-GB-Hours",
        "us-east-1",
        8.0,
    ),
    ("AWS Lambda", "Lambda-GB-Second", "AWS Lambda - Compute Free Tier", "us-east-1", 5.0),
    ("AWS Lambda", "Request", "AWS Lambda - Requests", "us-east-1", 1.0),
    (
        "Amazon Relational Database Service",
        "InstanceUsage:db.r6g.large",
        "RDS db.r6g.large instance hour",
        "us-east-1",
        30.0,
    ),
]


def _rows() -> pd.DataFrame:
    frame = pd.DataFrame(
        USAGE, columns=["ServiceName", "SkuId", "ChargeDescription", "RegionId", "ListCost"]
    )
    return frame.assign(
        ChargePeriodStart=pd.Timestamp("2026-11-01"), ChargePeriodEnd=pd.Timestamp("2026-11-02")
    )


def test_compute_savings_plans_cover_ec2_fargate_and_lambda_duration() -> None:
    rows = eligible_rows(_rows(), "compute_sp")
    assert sorted(rows["kind"].unique()) == ["EC2", "Fargate", "Lambda"]
    # 100 + 50 + 20 of instance hours, 40 + 8 of Fargate, 5 of Lambda duration; never data
    # transfer, EBS, Lambda requests or RDS.
    assert rows["ListCost"].sum() == pytest.approx(223.0)
    assert set(rows["scope"]) == {ALL_ELIGIBLE}


@pytest.mark.parametrize("offering", ["ri_standard", "ec2_instance_sp"])
def test_reserved_instances_cover_ec2_by_family_and_region(offering: str) -> None:
    rows = eligible_rows(_rows(), offering)
    assert set(rows["kind"]) == {"EC2"}  # no Fargate, no Lambda
    by_scope = rows.groupby("scope")["ListCost"].sum().to_dict()
    assert by_scope == {"m6i us-east-1": 100.0, "c5 us-east-1": 50.0, "m6i us-west-2": 20.0}


def test_an_unknown_offering_names_the_known_ones() -> None:
    with pytest.raises(InputError, match="Try: compute_sp, ec2_instance_sp, ri_standard"):
        eligible_rows(_rows(), "spot")


@pytest.mark.parametrize(
    ("text", "family"),
    [
        ("BoxUsage:m6i.xlarge", "m6i"),
        ("On Demand Linux c7gn.16xlarge Instance Hour", "c7gn"),
        ("USE1-BoxUsage:r6idn.metal", "r6idn"),
        ("t3.micro", "t3"),
        ("Fargate-GB-Hours", None),
    ],
)
def test_instance_families(text: str, family: str | None) -> None:
    assert instance_family(text, "") == family


def test_real_focus_sample_instance_hours_are_eligible_and_transfer_is_not(
    shared_data: object,
) -> None:
    from pathlib import Path

    path = Path(str(shared_data)) / "focus" / "focus_sample.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    ec2 = frame[frame["ServiceName"] == EC2]
    kinds = [
        usage_kind(s, k, d)
        for s, k, d in zip(ec2["ServiceName"], ec2["SkuId"], ec2["ChargeDescription"], strict=True)
    ]
    instance = ec2["ChargeDescription"].str.contains("Instance Hour")
    assert instance.any()
    assert [k == "EC2" for k in kinds] == list(instance)


def test_hourly_profile_is_the_hour_of_day_mean_over_the_mean() -> None:
    index = pd.date_range("2026-11-01", periods=24 * 14, freq="h")
    values = pd.Series(np.where(index.hour < 12, 3.0, 1.0), index=index)
    profile = hourly_profile(values)
    assert profile is not None
    assert profile[:12] == pytest.approx([1.5] * 12) and profile[12:] == pytest.approx([0.5] * 12)
    # 5-minute observations give the same shape; a few days are not enough to read one.
    fine = values.reindex(pd.date_range(index[0], index[-1], freq="5min"), method="ffill")
    assert hourly_profile(fine) == pytest.approx(profile)
    assert hourly_profile(values.iloc[: 24 * 3]) is None
    daily = values.resample("D").mean()
    assert hourly_profile(daily) is None


def test_daily_rows_are_spread_by_the_profile_and_hourly_rows_kept() -> None:
    day = pd.DataFrame(
        {
            "ChargePeriodStart": [pd.Timestamp("2026-11-01")],
            "ChargePeriodEnd": [pd.Timestamp("2026-11-02")],
            "ListCost": [240.0],
        }
    )
    flat = to_hours(day)
    assert len(flat) == 24 and flat.to_numpy() == pytest.approx(np.full(24, 10.0))
    shaped = to_hours(day, (1.5,) * 12 + (0.5,) * 12)
    assert shaped.iloc[0] == pytest.approx(15.0) and shaped.iloc[-1] == pytest.approx(5.0)
    assert shaped.sum() == pytest.approx(240.0)
    hours = pd.DataFrame(
        {
            "ChargePeriodStart": pd.date_range("2026-11-01", periods=3, freq="h"),
            "ChargePeriodEnd": pd.date_range("2026-11-01 01:00", periods=3, freq="h"),
            "ListCost": [1.0, 2.0, 3.0],
        }
    )
    assert to_hours(hours, (2.0,) * 12 + (0.0,) * 12).tolist() == [1.0, 2.0, 3.0]


def test_uncovered_is_what_owned_commitments_leave_each_hour() -> None:
    index = pd.date_range("2026-11-01", periods=4, freq="h")
    total = pd.Series([15.0, 15.0, 3.0, 3.0], index=index)
    covered = pd.Series([4.0, 4.0, 4.0, 4.0], index=index)
    assert uncovered_hours(total, covered).tolist() == [11.0, 11.0, 0.0, 0.0]
