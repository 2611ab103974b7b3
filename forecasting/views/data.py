"""The Data page: each source's freshness, data-quality warnings and the ingest runs."""

from __future__ import annotations

from forecasting.ingest.quality import DataStatus as DataView
from forecasting.ingest.quality import data_status as build_data

__all__ = ["DataView", "build_data"]
