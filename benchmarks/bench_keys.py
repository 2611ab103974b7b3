"""A stored result's key: ``store_part`` (the inputs version) on a read-only connection.

    python benchmarks/bench_keys.py [--db data/capcost.duckdb] [--repeat 200]

The app opens the database read-only for each read and builds one key per stored result it
asks for, each with the version of the store's inputs. Timed in the same run: the five
queries that make the version (the baseline: what every key read cost before the version
was kept per file version) and ``store_part`` as the app calls it, on the same open
connection. Median and p90 in ms with the load average beside them; never asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forecasting.models import stored_fits  # noqa: E402
from forecasting.store import Store  # noqa: E402


def _times(fn: object, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        out.append((time.perf_counter() - start) * 1000)
    return out


def _line(name: str, times: list[float]) -> str:
    p90 = statistics.quantiles(times, n=10)[-1]
    return f"{name:<34} median {statistics.median(times):8.3f} ms  p90 {p90:8.3f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=str(ROOT / "data" / "capcost.duckdb"))
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    with Store.reader(args.db) as store:
        assert store.inputs_version() == store._read_inputs_version()
        base = _times(store._read_inputs_version, args.repeat)
        kept = _times(lambda: stored_fits.store_part(store), args.repeat)
    print(f"{args.db} ({args.repeat} reads each), load {os.getloadavg()[0]:.2f}")
    print(_line("baseline: the five queries", base))
    print(_line("store_part (kept per file version)", kept))


if __name__ == "__main__":
    main()
