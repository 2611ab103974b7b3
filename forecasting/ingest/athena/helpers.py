"""Pure Athena logic: the daily rollup query over a CUR 2.0 table, and its results as FOCUS rows."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from forecasting.errors import CapcostError, InputError
from forecasting.ingest.athena import settings

if TYPE_CHECKING:
    import pyarrow as pa

    from forecasting.ingest.focus.settings import CurMapping

_IDENTIFIER = re.compile(r"^[A-Za-z0-9_]+$")  # Athena names: letters, digits, underscore
_CALL = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\s*\(")

# `{...}` fields are filled from validated identifiers, the projection built from the
# mapping's column names, and the mapping's rules; values travel as ExecutionParameters.
# Effective and list cost apply the store's per-line fallback (coalesce to BilledCost) before
# summing, exactly as cost_daily does for line items, so views agree with the file ingest.
_TEMPLATE = """\
-- capcost ingest athena: one row per day, account, service, charge and pricing category
WITH cur AS (
    SELECT
        {projection}
    FROM {source}{where}
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
        {ChargeCategory} AS charge_category,
        {PricingCategory} AS pricing_category,
        line_item_currency_code,
        CAST({BilledCost} AS DECIMAL(38, 12)) AS billed_line,
        CAST({EffectiveCost} AS DECIMAL(38, 12)) AS effective_line,
        CAST({ListCost} AS DECIMAL(38, 12)) AS list_line
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
"""


def identifier(name: str, parameter: str) -> str:
    if not _IDENTIFIER.match(name):
        raise InputError(
            f"{name!r} is not an Athena name (letters, digits and underscores only)",
            parameter=parameter,
        )
    return name


def output_location(url: str) -> str:
    if not url.startswith("s3://") or len(url) <= len("s3://") or url[5] == "/":
        raise InputError(f"not an s3://bucket/prefix URL: {url!r}", parameter="--output")
    return url if url.endswith("/") else url + "/"


def check_portable(column: str, sql: str) -> None:
    """Refuse a rule that calls SQL beyond what DuckDB and Athena share."""
    calls = {name.lower() for name in _CALL.findall(sql)} - settings.PORTABLE_CALLS
    if calls or "::" in sql or "->" in sql or re.search(r"\bselect\b", sql, re.IGNORECASE):
        raise CapcostError(
            f"the CUR mapping rule for {column} uses SQL that capcost does not send to Athena "
            f"({', '.join(sorted(calls)) or 'casts, JSON arrows or subqueries'}); see "
            "data/focus/cur_to_focus.toml"
        )


def _projection(column: str, sql_type: str) -> str:
    """How the CTE reads one CUR column so the rules see what the file ingest sees."""
    if column == "product_product_name":
        # CUR 2.0 keeps product attributes in a map; element_at is NULL for a missing key.
        return "nullif(element_at(product, 'product_name'), '') AS product_product_name"
    if sql_type.startswith("DECIMAL"):
        if column.endswith("_rate"):  # rates are strings in CUR 2.0
            return f"TRY_CAST(nullif({column}, '') AS DECIMAL(38, 12)) AS {column}"
        return f"CAST({column} AS DECIMAL(38, 12)) AS {column}"
    if sql_type == "VARCHAR":
        return f"nullif({column}, '') AS {column}"  # the file ingest reads '' as NULL too
    return column


def referenced(rules: Iterable[str], columns: Iterable[str]) -> set[str]:
    """The CUR columns that some rule names."""
    text = "\n".join(rules)
    return {c for c in columns if re.search(rf"\b{re.escape(c)}\b", text)}


def rollup_query(
    database: str,
    table: str,
    *,
    start: date | None = None,
    end: date | None = None,
    mapping: CurMapping | None = None,
) -> tuple[str, list[str]]:
    """The SQL sent to Athena and its ExecutionParameters.

    ``start``/``end`` (inclusive) keep billing periods that start between them.
    """
    if mapping is None:
        from forecasting.ingest.focus.settings import cur_mapping

        mapping = cur_mapping()
    rules = {column: mapping.rule(column).sql for column in settings.REUSED_RULES}
    for column, sql in rules.items():
        check_portable(column, sql)
    types = mapping.source_types
    needed = referenced(rules.values(), types) | set(settings.GROUPING_COLUMNS)
    projection = ",\n        ".join(_projection(c, types.get(c, "VARCHAR")) for c in sorted(needed))
    where, params = _period_filter(start, end)
    source = f'"{identifier(database, "--database")}"."{identifier(table, "--table")}"'
    sql = _TEMPLATE.format(projection=projection, source=source, where=where, **rules)
    return sql, params


def _period_filter(start: date | None, end: date | None) -> tuple[str, list[str]]:
    clauses, params = [], []
    if start is not None:
        clauses.append("bill_billing_period_start_date >= CAST(? AS TIMESTAMP)")
        params.append(f"'{start.isoformat()} 00:00:00'")  # a date object: no quoting risk
    if end is not None:
        clauses.append("bill_billing_period_start_date < CAST(? AS TIMESTAMP)")
        params.append(f"'{(end + timedelta(days=1)).isoformat()} 00:00:00'")
    if not clauses:
        return "", []
    return "\n    WHERE " + "\n      AND ".join(clauses), params


# -- results -> FOCUS rows ------------------------------------------------------------------
class BadValue(ValueError):
    """A result cell that cannot be read; carries its column."""

    def __init__(self, column: str, value: str | None) -> None:
        super().__init__(f"cannot read {value!r}")
        self.column = column


def _cell(values: Mapping[str, str | None], column: str, parse: Any, required: bool = False) -> Any:
    value = values.get(column)
    if value in (None, ""):
        if required:
            raise CapcostError(
                f"{column} is empty (a CUR line without it cannot be placed in time, billing "
                "period or currency)"
            )
        return None
    try:
        return parse(value)
    except (ValueError, InvalidOperation, TypeError):
        raise BadValue(column, value) from None


def _timestamp(value: str) -> datetime:
    # Athena prints timestamps as '2024-01-01 00:00:00.000' (with ' UTC' for zoned ones).
    return datetime.fromisoformat(value.removesuffix(" UTC"))


def _day(value: str) -> datetime:
    day = date.fromisoformat(value[:10])
    return datetime(day.year, day.month, day.day)


def focus_row(values: Mapping[str, str | None], categories: Mapping[str, str]) -> dict[str, Any]:
    """One result row as FOCUS columns (raises BadValue naming the column)."""
    start = _cell(values, "charge_day", _day, required=True)
    product = _cell(values, "product_code", str)
    text = {
        "BillingAccountId": "billing_account_id",
        "BillingAccountName": "billing_account_name",
        "ServiceName": "service_name",
        "SubAccountId": "sub_account_id",
        "SubAccountName": "sub_account_name",
        "PricingCategory": "pricing_category",
        "ChargeCategory": "charge_category",
    }
    return {
        "ChargePeriodStart": start,
        "ChargePeriodEnd": _cell(values, "charge_period_end", _timestamp)
        or start + timedelta(days=1),
        "BillingPeriodStart": _cell(values, "billing_period_start", _timestamp, required=True),
        "BillingPeriodEnd": _cell(values, "billing_period_end", _timestamp),
        "BillingCurrency": _cell(values, "billing_currency", str, required=True),
        "BilledCost": _cell(values, "billed_cost", Decimal, required=True),
        "EffectiveCost": _cell(values, "effective_cost", Decimal),
        "ListCost": _cell(values, "list_cost", Decimal),
        "ProviderName": settings.PROVIDER_NAME,
        "ServiceCategory": categories.get(product or "", settings.UNKNOWN_CATEGORY),
        **{focus: _cell(values, column, str) for focus, column in text.items()},
    }


def result_rows(
    header: Sequence[str], rows: Iterable[Sequence[str | None]], categories: Mapping[str, str]
) -> tuple[list[dict[str, Any]], int]:
    """FOCUS rows and the number of CUR line items they sum; errors name row and column."""
    if tuple(header) != settings.RESULT_COLUMNS:
        raise CapcostError(
            f"Athena returned columns {list(header)}, expected {list(settings.RESULT_COLUMNS)}"
        )
    out, line_items = [], 0
    for number, raw in enumerate(rows, start=1):
        values = dict(zip(header, raw, strict=True))
        try:
            out.append(focus_row(values, categories))
            line_items += _cell(values, "line_items", int) or 0
        except BadValue as exc:
            raise CapcostError(
                f"Athena result row {number}, column {exc.column!r}: {exc}"
            ) from None
        except CapcostError as exc:
            raise CapcostError(f"Athena result row {number}: {exc}") from None
    return out, line_items


def to_table(rows: list[dict[str, Any]]) -> pa.Table:
    """Rows as Arrow, typed like the store's columns (money stays DECIMAL)."""
    import pyarrow as pa  # lazily: `capcost --help` must not pay for pyarrow

    money = pa.decimal128(38, 12)
    stamp = pa.timestamp("us")
    types = {
        "ChargePeriodStart": stamp,
        "ChargePeriodEnd": stamp,
        "BillingPeriodStart": stamp,
        "BillingPeriodEnd": stamp,
        "BilledCost": money,
        "EffectiveCost": money,
        "ListCost": money,
    }
    columns = (
        "ChargePeriodStart",
        "ChargePeriodEnd",
        "BillingPeriodStart",
        "BillingPeriodEnd",
        "BillingAccountId",
        "BillingAccountName",
        "BillingCurrency",
        "BilledCost",
        "EffectiveCost",
        "ListCost",
        "ProviderName",
        "ServiceName",
        "ServiceCategory",
        "SubAccountId",
        "SubAccountName",
        "PricingCategory",
        "ChargeCategory",
    )
    schema = pa.schema([(c, types.get(c, pa.string())) for c in columns])
    return pa.Table.from_pylist(rows, schema=schema)
