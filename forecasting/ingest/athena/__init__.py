"""Athena source: Athena sums a CUR 2.0 table per day; only that rollup is ingested as FOCUS rows.

For a CUR too large for one machine, Athena sums it to one row per day, billing period,
payer account, usage account, service, charge category and pricing category, and only that
rollup is downloaded. The FOCUS cost columns come from the same rules the file ingest uses
(``data/focus/cur_to_focus.toml``: BilledCost, EffectiveCost, ListCost, ChargeCategory,
PricingCategory), so both paths agree to the cent; ServiceCategory is looked up from the
product code as the file ingest does. A run replaces the billing periods it returns for
that payer account, whichever source stored them before. Columns the rollup sums away stay
null: resource, SKU, region, tags (so tag-based cost group rules do not match these rows).

The query sent for ``--database cur --table cur2 --start 2025-01-01 --end 2025-03-31``
(the two ``?`` are ExecutionParameters ``'2025-01-01 00:00:00'`` and
``'2025-04-01 00:00:00'``; without --start/--end there is no WHERE clause)::

    -- capcost ingest athena: one row per day, account, service, charge and pricing category
    WITH cur AS (
        SELECT
            bill_billing_period_end_date,
            bill_billing_period_start_date,
            nullif(bill_payer_account_id, '') AS bill_payer_account_id,
            nullif(bill_payer_account_name, '') AS bill_payer_account_name,
            nullif(line_item_currency_code, '') AS line_item_currency_code,
            nullif(line_item_line_item_type, '') AS line_item_line_item_type,
            CAST(line_item_net_unblended_cost AS DECIMAL(38, 12)) AS line_item_net_unblended_cost,
            nullif(line_item_product_code, '') AS line_item_product_code,
            CAST(line_item_unblended_cost AS DECIMAL(38, 12)) AS line_item_unblended_cost,
            nullif(line_item_usage_account_id, '') AS line_item_usage_account_id,
            nullif(line_item_usage_account_name, '') AS line_item_usage_account_name,
            line_item_usage_amount,
            line_item_usage_end_date,
            line_item_usage_start_date,
            nullif(line_item_usage_type, '') AS line_item_usage_type,
            CAST(pricing_public_on_demand_cost AS DECIMAL(38, 12)) AS pricing_public_on_demand_cost,
            TRY_CAST(nullif(pricing_public_on_demand_rate, '') AS DECIMAL(38, 12)) AS pricing_public_on_demand_rate,
            nullif(element_at(product, 'product_name'), '') AS product_product_name,
            CAST(reservation_effective_cost AS DECIMAL(38, 12)) AS reservation_effective_cost,
            nullif(reservation_reservation_a_r_n, '') AS reservation_reservation_a_r_n,
            CAST(reservation_unused_amortized_upfront_fee_for_billing_period AS DECIMAL(38, 12)) AS reservation_unused_amortized_upfront_fee_for_billing_period,
            CAST(reservation_unused_recurring_fee AS DECIMAL(38, 12)) AS reservation_unused_recurring_fee,
            CAST(savings_plan_savings_plan_effective_cost AS DECIMAL(38, 12)) AS savings_plan_savings_plan_effective_cost,
            CAST(savings_plan_total_commitment_to_date AS DECIMAL(38, 12)) AS savings_plan_total_commitment_to_date,
            CAST(savings_plan_used_commitment AS DECIMAL(38, 12)) AS savings_plan_used_commitment
        FROM "cur"."cur2"
        WHERE bill_billing_period_start_date >= CAST(? AS TIMESTAMP)
          AND bill_billing_period_start_date < CAST(? AS TIMESTAMP)
    ), lines AS (
        SELECT
            CAST(line_item_usage_start_date AS DATE) AS charge_day,
            line_item_usage_end_date,
            bill_billing_period_start_date,
            bill_billing_period_end_date,
            bill_payer_account_id,
            bill_payer_account_name,
            line_item_usage_account_id,
            line_item_usage_account_name,
            line_item_product_code,
            coalesce(product_product_name, line_item_product_code) AS service_name,
            CASE WHEN line_item_line_item_type = 'Tax' THEN 'Tax'
        WHEN line_item_line_item_type IN ('Fee', 'RIFee', 'SavingsPlanUpfrontFee', 'SavingsPlanRecurringFee') THEN 'Purchase'
        WHEN line_item_line_item_type IN ('Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage', 'SavingsPlanNegation',
            'BundledDiscount', 'Discount', 'PrivateRateDiscount', 'EdpDiscount') THEN 'Usage'
        WHEN line_item_line_item_type = 'Credit' THEN 'Credit'
        WHEN line_item_line_item_type = 'Refund' THEN 'Adjustment' END AS charge_category,
            CASE WHEN line_item_line_item_type IN ('DiscountedUsage', 'SavingsPlanCoveredUsage') THEN 'Committed'
        WHEN line_item_usage_type LIKE '%SpotUsage%' THEN 'Dynamic'
        WHEN line_item_line_item_type = 'Usage' THEN 'Standard' END AS pricing_category,
            line_item_currency_code,
            CAST(coalesce(line_item_net_unblended_cost, line_item_unblended_cost) AS DECIMAL(38, 12)) AS billed_line,
            CAST(CASE line_item_line_item_type
        WHEN 'SavingsPlanCoveredUsage' THEN savings_plan_savings_plan_effective_cost
        WHEN 'SavingsPlanRecurringFee' THEN savings_plan_total_commitment_to_date - savings_plan_used_commitment
        WHEN 'SavingsPlanNegation' THEN 0
        WHEN 'SavingsPlanUpfrontFee' THEN 0
        WHEN 'DiscountedUsage' THEN reservation_effective_cost
        WHEN 'RIFee' THEN coalesce(reservation_unused_amortized_upfront_fee_for_billing_period, 0) + coalesce(reservation_unused_recurring_fee, 0)
        WHEN 'Fee' THEN CASE WHEN reservation_reservation_a_r_n IS NOT NULL THEN 0
                             ELSE coalesce(line_item_net_unblended_cost, line_item_unblended_cost) END
        ELSE coalesce(line_item_net_unblended_cost, line_item_unblended_cost) END AS DECIMAL(38, 12)) AS effective_line,
            CAST(coalesce(pricing_public_on_demand_cost, pricing_public_on_demand_rate * line_item_usage_amount) AS DECIMAL(38, 12)) AS list_line
        FROM cur
    )
    SELECT
        charge_day,
        max(line_item_usage_end_date) AS charge_period_end,
        bill_billing_period_start_date AS billing_period_start,
        max(bill_billing_period_end_date) AS billing_period_end,
        bill_payer_account_id AS billing_account_id,
        arbitrary(bill_payer_account_name) AS billing_account_name,
        line_item_usage_account_id AS sub_account_id,
        arbitrary(line_item_usage_account_name) AS sub_account_name,
        line_item_product_code AS product_code,
        service_name,
        charge_category,
        pricing_category,
        line_item_currency_code AS billing_currency,
        sum(billed_line) AS billed_cost,
        sum(coalesce(effective_line, billed_line)) AS effective_cost,
        sum(coalesce(list_line, effective_line, billed_line)) AS list_cost,
        count(*) AS line_items
    FROM lines
    GROUP BY 1, 3, 5, 7, 9, 10, 11, 12, 13

(``tests/ingest/test_athena.py`` checks that this text is what ``rollup_query`` builds.)
"""

# ruff: noqa: E501  (the docstring quotes the SQL sent to Athena line for line)
from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from forecasting.errors import CapcostError
from forecasting.ingest.athena import settings
from forecasting.ingest.athena.helpers import (
    output_location,
    result_rows,
    rollup_query,
    to_table,
)
from forecasting.ingest.aws import api_errors
from forecasting.interface import IngestResult

if TYPE_CHECKING:
    import pyarrow as pa

    from forecasting.ingest.progress import ProgressCallback
    from forecasting.store import Store

__all__ = ["AthenaQuery", "Rollup", "load", "query_rollup", "record_failure", "rollup_query"]


@dataclass(frozen=True)
class AthenaQuery:
    """Where the CUR 2.0 table is and where Athena writes its results."""

    database: str
    table: str
    output: str
    """s3://bucket/prefix/ for Athena's result files."""
    workgroup: str = "primary"
    start: date | None = None
    """Keep billing periods starting on or after this day."""
    end: date | None = None
    """Keep billing periods starting on or before this day."""

    def parameters(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "table": self.table,
            "workgroup": self.workgroup,
            "output": self.output,
            "start": None if self.start is None else self.start.isoformat(),
            "end": None if self.end is None else self.end.isoformat(),
        }


@dataclass(frozen=True)
class Rollup:
    """What the Athena query returned, and what it cost."""

    table: pa.Table
    sql: str
    execution_parameters: list[str]
    execution_id: str
    scanned_bytes: int
    cur_line_items: int
    """CUR line items the rollup rows sum."""
    api_requests: int


def query_rollup(
    client: Any,
    query: AthenaQuery,
    *,
    progress: ProgressCallback | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Rollup:
    """Run the rollup query in Athena, wait for it with backoff, and read every result page.

    Touches no database, so a long query never holds the store's lock.
    """
    from forecasting.ingest.focus.settings import service_categories

    report = progress or (lambda fraction, message: None)
    sql, params = rollup_query(query.database, query.table, start=query.start, end=query.end)
    request: dict[str, Any] = {
        "QueryString": sql,
        "QueryExecutionContext": {"Database": query.database},
        "ResultConfiguration": {"OutputLocation": output_location(query.output)},
        "WorkGroup": query.workgroup,
    }
    if params:
        request["ExecutionParameters"] = params
    with api_errors("Athena"):
        execution_id = client.start_query_execution(**request)["QueryExecutionId"]
    report(0.05, f"query {execution_id} started")
    try:
        execution, polls = _wait(client, execution_id, report, sleep, clock)
    except BaseException:
        # Interrupted or timed out: stop the query so it does not keep scanning (and billing).
        with suppress(Exception):
            client.stop_query_execution(QueryExecutionId=execution_id)
        raise
    header, rows, pages = _results(client, execution_id, report)
    focus_rows, line_items = result_rows(header, rows, service_categories())
    return Rollup(
        table=to_table(focus_rows),
        sql=sql,
        execution_parameters=params,
        execution_id=execution_id,
        scanned_bytes=int(execution.get("Statistics", {}).get("DataScannedInBytes", 0)),
        cur_line_items=line_items,
        api_requests=1 + polls + pages,
    )


def _wait(
    client: Any,
    execution_id: str,
    report: Callable[[float, str], None],
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> tuple[dict[str, Any], int]:
    deadline = clock() + settings.QUERY_TIMEOUT_S
    delay, polls = settings.POLL_FIRST_S, 0
    while True:
        with api_errors("Athena", f"query {execution_id}"):
            execution = client.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
        polls += 1
        status = execution.get("Status", {})
        state = status.get("State")
        if state == "SUCCEEDED":
            return execution, polls
        if state in ("FAILED", "CANCELLED"):
            reason = status.get("StateChangeReason") or status.get("AthenaError", {}).get(
                "ErrorMessage", "no reason given"
            )
            raise CapcostError(f"Athena query {execution_id} {state}: {reason}")
        if clock() + delay > deadline:
            raise CapcostError(
                f"Athena query {execution_id} still {state} after "
                f"{settings.QUERY_TIMEOUT_S:.0f} s: stopped"
            )
        report(0.1, f"query {execution_id} {state}")
        sleep(delay)
        delay = min(delay * 2, settings.POLL_MAX_S)


def _results(
    client: Any, execution_id: str, report: Callable[[float, str], None]
) -> tuple[list[str], list[list[str | None]], int]:
    """Header and data rows of every page (the first row of the first page is the header)."""
    paginator = client.get_paginator("get_query_results")
    rows: list[list[str | None]] = []
    pages = 0
    with api_errors("Athena", f"query {execution_id} results"):
        for page in paginator.paginate(
            QueryExecutionId=execution_id,
            PaginationConfig={"PageSize": settings.RESULT_PAGE_SIZE},
        ):
            pages += 1
            for row in page.get("ResultSet", {}).get("Rows", []):
                rows.append([cell.get("VarCharValue") for cell in row.get("Data", [])])
            # The number of pages is unknown up front: creep towards the end.
            report(0.5 + 0.45 * (1 - 0.8**pages), f"{len(rows):,} result rows")
    if not rows:
        raise CapcostError(f"Athena query {execution_id} returned no header row")
    return [str(c) for c in rows[0]], rows[1:], pages


def run_parameters(query: AthenaQuery, rollup: Rollup | None = None) -> dict[str, Any]:
    """What the run log keeps: the arguments and, once known, the exact query sent."""
    params = query.parameters()
    if rollup is not None:
        params |= {
            "query": rollup.sql,
            "execution_parameters": rollup.execution_parameters,
            "execution_id": rollup.execution_id,
            "null_columns": [
                "RegionId",
                "ResourceId",
                "ResourceName",
                "ResourceType",
                "SkuId",
                "Tags",
                "PublisherName",
                "InvoiceIssuerName",
                "ChargeClass",
                "ConsumedQuantity",
                "PricingQuantity",
                "CommitmentDiscountId",
            ],
        }
    return params


def load(store: Store, query: AthenaQuery, rollup: Rollup) -> IngestResult:
    """Write the rollup in one run, replacing the billing periods it holds (per payer)."""
    with store.ingest_run(settings.SOURCE, run_parameters(query, rollup)) as run:
        store.replace_cost_periods(run, rollup.table)
        scanned = max(rollup.scanned_bytes, settings.MIN_SCANNED_BYTES)
        run.detail = {
            "api_requests": rollup.api_requests,
            "scanned_bytes": rollup.scanned_bytes,
            "athena_cost_usd": str(
                (Decimal(scanned) / Decimal(10**12) * settings.PRICE_PER_TB_USD).quantize(
                    Decimal("0.0001")
                )
            ),
            "cur_line_items": rollup.cur_line_items,
            "execution_id": rollup.execution_id,
        }
    return IngestResult(run.run_id, settings.SOURCE, run.rows, "succeeded", dict(run.detail))


def record_failure(store: Store, query: AthenaQuery, error: BaseException) -> None:
    """Log a run that failed before it reached the database (the query itself failed)."""
    with suppress(type(error)), store.ingest_run(settings.SOURCE, run_parameters(query)):
        raise error
