"""Cost Explorer source: cost by day (or month), service and account, pulled incrementally.

Each CE metric fills one FOCUS cost column (``settings.METRIC_COLUMNS``); columns CE cannot
provide (ListCost, ServiceCategory, ChargeCategory, PricingCategory, resource and SKU
columns) stay null and the run's parameters list them. The rollup then reads effective cost
as ``coalesce(EffectiveCost, BilledCost)`` and list cost as ``coalesce(ListCost,
EffectiveCost, BilledCost)``: list-basis views of CE data show effective cost.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from forecasting.errors import CapcostError
from forecasting.ingest.aws import api_errors, retries_of
from forecasting.ingest.cost_explorer import settings
from forecasting.ingest.cost_explorer.helpers import (
    CostExplorerQuery,
    account_names,
    default_end,
    first_estimated,
    next_watermark,
    page_rows,
    resolve_window,
    to_table,
)
from forecasting.interface import IngestResult

if TYPE_CHECKING:
    import pyarrow as pa

    from forecasting.ingest.progress import ProgressCallback
    from forecasting.store import Store

__all__ = ["CostExplorerQuery", "Pull", "fetch", "load", "source_name"]


@dataclass(frozen=True)
class Pull:
    """What one pull fetched, and what it cost."""

    table: pa.Table
    requests: int
    """API requests that returned a page: CE bills each at ``PRICE_PER_REQUEST_USD``."""
    retries: int
    """Throttled or failed attempts botocore retried before those pages."""
    first_estimated: date | None
    """Start of the first period CE flagged as an estimate, if any."""


def source_name(account: str | None) -> str:
    """One source per AWS account, so that two payers never replace each other's rows."""
    return f"{settings.SOURCE}:{account}" if account else settings.SOURCE


def fetch(
    client: Any,
    query: CostExplorerQuery,
    start: date,
    end: date,
    progress: Callable[[float, str], None] | None = None,
) -> Pull:
    """Every page of ``get_cost_and_usage`` for ``[start, end)``, following NextPageToken."""
    request: dict[str, Any] = {
        "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
        "Granularity": query.granularity,
        "Metrics": list(query.metrics),
        "GroupBy": [{"Type": "DIMENSION", "Key": key} for key in query.group_by],
    }
    rows: list[dict[str, Any]] = []
    names: dict[str, str] = {}
    requests = retries = 0
    estimated: list[date] = []
    token: str | None = None
    seen: set[str] = set()
    while True:
        with api_errors("Cost Explorer", f"after {requests} successful requests"):
            page = client.get_cost_and_usage(
                **request, **({"NextPageToken": token} if token else {})
            )
        requests += 1
        retries += retries_of(page)
        rows += page_rows(page, query)
        names |= account_names(page)
        if (first := first_estimated(page)) is not None:
            estimated.append(first)
        if progress is not None:
            # Pages come in time order, so the last period reached measures progress.
            reached = max(
                (r["TimePeriod"]["End"] for r in page.get("ResultsByTime", [])),
                default=start.isoformat(),
            )
            done = (date.fromisoformat(reached) - start) / (end - start)
            progress(done, f"{requests} requests, through {reached}")
        token = page.get("NextPageToken") or None
        if token is None:
            break
        if token in seen:
            raise CapcostError(f"Cost Explorer repeated the page token {token!r}: stopping")
        seen.add(token)
    return Pull(to_table(rows, names), requests, retries, min(estimated, default=None))


def load(
    store: Store,
    client: Any,
    query: CostExplorerQuery | None = None,
    *,
    start: date | None = None,
    end: date | None = None,
    account: str | None = None,
    today: date | None = None,
    trailing_days: int = settings.TRAILING_DAYS,
    progress: ProgressCallback | None = None,
) -> IngestResult:
    """Pull ``[start, end)`` (end exclusive) from Cost Explorer into the store in one run.

    Without ``start`` the pull resumes ``trailing_days`` before the last run's watermark.
    The run replaces this source's rows charged in the window, so re-running never
    duplicates; any failure (API, data, store) leaves the database as it was (the run log
    records it). ``progress`` gets (fraction, message) as pages arrive.
    """
    query = query or CostExplorerQuery()
    source = source_name(account)
    today = today or datetime.now(UTC).date()
    previous = _as_date(store.last_watermark(source))
    lo, hi = resolve_window(
        query.granularity,
        start=start,
        end=end or default_end(query.granularity, today),
        watermark=previous,
        monthly_windows=_monthly_windows(store, source),
        trailing_days=trailing_days,
    )
    from forecasting.ingest.progress import Reporter

    with (
        Reporter(f"Cost Explorer {lo} to {hi}", progress) as reporter,
        store.ingest_run(source, _parameters(query, lo, hi, start)) as run,
    ):
        pull = fetch(client, query, lo, hi, reporter.update)
        store.replace_cost_window(run, pull.table, start=lo, end=hi)
        watermark = next_watermark(hi, pull.first_estimated, previous)
        run.watermark = watermark.isoformat()
        run.detail = {
            "api_requests": pull.requests,
            "retried_attempts": pull.retries,
            "api_cost_usd": str(pull.requests * settings.PRICE_PER_REQUEST_USD),
            "start": lo.isoformat(),
            "end_exclusive": hi.isoformat(),
            "first_estimated_period": _iso(pull.first_estimated),
            "watermark": run.watermark,
        }
    return IngestResult(run.run_id, source, run.rows, "succeeded", dict(run.detail))


def _parameters(
    query: CostExplorerQuery, lo: date, hi: date, requested: date | None
) -> dict[str, Any]:
    return {
        "granularity": query.granularity,
        "metrics": list(query.metrics),
        "group_by": list(query.group_by),
        "start": lo.isoformat(),
        "end_exclusive": hi.isoformat(),
        "incremental": requested is None,
        "metric_columns": query.column_of(),
        "null_columns": query.null_columns(),
        "note": "Cost Explorer cannot fill the null_columns; they stay null. The rollup "
        "reads ListCost as EffectiveCost (then BilledCost) where ListCost is null.",
    }


def _monthly_windows(store: Store, source: str) -> list[tuple[date, date]]:
    """Windows of earlier MONTHLY pulls: their rows span whole months."""
    windows = []
    for run in store.runs(source, limit=100_000):
        params = run["parameters"]
        params = json.loads(params) if isinstance(params, str) else params or {}
        if run["status"] == "succeeded" and params.get("granularity") == "MONTHLY":
            windows.append(
                (date.fromisoformat(params["start"]), date.fromisoformat(params["end_exclusive"]))
            )
    return windows


def _as_date(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()
