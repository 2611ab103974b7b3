"""Metric files (CSV, CSV.gz, Parquet of timestamp and value) into the store's metric series."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from forecasting.ingest.metrics.load import load_metrics

__all__ = ["load_metrics"]


def __getattr__(name: str) -> Any:
    # `capcost --help` imports this package to register the subcommand; pandas and DuckDB
    # take about two seconds to import, so the loader loads on first use.
    if name == "load_metrics":
        from forecasting.ingest.metrics.load import load_metrics

        return load_metrics
    raise AttributeError(name)
