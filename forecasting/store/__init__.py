"""The one place that knows SQL: a small Store over a DuckDB file (or ``:memory:``)."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from forecasting.errors import InputError, SchemaOutdatedError, UnknownNameError
from forecasting.interface import COST_METRIC, STORED_FREQS, CostBasis, Freq, GroupBy
from forecasting.periods import complete_column, first_incomplete, last_full_day
from forecasting.store.core import MEMORY, Run
from forecasting.store.costs import UNALLOCATED, CostsMixin, period_label
from forecasting.store.evidence import EvidenceMixin
from forecasting.store.metrics import MetricsMixin, canonical_dimensions
from forecasting.store.plans import PlansMixin
from forecasting.store.quality import QualityMixin
from forecasting.store.results import ResultsMixin

__all__ = ["MEMORY", "UNALLOCATED", "Run", "Store", "canonical_dimensions", "period_label"]


class Store(CostsMixin, MetricsMixin, PlansMixin, QualityMixin, EvidenceMixin, ResultsMixin):
    """``Store(path or ':memory:')``: schema migrated on open, bound parameters only.

    Open it read-only from the app (per query, never cached); writers open read-write and
    wait for the file lock. Nothing is opened at import.
    """

    until: date | None = None
    """Reads of series and last days stop at the end of this day (``as_it_stood``)."""

    def __enter__(self) -> Store:
        return self

    @classmethod
    def reader(cls, path: str | Path, *, lock_timeout: float = 30.0) -> Store:
        """Open read-only; a file from an older capcost is migrated first (briefly read-write).

        Readers never hold the write lock longer than the migration, so the app can upgrade a
        database built by an earlier version without anyone running a command by hand.
        """
        try:
            return cls(path, read_only=True, lock_timeout=lock_timeout)
        except SchemaOutdatedError:
            cls(path, lock_timeout=lock_timeout).close()
            return cls(path, read_only=True, lock_timeout=lock_timeout)

    def last_full_month_costs(self) -> tuple[pd.Timestamp, dict[str, float]]:
        """The last full month of cost and its spend per cost group (EffectiveCost): the base
        month of savings and the price of compute headroom."""
        cost, _ = self.read_series(COST_METRIC, Freq.MONTH, GroupBy.GROUP, complete_only=True)
        if cost.empty:
            raise InputError("no full month of cost data yet", parameter="--db")
        month = cost["ds"].max()
        rows = cost[cost["ds"] == month]
        spend = zip(rows["unique_id"].astype(str), rows["y"].astype(float), strict=True)
        return month, dict(spend)

    def read_series(
        self,
        metric: str,
        freq: Freq = Freq.MONTH,
        by: GroupBy | None = None,
        *,
        start: date | None = None,
        end: date | None = None,
        basis: CostBasis = CostBasis.EFFECTIVE,
        currency: str | None = None,
        complete_only: bool = False,
    ) -> tuple[pd.DataFrame, str]:
        """Any series (``cost`` or a stored metric) in long format, with its unit.

        ``complete_only`` drops a trailing period that the data does not cover to its end
        (this month, until it is over), which forecasts must not mistake for a drop.
        """
        freq, by = Freq(freq), None if by is None else GroupBy(by)
        if self.until is not None:
            cap = self.until + timedelta(days=1)
            end = cap if end is None else min(end, cap)
        if freq not in STORED_FREQS:
            raise InputError(
                f"stored series are summed by {', '.join(STORED_FREQS)}, not {freq}",
                parameter="freq",
            )
        if metric == COST_METRIC:
            frame, unit = self.read_cost_series(
                freq, by, start=start, end=end, basis=basis, currency=currency
            )
        else:
            if by is not None:
                raise UnknownNameError("grouping for a metric", by.value, ["(none)"])
            frame = self.read_metric_series(metric, freq, start=start, end=end)
            unit = self.metric(metric).unit
            frame["unique_id"] = metric
        if complete_only and not frame.empty:
            cutoff = first_incomplete(self.last_full_day(metric), freq)
            frame = frame[frame["ds"] < pd.Timestamp(cutoff)]
        return frame.reset_index(drop=True), unit

    def last_full_day(self, metric: str) -> date | None:
        """The last day a metric's (or cost's) data covers completely (never today)."""
        return last_full_day(self.last_day(metric))

    def last_day(self, metric: str) -> date | None:
        """The last day with data for a metric or for cost."""
        if metric == COST_METRIC:
            row = self.con.execute("SELECT max(day) FROM cost_daily").fetchone()
        else:
            row = self.con.execute(
                "SELECT max(day) FROM metric_daily WHERE metric = ?", [metric]
            ).fetchone()
        if row is None or row[0] is None:
            return None
        last: date = row[0]
        return last if self.until is None else min(last, self.until)

    def as_it_stood(self, day: date) -> Store:
        """This store as it stood at the end of ``day``: ``read_series`` and the last days
        stop there, so a forecast made on it is the one made that day (the backtest as of a
        date). It shares this store's connection: close this one, not the view."""
        view = copy.copy(self)
        view.until = day if self.until is None else min(day, self.until)
        return view

    def actuals(
        self,
        metric: str,
        freq: Freq = Freq.MONTH,
        by: GroupBy | None = None,
        **kwargs: Any,
    ) -> pd.DataFrame:
        """The CLI's table: ``ds, period, [<by>], value, unit, complete``, one row per period
        and group; ``complete`` is False for a period the data does not cover to its end."""
        freq, by = Freq(freq), None if by is None else GroupBy(by)
        frame, unit = self.read_series(metric, freq, by, **kwargs)
        out = pd.DataFrame({"ds": frame["ds"].dt.strftime("%Y-%m-%d")})
        out["period"] = period_label(frame["ds"], freq)
        if by is not None:
            out[by.value] = frame["unique_id"]
        out["value"] = frame["y"].round(6)
        out["unit"] = unit
        out["complete"] = complete_column(frame["ds"], freq, self.last_full_day(metric))
        return out.sort_values(["ds", *([by.value] if by else [])]).reset_index(drop=True)

    def freshness(self) -> pd.DataFrame:
        """Per source: last day with data, rows stored, and the last run's status."""
        return self.con.execute(
            """
            WITH data AS (
                SELECT x_source AS source, 'cost' AS kind, max(day) AS last_day,
                       sum(line_items) AS rows FROM cost_daily GROUP BY 1
                UNION ALL
                SELECT source, 'metrics', max(day), sum(n) FROM metric_daily GROUP BY 1
            ), last_run AS (
                SELECT source, arg_max(status, run_id) AS last_status,
                       max(finished_at) AS last_finished FROM ingest_runs GROUP BY 1
            )
            SELECT d.source, d.kind, d.last_day, d.rows, r.last_status, r.last_finished
            FROM data d LEFT JOIN last_run r USING (source) ORDER BY d.source, d.kind
            """
        ).df()
