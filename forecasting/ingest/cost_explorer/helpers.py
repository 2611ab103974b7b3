"""Pure Cost Explorer logic: query validation, pull windows, and CE results -> FOCUS cost rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from forecasting.errors import CapcostError, InputError
from forecasting.ingest.cost_explorer import settings

if TYPE_CHECKING:
    import pyarrow as pa

_QUANTUM = Decimal("1e-12")  # the store's DECIMAL(38, 12); CE amounts carry at most 10 places

# Columns of the rows we hand the store (it adds x_source and x_run_id); the rest stay null.
_TIMESTAMPS = ("ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart", "BillingPeriodEnd")
_MONEY = ("BilledCost", "EffectiveCost")
_TEXT = (
    "BillingCurrency",
    "ProviderName",
    "ServiceName",
    "SubAccountId",
    "SubAccountName",
    "RegionId",
)


@dataclass(frozen=True)
class CostExplorerQuery:
    """What one pull asks Cost Explorer for (validated on construction)."""

    granularity: str = "DAILY"
    """DAILY or MONTHLY: the length of each ``ResultsByTime`` period."""
    metrics: tuple[str, ...] = settings.DEFAULT_METRICS
    """CE cost metrics; each fills one FOCUS cost column (``settings.METRIC_COLUMNS``)."""
    group_by: tuple[str, ...] = settings.DEFAULT_GROUP_BY
    """CE dimensions to split by (``settings.GROUP_COLUMNS``), at most two."""

    def __post_init__(self) -> None:
        if self.granularity not in settings.GRANULARITIES:
            raise InputError(
                f"unknown granularity {self.granularity!r}. Try: "
                + ", ".join(settings.GRANULARITIES),
                parameter="--granularity",
            )
        _check_metrics(self.metrics)
        _check_group_by(self.group_by)

    def column_of(self) -> dict[str, str]:
        """CE metric -> the FOCUS column it fills."""
        return {m: settings.METRIC_COLUMNS[m] for m in self.metrics}

    def filled_columns(self) -> list[str]:
        """The FOCUS columns (of ``settings.FOCUS_COST_COLUMNS``) this query fills."""
        filled = set(self.column_of().values()) | {settings.GROUP_COLUMNS[g] for g in self.group_by}
        if "LINKED_ACCOUNT" in self.group_by:
            filled.add("SubAccountName")
        return [c for c in settings.FOCUS_COST_COLUMNS if c in filled]

    def null_columns(self) -> list[str]:
        filled = set(self.filled_columns())
        return [c for c in settings.FOCUS_COST_COLUMNS if c not in filled]


def _check_metrics(metrics: tuple[str, ...]) -> None:
    valid = ", ".join(settings.METRIC_COLUMNS)
    if not metrics:
        raise InputError(f"give at least one metric. Try: {valid}", parameter="--metric")
    columns: dict[str, str] = {}
    for metric in metrics:
        column = settings.METRIC_COLUMNS.get(metric)
        if column is None:
            raise InputError(f"unknown metric {metric!r}. Try: {valid}", parameter="--metric")
        if column in columns:
            raise InputError(
                f"{columns[column]} and {metric} both fill FOCUS {column}: choose one",
                parameter="--metric",
            )
        columns[column] = metric
    if "BilledCost" not in columns:
        # FOCUS requires BilledCost (the invoice basis); asking CE for one more metric in the
        # same request costs nothing, so we require it rather than invent a value.
        raise InputError(
            "FOCUS BilledCost is required: add UnblendedCost (or NetUnblendedCost, BlendedCost); "
            "CE charges per request, not per metric",
            parameter="--metric",
        )


def _check_group_by(group_by: tuple[str, ...]) -> None:
    for key in group_by:
        if key not in settings.GROUP_COLUMNS:
            raise InputError(
                f"unknown group-by dimension {key!r}. Try: {', '.join(settings.GROUP_COLUMNS)}",
                parameter="--group-by",
            )
    if len(set(group_by)) != len(group_by):
        raise InputError("a group-by dimension is repeated", parameter="--group-by")
    if len(group_by) > settings.MAX_GROUP_BY:
        raise InputError(
            f"Cost Explorer groups by at most {settings.MAX_GROUP_BY} dimensions",
            parameter="--group-by",
        )


def split_list(text: str | None, default: tuple[str, ...]) -> tuple[str, ...]:
    """``"A, b"`` -> ``("A", "B")``; None -> the default; ``""`` -> nothing."""
    if text is None:
        return default
    return tuple(part.strip().upper() for part in text.split(",") if part.strip())


def normalise_metric(name: str) -> str:
    """Accept CE metric names in any case (``amortizedcost`` -> ``AmortizedCost``)."""
    by_lower = {m.lower(): m for m in settings.METRIC_COLUMNS}
    return by_lower.get(name.lower(), name)


# -- windows ------------------------------------------------------------------------------
def first_of_month(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def default_end(granularity: str, today: date) -> date:
    """Exclusive end when --end is not given: through yesterday, or the last whole month."""
    return first_of_month(today) if granularity == "MONTHLY" else today


def resolve_window(
    granularity: str,
    *,
    start: date | None,
    end: date,
    watermark: date | None,
    monthly_windows: list[tuple[date, date]],
    trailing_days: int = settings.TRAILING_DAYS,
) -> tuple[date, date]:
    """The ``[start, end)`` to pull.

    An explicit start wins; without one the pull resumes ``trailing_days`` before the
    watermark (CE restates recent days). MONTHLY pulls whole months only, and a DAILY
    window is widened to whole months where a MONTHLY pull stored rows, so that no stored
    row straddles the window edge (which would double count or drop days).
    """
    if start is None:
        if watermark is None:
            raise InputError(
                "no earlier Cost Explorer run for this account: give --start", parameter="--start"
            )
        start = watermark - timedelta(days=trailing_days)
        if granularity == "MONTHLY":
            start = first_of_month(start)
    if granularity == "MONTHLY":
        if start.day != 1:
            raise InputError(
                "MONTHLY pulls whole months: start on the first day of a month",
                parameter="--start",
            )
        if end.day != 1:
            raise InputError(
                "MONTHLY pulls whole months: end on the last day of a month", parameter="--end"
            )
    else:
        start, end = _widen(start, end, monthly_windows)
    if start >= end:
        raise InputError(
            f"nothing to pull: the window {start} to {end} is empty", parameter="--end"
        )
    return start, end


def _widen(start: date, end: date, monthly: list[tuple[date, date]]) -> tuple[date, date]:
    if any(lo < start < hi for lo, hi in monthly):
        start = first_of_month(start)
    if any(lo < end < hi for lo, hi in monthly):
        end = next_month(end - timedelta(days=1)) if end.day != 1 else end
    return start, end


def next_watermark(end: date, first_estimated: date | None, previous: date | None) -> date:
    """Where the next incremental run resumes (before its trailing window).

    CE flags periods whose figures are still estimates (the open month): resume at the
    first of them so they are pulled again until final. A backfill that ends before the
    previous watermark leaves it where it was.
    """
    resume = min(end, first_estimated) if first_estimated else end
    if previous is not None and end < previous:
        return previous
    return resume


# -- results -> rows ---------------------------------------------------------------------
def page_rows(page: dict[str, Any], query: CostExplorerQuery) -> list[dict[str, Any]]:
    """FOCUS cost rows of one ``get_cost_and_usage`` response page."""
    rows: list[dict[str, Any]] = []
    for result in page.get("ResultsByTime", []):
        lo = date.fromisoformat(result["TimePeriod"]["Start"])
        hi = date.fromisoformat(result["TimePeriod"]["End"])
        if query.group_by:
            groups = result.get("Groups", [])
        else:
            groups = [{"Keys": [], "Metrics": result.get("Total", {})}]
        for group in groups:
            row = _period_columns(lo, hi)
            keys = group.get("Keys", [])
            if len(keys) != len(query.group_by):
                raise CapcostError(
                    f"Cost Explorer returned keys {keys} for group-by {list(query.group_by)}"
                )
            for dimension, key in zip(query.group_by, keys, strict=True):
                row[settings.GROUP_COLUMNS[dimension]] = key
            row.update(_amounts(group.get("Metrics", {}), query, f"{lo} {keys}"))
            rows.append(row)
    return rows


def _period_columns(lo: date, hi: date) -> dict[str, Any]:
    month = first_of_month(lo)
    return {
        "ChargePeriodStart": datetime(lo.year, lo.month, lo.day),
        "ChargePeriodEnd": datetime(hi.year, hi.month, hi.day),
        "BillingPeriodStart": datetime(month.year, month.month, 1),
        "BillingPeriodEnd": datetime.combine(next_month(month), datetime.min.time()),
        "ProviderName": settings.PROVIDER_NAME,
    }


def _amounts(metrics: dict[str, Any], query: CostExplorerQuery, where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    currencies = set()
    for metric, column in query.column_of().items():
        value = metrics.get(metric)
        if value is None:
            raise CapcostError(f"Cost Explorer returned no {metric} for {where}")
        try:
            out[column] = Decimal(value["Amount"]).quantize(_QUANTUM)
        except (InvalidOperation, KeyError, TypeError):
            raise CapcostError(
                f"Cost Explorer returned {metric} {value!r} for {where}: not an amount"
            ) from None
        currencies.add(value.get("Unit"))
    if len(currencies) != 1:
        raise CapcostError(
            f"Cost Explorer returned currencies {sorted(map(str, currencies))} for {where}: "
            "capcost never adds different currencies"
        )
    from forecasting.ingest.currency import check_currency_codes  # lazily: it loads duckdb

    currency = currencies.pop()
    check_currency_codes([currency], where=f"Cost Explorer {where}")
    out["BillingCurrency"] = currency
    return out


def account_names(page: dict[str, Any]) -> dict[str, str]:
    """Linked account id -> name, from a page's ``DimensionValueAttributes``."""
    names = {}
    for item in page.get("DimensionValueAttributes", []):
        name = item.get("Attributes", {}).get("description")
        if name:
            names[item["Value"]] = name
    return names


def first_estimated(page: dict[str, Any]) -> date | None:
    starts = [
        date.fromisoformat(r["TimePeriod"]["Start"])
        for r in page.get("ResultsByTime", [])
        if r.get("Estimated")
    ]
    return min(starts, default=None)


def to_table(rows: list[dict[str, Any]], names: dict[str, str]) -> pa.Table:
    """Rows as an Arrow table typed like the store's columns (money stays DECIMAL)."""
    for row in rows:
        if row.get("SubAccountId") is not None:
            row["SubAccountName"] = names.get(row["SubAccountId"])
    import pyarrow as pa  # lazily: `capcost --help` must not pay for pyarrow

    schema = pa.schema(
        [(c, pa.timestamp("us")) for c in _TIMESTAMPS]
        + [(c, pa.decimal128(38, 12)) for c in _MONEY]
        + [(c, pa.string()) for c in _TEXT]
    )
    return pa.Table.from_pylist(rows, schema=schema)
