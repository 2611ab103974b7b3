"""Issue 10's coherence targets, end to end on the demo, as a user reads them from the CLI.

For each seed a demo is built with ``capcost demo --db X --seed S`` (data to yesterday, as a
new user gets it) and every figure is measured from the CSV of the commands a user would run
(``capcost forecast``, ``plan``, ``runway``, ``backtest``, ``actuals``), never from the
library: this is the check an outsider makes. Per target and seed the measured figure and
``met`` / ``NOT MET``:

- horizon: a month's forecast moves under 2% between ``--horizon`` 3, 6, 12 and 24 (users,
  req/s, cost);
- quarter = months: ``--freq quarter`` equals its months within 1% (sum for cost, mean for
  users and req/s, observed months of the running quarter from ``capcost actuals``), for
  the point and for the band edges (a quarter's band is the quantiles of its path totals,
  so it may be narrower than its months' edges put together, never wider: the figure is
  how far the quarter's edges lie outside its months' edges);
- nesting: bands nest across ``--level 50 80 95`` (months and quarters); order: the output
  does not change when the levels are asked for as 95 50 80;
- positivity: the users and cost 80% lower edges stay above half the last complete month for
  12 months;
- plan: every forecast quarter's peak/average within 20% of the history's (the plan's
  observed quarters, same definition), its P10 cost above half the last observed quarter's;
  the plan's users and cost per quarter are the forecast's (within 1%);
- scenario: ``--scenario base`` is the plain forecast (users and cost, month and quarter);
- actual quarters: quarters the plan marks ``actual`` show the bill (``capcost actuals``);
- runway: the early date never after the median date, each within the horizon exactly when
  its share of paths crossed, dates inside 180 days the same at ``--days`` 180 and 365;
- backtest: the row ``capcost backtest`` marks selected is the model ``capcost forecast``
  uses (users, req/s, and the bill's direct forecast).

    .venv/bin/python benchmarks/bench_coherence.py [--seeds 1,2,3,7] [--db-dir DIR]
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import pandas as pd

SEEDS = (1, 2, 3, 7)
CAPCOST = str(Path(sys.executable).with_name("capcost"))
METRICS = ("users", "requests_per_second", "cost")
HORIZONS = (3, 6, 12, 24)
LEVELS = (50.0, 80.0, 95.0)
HOW = {"users": "mean", "requests_per_second": "mean", "cost": "sum"}


@dataclass(frozen=True)
class Figure:
    target: str
    value: float
    text: str
    met: bool


class Cli:
    """``capcost`` on one database, CSV on stdout parsed; each distinct call run once."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.seen: dict[tuple[str, ...], pd.DataFrame] = {}
        self.seconds = 0.0

    def __call__(self, *args: str) -> pd.DataFrame:
        if args not in self.seen:
            start = time.perf_counter()
            done = subprocess.run(
                [CAPCOST, *args, "--db", str(self.db), "--csv", "-"],
                capture_output=True,
                text=True,
                check=False,
            )
            self.seconds += time.perf_counter() - start
            if done.returncode:
                raise SystemExit(f"capcost {' '.join(args)} failed: {done.stderr.strip()}")
            self.seen[args] = pd.read_csv(io.StringIO(done.stdout))
        return self.seen[args]

    def forecast(self, metric: str, *more: str) -> pd.DataFrame:
        out = self(*(["forecast", metric, *more]))
        return out.assign(ds=pd.to_datetime(out["ds"]))


def levels(order: tuple[float, ...] = LEVELS) -> list[str]:
    return [a for lv in order for a in ("--level", f"{lv:g}")]


def months_of(cli: Cli, metric: str) -> pd.Series:
    """Complete observed months (month start -> value, cost summed over its groups)."""
    frame = cli("actuals", metric, "--freq", "month")
    frame = frame[frame["complete"].astype(bool)]
    return frame.groupby(pd.to_datetime(frame["ds"]))["value"].sum().sort_index()


def rel(a: np.ndarray | pd.Series | float, b: np.ndarray | pd.Series | float) -> np.ndarray:
    """|a / b - 1| elementwise (0 where both are 0)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out: np.ndarray = np.where(b == a, 0.0, np.abs(a / b - 1.0))
    return out


def worst(values: list[float] | np.ndarray) -> float:
    values = np.asarray(values, float)
    return float(np.nanmax(values)) if values.size else float("nan")


# -- the targets ------------------------------------------------------------------------------
def horizon(cli: Cli) -> list[Figure]:
    out = []
    for metric in METRICS:
        runs = [cli.forecast(metric, "--horizon", str(h)) for h in HORIZONS]
        moved = {}
        for col in ("forecast", "lower", "upper"):
            wide = pd.concat([r.set_index("ds")[col] for r in runs], axis=1)
            moves = (wide.max(axis=1) - wide.min(axis=1)) / wide.min(axis=1)
            moved[col] = 100 * worst(moves[wide.notna().sum(axis=1) > 1].to_numpy())
        m, edges = moved["forecast"], max(moved["lower"], moved["upper"])
        text = f"{m:.2f}% (band {edges:.2f}%)"
        out.append(Figure(f"horizon 3/6/12/24: {metric} moves", m, text, m < 2.0))
    return out


def quarter_vs_months(cli: Cli) -> list[Figure]:
    out = []
    for metric in METRICS:
        months = cli.forecast(metric, "--horizon", "24", *levels())
        quarters = cli.forecast(metric, "--freq", "quarter", "--horizon", "8", *levels())
        seen = months_of(cli, metric)
        point, edges, inside = [], [], []
        for (ds, lv), q in quarters.groupby(["ds", "level"]):
            span = pd.date_range(ds, periods=3, freq="MS")
            m = months[(months["level"] == lv) & months["ds"].isin(span)].set_index("ds")
            observed = seen[seen.index.isin(span) & ~seen.index.isin(m.index)]
            if len(m) + len(observed) < 3:
                continue  # the last quarter reaches past the monthly run
            agg = np.sum if HOW[metric] == "sum" else np.mean
            # Each column of the months, with the observed months of the quarter beside them.
            rolled = {
                col: float(agg(np.r_[observed.to_numpy(float), m[col].to_numpy(float)]))
                for col in ("forecast", "lower", "upper")
            }
            row = q.iloc[0]
            point.append(rel(row["forecast"], rolled["forecast"]))
            # Outside the months' edges put together (0 when inside): never wider than them.
            lo, hi = rolled["lower"], rolled["upper"]
            edges.append(max(0.0, (lo - row["lower"]) / lo, (row["upper"] - hi) / hi))
            inside.append(max((row["lower"] - lo) / lo, (hi - row["upper"]) / hi))
        p, e, n = 100 * worst(point), 100 * worst(edges), 100 * worst(inside)
        out.append(Figure(f"quarter = months: {metric} point", p, f"{p:.2f}%", p < 1.0))
        text = f"{e:.2f}% out, {n:.1f}% in"
        out.append(Figure(f"quarter band vs months': {metric}", e, text, e < 1.0))
    return out


def nesting_and_order(cli: Cli) -> list[Figure]:
    out = []
    crossed, changed = 0, 0.0
    for metric in METRICS:
        for freq, h in (("month", "24"), ("quarter", "8")):
            a = cli.forecast(metric, "--freq", freq, "--horizon", h, *levels())
            b = cli.forecast(metric, "--freq", freq, "--horizon", h, *levels((95.0, 50.0, 80.0)))
            key = ["unique_id", "ds", "level"]
            a, b = a.sort_values(key, ignore_index=True), b.sort_values(key, ignore_index=True)
            changed = max(
                changed,
                worst(
                    rel(
                        b[["forecast", "lower", "upper"]].to_numpy(),
                        a[["forecast", "lower", "upper"]].to_numpy(),
                    )
                ),
            )
            wide = a.pivot_table(index="ds", columns="level", values=["lower", "upper"])
            lo = wide["lower"][list(LEVELS)].to_numpy()
            hi = wide["upper"][list(LEVELS)].to_numpy()
            pt = a.groupby("ds")["forecast"].first().to_numpy()
            tol = 1e-6 * np.abs(pt)
            # Wider levels reach lower and higher: lower edges fall, upper edges rise.
            crossed += int((np.diff(lo, axis=1) > tol[:, None]).any(axis=1).sum())
            crossed += int((np.diff(hi, axis=1) < -tol[:, None]).any(axis=1).sum())
            crossed += int(((lo[:, 0] > pt + tol) | (hi[:, 0] < pt - tol)).sum())
    out.append(Figure("bands nest 50/80/95 (crossed rows)", crossed, f"{crossed}", crossed == 0))
    out.append(
        Figure("level order 95 50 80 changes", 100 * changed, f"{100 * changed:.2g}%", changed == 0)
    )
    return out


def lower_edges(cli: Cli) -> list[Figure]:
    out = []
    for metric in ("users", "cost"):
        f = cli.forecast(metric, "--horizon", "12")
        last = float(months_of(cli, metric).iloc[-1])
        ratio = float(f["lower"].min() / last)
        text = f"{ratio:.2f}x last month"
        out.append(Figure(f"80% lower edge / last month: {metric}", ratio, text, ratio > 0.5))
    return out


def plan_targets(cli: Cli) -> list[Figure]:
    plan = cli("plan")
    observed = plan[plan["source"] == "actual"]
    ahead = plan[plan["source"] != "actual"]
    ratio = float(observed["peak_to_average"].mean())
    drift = 100 * worst(rel(ahead["peak_to_average"], ratio))
    last = float(observed["cost_per_month"].iloc[-1])
    p10 = float((ahead["cost_per_month_lower"] / last).min())
    out = [
        Figure(
            "plan peak/average vs history",
            drift,
            f"{drift:.1f}% off {ratio:.2f}",
            drift < 20.0,
        ),
        Figure("plan P10 cost / last quarter", p10, f"{p10:.2f}x", p10 > 0.5),
    ]
    # One story: the plan's users and cost per quarter are the forecast's.
    for metric, column, scale in (("users", "users", 1.0), ("cost", "cost_per_month", 3.0)):
        q = cli.forecast(metric, "--freq", "quarter", "--horizon", "8", *levels())
        q = q[q["level"] == 80.0]
        q = q.assign(quarter=pd.PeriodIndex(q["ds"], freq="Q").astype(str)).set_index("quarter")
        rows = ahead.set_index("quarter")
        common = rows.index.intersection(q.index)
        gaps = [
            rel(rows.loc[common, c] * scale, q.loc[common, f])
            for c, f in (
                (column, "forecast"),
                (f"{column}_lower", "lower"),
                (f"{column}_upper", "upper"),
            )
        ]
        g = 100 * worst(np.concatenate(gaps))
        out.append(Figure(f"plan {metric} = forecast quarter", g, f"{g:.2f}%", g < 1.0))
    # Quarters that happened show the bill.
    bill = months_of(cli, "cost")
    by_quarter = bill.groupby(bill.index.to_period("Q").astype(str)).agg(["sum", "count"])
    gap = 0.0
    for _, row in observed.iterrows():
        billed = by_quarter.loc[row["quarter"]]
        gap = max(gap, abs(float(row["cost_per_month"]) - billed["sum"] / billed["count"]))
    out.append(Figure("actual quarters show the bill", gap, f"${gap:,.2f} off", gap < 0.01))
    return out


def scenario_base(cli: Cli) -> list[Figure]:
    worst_gap = 0.0
    for metric in ("users", "cost"):
        for freq in ("month", "quarter"):
            plain = cli.forecast(metric, "--freq", freq)
            base = cli.forecast(metric, "--freq", freq, "--scenario", "base")
            cols = ["forecast", "lower", "upper"]
            worst_gap = max(worst_gap, worst(rel(base[cols].to_numpy(), plain[cols].to_numpy())))
    g = 100 * worst_gap
    return [Figure("--scenario base = plain forecast", g, f"{g:.2g}%", worst_gap == 0)]


def runway_targets(cli: Cli) -> list[Figure]:
    year, half = cli("runway"), cli("runway", "--days", "180")
    bad = 0
    for _, r in year.iterrows():
        early = pd.to_datetime(r["date_p10"], errors="coerce")
        mid = pd.to_datetime(r["date_p50"], errors="coerce")
        p = float(r["probability_within_horizon"])
        bad += int(pd.notna(early) and pd.notna(mid) and early > mid)
        bad += int(pd.notna(mid) != (p >= 0.5)) + int(pd.notna(early) != (p >= 0.1))
    moved = 0
    for (_, a), (_, b) in zip(year.iterrows(), half.iterrows(), strict=True):
        for col in ("date_p10", "date_p50"):
            if pd.notna(pd.to_datetime(b[col], errors="coerce")) and a[col] != b[col]:
                moved += 1
    return [
        Figure("runway dates agree with their shares", bad, f"{bad} rows", bad == 0),
        Figure("runway dates --days 180 = 365", moved, f"{moved} dates moved", moved == 0),
    ]


def backtest_targets(cli: Cli) -> list[Figure]:
    wrong = []
    for metric, more in (
        ("users", ()),
        ("requests_per_second", ()),
        ("cost", ("--method", "direct")),
    ):
        table = cli("backtest", metric)
        selected = set(table.loc[table["selected"].astype(bool), "model"])
        used = set(cli.forecast(metric, *more)["model"])
        if selected != used or (table["windows"] < 1).any():
            wrong.append(metric)
    text = ", ".join(wrong) or "all agree"
    return [Figure("backtest's selected row = forecast's model", len(wrong), text, not wrong)]


CHECKS: tuple[Callable[[Cli], list[Figure]], ...] = (
    horizon,
    quarter_vs_months,
    nesting_and_order,
    lower_edges,
    plan_targets,
    scenario_base,
    runway_targets,
    backtest_targets,
)


def measure(db: Path) -> tuple[list[Figure], float]:
    cli = Cli(db)
    figures = [f for check in CHECKS for f in check(cli)]
    return figures, cli.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seeds", default=",".join(str(s) for s in SEEDS))
    parser.add_argument("--db-dir", metavar="DIR", help="reuse DIR/demo<seed>.duckdb where present")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    print("== coherence on the demo, through the CLI (issue 10's targets)")
    table: dict[int, list[Figure]] = {}
    with tempfile.TemporaryDirectory(prefix="bench_coherence") as tmp:
        where = Path(args.db_dir or tmp)
        where.mkdir(parents=True, exist_ok=True)
        for seed in seeds:
            db = where / f"demo{seed}.duckdb"
            if not db.exists():
                subprocess.run(
                    [CAPCOST, "demo", "--db", str(db), "--seed", str(seed)],
                    check=True,
                    capture_output=True,
                )
            table[seed], secs = measure(db)
            met = sum(f.met for f in table[seed])
            print(f"  seed {seed}: {met}/{len(table[seed])} met, CLI {secs:.0f} s")
    targets = [f.target for f in next(iter(table.values()))]
    width = max(len(t) for t in targets)
    print(f"\n  {'target':{width}s}" + "".join(f"  {'seed ' + str(s):>28s}" for s in seeds))
    for i, target in enumerate(targets):
        cells = [table[s][i] for s in seeds]
        line = "".join(f"  {c.text + (' met' if c.met else ' NOT MET'):>28s}" for c in cells)
        print(f"  {target:{width}s}{line}")
    missed = sum(not f.met for fs in table.values() for f in fs)
    print(f"\n  {missed} figure(s) NOT MET over {len(seeds)} seed(s)")


if __name__ == "__main__":
    main()
