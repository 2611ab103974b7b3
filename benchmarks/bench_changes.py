"""The reads behind each widget change, server side: served from the store beside computed.

    python benchmarks/bench_changes.py [--db PATH] [--repeat N] [--only review,capacity,savings]

A widget change on the Cost review, Capacity or Savings page reruns the page, and every read
it has not cached yet opens the database read-only and calls a ``forecasting.views`` builder
(app/state.py). Timed here for the values a meeting steps to (the review's months before the
one it opens on; Capacity's and Savings' other band levels and assumption sets; Savings' other
base months), each as the app calls it (a fresh read-only store, ``stored.reading``, the
app's cached forecaster), and in the same run the baseline: the same call with nothing served
from the store (what the page did for a value the refresh did not store). Run on a database
``capcost refresh`` has refreshed (the bench's own copy of the demo by default, with the
bench_pages assumption sets). Median ms with the load average beside them; never asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import bench_pages  # noqa: E402  (beside this file: its demo database and assumption sets)

from forecasting import views  # noqa: E402
from forecasting.capacity.service import CapacityOptions  # noqa: E402
from forecasting.interface import COST_METRIC  # noqa: E402
from forecasting.models import stored  # noqa: E402
from forecasting.models.options import run_models  # noqa: E402
from forecasting.results.refresh import freshness_note  # noqa: E402
from forecasting.savings.service import SavingsOptions  # noqa: E402
from forecasting.store import Store  # noqa: E402

Build = Callable[[Store], Any]


def timed(path: Path, build: Build, serve: bool) -> tuple[float, int]:
    """ms for one read as the app makes it (``app.state.read_noted``: a fresh read-only
    store, its shared reads cached per data version, forecasts served from the store), or
    the same with nothing served from the store (the baseline); and the series forecasts it
    fitted (-1: not counted)."""
    from app import state

    started = time.perf_counter()
    misses = -1
    with Store.reader(path, lock_timeout=state.LOCK_WAIT_SECONDS) as store:
        if serve:
            with stored.reading(store) as found:
                build(state.sharing(store, path))
                freshness_note(store, found, path)
            misses = found.misses
        else:
            build(state.sharing(store, path))
    return (time.perf_counter() - started) * 1000, misses


def changes(path: Path) -> dict[str, list[tuple[str, Build]]]:
    """Per page: (what the change is to, the reads it makes) for the values stepped to."""
    with Store.reader(path) as store:
        months = views.months_with_cost(store)
        opened = views.reviewed_month(months, store.last_day(COST_METRIC))
        sets = [s for s in store.assumption_set_names() if s != "apex-capacity"]
        full = views.build_choices(store, None).full_months
    before = months[months.index(opened) + 1 :][:4] if opened in months else []

    def review(month: str) -> Build:
        return lambda s: (views.build_review(s, month), views.build_anomalies(s, month))

    def capacity(options: CapacityOptions) -> Build:
        return lambda s: views.build_capacity(s, options, run_models, ("plan",))

    def savings(options: SavingsOptions) -> Build:
        return lambda s: views.build_savings(s, options, None, run_models, "", ("levers",))

    def chosen(scenario: str, then: Build) -> Build:
        return lambda s: (views.build_choices(s, scenario), then(s))

    look = (7, 30, 60)
    return {
        "review": [(f"month {m}", review(m)) for m in before],
        "capacity": [
            *((f"level {lv:g}", capacity(CapacityOptions(level=lv))) for lv in (90.0, 95.0)),
            *((f"set {n}", chosen(n, capacity(CapacityOptions(scenario=n)))) for n in sets),
        ],
        "savings": [
            *(
                (f"level {lv:g}", savings(SavingsOptions(level=lv, base_month=full[0])))
                for lv in (90.0, 95.0)
            ),
            *(
                (
                    f"set {n}",
                    chosen(n, savings(SavingsOptions(scenario=n, base_month=full[0]))),
                )
                for n in sets
            ),
            *(
                (f"base month {m}", savings(SavingsOptions(base_month=m, lookback=look)))
                for m in full[1:4]
            ),
        ],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="a refreshed database (default: build the demo)")
    parser.add_argument("--repeat", type=int, default=3, help="served reads per change")
    parser.add_argument("--only", help="comma-separated pages: review,capacity,savings")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="capcost-bench-changes-") as tmp:
        path = args.db or bench_pages.demo_database(Path(tmp))
        found = changes(path)
        wanted = args.only.split(",") if args.only else list(found)
        print(f"{path}; load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(f"{'page: change':<36}{'served ms':>10}{'fitted':>8}{'baseline ms':>13}  load")
        for page in wanted:
            for name, build in found[page]:
                timed(path, build, serve=True)  # once to warm this process (imports, code)
                runs = [timed(path, build, serve=True) for _ in range(args.repeat)]
                served = statistics.median(t for t, _ in runs)
                base, _ = timed(path, build, serve=False)
                fitted = max(m for _, m in runs)
                line = f"{page + ': ' + name:<36}{served:>10,.0f}{fitted:>8}{base:>13,.0f}"
                print(f"{line}  {os.getloadavg()[0]:.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
