"""The command line: parses arguments, calls the library, maps its errors to clean exits."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

from forecasting.errors import CapcostError, InputError

DEFAULT_DB = "data/capcost.duckdb"
EXIT_USAGE = 2

Registrar = Callable[
    ["argparse._SubParsersAction[argparse.ArgumentParser]", argparse.ArgumentParser], None
]


def default_db() -> str:
    return os.environ.get("CAPCOST_DB", DEFAULT_DB)


def iso_date(text: str) -> date:
    """argparse type for YYYY-MM-DD."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def common_parser() -> argparse.ArgumentParser:
    """Options every command takes."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        default=default_db(),
        help=f"DuckDB file (default: $CAPCOST_DB or {DEFAULT_DB})",
    )
    return common


def _registrars() -> list[Registrar]:
    # Each feature registers its own subcommands; handlers import heavy modules lazily so
    # that `capcost --help` stays fast (statsmodels alone takes seconds to import).
    from forecasting import commands
    from forecasting.capacity import commands as capacity_commands
    from forecasting.ingest import commands as ingest_commands
    from forecasting.models import commands as model_commands
    from forecasting.savings import commands as savings_commands

    return [
        commands.register,
        ingest_commands.register,
        capacity_commands.register,
        savings_commands.register,
        model_commands.register,
    ]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="capcost",
        description="Capacity and cost forecasting over a DuckDB store of billing and usage data.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = common_parser()
    for register in _registrars():
        register(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except InputError as exc:
        print(f"capcost: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except CapcostError as exc:
        print(f"capcost: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("capcost: interrupted; nothing of the interrupted run was kept", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `capcost ... --csv - | head`: the reader went away, which is not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def db_path(args: argparse.Namespace) -> Path:
    return Path(args.db)


if __name__ == "__main__":
    sys.exit(main())
