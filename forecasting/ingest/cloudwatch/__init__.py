"""CloudWatch source: metric queries from a TOML file, fetched with GetMetricData in batches.

Each query's derived series (e.g. RequestCount Sum / 60 s -> requests_per_second) is stored
raw, one observation per period; the store's daily rollup then holds its daily mean and
max. A query with ``peak_metric`` also stores each day's maximum under that name, so
``requests_per_second`` reads the daily average and ``requests_per_second_peak`` the daily
peak (at the query's period: a 60 s period gives the busiest minute's average rate).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forecasting.errors import CapcostError
from forecasting.ingest.aws import api_errors, retries_of
from forecasting.ingest.cloudwatch import settings
from forecasting.ingest.cloudwatch.helpers import (
    MetricQuery,
    batches,
    check_resolution,
    check_units,
    daily_peaks,
    data_queries,
    derived_points,
    naive_utc,
    read_config,
)
from forecasting.interface import IngestResult

if TYPE_CHECKING:
    import pandas as pd

    from forecasting.ingest.progress import ProgressCallback
    from forecasting.store import Store

__all__ = ["MetricQuery", "Pull", "fetch", "load", "read_config"]


@dataclass(frozen=True)
class Pull:
    """Datapoints per query, and what fetching them cost."""

    points: dict[str, dict[datetime, float]]
    """Query name -> {period start (naive UTC): statistic value}."""
    requests: int
    """GetMetricData calls (pages included)."""
    metrics_requested: int
    """Queries sent, summed over calls: what CloudWatch bills."""
    retries: int
    """Throttled or failed attempts botocore retried."""


def fetch(
    client: Any,
    queries: Sequence[MetricQuery],
    start: datetime,
    end: datetime,
    progress: ProgressCallback | None = None,
) -> Pull:
    """Every datapoint of every query in ``[start, end)``, 500 queries per call, all pages."""
    points: dict[str, dict[datetime, float]] = {q.name: {} for q in queries}
    requests = metrics = retries = 0
    chunks = list(batches(queries))
    paginator = client.get_paginator("get_metric_data")
    for number, batch in enumerate(chunks):
        by_id = {f"q{i}": q for i, q in enumerate(batch)}
        pages = paginator.paginate(
            MetricDataQueries=data_queries(batch),
            StartTime=start.replace(tzinfo=UTC),
            EndTime=end.replace(tzinfo=UTC),
            ScanBy="TimestampAscending",
        )
        with api_errors("CloudWatch", f"after {requests} successful requests"):
            for page in pages:
                requests, metrics = requests + 1, metrics + len(batch)
                retries += retries_of(page)
                for result in page.get("MetricDataResults", []):
                    _collect(result, by_id, points)
        if progress is not None:
            progress((number + 1) / len(chunks), f"{requests} requests")
    return Pull(points, requests, metrics, retries)


def _collect(
    result: dict[str, Any], by_id: dict[str, MetricQuery], points: dict[str, dict[datetime, float]]
) -> None:
    query = by_id.get(result.get("Id", ""))
    if query is None:
        raise CapcostError(f"CloudWatch returned an unknown query id {result.get('Id')!r}")
    status = result.get("StatusCode", "Complete")
    if status not in ("Complete", "PartialData"):
        messages = "; ".join(m.get("Value", "") for m in result.get("Messages", []))
        raise CapcostError(f"CloudWatch query {query.name!r}: {status} {messages}".strip())
    series = points[query.name]
    for ts, value in zip(result.get("Timestamps", []), result.get("Values", []), strict=True):
        series[naive_utc(ts)] = float(value)


def observations(queries: Sequence[MetricQuery], pull: Pull, start: datetime) -> pd.DataFrame:
    """The frame ``Store.replace_metrics`` takes: ts, metric, dimensions, value, unit."""
    import pandas as pd

    from forecasting.store import canonical_dimensions

    rows: list[tuple[datetime, str, str, float, str]] = []
    for q in queries:
        dims = canonical_dimensions(q.dimensions)
        series = derived_points(q, pull.points[q.name], start)
        rows += [(ts, q.capcost_metric, dims, v, q.unit) for ts, v in series]
        if q.peak_metric:
            rows += [(ts, q.peak_metric, dims, v, q.unit) for ts, v in daily_peaks(series)]
    frame = pd.DataFrame(rows, columns=["ts", "metric", "dimensions", "value", "unit"])
    frame["ts"] = pd.to_datetime(frame["ts"])
    return frame


def load(
    store: Store,
    client: Any,
    config: str | Path,
    *,
    start: date,
    end: date,
    now: datetime | None = None,
    progress: ProgressCallback | None = None,
) -> IngestResult:
    """Fetch the config's queries for days ``[start, end)`` (UTC) and store them in one run.

    Re-running replaces each series' observations within the fetched time range, so it
    never duplicates; a failure leaves the database as it was (the run log records it).
    """
    from forecasting.ingest.progress import Reporter
    from forecasting.interface import Aggregation, MetricDefinition

    queries = read_config(config)
    lo, hi = (
        datetime.combine(start, datetime.min.time()),
        datetime.combine(end, datetime.min.time()),
    )
    now = now or datetime.now(UTC).replace(tzinfo=None)
    check_resolution(queries, lo, now, str(config))
    check_units(queries, {m.name: m.unit for m in store.metric_definitions().values()}, str(config))
    parameters = {
        "config": str(config),
        "start": start.isoformat(),
        "end_exclusive": end.isoformat(),
        "queries": [q.name for q in queries],
    }
    with (
        Reporter(f"CloudWatch {start} to {end}", progress) as reporter,
        store.ingest_run(settings.SOURCE, parameters) as run,
    ):
        pull = fetch(client, queries, lo, hi, reporter.update)
        for q in queries:
            if q.peak_metric:  # a peak rolls up to months and quarters by max, whatever its name
                store.ensure_metric(MetricDefinition(q.peak_metric, q.unit, Aggregation.MAX))
        store.replace_metrics(run, observations(queries, pull, lo))
        run.detail = _detail(queries, pull)
    return IngestResult(run.run_id, settings.SOURCE, run.rows, "succeeded", dict(run.detail))


def _detail(queries: Sequence[MetricQuery], pull: Pull) -> dict[str, Any]:
    cost = pull.metrics_requested * settings.PRICE_PER_1000_METRICS_USD / 1000
    return {
        "api_requests": pull.requests,
        "metrics_requested": pull.metrics_requested,
        "retried_attempts": pull.retries,
        "api_cost_usd": str(cost.normalize()),
        "datapoints": {q.name: len(pull.points[q.name]) for q in queries},
        "empty_queries": [q.name for q in queries if not pull.points[q.name]],
    }
