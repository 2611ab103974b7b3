"""SQL text over file columns: quoted identifiers, conversions to stored types, one-row reads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb

# Dates outside this range are a broken export or a sentinel (9999-12-31 for "no end", 0001 or
# 0000 for "unknown"), and pandas cannot hold them past 2262: one such row stored would break
# every forecast and page, so ingests refuse them.
FIRST_DAY, LAST_DAY = "1990-01-01", "2100-12-31"


def outside_dates_sql(ref: str, *, text: bool = False) -> str:
    """SQL true when timestamp ``ref`` (or, with ``text``, its raw text) is outside the range."""
    if text:
        value = f"TRY_CAST({ref} AS TIMESTAMPTZ)"
        bounds = f"TIMESTAMPTZ '{FIRST_DAY} 00:00:00+00' AND TIMESTAMPTZ '{LAST_DAY} 23:59:59+00'"
    else:
        value, bounds = ref, f"TIMESTAMP '{FIRST_DAY}' AND TIMESTAMP '{LAST_DAY} 23:59:59'"
    return f"NOT ({value} BETWEEN {bounds})"


def quote(identifier: str) -> str:
    """A SQL identifier, quoted: header names are data and may hold any character."""
    return '"' + identifier.replace('"', '""') + '"'


def typed_sql(ref: str, raw_type: str | None, target: str) -> str:
    """SQL turning a raw column (CSV: already read as declared) into the target type.

    Timestamps end up naive UTC: an offset or ``Z`` is honoured, a bare time is UTC.
    """
    kind = (raw_type or "").upper()
    if target.startswith("TIMESTAMP"):
        if kind in ("TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S", "DATE"):
            return f"CAST({ref} AS TIMESTAMP)"
        return f"timezone('UTC', CAST({ref} AS TIMESTAMPTZ))"
    if target in ("VARCHAR", "JSON"):
        if (
            target == "JSON"
            and kind.startswith("STRUCT(")
            and kind.endswith("[]")
            and ('"KEY"' in kind and '"VALUE"' in kind)
        ):
            # BigQuery-style tags, a list of {key, value}: an object, as FOCUS defines Tags
            # (kept as the list when a key repeats, since an object cannot hold it twice).
            entries = f"list_transform({ref}, lambda e: {{'k': e.key, 'v': e.value}})"
            as_object = f"TRY(CAST(to_json(map_from_entries({entries})) AS VARCHAR))"
            text = f"coalesce({as_object}, CAST(to_json({ref}) AS VARCHAR))"
        elif kind.startswith(("MAP", "STRUCT")) or kind.endswith("[]"):
            text = f"CAST(to_json({ref}) AS VARCHAR)"
        else:
            text = f"nullif(CAST({ref} AS VARCHAR), '')"
        return f"nullif({text}, '{{}}')" if target == "JSON" else text
    return f"CAST({ref} AS {target})"


def fetch_one(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()
) -> tuple[Any, ...] | None:
    """The first row of a query, with the result consumed.

    ``fetchone()`` leaves the result open, and DuckDB then refuses relation calls
    (``create_view``, ``read_csv``) on the connection until it is finished.
    """
    rows = con.execute(sql, list(params)).fetchall()
    return tuple(rows[0]) if rows else None
