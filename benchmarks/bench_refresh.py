"""`capcost refresh` timed on the demo and on 10M cost line items, beside a baseline.

    python benchmarks/bench_refresh.py [--quick] [--big-rows N] [--only demo|big]

The refresh runs after `capcost demo`, after every ingest and from cron: it forecasts what every
page shows by default and stores it. Each database (the demo, and bench_pages' one with 10M
generated FOCUS line items, built once and cached in benchmarks/.cache/) is copied, its stored
results dropped, then refreshed twice: from nothing stored (what the first refresh after an
upgrade of capcost does) and again with everything current (what a cron run without new data
does: every page build served from the store). Beside them, in the same run, a baseline on the
same copy: building the demo without a refresh (``CAPCOST_REFRESH=0``), and for the big
database one scan of its bill (`capcost actuals cost --by service`). Wall and CPU seconds
(the child's user + system: steadier than wall on a shared machine) with the load average
beside each; never asserted.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import bench_pages  # noqa: E402  (beside this file: its databases and UNTIL)


def timed(*args: object, env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Run the capcost CLI; wall seconds, CPU seconds (user + system), its last stderr line."""
    cmd = [sys.executable, "-m", "forecasting.cli", *map(str, args)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        cmd, cwd=ROOT, capture_output=True, text=True, env={**os.environ, **(env or {})}
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise RuntimeError(f"{' '.join(cmd[2:])} failed:\n{done.stdout}{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    return wall, cpu, lines[-1] if lines else ""


def drop_stored(path: Path) -> None:
    """Every stored forecast and fit gone (a refresh that keeps nothing), as before the first."""
    from forecasting.store import Store

    with Store(path) as store:
        store.replace_forecast_results([], [], started_at=datetime.now(UTC), inputs_version="")


def load() -> float:
    return os.getloadavg()[0]


def row(database: str, what: str, wall: float, cpu: float, base: tuple[float, float]) -> str:
    return (
        f"{database:<10} {what:<44} {wall:>8.1f} {cpu:>8.1f} {wall / base[0]:>7.2f}x "
        f"{cpu / base[1]:>7.2f}x {load():>5.1f}"
    )


def bench(name: str, path: Path, baseline: tuple[str, Sequence[object]]) -> list[str]:
    what, args = baseline
    base_wall, base_cpu, _ = timed(*args, env={"CAPCOST_REFRESH": "0"})
    out = [row(name, what, base_wall, base_cpu, (base_wall, base_cpu))]
    drop_stored(path)
    for label in ("refresh, nothing stored", "refresh again, everything current"):
        wall, cpu, line = timed("refresh", "--db", path)
        out.append(row(name, label, wall, cpu, (base_wall, base_cpu)))
        out.append(f"{'':<10}   {line}")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1M line items instead of 10M")
    parser.add_argument("--big-rows", type=int, default=None)
    parser.add_argument("--only", choices=["demo", "big"], default=None)
    args = parser.parse_args(argv)
    rows = args.big_rows or (1_000_000 if args.quick else 10_000_000)
    print(f"load average before: {load():.1f} on {os.cpu_count()} cores", flush=True)
    names = ("wall s", "CPU s", "wall", "CPU")
    head = f"{'database':<10} {'what':<44} " + " ".join(f"{n:>8}" for n in names) + "  load"
    lines = [head + "   (ratios: to the baseline, first row)"]
    with tempfile.TemporaryDirectory(prefix="bench_refresh_") as tmp:
        if args.only in (None, "demo"):
            demo = Path(tmp) / "demo.duckdb"
            build = ("demo", "--db", demo, "--until", bench_pages.UNTIL)
            lines += bench("demo", demo, ("baseline: capcost demo, no refresh", build))
        if args.only in (None, "big"):
            bench_pages.REFRESH = False  # the cached database as built; refreshed below
            cached = bench_pages.big_database(rows)
            big = Path(tmp) / "big.duckdb"
            shutil.copyfile(cached, big)
            scan = ("actuals", "cost", "--by", "service", "--db", big)
            label = f"{rows / 1e6:g}M rows"
            lines += bench(label, big, ("baseline: actuals cost --by service", scan))
    print("\n".join(lines))
    print(f"load average after: {load():.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
