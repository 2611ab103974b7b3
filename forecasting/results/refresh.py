"""`capcost refresh`: compute what the pages show by default and store its forecasts.

Run after the demo is built, after every ingest, and daily from cron. The forecasts are made
on a read-only connection (the app keeps reading meanwhile) and written in one short
transaction; a refresh that fails leaves the stored results as they were.
"""

from __future__ import annotations

import copy
import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from forecasting.interface import COST_METRIC
from forecasting.models import stored
from forecasting.store import Store
from forecasting.views.forecast import MAX_HORIZON

# The Forecast page's longest horizon, which it builds and slices: what it opens on.
FORECAST_MONTHS = MAX_HORIZON
# The Forecast page's levels (a forecast's backtest coverage is scored at its level, so each
# is a forecast of its own): all of them for the single series, the default for the splits
# (by group, category, service: dozens of series, each level minutes on a large bill).
FORECAST_LEVELS = (80.0, 50.0, 95.0)
# Capacity's and Savings' band levels (app.widgets.LEVELS): a quarter's band is capped by its
# months' bands at the level asked for, so each level is a forecast of its own.
PLAN_LEVELS = (80.0, 50.0, 90.0, 95.0)
# Capacity's longest plan: its forecasts serve any plan up to it (slices of them); the plan
# and the runway themselves are stored whole for the page's defaults (4 quarters, 365 days)
# at each level and on each set, the ones its level and set pickers open.
PLAN_QUARTERS = 12
# Savings' base months stored at the default level: the last year's full months (a lever's
# commitment is forecast from its base month, so each month is a forecast of its own); a
# review looks back a year, an older month is computed when asked.
BASE_MONTHS = 12
# The review's months whose anomalous days are stored: the running month and the last year's
# (each month's band is forecast from the half year before it, so each is a forecast of its
# own, 1-2 s to fit); the meeting steps back through them with the month picker, and an
# older month is computed when asked.
REVIEW_MONTHS = 13
# How long a refresh waits for another writer before giving up (an ingest may be running).
WRITE_WAIT_SECONDS = 120.0
REFRESH_COMMAND = "capcost refresh"


# Reads that scan the bill (millions of line items on a large one) or the stored sample paths,
# and that no widget changes: the app keeps them per data version (app/state.py) and a refresh
# for its whole run, so that the pages' many settings, and the levers that ask for the same
# window, read them once. Then the small reads a build repeats dozens of times (a query each,
# some milliseconds on a busy machine): the Overview's year to date looked up every plan of
# record for each month, 45 times which metrics are stored and 48 plans read, 2.4 s on the
# 10M-line-item bench.
SHARED_READS = (
    "compute_usage_items",
    "resource_costs",
    "daily_cost_detail",
    "read_forecast_results",
    "read_forecast_paths",
    "read_fit_results",
    "stored_metrics",
    "currencies",
    "last_day",
    "last_full_day",
    "plans",
    "read_plan",
    "latest_plan",
    "inputs_version",
    "latest_refresh",
)


def sharing(store: Store) -> Store:
    """``store`` (read-only) with its SHARED_READS made once per arguments while it is open,
    each caller given its own copy (a caller may change a frame in place)."""
    made: dict[tuple[str, str], Any] = {}
    for method in SHARED_READS:
        read = getattr(type(store), method)

        def shared(*args: Any, _method: str = method, _read: Any = read, **kwargs: Any) -> Any:
            if kwargs:  # keyword arguments: not shared (none of the callers uses them)
                return _read(store, *args, **kwargs)
            key = (_method, repr(args))
            if key not in made:
                made[key] = _read(store, *args)
            return copy.deepcopy(made[key])

        setattr(store, method, shared)  # this connection's only: it closes after the refresh
    return store


@dataclass(frozen=True)
class RefreshSummary:
    refresh_id: int
    computed: int
    """Series forecasts fitted by this refresh."""
    reused: int
    """Stored series forecasts that were still current and read."""
    seconds: float
    kept: int = 0
    """Stored forecasts and fits kept as they were: those read, and those a stored result
    read whole was made from (what the refresh log's ``reused`` counts)."""

    def line(self, path: Path) -> str:
        return (
            f"refreshed {path}: {self.computed:,} series forecasts computed, {self.reused:,} "
            f"read from the store; {self.kept:,} stored forecasts and fits kept, in "
            f"{self.seconds:.0f} s"
        )


def page_builds(store: Store) -> list[Callable[[], object]]:
    """What each page shows on first visit (its defaults), plus the Forecast page's every
    series at its longest horizon (the single series at each level it offers), Capacity and
    Savings at each of their levels and on every stored assumption set, Savings on each of
    the last year's full months, and the review's anomalous days of the running month and
    each of the last year's."""
    from forecasting import views
    from forecasting.capacity.service import CapacityOptions
    from forecasting.interface import DEFAULT_SCENARIO
    from forecasting.savings.service import SavingsOptions
    from forecasting.views.forecast import SERIES_CHOICES, ForecastRequest

    builds: list[Callable[[], object]] = [lambda: views.build_outlook(store)]
    for level in FORECAST_LEVELS:
        for series, (_, split) in SERIES_CHOICES.items():
            if split is not None and level != FORECAST_LEVELS[0]:
                continue
            request = ForecastRequest(series, FORECAST_MONTHS, level)
            builds.append(lambda r=request: views.build_forecast(store, r))  # type: ignore[misc]
    months = views.build_choices(store, None).full_months
    # Every other stored assumption set at the defaults: a set sizes instances its own way,
    # so its demand chain is fitted apart (and a set may cover other usage with commitments).
    others = [name for name in store.assumption_set_names() if name != DEFAULT_SCENARIO]
    plans = [CapacityOptions(level=level) for level in PLAN_LEVELS]
    plans += [CapacityOptions(scenario=name) for name in others]
    for plan in plans:
        longest = dataclasses.replace(plan, quarters=PLAN_QUARTERS)
        for made in (longest, plan):  # the longest first: the default's are its slices
            builds.append(lambda p=made: views.build_capacity(store, p))  # type: ignore[misc]
    savings = [
        SavingsOptions(level=level, base_month=months[0], lookback=(7, 30, 60))
        for level in PLAN_LEVELS
        if months
    ] + [SavingsOptions(base_month=month, lookback=(7, 30, 60)) for month in months[1:BASE_MONTHS]]
    savings += [
        SavingsOptions(scenario=name, base_month=months[0], lookback=(7, 30, 60))
        for name in others
        if months
    ]
    for options in savings:
        builds.append(lambda o=options: views.build_savings(store, o))  # type: ignore[misc]
    # The review opens on the month just ended; the running month is the next most asked for,
    # then the months before, as the meeting steps back through the year.
    reviewed = views.months_with_cost(store)
    opened = views.reviewed_month(reviewed, store.last_day(COST_METRIC))
    for month in dict.fromkeys(m for m in (opened, *reviewed[:REVIEW_MONTHS]) if m):
        builds.append(lambda m=month: views.build_anomalies(store, m))  # type: ignore[misc]
    return builds


def refresh(
    path: Path, builds: Callable[[Store], list[Callable[[], object]]] = page_builds
) -> RefreshSummary:
    """Compute ``builds`` (the pages' defaults) and store every forecast they made."""
    started, clock = datetime.now(UTC), time.perf_counter()
    with Store.reader(path, lock_timeout=WRITE_WAIT_SECONDS) as store:
        version = store.inputs_version()
        with stored.recording(store) as found:
            for build in builds(sharing(store)):
                build()
    # What was stored before and still serves; a whole result made in this refresh and served
    # again names its inputs as used, but those are new here, not kept.
    kept = sorted((found.used | found.fits_used) - found.computed.keys() - found.fits.keys())
    with Store(path, lock_timeout=WRITE_WAIT_SECONDS) as store:
        refresh_id = store.replace_forecast_results(
            found.rows(),
            kept,
            started_at=started,
            inputs_version=version,
            fits=found.fit_rows(),
        )
    return RefreshSummary(
        refresh_id,
        len(found.computed),
        len(found.used),
        time.perf_counter() - clock,
        kept=len(kept),
    )


def freshness_note(store: Store, found: stored.Memo, path: Path) -> str:
    """One line for a page that had to fit forecasts: why they were not stored, and the
    command that stores them ("" when everything was served from the store)."""
    if not found.misses:
        return ""
    command = f"`{REFRESH_COMMAND} --db {path}`"
    last = store.latest_refresh()
    if last is None:
        return (
            f"Forecasts computed now ({found.misses} series): none are stored in this database "
            f"yet; {command} stores them so pages open at once."
        )
    when = f"{last['finished_at']:%d %b %H:%M} UTC"
    if last["inputs_version"] != store.inputs_version():
        return (
            f"Forecasts computed now ({found.misses} series): the data changed since they were "
            f"stored ({when}); {command} brings them up to date."
        )
    return (
        f"Forecasts computed now ({found.misses} series): these settings are not among those "
        f"stored ({when}: each page's defaults)."
    )
