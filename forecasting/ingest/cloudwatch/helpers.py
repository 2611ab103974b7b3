"""Pure CloudWatch logic: the TOML query config, API request shapes, and derived series."""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from forecasting.errors import InputError
from forecasting.ingest.cloudwatch import settings

_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
_METRIC_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_PERCENTILE = re.compile(r"^p\d{1,2}(\.\d+)?$")


@dataclass(frozen=True)
class MetricQuery:
    """One CloudWatch series and how it becomes a capcost metric."""

    name: str
    """Unique label of the query in its config file (used in messages)."""
    namespace: str
    """CloudWatch namespace, e.g. ``AWS/ApplicationELB``."""
    metric: str
    """CloudWatch metric name, e.g. ``RequestCount``."""
    statistic: str
    """Sum, Average, Minimum, Maximum, SampleCount or a percentile such as p99."""
    period: int
    """Seconds per datapoint (1, 5, 10, 30 or a multiple of 60)."""
    capcost_metric: str
    """Name the series is stored under, e.g. ``requests_per_second``."""
    unit: str
    """capcost unit of the stored values (after ``derive`` and ``scale``), e.g. ``req/s``."""
    dimensions: dict[str, str] = field(default_factory=dict)
    """CloudWatch dimensions selecting one series, e.g. ``{"LoadBalancer": "app/x/123"}``."""
    derive: str = "none"
    """``none`` or ``per_second`` (statistic / period)."""
    scale: float = 1.0
    """Multiplier applied last (e.g. 1e-9 turns bytes into GB)."""
    peak_metric: str | None = None
    """Also store each day's maximum of the derived series under this name."""
    fill_missing: float | None = None
    """Value of a period with no datapoint (0 for counts: CloudWatch omits idle periods)."""

    def transform(self, value: float) -> float:
        per = self.period if self.derive == "per_second" else 1
        return value * self.scale / per


# -- config -------------------------------------------------------------------------------
def read_config(path: str | Path) -> list[MetricQuery]:
    """Parse and check a query file; every error names the file, the query and the key."""
    file = str(path)
    try:
        with Path(path).open("rb") as handle:
            raw = tomllib.load(handle)
    except FileNotFoundError:
        raise InputError("no such config file", file=file) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", file=file) from None
    extra = set(raw) - {"query"}
    if extra:
        raise InputError(
            f"unknown top-level keys {sorted(extra)}; expected [[query]] tables", file=file
        )
    items = raw.get("query")
    if not isinstance(items, list) or not items:
        raise InputError("no [[query]] tables: nothing to fetch", file=file)
    queries = [_query(item, index, file) for index, item in enumerate(items, start=1)]
    _check_unique(queries, file)
    return queries


def _fail(file: str, index: int, name: object, key: str, problem: str) -> InputError:
    label = f"query {name!r} (#{index})" if isinstance(name, str) else f"query #{index}"
    return InputError(f"{label}, key {key!r}: {problem}", file=file)


def _query(item: Any, index: int, file: str) -> MetricQuery:
    if not isinstance(item, dict):
        raise InputError(f"query #{index} is not a table", file=file)
    name = item.get("name")
    known = settings.REQUIRED_KEYS + settings.OPTIONAL_KEYS
    for key in item:
        if key not in known:
            raise _fail(file, index, name, key, f"unknown key; keys are {', '.join(known)}")
    for key in settings.REQUIRED_KEYS:
        if key not in item:
            raise _fail(file, index, name, key, "missing (required)")
    try:
        values = {key: _checked(key, value) for key, value in item.items()}
    except _Bad as exc:
        raise _fail(file, index, name, exc.key, str(exc)) from None
    problem = _cross_check(values)
    if problem:
        raise _fail(file, index, name, problem[0], problem[1])
    return MetricQuery(**values)


class _Bad(Exception):
    def __init__(self, key: str, problem: str) -> None:
        super().__init__(problem)
        self.key = key


def _checked(key: str, value: Any) -> Any:
    """One key's value, checked alone; raises _Bad."""
    try:
        return _CHECKS[key](value)
    except (TypeError, ValueError) as exc:
        raise _Bad(key, str(exc)) from None


def _text(pattern: re.Pattern[str] | None = None, what: str = "") -> Any:
    def check(value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ValueError("must be a non-empty string")
        if pattern is not None and not pattern.match(value):
            raise ValueError(f"{value!r} is not {what}")
        return value

    return check


def _statistic(value: Any) -> str:
    value = _text()(value)
    if value not in settings.BASIC_STATISTICS and not _PERCENTILE.match(value):
        raise ValueError(
            f"{value!r} is not a statistic; use {', '.join(settings.BASIC_STATISTICS)} or pNN"
        )
    return str(value)


def _period(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be a whole number of seconds")
    if value not in settings.HIGH_RESOLUTION_PERIODS and (value <= 0 or value % 60):
        raise ValueError(f"{value} s: CloudWatch periods are 1, 5, 10, 30 or a multiple of 60")
    return value


def _dimensions(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in value.items()
    ):
        raise ValueError('must be a table of strings, e.g. { LoadBalancer = "app/web/123" }')
    if len(value) > 30:
        raise ValueError("CloudWatch allows at most 30 dimensions")
    return dict(value)


def _choice(options: Sequence[str]) -> Any:
    def check(value: Any) -> str:
        if value not in options:
            raise ValueError(f"{value!r} is not one of {', '.join(options)}")
        return str(value)

    return check


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError("must be a finite number")
    return float(value)


def _scale(value: Any) -> float:
    number = _number(value)
    if number == 0:
        raise ValueError("must not be 0")
    return number


_CHECKS: dict[str, Any] = {
    "name": _text(_NAME, "letters, digits, '_', '-' or '.'"),
    "namespace": _text(),
    "metric": _text(),
    "statistic": _statistic,
    "period": _period,
    "capcost_metric": _text(_METRIC_NAME, "a lower_snake_case metric name"),
    "unit": _text(),
    "dimensions": _dimensions,
    "derive": _choice(settings.DERIVE_RULES),
    "scale": _scale,
    "peak_metric": _text(_METRIC_NAME, "a lower_snake_case metric name"),
    "fill_missing": _number,
}


def _cross_check(values: dict[str, Any]) -> tuple[str, str] | None:
    if (
        values.get("derive") == "per_second"
        and values["statistic"] not in settings.COUNT_STATISTICS
    ):
        return "derive", "per_second divides a count by the period: use statistic Sum"
    if values.get("peak_metric") == values["capcost_metric"]:
        return "peak_metric", "must differ from capcost_metric"
    return None


def _check_unique(queries: list[MetricQuery], file: str) -> None:
    names: dict[str, int] = {}
    stored: dict[tuple[str, str], str] = {}
    for index, q in enumerate(queries, start=1):
        if q.name in names:
            raise _fail(file, index, q.name, "name", f"repeats query #{names[q.name]}")
        names[q.name] = index
        dims = repr(sorted(q.dimensions.items()))
        for metric in filter(None, (q.capcost_metric, q.peak_metric)):
            other = stored.get((metric, dims))
            if other is not None:
                raise _fail(
                    file,
                    index,
                    q.name,
                    "capcost_metric",
                    f"query {other!r} already stores {metric!r} with these dimensions",
                )
            stored[(metric, dims)] = q.name


def check_units(queries: list[MetricQuery], stored_units: dict[str, str], file: str) -> None:
    """A metric keeps one unit forever: refuse a query that would store another."""
    for index, q in enumerate(queries, start=1):
        for metric in filter(None, (q.capcost_metric, q.peak_metric)):
            unit = stored_units.get(metric)
            if unit is not None and unit != q.unit:
                raise _fail(
                    file, index, q.name, "unit", f"{metric!r} is stored in {unit!r}, not {q.unit!r}"
                )


def check_resolution(queries: list[MetricQuery], start: datetime, now: datetime, file: str) -> None:
    """Refuse periods CloudWatch no longer keeps for the window's start (it would return
    nothing, silently)."""
    age = now - start
    if age > settings.RETENTION_LIMIT:
        raise InputError(
            f"CloudWatch keeps datapoints for 15 months; {start:%Y-%m-%d} is older",
            parameter="--start",
        )
    need = max((multiple for older, multiple in settings.RETENTION_TIERS if age > older), default=1)
    for index, q in enumerate(queries, start=1):
        if q.period % need:
            raise _fail(
                file,
                index,
                q.name,
                "period",
                f"{q.period} s is not kept for data from {age.days} days ago; CloudWatch "
                f"keeps only multiples of {need} s that far back (or use a later --start)",
            )


# -- API shapes and results -----------------------------------------------------------------
def batches(
    queries: Sequence[MetricQuery], size: int = settings.MAX_QUERIES_PER_CALL
) -> Iterator[list[MetricQuery]]:
    for lo in range(0, len(queries), size):
        yield list(queries[lo : lo + size])


def data_queries(batch: Sequence[MetricQuery]) -> list[dict[str, Any]]:
    """MetricDataQueries for one call; ids ``q0..`` map results back to queries."""
    return [
        {
            "Id": f"q{i}",
            "Label": q.name,
            "ReturnData": True,
            "MetricStat": {
                "Metric": {
                    "Namespace": q.namespace,
                    "MetricName": q.metric,
                    "Dimensions": [
                        {"Name": k, "Value": v} for k, v in sorted(q.dimensions.items())
                    ],
                },
                "Period": q.period,
                "Stat": q.statistic,
            },
        }
        for i, q in enumerate(batch)
    ]


def naive_utc(ts: datetime) -> datetime:
    return ts.astimezone(UTC).replace(tzinfo=None) if ts.tzinfo else ts


def derived_points(
    q: MetricQuery, points: dict[datetime, float], start: datetime
) -> list[tuple[datetime, float]]:
    """Each period's derived value, with missing periods filled up to the last datapoint.

    Filling stops at the last datapoint CloudWatch returned: later periods may simply not
    have arrived yet, and counting them as zero would understate today.
    """
    filled = dict(points)
    if q.fill_missing is not None and points:
        step = timedelta(seconds=q.period)
        ts, last = start, max(points)
        while ts <= last:
            filled.setdefault(ts, q.fill_missing)
            ts += step
    return [(ts, q.transform(v)) for ts, v in sorted(filled.items())]


def daily_peaks(points: list[tuple[datetime, float]]) -> list[tuple[datetime, float]]:
    """Each UTC day's maximum, stamped at midnight."""
    peaks: dict[datetime, float] = {}
    for ts, value in points:
        day = datetime(ts.year, ts.month, ts.day)
        peaks[day] = max(value, peaks.get(day, value))
    return sorted(peaks.items())
