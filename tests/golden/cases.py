"""The golden cases: every CLI command with fixed arguments on the fixed demo.

Each case is a list of steps run in order on one database; ``{db}`` is that database and
``{work}`` the case's scratch folder. A case marked ``writes`` gets its own copy of the demo.
Sample paths stay small (``--paths 200``) so the whole set runs in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

INPUTS = Path(__file__).resolve().parent / "inputs"
UNTIL = "2026-11-26"
SEED = "7"
PATHS = ("--paths", "200")


@dataclass(frozen=True)
class Case:
    name: str
    steps: tuple[tuple[str, ...], ...]
    writes: bool = False


def _one(name: str, *argv: str) -> Case:
    return Case(name, (argv,))


CASES: tuple[Case, ...] = (
    _one("actuals_cost", "actuals", "cost"),
    _one("actuals_cost_quarter", "actuals", "cost", "--freq", "quarter"),
    _one(
        "actuals_cost_day_window",
        "actuals",
        "cost",
        "--freq",
        "day",
        "--start",
        "2026-10-01",
        "--end",
        "2026-10-20",
    ),
    _one("actuals_cost_by_group", "actuals", "cost", "--by", "group"),
    _one(
        "actuals_cost_by_category_quarter",
        "actuals",
        "cost",
        "--by",
        "category",
        "--freq",
        "quarter",
    ),
    _one("actuals_cost_by_service", "actuals", "cost", "--by", "service", "--start", "2026-01-01"),
    _one("actuals_cost_by_provider", "actuals", "cost", "--by", "provider"),
    _one("actuals_cost_billed", "actuals", "cost", "--cost", "billed", "--start", "2026-01-01"),
    _one("actuals_cost_list", "actuals", "cost", "--cost", "list", "--start", "2026-01-01"),
    _one("actuals_users_quarter", "actuals", "users", "--freq", "quarter"),
    _one(
        "actuals_rps_peak_day",
        "actuals",
        "requests_per_second_peak",
        "--freq",
        "day",
        "--start",
        "2026-11-01",
    ),
    Case("actuals_to_file", (("actuals", "requests_per_second", "--csv", "{work}/rps.csv"),)),
    _one("actuals_error_by_users", "actuals", "users", "--by", "group"),
    _one("actuals_error_unknown_metric", "actuals", "nope"),
    _one("groups", "groups"),
    Case(
        "groups_set",
        (
            ("groups", "--csv", "{work}/rules.csv"),
            ("groups", "--set", f"{INPUTS}/rules.csv"),
            ("groups",),
            ("actuals", "cost", "--by", "group", "--start", "2026-06-01"),
        ),
        writes=True,
    ),
    _one("forecast_cost", "forecast", "cost", "--horizon", "6"),
    _one(
        "forecast_cost_levels",
        "forecast",
        "cost",
        "--horizon",
        "3",
        "--level",
        "50",
        "--level",
        "95",
    ),
    _one("forecast_cost_by_group", "forecast", "cost", "--by", "group", "--horizon", "3"),
    _one("forecast_users_quarter", "forecast", "users", "--freq", "quarter"),
    _one("forecast_rps_day", "forecast", "requests_per_second", "--freq", "day", "--horizon", "14"),
    _one("forecast_cost_naive", "forecast", "cost", "--model", "seasonal_naive", "--horizon", "4"),
    _one("forecast_cost_scenario_high", "forecast", "cost", "--scenario", "high", "--horizon", "6"),
    _one("forecast_error_unknown_model", "forecast", "cost", "--model", "nope"),
    Case(
        "forecast_input",
        (
            (
                "forecast",
                "--input",
                f"{INPUTS}/series.csv",
                "--horizon",
                "4",
                "--csv",
                "{work}/forecast.csv",
            ),
            ("forecast", "--input", f"{INPUTS}/series.csv", "--model", "theta", "--freq", "month"),
            ("backtest", "--input", f"{INPUTS}/series.csv"),
        ),
    ),
    Case(
        "forecast_freeze",
        (
            ("forecast", "cost", "--horizon", "4", "--freeze", "golden-plan"),
            ("plan", "--quarters", "1", *PATHS),
        ),
        writes=True,
    ),
    _one("backtest_cost", "backtest", "cost"),
    _one(
        "backtest_cost_by_group_quarter", "backtest", "cost", "--by", "group", "--freq", "quarter"
    ),
    _one("drivers", "drivers"),
    _one("drivers_level", "drivers", "--level", "95", "--hours-per-month", "720"),
    _one("plan", "plan", "--quarters", "2", *PATHS),
    _one(
        "plan_settings",
        "plan",
        "--quarters",
        "1",
        *PATHS,
        "--level",
        "90",
        "--set",
        "target_utilisation=0.6",
        "--set",
        "rps_per_instance=120",
    ),
    _one("plan_error_setting", "plan", "--quarters", "1", *PATHS, "--set", "nope=1"),
    _one("plan_error_redundancy", "plan", "--quarters", "1", *PATHS, "--set", "redundancy=2"),
    _one("runway", "runway", "--days", "120", *PATHS),
    _one("savings", "savings", *PATHS),
    _one(
        "savings_base_month",
        "savings",
        *PATHS,
        "--base-month",
        "2026-09",
        "--set",
        "request_hit_ratio=0.6",
    ),
    _one("savings_stated", "savings", "--stated", f"{INPUTS}/stated.csv", *PATHS),
    _one("savings_stated_stored", "savings", "--stated", "apex-2026", *PATHS),
    _one(
        "savings_stated_tolerance",
        "savings",
        "--stated",
        f"{INPUTS}/stated.csv",
        "--tolerance",
        "25",
        "--base-month",
        "2026-08",
        *PATHS,
    ),
    _one("commitments", "commitments", *PATHS),
    _one(
        "commitments_ri",
        "commitments",
        *PATHS,
        "--offering",
        "ri_standard",
        "--term",
        "3",
        "--payment",
        "all_upfront",
        "--lookback",
        "14,30",
    ),
    Case(
        "ingest_metrics",
        (
            (
                "actuals",
                "users",
                "--freq",
                "day",
                "--start",
                "2026-09-01",
                "--csv",
                "{work}/signups.csv",
            ),
            (
                "ingest",
                "metrics",
                "{work}/signups.csv",
                "--metric",
                "signups",
                "--time-column",
                "ds",
                "--value-column",
                "value",
                "--unit",
                "users",
            ),
            ("actuals", "signups", "--freq", "month"),
        ),
        writes=True,
    ),
    Case(
        "demo_small",
        (
            ("demo", "--db", "{work}/small.duckdb", "--until", "2024-04-30", "--seed", "3"),
            ("actuals", "cost", "--db", "{work}/small.duckdb"),
        ),
    ),
)
