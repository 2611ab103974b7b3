"""CDN analytics and pg_stat_statements from CSV files: the savings levers' own evidence."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from forecasting.ingest.evidence.load import load_cdn, load_query_stats

__all__ = ["load_cdn", "load_query_stats"]


def __getattr__(name: str) -> Any:
    # `capcost --help` imports this package to register the subcommands: pandas loads on use.
    if name in __all__:
        from forecasting.ingest.evidence import load

        return getattr(load, name)
    raise AttributeError(name)
