"""Cost line items: replace by billing period or time window, daily rollups, cost groups, reads."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from forecasting.errors import CapcostError, InputError
from forecasting.interface import CostBasis, Freq, GroupBy
from forecasting.store.core import Run, StoreCore

UNALLOCATED = "Unallocated"

GROUP_COLUMNS = {
    GroupBy.GROUP: "cost_group",
    GroupBy.CATEGORY: "ServiceCategory",
    GroupBy.SERVICE: "ServiceName",
    GroupBy.PROVIDER: "ProviderName",
}

RULE_FIELDS = (
    "group_name",
    "provider_name",
    "service_name",
    "service_category",
    "charge_category",
    "tag_key",
    "tag_value",
)

# A rule matches when every non-null matcher equals the item's value; tag_value NULL means
# "the tag key is present". A tag key is a quoted JSON path member: its backslashes and quotes
# are escaped, so any key a tag can hold is matched as written.
_ROLLUP_SQL = """
INSERT INTO cost_daily
WITH agg AS (
    SELECT CAST(ChargePeriodStart AS DATE) AS day, BillingCurrency, ProviderName, ServiceName,
           ServiceCategory, SubAccountId, RegionId, PricingCategory, ChargeCategory, x_source,
           CAST(Tags AS VARCHAR) AS tags,
           sum(BilledCost) AS billed,
           sum(coalesce(EffectiveCost, BilledCost)) AS effective,
           sum(coalesce(ListCost, EffectiveCost, BilledCost)) AS list,
           count(*) AS n
    FROM cost_line_items
    WHERE CAST(ChargePeriodStart AS DATE) IN (SELECT day FROM _affected_days)
    GROUP BY ALL
), keyed AS (
    SELECT row_number() OVER () AS k, * FROM agg
), matched AS (
    SELECT keyed.k, r.group_name,
           row_number() OVER (PARTITION BY keyed.k ORDER BY r.priority) AS rn
    FROM keyed JOIN (
        SELECT *, '$."' || replace(replace(tag_key, '\\', '\\\\'), '"', '\\"') || '"' AS tag_path
        FROM cost_group_rules
    ) r
      ON (r.provider_name IS NULL OR r.provider_name = keyed.ProviderName)
     AND (r.service_name IS NULL OR r.service_name = keyed.ServiceName)
     AND (r.service_category IS NULL OR r.service_category = keyed.ServiceCategory)
     AND (r.charge_category IS NULL OR r.charge_category = keyed.ChargeCategory)
     AND (r.tag_key IS NULL OR (
            json_exists(keyed.tags, r.tag_path)
            AND (r.tag_value IS NULL
                 OR json_extract_string(keyed.tags, r.tag_path) = r.tag_value)))
)
SELECT keyed.day, keyed.BillingCurrency, keyed.ProviderName, keyed.ServiceName,
       keyed.ServiceCategory, keyed.SubAccountId, keyed.RegionId, keyed.PricingCategory,
       keyed.ChargeCategory, coalesce(m.group_name, ?) AS cost_group, keyed.x_source,
       sum(keyed.billed), sum(keyed.effective), sum(keyed.list), sum(keyed.n)
FROM keyed LEFT JOIN matched m ON m.k = keyed.k AND m.rn = 1
GROUP BY ALL
"""


# Compute usage per charge period (hour or day) and SKU, for the days in _affected_days: what
# commitments read (eligible and covered usage), without scanning the line items each time.
_COMPUTE_USAGE_SQL = """
INSERT INTO compute_usage
SELECT ChargePeriodStart, ChargePeriodEnd, BillingCurrency, ServiceName, RegionId, SkuId,
       ChargeDescription, PricingCategory, CommitmentDiscountType,
       sum(coalesce(ListCost, EffectiveCost, BilledCost)),
       sum(coalesce(EffectiveCost, BilledCost)),
       sum(ConsumedQuantity)
FROM cost_line_items
WHERE CAST(ChargePeriodStart AS DATE) IN (SELECT day FROM _affected_days)
  AND ChargeCategory = 'Usage' AND (ServiceCategory = 'Compute' OR lower(ServiceName) IN
      ('amazon elastic compute cloud', 'amazon elastic container service', 'aws fargate',
       'aws lambda'))
GROUP BY ALL
"""


def period_start_sql(freq: Freq, column: str) -> str:
    """SQL for the first day of the period holding ``column`` (a DATE)."""
    unit = {Freq.DAY: "day", Freq.MONTH: "month", Freq.QUARTER: "quarter"}[freq]
    return f"CAST(date_trunc('{unit}', {column}) AS DATE)"


def period_label(ds: pd.Series, freq: Freq) -> pd.Series:
    """``2026-01-31`` for a day, ``2026-01`` for a month, ``2026Q1`` for a quarter."""
    ts = pd.to_datetime(ds)
    if freq is Freq.DAY:
        return ts.dt.strftime("%Y-%m-%d")
    if freq is Freq.MONTH:
        return ts.dt.strftime("%Y-%m")
    return ts.dt.year.astype(str) + "Q" + ts.dt.quarter.astype(str)


class CostsMixin(StoreCore):
    """Writes and reads of cost line items and their daily rollup."""

    def replace_cost_periods(self, run: Run, data: Any) -> int:
        """Insert line items, replacing what was stored for the same billing periods.

        Exports are restated during the month: a re-ingest of a billing period replaces that
        period for that provider and billing account, whatever source wrote it before.
        """
        self._stage("_incoming", data)
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE _scope AS SELECT DISTINCT ProviderName, "
            "BillingAccountId, BillingPeriodStart FROM _incoming"
        )
        scope = (
            "EXISTS (SELECT 1 FROM _scope s WHERE s.ProviderName IS NOT DISTINCT FROM "
            "c.ProviderName AND s.BillingAccountId IS NOT DISTINCT FROM c.BillingAccountId "
            "AND s.BillingPeriodStart = c.BillingPeriodStart)"
        )
        return self._replace_costs(run, scope, [])

    def replace_cost_window(self, run: Run, data: Any, *, start: date, end: date) -> int:
        """Insert line items of ``run.source``, replacing its rows charged in [start, end).

        For API sources (Cost Explorer) that restate recent days rather than whole periods.
        """
        self._stage("_incoming", data)
        scope = "c.x_source = ? AND c.ChargePeriodStart >= ? AND c.ChargePeriodStart < ?"
        return self._replace_costs(run, scope, [run.source, start, end])

    def _replace_costs(self, run: Run, scope_sql: str, params: list[Any]) -> int:
        # scope_sql is one of the two fixed predicates above; values are bound parameters.
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE _affected_days AS "
            "SELECT DISTINCT CAST(ChargePeriodStart AS DATE) AS day FROM cost_line_items c "
            f"WHERE {scope_sql}",
            params,
        )
        self.con.execute(f"DELETE FROM cost_line_items c WHERE {scope_sql}", params)
        row = self.con.execute(
            "INSERT INTO cost_line_items BY NAME "
            "SELECT *, ? AS x_source, ? AS x_run_id FROM _incoming",
            [run.source, run.run_id],
        ).fetchone()
        inserted = int(row[0]) if row else 0
        self.con.execute(
            "INSERT INTO _affected_days SELECT DISTINCT CAST(ChargePeriodStart AS DATE) "
            "FROM cost_line_items WHERE x_run_id = ? EXCEPT SELECT day FROM _affected_days",
            [run.run_id],
        )
        self._refresh_cost_rollup()
        self._unstage("_incoming")
        run.rows += inserted
        return inserted

    def _refresh_cost_rollup(self) -> None:
        """Recompute cost_daily and compute_usage for the days in the temp table
        _affected_days."""
        self.con.execute("DELETE FROM cost_daily WHERE day IN (SELECT day FROM _affected_days)")
        self.con.execute(_ROLLUP_SQL, [UNALLOCATED])
        self.con.execute(
            "DELETE FROM compute_usage "
            "WHERE CAST(ChargePeriodStart AS DATE) IN (SELECT day FROM _affected_days)"
        )
        self.con.execute(_COMPUTE_USAGE_SQL)

    def rebuild_cost_rollup(self) -> None:
        """Recompute the whole rollup (after the cost group rules change)."""
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE _affected_days AS "
            "SELECT DISTINCT CAST(ChargePeriodStart AS DATE) AS day FROM cost_line_items "
            "UNION SELECT day FROM cost_daily"
        )
        self._refresh_cost_rollup()

    # -- cost groups ------------------------------------------------------------------------
    def cost_group_rules(self) -> pd.DataFrame:
        return self.con.execute(
            "SELECT priority, "
            + ", ".join(RULE_FIELDS)
            + " FROM cost_group_rules ORDER BY priority"
        ).df()

    def set_cost_group_rules(self, rules: pd.DataFrame | list[dict[str, Any]]) -> None:
        """Replace all rules (priority = row order unless given) and regroup history."""
        frame = pd.DataFrame(rules).copy()
        if "group_name" not in frame.columns or frame["group_name"].isna().any():
            raise InputError("every cost group rule needs a group_name", column="group_name")
        unknown = set(frame.columns) - set(RULE_FIELDS) - {"priority"}
        if unknown:
            raise InputError(
                f"unknown rule fields {sorted(unknown)}; rules take {', '.join(RULE_FIELDS)}",
                parameter="rules",
            )
        if "priority" not in frame.columns:
            frame["priority"] = range(1, len(frame) + 1)
        for col in RULE_FIELDS:
            if col not in frame.columns:
                frame[col] = None
            frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
        frame = frame[["priority", *RULE_FIELDS]]
        with self.transaction():
            self.con.execute("DELETE FROM cost_group_rules")
            self.con.register("_rules", frame)
            self.con.execute("INSERT INTO cost_group_rules BY NAME SELECT * FROM _rules")
            self.con.unregister("_rules")
            self.rebuild_cost_rollup()

    # -- reads ------------------------------------------------------------------------------
    def currencies(self) -> list[str]:
        rows = self.con.execute(
            "SELECT DISTINCT BillingCurrency FROM cost_daily ORDER BY 1"
        ).fetchall()
        return [r[0] for r in rows]

    def read_cost_series(
        self,
        freq: Freq = Freq.MONTH,
        by: GroupBy | None = None,
        *,
        start: date | None = None,
        end: date | None = None,
        basis: CostBasis = CostBasis.EFFECTIVE,
        currency: str | None = None,
    ) -> tuple[pd.DataFrame, str]:
        """Cost per period (and group) in long format ``unique_id, ds, y``, with its currency.

        A month is the calendar month of ChargePeriodStart; ``end`` is exclusive.
        """
        currency = self._one_currency(currency)
        group_sql = f"coalesce(CAST({GROUP_COLUMNS[by]} AS VARCHAR), '(none)')" if by else "'total'"
        period = period_start_sql(freq, "day")
        frame = self.con.execute(
            f"SELECT {group_sql} AS unique_id, {period} AS ds, "
            f"CAST(sum({basis.column}) AS DOUBLE) AS y FROM cost_daily "
            "WHERE BillingCurrency = ? AND (? IS NULL OR day >= ?) AND (? IS NULL OR day < ?) "
            "GROUP BY ALL ORDER BY unique_id, ds",
            [currency, start, start, end, end],
        ).df()
        frame["ds"] = pd.to_datetime(frame["ds"])
        return frame, currency

    def _one_currency(self, currency: str | None) -> str:
        stored = self.currencies()
        if currency is not None:
            if currency not in stored:
                raise InputError(
                    f"no costs in {currency}; stored currencies: {', '.join(stored) or 'none'}",
                    parameter="currency",
                )
            return currency
        if not stored:
            raise CapcostError("no cost data stored yet: run `capcost demo` or `capcost ingest`")
        if len(stored) > 1:
            raise InputError(
                f"costs are stored in several currencies ({', '.join(stored)}); "
                "choose one with --currency, capcost never adds different currencies",
                parameter="currency",
            )
        return stored[0]

    def daily_cost_detail(
        self, start: date, end: date, *, currency: str | None = None
    ) -> tuple[pd.DataFrame, str]:
        """Daily effective and list cost in [start, end) by cost group, FOCUS category, service,
        pricing and charge category together (for models that need several at once)."""
        currency = self._one_currency(currency)
        frame = self.con.execute(
            "SELECT day, cost_group, ServiceCategory, ServiceName, PricingCategory, "
            "ChargeCategory, CAST(sum(EffectiveCost) AS DOUBLE) AS cost, "
            "CAST(sum(ListCost) AS DOUBLE) AS list_cost FROM cost_daily "
            "WHERE BillingCurrency = ? AND day >= ? AND day < ? GROUP BY ALL ORDER BY ALL",
            [currency, start, end],
        ).df()
        frame["day"] = pd.to_datetime(frame["day"])
        return frame, currency

    def compute_usage_items(
        self, start: date, end: date, *, currency: str | None = None
    ) -> pd.DataFrame:
        """Usage line items of compute services whose ChargePeriodStart is in [start, end), at
        their own granularity (an hourly CUR's hours, a daily export's days), with what
        commitments need to tell eligible usage and covered usage apart. ``list_cost`` is
        on-demand-equivalent (FOCUS ListCost), ``cost`` EffectiveCost."""
        currency = self._one_currency(currency)
        # From the rollup the ingests keep (its rows are this read's groups, per currency).
        frame = self.con.execute(
            "SELECT ChargePeriodStart, ChargePeriodEnd, ServiceName, RegionId, SkuId, "
            "ChargeDescription, PricingCategory, CommitmentDiscountType, "
            "CAST(ListCost AS DOUBLE) AS ListCost, CAST(cost AS DOUBLE) AS cost, "
            "ConsumedQuantity FROM compute_usage WHERE BillingCurrency = ? "
            # A total order: rows sharing a ChargePeriodStart came back in whatever order the
            # threads finished, and the hourly sums over them (float) then moved in the last bit,
            # enough to flip a rounded figure between two runs on the same file.
            "AND ChargePeriodStart >= ? AND ChargePeriodStart < ? ORDER BY ALL",
            [currency, start, end],
        ).df()
        for column in ("ChargePeriodStart", "ChargePeriodEnd"):
            frame[column] = pd.to_datetime(frame[column])
        return frame
