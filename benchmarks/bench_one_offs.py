"""What setting one-period outliers aside (``guards.one_offs``) does to real series, before
and after in one run.

Every series of M1, M3 and Tourism (monthly, quarterly, yearly), the accuracy benchmark's
growth set and its business series is cut at its horizon as ``bench_accuracy.py`` cuts it;
the training part is searched for one-offs exactly as the engine does (after a level shift
is moved). Only a series with one is forecast differently, so only those are forecast:
twice, with the search off (the engine before) and on, each scored on the holdout with
bench_accuracy's metrics (sMAPE, MASE, 80% coverage and its tails, MSIS, the error of the
holdout's total), the prior fitted without the series' collection as bench_accuracy does.
A set's figures over all its series move by the changed series' change times their share.

    .venv/bin/python benchmarks/bench_one_offs.py [--every N]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_accuracy import (  # type: ignore[import-not-found]
    LEVEL,
    Series,
    _preds,
    business,
    by_prior,
    competition,
    frame_of,
    growth,
    score,
)

from forecasting.models import engine, guards
from forecasting.models.api import forecast

COLUMNS = ("sMAPE", "MASE", "cov80", "total%", ">P90", "<P10", "MSIS")


def changed(series: list[Series]) -> list[Series]:
    """The series whose training part has a one-off where the engine looks for one."""
    out = []
    for s in series:
        recent = s.x[-engine.recent_length(s.m) :]
        _, _, excuses = guards.adjust_history(s.uid, recent, s.m)
        if any("one_offs" in e.context for e in excuses):
            out.append(s)
    return out


def run(series: list[Series]) -> dict[str, tuple[float, ...]]:
    scores = {}
    for label, threshold in (("before", math.inf), ("after", guards.ONE_OFF_THRESHOLD)):
        saved = guards.ONE_OFF_THRESHOLD
        guards.ONE_OFF_THRESHOLD = threshold
        try:
            preds = {}
            for part in by_prior(series):
                h = len(part[0].xx)
                result = forecast(frame_of(part), h=h, level=(LEVEL,), n_jobs=1)
                preds.update(_preds(result.forecast, part))
        finally:
            guards.ONE_OFF_THRESHOLD = saved
        scores[label] = score(series, preds)
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--every", type=int, default=1, metavar="N", help="every Nth series")
    args = parser.parse_args()
    groups = {}
    for name in ("M1", "M3", "Tourism"):
        groups.update(competition(name, args.every))
    groups.update(growth(args.every))
    groups.update(business())
    print(f"load {os.getloadavg()[0]:.2f} at the start")
    for name, series in groups.items():
        t = time.perf_counter()
        hit = changed(series)
        line = f"== {name}: {len(hit)} of {len(series)} series with a one-off"
        if not hit:
            print(line)
            continue
        scores = run(hit)
        took = time.perf_counter() - t
        print(f"{line} ({took:.0f} s, load {os.getloadavg()[0]:.2f})")
        print("  " + " ".join(f"{c:>8}" for c in ("", *COLUMNS)))
        for label, row in scores.items():
            print("  " + f"{label:>8} " + " ".join(f"{v:8.2f}" for v in row))


if __name__ == "__main__":
    main()
