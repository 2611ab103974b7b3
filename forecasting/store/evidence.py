"""Savings evidence: the compute inventory, CDN analytics and database query statistics."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from forecasting.store.core import Run, StoreCore

INVENTORY_COLUMNS = (
    "day",
    "resource_id",
    "platform",
    "instance_type",
    "vcpu",
    "memory_gib",
    "instances",
    "hours",
)
CDN_COLUMNS = ("day", "provider", "zone", "requests", "cached_requests", "bytes", "cached_bytes")
QUERY_COLUMNS = (
    "period_start",
    "period_end",
    "database",
    "queryid",
    "query",
    "calls",
    "total_exec_time",
    "rows",
    "shared_blks_read",
)


class EvidenceMixin(StoreCore):
    """Each table is replaced by scope (days of a resource or zone, a database's window)."""

    def replace_inventory(self, run: Run, data: Any) -> int:
        """Instances and tasks per day and resource, replacing those days of those resources."""
        return self._replace(
            run, data, "compute_inventory", INVENTORY_COLUMNS, ["resource_id"], "day", "day"
        )

    def replace_cdn_analytics(self, run: Run, data: Any) -> int:
        """Requests and bytes per day and zone, replacing those days of those zones."""
        return self._replace(
            run, data, "cdn_analytics", CDN_COLUMNS, ["provider", "zone"], "day", "day"
        )

    def replace_query_stats(self, run: Run, data: Any) -> int:
        """One pg_stat_statements window of a database, replacing windows it overlaps."""
        return self._replace(
            run, data, "query_stats", QUERY_COLUMNS, ["database"], "period_start", "period_end"
        )

    def _replace(
        self,
        run: Run,
        data: Any,
        table: str,
        columns: tuple[str, ...],
        keys: list[str],
        lo: str,
        hi: str,
    ) -> int:
        # table, columns and keys are this module's constants; values are bound or staged.
        self._stage("_evraw", data)
        cols = ", ".join(columns)
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE _evin AS SELECT {cols} FROM _evraw")
        self._unstage("_evraw")
        match = " AND ".join(f"s.{k} = t.{k}" for k in keys)
        key_list = ", ".join(keys)
        self.con.execute(
            f"DELETE FROM {table} t WHERE EXISTS (SELECT 1 FROM (SELECT {key_list}, "
            f"min({lo}) AS lo, max({hi}) AS hi FROM _evin GROUP BY ALL) s "
            f"WHERE {match} AND t.{hi} >= s.lo AND t.{lo} <= s.hi)"
        )
        row = self.con.execute(
            f"INSERT INTO {table} SELECT {cols}, ?, ? FROM _evin", [run.source, run.run_id]
        ).fetchone()
        n = int(row[0]) if row else 0
        run.rows += n
        return n

    def read_inventory(self, start: date | None = None, end: date | None = None) -> pd.DataFrame:
        """Inventory rows with ``start <= day < end`` (None: unbounded), by day and resource."""
        return self._read("compute_inventory", INVENTORY_COLUMNS, "day", start, end)

    def read_cdn_analytics(
        self, start: date | None = None, end: date | None = None
    ) -> pd.DataFrame:
        return self._read("cdn_analytics", CDN_COLUMNS, "day", start, end)

    def read_query_stats(self) -> pd.DataFrame:
        """Every stored window; the newest per database is usually what a model wants."""
        return self._read("query_stats", QUERY_COLUMNS, "period_start", None, None)

    def _read(
        self,
        table: str,
        columns: tuple[str, ...],
        order: str,
        start: date | None,
        end: date | None,
    ) -> pd.DataFrame:
        frame = self.con.execute(
            f"SELECT {', '.join(columns)} FROM {table} WHERE (? IS NULL OR {order} >= ?) "
            f"AND (? IS NULL OR {order} < ?) ORDER BY {order}, 2, 3",
            [start, start, end, end],
        ).df()
        return frame

    def read_observations(
        self, metric: str, start: date | None = None, end: date | None = None
    ) -> pd.DataFrame:
        """Raw observations ``ts, dimensions, value`` of a metric (5-minute maxima, say)."""
        return self.con.execute(
            "SELECT ts, dimensions, value FROM metric_observations WHERE metric = ? "
            "AND (? IS NULL OR ts >= ?) AND (? IS NULL OR ts < ?) ORDER BY dimensions, ts",
            [metric, start, start, end, end],
        ).df()

    def resource_costs(self, start: date, end: date) -> pd.DataFrame:
        """Usage charged in ``[start, end)`` by resource and SKU: effective and list cost (as
        DOUBLE: these feed models, not invoices) and the quantity billed."""
        return self.con.execute(
            "SELECT ResourceId AS resource_id, SkuId AS sku, ProviderName AS provider, "
            "any_value(ConsumedUnit) AS unit, "
            "CAST(sum(coalesce(EffectiveCost, BilledCost)) AS DOUBLE) AS effective, "
            "CAST(sum(coalesce(ListCost, EffectiveCost, BilledCost)) AS DOUBLE) AS list, "
            "sum(ConsumedQuantity) AS quantity, max(ChargePeriodStart) AS last_charged "
            "FROM cost_line_items WHERE ChargeCategory = 'Usage' AND ChargePeriodStart >= ? "
            "AND ChargePeriodStart < ? GROUP BY ALL ORDER BY 1, 2",
            [start, end],
        ).df()
