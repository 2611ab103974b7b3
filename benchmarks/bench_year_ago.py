"""The forecast a year ago on the demo, beside what happened and beside outside yardsticks.

For each seed the demo is built to 2026-11-30 in a temporary directory (the demo built to an
earlier date is a prefix of it) and forecast from its data up to 2025-11-30, twelve months
ahead, as ``capcost backtest users|cost --as-of 2025-11-30`` does. Per seed and series:

- ours: the error of the year's total (percent of what happened) and how many of the 12
  months fell inside the 80% band; for cost the forecast of record (the demand chain when
  its backtest wins) and the direct forecast of the bill beside it;
- statsforecast AutoETS and AutoTheta (season_length=12) on the same monthly history;
- the history-continued oracle, a reference line rather than a forecast anyone could beat
  honestly or should tune to: the last year's compounding growth (a log-linear fit of the
  last 13 months) run on from that fit's last month. For cost it is the bill's own growth
  continued, and "via users" the users oracle priced by the demand chain fitted on the data
  up to the date (as the forecast of record prices its users paths);
- for cost also the chain fitted on the data up to the date and run on the users that
  happened: the chain's own error once the users forecast's is taken out.

Issue 10's targets: the year within 15% for users and cost, better than AutoETS and
AutoTheta, the 80% band holding at least 8 of 12 months (goal 10).

    .venv/bin/python benchmarks/bench_year_ago.py [--seeds 1,2,3,7]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import pandas as pd

AS_OF = date(2025, 11, 30)
UNTIL = date(2026, 11, 30)
H = 12
SEEDS = (1, 2, 3, 7)
ORACLE_MONTHS = 13


def oracle(y: np.ndarray, h: int = H) -> np.ndarray:
    """The last year's compounding growth continued: log-linear on the last 13 months."""
    tail = np.log(y[-ORACLE_MONTHS:])
    t = np.arange(len(tail), dtype=float)
    slope, level = np.polyfit(t, tail, 1)
    return np.exp(level + slope * (t[-1] + np.arange(1, h + 1)))


def yardsticks(history: pd.DataFrame, h: int = H) -> dict[str, np.ndarray]:
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, AutoTheta

    frame = history[["ds", "y"]].assign(unique_id="s")
    models = [AutoETS(season_length=12), AutoTheta(season_length=12)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc = StatsForecast(models=models, freq="MS").forecast(df=frame, h=h)
    return {name: fc[name].to_numpy(float) for name in ("AutoETS", "AutoTheta")}


def pct(forecast: float, actual: float) -> float:
    return 100.0 * (forecast / actual - 1.0)


def measure(path: Path) -> list[dict[str, object]]:
    """One row per series and method of a demo built to ``UNTIL``."""
    from forecasting.demand.asof import cost_of_record_as_of
    from forecasting.interface import Freq
    from forecasting.models.asof import forecast_as_of
    from forecasting.store import Store

    rows: list[dict[str, object]] = []
    with Store(path, read_only=True) as store:
        users = forecast_as_of(store, "users", AS_OF, h=H)
        cost = cost_of_record_as_of(store, AS_OF, h=H)
        monthly_users, _ = store.read_series("users", Freq.MONTH, complete_only=True)
        bill, _ = store.read_series("cost", Freq.MONTH, complete_only=True)
    monthly_users = monthly_users.groupby("ds", as_index=False)["y"].sum()
    bill = bill.groupby("ds", as_index=False)["y"].sum()
    cut = pd.Timestamp(AS_OF).to_period("M").start_time
    u_hist = monthly_users[monthly_users["ds"] <= cut]
    c_hist = bill[bill["ds"] <= cut]
    u_actual = monthly_users[monthly_users["ds"] > cut]["y"].to_numpy(float)[:H]
    c_actual = bill[bill["ds"] > cut]["y"].to_numpy(float)[:H]

    total = users.totals.iloc[0]
    u_oracle = oracle(u_hist["y"].to_numpy(float))
    rows.append(
        row(
            "users",
            f"ours ({users.result.series[str(total['unique_id'])].model})",
            total,
            u_hist,
            u_actual,
            {"oracle": u_oracle.sum()},
        )
    )
    c_yards = yardsticks(c_hist)
    references = {
        "oracle": oracle(c_hist["y"].to_numpy(float)).sum(),
        "oracle via users": chain_on(path, u_oracle),
        "chain on actual users": chain_on(path, u_actual),
    }
    for rec in cost.totals.sort_values("of_record", ascending=False).to_dict("records"):
        method = f"{rec['method']}{' (of record)' if rec['of_record'] else ''}"
        rows.append(row("cost", method, rec, c_hist, c_actual, references, c_yards))
    return rows


def row(
    series: str,
    method: str,
    total: Mapping[str, Any],
    history: pd.DataFrame,
    actual: np.ndarray,
    references: Mapping[str, float],
    yards: Mapping[str, np.ndarray] | None = None,
) -> dict[str, object]:
    """One series' row: our error and band count (``total``, a row of the as-of totals), the
    yardsticks' errors on the same ``history`` and each reference year's total, in percent
    of what happened."""
    yards = yardsticks(history) if yards is None else yards
    happened = float(actual.sum())
    return {
        "series": series,
        "method": method,
        "error_pct": float(total["error_pct"]),
        "inside": f"{int(total['inside'])}/{int(total['periods'])}",
        **{k: pct(v.sum(), happened) for k, v in yards.items()},
        **{k: pct(v, happened) for k, v in references.items()},
    }


def chain_on(path: Path, users: np.ndarray) -> float:
    """The year's cost of the chain fitted on the data up to ``AS_OF``, on ``users``."""
    from forecasting.demand.chain import fit_chain, read_history, run_chain
    from forecasting.scenario import load_capacity
    from forecasting.store import Store

    with Store(path, read_only=True) as store:
        then = read_history(store.as_it_stood(AS_OF))
        a = load_capacity(store, None, ())
    chain = fit_chain(then.demand, then.cost, a)
    first = pd.Timestamp(AS_OF).to_period("M").start_time + pd.offsets.MonthBegin(1)
    months = pd.date_range(first, periods=len(users), freq="MS")
    run = run_chain(chain, np.tile(users, (1000, 1)), months, a, seed=0)
    return float(np.median(run.total_cost, axis=0).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--seeds",
        default=",".join(str(s) for s in SEEDS),
        help="demo seeds, comma-separated (default 1,2,3,7)",
    )
    parser.add_argument(
        "--db-dir",
        metavar="DIR",
        help="reuse demo databases DIR/demo<seed>.duckdb where present (built there if not)",
    )
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    from forecasting.demo import build_demo

    print(f"== the forecast a year ago: data to {AS_OF}, the next {H} months, demo to {UNTIL}")
    print("   error % of the year's total (negative: under); inside: months in the 80% band")
    results: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="bench_year_ago") as tmp:
        for seed in seeds:
            where = Path(args.db_dir) if args.db_dir else Path(tmp)
            path = where / f"demo{seed}.duckdb"
            start = time.perf_counter()
            if not path.exists():
                where.mkdir(parents=True, exist_ok=True)
                build_demo(path, until=UNTIL, seed=seed)
            rows = measure(path)
            secs = time.perf_counter() - start
            print(f"\n-- seed {seed} ({secs:.0f} s)")
            print(
                f"  {'series':6s} {'method':38s} {'ours%':>7s} {'in80':>6s} {'AutoETS%':>9s}"
                f" {'AutoTheta%':>10s} {'oracle%':>8s}  reference"
            )
            for r in rows:
                extra = (
                    f"oracle via users {r['oracle via users']:+.1f}%; "
                    f"chain on actual users {r['chain on actual users']:+.1f}%"
                    if "(of record)" in str(r["method"])
                    else ""
                )
                print(
                    f"  {r['series']!s:6s} {r['method']!s:38s} {r['error_pct']:+7.1f}"
                    f" {r['inside']!s:>6s} {r['AutoETS']:+9.1f} {r['AutoTheta']:+10.1f}"
                    f" {r['oracle']:+8.1f}  {extra}"
                )
                results.append({"seed": seed, **r})
    targets(results)


def targets(results: list[dict[str, object]]) -> None:
    print("\n== targets (issue 10), per seed")
    for series in ("users", "cost"):
        ours = [
            r
            for r in results
            if r["series"] == series and (series == "users" or "(of record)" in str(r["method"]))
        ]
        for r in ours:
            err = abs(float(str(r["error_pct"])))
            yard = min(abs(float(str(r["AutoETS"]))), abs(float(str(r["AutoTheta"]))))
            inside = int(str(r["inside"]).split("/")[0])
            print(
                f"  seed {r['seed']} {series:5s}: within 15% {err <= 15} ({err:.1f}%), "
                f"better than AutoETS and AutoTheta {err < yard} ({yard:.1f}%), "
                f"band >= 8 of 12 {inside >= 8} ({r['inside']})"
            )


if __name__ == "__main__":
    main()
