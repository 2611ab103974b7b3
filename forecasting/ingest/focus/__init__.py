"""FOCUS and AWS CUR billing exports (CSV, CSV.gz, Parquet; local or S3) into the store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from forecasting.ingest.focus.load import load_focus

__all__ = ["load_focus"]


def __getattr__(name: str) -> Any:
    # `capcost --help` imports this package to register the subcommand; pandas and DuckDB
    # take about two seconds to import, so the loader loads on first use.
    if name == "load_focus":
        from forecasting.ingest.focus.load import load_focus

        return load_focus
    raise AttributeError(name)
