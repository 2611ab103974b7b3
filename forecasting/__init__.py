"""capcost: capacity and cost forecasting over a DuckDB store of billing and usage data."""

__version__ = "0.1.0"
