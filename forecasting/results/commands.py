"""`capcost refresh`, and the refresh every command that writes data runs after it."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from forecasting.errors import CapcostError

# Set to 0 to leave the stored forecasts to `capcost refresh` (e.g. while loading many files:
# refresh once at the end). The pages stay correct either way: a result for other data is
# never found, and a page computes what is not stored, saying so.
REFRESH_ENV = "CAPCOST_REFRESH"


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    parser = sub.add_parser(
        "refresh",
        parents=[common],
        help="compute and store the forecasts the pages show",
        description="Forecast what every page shows by default (the Overview's nowcast, each "
        "Forecast page series at its longest horizon (the single series at every level), the "
        "capacity plan and runway, the savings commitments, the review's anomalies) and store "
        "the forecasts in the database, so pages open without fitting a model. `capcost demo` "
        f"and every ingest run it afterwards (unless {REFRESH_ENV}=0); run it from cron after "
        "scheduled pulls. Stored forecasts are keyed on the history they were made from: after "
        "new data a page never shows an old one, it computes and says so until the next refresh.",
    )
    parser.set_defaults(handler=run_refresh)


def run_refresh(args: argparse.Namespace) -> int:
    from forecasting.results.refresh import refresh

    path = Path(args.db)
    print(refresh(path).line(path), file=sys.stderr)
    return 0


def writes_data(args: argparse.Namespace) -> bool:
    """Whether the command that ran changed what stored results depend on."""
    command = getattr(args, "command", None)
    if command == "ingest":
        return getattr(args, "source", None) != "pricing"
    return command == "demo" or (command == "groups" and getattr(args, "set", None) is not None)


def refresh_enabled() -> bool:
    """Whether writers refresh after themselves (``CAPCOST_REFRESH`` is not 0)."""
    return os.environ.get(REFRESH_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


def refresh_after_write(args: argparse.Namespace) -> None:
    """Refresh after a command that wrote data; the data stays stored if this fails."""
    if not refresh_enabled():
        return
    from forecasting.results.refresh import refresh

    path = Path(args.db)
    try:
        print(refresh(path).line(path), file=sys.stderr)
    except CapcostError as exc:
        print(
            f"capcost: warning: the data is stored, but refreshing the stored forecasts "
            f"failed ({exc}); the pages compute until `capcost refresh --db {path}` succeeds",
            file=sys.stderr,
        )
