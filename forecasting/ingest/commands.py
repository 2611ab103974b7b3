"""`capcost ingest SOURCE ...`: each source subpackage registers its own subcommand."""

from __future__ import annotations

import argparse
from collections.abc import Callable

SourceRegistrar = Callable[
    ["argparse._SubParsersAction[argparse.ArgumentParser]", argparse.ArgumentParser], None
]


def _sources() -> list[SourceRegistrar]:
    # Append each source's `register(sources, common)` here (imports must stay light).
    from forecasting.ingest.athena import cli as athena
    from forecasting.ingest.cloudwatch import cli as cloudwatch
    from forecasting.ingest.cost_explorer import cli as cost_explorer
    from forecasting.ingest.evidence import cli as evidence
    from forecasting.ingest.focus import cli as focus
    from forecasting.ingest.metrics import cli as metrics
    from forecasting.savings.pricing import commands as pricing

    return [
        cost_explorer.register,
        focus.register,
        cloudwatch.register,
        athena.register,
        metrics.register,
        evidence.register,
        pricing.register,
    ]


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    ingest = sub.add_parser(
        "ingest",
        help="load billing or usage data into the database",
        description="Load billing exports (FOCUS, CUR), AWS APIs (Cost Explorer, CloudWatch, "
        "Athena) or metric files into the database. Each run is one transaction: re-running "
        "never duplicates, and a failed run leaves earlier data intact.",
    )
    sources = ingest.add_subparsers(dest="source", required=True, metavar="SOURCE")
    for register_source in _sources():
        register_source(sources, common)
