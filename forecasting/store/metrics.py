"""Metric observations (users, req/s, utilisation, anything imported) and their daily rollup."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import pandas as pd

from forecasting.errors import CapcostError, InputError, UnknownNameError
from forecasting.interface import COST_METRIC, Aggregation, Freq, MetricDefinition
from forecasting.store.core import Run, StoreCore
from forecasting.store.costs import period_start_sql

# Metrics capcost knows before any data arrives; imports may add any other name.
BUILTIN_METRICS = (
    MetricDefinition("users", "users", Aggregation.MEAN, "active users (daily count)"),
    MetricDefinition("requests_per_second", "req/s", Aggregation.MEAN, "average requests/s"),
    MetricDefinition("requests_per_second_peak", "req/s", Aggregation.MAX, "peak requests/s"),
    MetricDefinition("cpu_utilization", "%", Aggregation.MEAN, "CPU per pod, average"),
    MetricDefinition("memory_utilization", "%", Aggregation.MEAN, "memory per container"),
    MetricDefinition("db_connection_pool_utilization", "%", Aggregation.MEAN, "DB pool in use"),
    MetricDefinition("disk_utilization", "%", Aggregation.MEAN, "database disk used"),
    MetricDefinition("instances", "instances", Aggregation.MEAN, "running pods/instances"),
)

# How each aggregation turns a day's value v into a month's or quarter's.
_PERIOD_AGG = {
    Aggregation.MEAN: "avg(v)",
    Aggregation.MAX: "max(v)",
    Aggregation.SUM: "sum(v)",
    Aggregation.LAST: "arg_max(v, day)",
}
_DAY_COLUMN = {
    Aggregation.MEAN: "mean",
    Aggregation.MAX: "max",
    Aggregation.SUM: "sum",
    Aggregation.LAST: "last",
}


def canonical_dimensions(dimensions: dict[str, str] | None) -> str:
    """Dimensions as sorted-key JSON, so equal dimension sets compare equal."""
    return json.dumps(dict(sorted((dimensions or {}).items())), separators=(",", ":"))


class MetricsMixin(StoreCore):
    """Writes and reads of metric observations."""

    def ensure_metric(self, definition: MetricDefinition) -> MetricDefinition:
        """Register a metric, or return the stored definition; a unit clash is an error."""
        stored = self.metric_definitions().get(definition.name)
        if stored is not None:
            if stored.unit != definition.unit:
                raise InputError(
                    f"metric {definition.name!r} is stored in {stored.unit!r}, "
                    f"not {definition.unit!r}",
                    parameter="unit",
                )
            return stored
        self.con.execute(
            "INSERT INTO metric_definitions VALUES (?, ?, ?, ?)",
            [
                definition.name,
                definition.unit,
                definition.aggregation.value,
                definition.description,
            ],
        )
        return definition

    def metric_definitions(self) -> dict[str, MetricDefinition]:
        rows = self.con.execute(
            "SELECT metric, unit, aggregation, description FROM metric_definitions"
        ).fetchall()
        defined = {r[0]: MetricDefinition(r[0], r[1], Aggregation(r[2]), r[3]) for r in rows}
        return {d.name: d for d in BUILTIN_METRICS} | defined

    def replace_metrics(self, run: Run, data: Any, *, other_sources: bool = False) -> int:
        """Insert observations (``ts, metric, dimensions, value, unit``), replacing what this
        source stored for the same metric and dimensions within the new data's time range
        (what every source stored there, with ``other_sources``)."""
        self._stage_metrics(data)
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE _mscope AS SELECT metric, dimensions, "
            "min(ts) AS lo, max(ts) AS hi FROM _mincoming GROUP BY ALL"
        )
        in_scope = (
            "EXISTS (SELECT 1 FROM _mscope s WHERE s.metric = o.metric AND "
            "s.dimensions = o.dimensions AND o.ts BETWEEN s.lo AND s.hi AND (? OR o.source = ?))"
        )
        scope = [other_sources, run.source]
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE _mdays AS SELECT DISTINCT metric, dimensions, "
            "CAST(ts AS DATE) AS day FROM _mincoming "
            f"UNION SELECT DISTINCT metric, dimensions, CAST(ts AS DATE) FROM "
            f"metric_observations o WHERE {in_scope}",
            scope,
        )
        self.con.execute(f"DELETE FROM metric_observations o WHERE {in_scope}", scope)
        row = self.con.execute(
            "INSERT INTO metric_observations SELECT ts, metric, dimensions, value, unit, ?, ? "
            "FROM _mincoming",
            [run.source, run.run_id],
        ).fetchone()
        self._refresh_metric_rollup()
        run.rows += int(row[0]) if row else 0
        return int(row[0]) if row else 0

    def metric_days_by_source(
        self, metric: str, dimensions: str, start: datetime, end: datetime, *, besides: str
    ) -> dict[str, int]:
        """Days in [start, end] on which sources other than ``besides`` observed the series.

        Daily values average every source's observations, so a second source for one series
        (a real users export beside the demo's) mixes two different numbers.
        """
        rows = self.con.execute(
            "SELECT source, count(DISTINCT CAST(ts AS DATE)) FROM metric_observations "
            "WHERE metric = ? AND dimensions = ? AND ts BETWEEN ? AND ? AND source <> ? "
            "GROUP BY 1 ORDER BY 1",
            [metric, dimensions, start, end, besides],
        ).fetchall()
        return {str(source): int(days) for source, days in rows}

    def _stage_metrics(self, data: Any) -> None:
        self._stage("_mraw", data)
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE _mincoming AS SELECT CAST(ts AS TIMESTAMP) AS ts, "
            "CAST(metric AS VARCHAR) AS metric, coalesce(CAST(dimensions AS VARCHAR), '{}') "
            "AS dimensions, CAST(value AS DOUBLE) AS value, CAST(unit AS VARCHAR) AS unit "
            "FROM _mraw"
        )
        self._unstage("_mraw")
        bad = self.con.execute(
            "SELECT count(*) FILTER (WHERE ts IS NULL), count(*) FILTER (WHERE value IS NULL "
            "OR isnan(value)) FROM _mincoming"
        ).fetchone()
        if bad and bad[0]:
            raise InputError(f"{bad[0]} observations have no timestamp", column="ts")
        if bad and bad[1]:
            raise InputError(f"{bad[1]} observations have no numeric value", column="value")
        definitions = self.metric_definitions()
        for metric, unit in self.con.execute(
            "SELECT DISTINCT metric, unit FROM _mincoming"
        ).fetchall():
            known = definitions.get(metric)
            if known is None:
                aggregation = Aggregation.MAX if metric.endswith("_peak") else Aggregation.MEAN
                self.ensure_metric(MetricDefinition(metric, unit, aggregation))
            else:
                self.ensure_metric(MetricDefinition(metric, unit, known.aggregation))

    def _refresh_metric_rollup(self) -> None:
        self.con.execute(
            "DELETE FROM metric_daily d WHERE EXISTS (SELECT 1 FROM _mdays a WHERE "
            "a.metric = d.metric AND a.dimensions = d.dimensions AND a.day = d.day)"
        )
        self.con.execute(
            "INSERT INTO metric_daily SELECT CAST(o.ts AS DATE) AS day, o.metric, o.dimensions, "
            "avg(value), max(value), min(value), sum(value), arg_max(value, ts), count(*), "
            "any_value(unit), string_agg(DISTINCT source, ',') "
            "FROM metric_observations o JOIN _mdays a ON a.metric = o.metric "
            "AND a.dimensions = o.dimensions AND a.day = CAST(o.ts AS DATE) GROUP BY ALL"
        )

    # -- reads ------------------------------------------------------------------------------
    def stored_metrics(self) -> list[str]:
        rows = self.con.execute("SELECT DISTINCT metric FROM metric_daily ORDER BY 1").fetchall()
        return [r[0] for r in rows]

    def metric(self, name: str) -> MetricDefinition:
        """The definition of a stored metric; an unknown name lists the known ones."""
        stored = self.stored_metrics()
        if name not in stored:
            raise UnknownNameError("metric", name, [COST_METRIC, *stored])
        return self.metric_definitions()[name]

    def hourly_observations(self, name: str, start: date, end: date) -> pd.Series:
        """A metric per clock hour in [start, end) where it is stored finer than daily (the
        hour's mean per dimension set, summed across sets); empty when only daily values are.
        Indexed by the hour's start (UTC)."""
        frame = self.con.execute(
            "WITH per AS (SELECT date_trunc('hour', ts) AS hour, dimensions, avg(value) AS v "
            "FROM metric_observations WHERE metric = ? AND ts >= ? AND ts < ? GROUP BY ALL), "
            "hourly AS (SELECT hour, sum(v) AS v FROM per GROUP BY hour) "
            "SELECT hour, v FROM hourly WHERE (SELECT count(DISTINCT hour(hour)) FROM hourly) > 1 "
            "ORDER BY hour",
            [name, start, end],
        ).df()
        return pd.Series(frame["v"].to_numpy(float), index=pd.DatetimeIndex(frame["hour"]))

    def read_metric_series(
        self,
        name: str,
        freq: Freq = Freq.DAY,
        *,
        start: date | None = None,
        end: date | None = None,
        dimensions: dict[str, str] | None = None,
        by_dimensions: bool = False,
        daily: Aggregation | None = None,
    ) -> pd.DataFrame:
        """A metric per period in long format ``unique_id, ds, y``; ``end`` is exclusive.

        ``daily`` says how a day's observations combine, instead of the metric's own
        aggregation (``MAX``: the daily peak, what an alert on minutes sees).

        Across dimension sets a day's values add up (requests/s of two load balancers, users
        of two products), except percentages, which average (CPU % of two instances), unless
        ``by_dimensions`` keeps one series per dimension set. Adding the daily peaks of two
        sets gives at least their joint peak: an upper bound, the safe side for capacity.
        """
        definition = self.metric(name)
        agg = definition.aggregation
        day_value = _DAY_COLUMN[agg if daily is None else Aggregation(daily)]
        combine = "avg" if definition.unit == "%" else "sum"
        uid = "dimensions" if by_dimensions else "?"
        frame = self.con.execute(
            f"WITH daily AS (SELECT day, {uid} AS unique_id, {combine}({day_value}) AS v "
            "FROM metric_daily WHERE metric = ? AND (? IS NULL OR dimensions = ?) "
            "AND (? IS NULL OR day >= ?) AND (? IS NULL OR day < ?) GROUP BY ALL) "
            f"SELECT unique_id, {period_start_sql(freq, 'day')} AS ds, "
            f"{_PERIOD_AGG[agg]} AS y "
            "FROM daily GROUP BY ALL ORDER BY unique_id, ds",
            [
                *([] if by_dimensions else [name]),
                name,
                None if dimensions is None else canonical_dimensions(dimensions),
                None if dimensions is None else canonical_dimensions(dimensions),
                start,
                start,
                end,
                end,
            ],
        ).df()
        frame["ds"] = pd.to_datetime(frame["ds"])
        if frame.empty:
            raise CapcostError(f"no {name} observations in the requested range")
        return frame
