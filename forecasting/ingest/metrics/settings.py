"""Metric file ingest settings: the source name and the column names tried when none is given."""

from __future__ import annotations

SOURCE = "metrics"

# Tried in order, case-insensitively, when --time-column / --value-column are not given.
TIME_CANDIDATES = ("timestamp", "ts", "time", "datetime", "date", "day", "ds", "period")
VALUE_CANDIDATES = ("value", "y", "count", "amount")
