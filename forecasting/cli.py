"""The command line: parses arguments, calls the library, maps its errors to clean exits."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from forecasting import commands
from forecasting.arguments import Registrar, common_parser
from forecasting.capacity import commands as capacity_commands
from forecasting.errors import CapcostError, InputError
from forecasting.ingest import commands as ingest_commands
from forecasting.models import commands as model_commands
from forecasting.results import commands as results_commands
from forecasting.savings import commands as savings_commands

EXIT_USAGE = 2


# Each feature registers its own subcommands. The command modules import only the light
# vocabulary and `arguments`; their handlers import the library when they run, so that
# `capcost --help` stays fast (statsmodels alone takes seconds to import).
def _registrars() -> list[Registrar]:
    return [
        commands.register,
        ingest_commands.register,
        capacity_commands.register,
        savings_commands.register,
        model_commands.register,
        results_commands.register,
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
        code = handler(args)
        if code == 0 and results_commands.writes_data(args):
            results_commands.refresh_after_write(args)
        return code
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


if __name__ == "__main__":
    sys.exit(main())
