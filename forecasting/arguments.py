"""What every command line handler shares: argparse types, the parent parser, forecast options.

A leaf: it imports only the standard library and the light vocabulary, so that building the
parser (``capcost --help``) stays fast. Command modules import it; it imports none of them.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable
from datetime import date
from typing import Any

from forecasting.errors import InputError
from forecasting.interface import DEFAULT_SCENARIO, check_level

DEFAULT_DB = "data/capcost.duckdb"

Registrar = Callable[
    ["argparse._SubParsersAction[argparse.ArgumentParser]", argparse.ArgumentParser], None
]


def default_db() -> str:
    return os.environ.get("CAPCOST_DB", DEFAULT_DB)


def common_parser() -> argparse.ArgumentParser:
    """The parent parser of every command: the options they all take."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        default=default_db(),
        help=f"DuckDB file (default: $CAPCOST_DB or {DEFAULT_DB})",
    )
    return common


# -- argparse types ---------------------------------------------------------------------------
def iso_date(text: str) -> date:
    """argparse type for YYYY-MM-DD."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def month(text: str) -> str:
    """argparse type for YYYY-MM."""
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
        raise argparse.ArgumentTypeError(f"not a month (YYYY-MM): {text!r}")
    return text


def positive_int(text: str) -> int:
    """argparse type for a whole number >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def level(text: str) -> float:
    """argparse type for an interval level in percent (the check is ``interface.check_level``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    try:
        return check_level(value)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("parameter level: ")) from None


def percent(text: str) -> float:
    """argparse type for a percentage in [0, 100)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value < 100:
        raise argparse.ArgumentTypeError(f"must be a percentage in [0, 100), got {text}")
    return value


def days_list(text: str) -> tuple[int, ...]:
    """argparse type for comma-separated whole days >= 1 (``7,30,60``)."""
    try:
        days = tuple(int(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of days: {text!r}") from None
    if not days or min(days) < 1:
        raise argparse.ArgumentTypeError(f"days must be whole numbers >= 1: {text!r}")
    return days


def setting(text: str) -> tuple[str, Any]:
    """argparse type for KEY=VALUE; VALUE is read as JSON when it parses (0.9, true, {...})."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key.strip(), json.loads(value)
    except json.JSONDecodeError:
        return key.strip(), value


def add_csv(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--csv", metavar="PATH|-", default="-", help="write CSV here (default: -)")


# -- commands that forecast sample paths (plan, runway, savings, commitments) -----------------
def add_forecast_options(parser: argparse.ArgumentParser) -> None:
    """Options every command that forecasts sample paths takes (after its own options)."""
    parser.add_argument(
        "--scenario",
        default=None,
        help=f"stored assumption set to use (default: {DEFAULT_SCENARIO} if stored, else the "
        "built-in defaults of the APEX OmniHub document)",
    )
    parser.add_argument(
        "--level", type=level, default=80.0, help="interval level, %% (default: 80 -> P10/P90)"
    )
    parser.add_argument("--model", default="auto", help="forecasting model (default: auto)")
    parser.add_argument(
        "--paths", type=positive_int, default=1000, help="sample paths (default: 1000)"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed of the paths (default: 0)")
    parser.add_argument(
        "--set",
        dest="settings",
        metavar="KEY=VALUE",
        type=setting,
        action="append",
        help="override one assumption of the scenario, e.g. --set target_utilisation=0.6 or "
        "--set request_hit_ratio=0.8 (repeatable)",
    )
    add_csv(parser)


def forecast_fields(args: argparse.Namespace) -> dict[str, Any]:
    """The fields of ``models.options.ForecastOptions`` that ``add_forecast_options`` parsed."""
    return {
        "scenario": args.scenario,
        "settings": tuple(getattr(args, "settings", None) or ()),
        "level": args.level,
        "model": args.model,
        "paths": args.paths,
        "seed": args.seed,
    }


def print_notes(notes: tuple[str, ...]) -> None:
    """What a computation had to adjust, one ``capcost: note:`` line each on stderr."""
    for note in notes:
        print(f"capcost: note: {note}", file=sys.stderr)
