"""Core commands: demo, actuals, serve."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from forecasting.arguments import add_csv, iso_date
from forecasting.errors import InputError
from forecasting.interface import COST_METRIC, STORED_FREQS, CostBasis, Freq, GroupBy

if TYPE_CHECKING:
    import pandas as pd

APP_ENTRY = Path(__file__).resolve().parent.parent / "app" / "streamlit_app.py"


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    demo = sub.add_parser(
        "demo",
        parents=[common],
        help="build the APEX OmniHub demo database",
        description="Generate the APEX OmniHub demo company (daily usage, FOCUS cost line items, "
        "utilisation, its 2026 plan of record and stated savings plan) into a new database file. "
        "Deterministic for a seed. The file is built aside and swapped in atomically.",
    )
    demo.add_argument("--until", type=iso_date, default=None, help="last day (default: yesterday)")
    demo.add_argument("--seed", type=int, default=7, help="random seed (default: 7)")
    demo.add_argument(
        "--force",
        action="store_true",
        help="replace a database that holds ingested (non-demo) data",
    )
    demo.set_defaults(handler=run_demo)

    actuals = sub.add_parser(
        "actuals",
        parents=[common],
        help="print a stored series per day, month or quarter",
        description="Actuals of a stored series: cost (FOCUS EffectiveCost by default), users, "
        "requests_per_second, requests_per_second_peak or any imported metric. A month is the "
        "calendar month of ChargePeriodStart (UTC).",
    )
    actuals.add_argument(
        "metric", help="cost, users, requests_per_second, ... or any stored metric"
    )
    actuals.add_argument(
        "--freq", choices=[f.value for f in STORED_FREQS], default=Freq.MONTH.value
    )
    actuals.add_argument(
        "--by",
        choices=[g.value for g in GroupBy],
        default=None,
        help="split cost by cost group, FOCUS ServiceCategory, service or provider",
    )
    actuals.add_argument("--start", type=iso_date, default=None, help="first day (inclusive)")
    actuals.add_argument("--end", type=iso_date, default=None, help="last day (inclusive)")
    actuals.add_argument(
        "--cost",
        choices=[b.value for b in CostBasis],
        default="effective",
        help="effective (amortized, default), billed (cash, the invoice) or list",
    )
    actuals.add_argument(
        "--currency", default=None, help="billing currency when several are stored"
    )
    add_csv(actuals)
    actuals.set_defaults(handler=run_actuals)

    groups = sub.add_parser(
        "groups",
        parents=[common],
        help="show or replace the cost group rules",
        description="Cost groups map provider, service, ServiceCategory, charge category or a tag "
        "to the categories you budget by (like AWS Cost Categories). Rules apply in order, the "
        "first match wins, and unmatched spend is 'Unallocated'. --set replaces all rules from a "
        "CSV with columns group_name and any of provider_name, service_name, service_category, "
        "charge_category, tag_key, tag_value (an empty cell matches anything), and regroups "
        "all history.",
    )
    groups.add_argument("--set", metavar="FILE.csv", default=None, help="replace the rules")
    groups.add_argument("--csv", metavar="PATH|-", default="-", help="write rules here")
    groups.set_defaults(handler=run_groups)

    serve = sub.add_parser(
        "serve",
        parents=[common],
        help="serve the web app (streamlit)",
        description="Serve the capcost app with streamlit, on this machine only (127.0.0.1) "
        "unless --address says otherwise. The app has no login and its Data page uploads "
        "files into the database: serve wider only on a network you trust.",
    )
    serve.add_argument("--port", type=int, default=8501)
    serve.add_argument(
        "--address",
        default="127.0.0.1",
        help="interface to listen on (default 127.0.0.1, this machine only; 0.0.0.0 is every "
        "interface, reachable by anyone who can reach this machine)",
    )
    serve.set_defaults(handler=run_serve)


def run_demo(args: argparse.Namespace) -> int:
    from forecasting.demo import build_demo

    until = args.until or date.today() - timedelta(days=1)
    if until < date(2024, 3, 1):
        raise InputError("the demo needs data until 2024-03-01 or later", parameter="--until")
    _refuse_replacing_real_data(Path(args.db), force=args.force)
    summary = build_demo(Path(args.db), until=until, seed=args.seed)
    print(
        f"demo database {args.db}: {summary['days']} days to {until}, "
        f"{summary['cost_rows']:,} cost line items, {summary['metric_rows']:,} metric rows",
        file=sys.stderr,
    )
    return 0


def _refuse_replacing_real_data(path: Path, *, force: bool) -> None:
    """The demo replaces the whole file: never a non-database, nor real data unless forced."""
    from forecasting.store import Store
    from forecasting.store.core import refuse_non_database

    refuse_non_database(path)
    if force or not path.exists() or path.stat().st_size == 0:
        return
    with Store.reader(path) as store:
        sources = store.ingested_sources()
    if sources:
        raise InputError(
            f"{path} holds data ingested from {', '.join(sources)}, which the demo would "
            "replace: pass --force to replace it, or give another --db",
            parameter="--db",
        )


def run_actuals(args: argparse.Namespace) -> int:
    from forecasting.export import write_csv
    from forecasting.store import Store

    if args.by and args.metric != COST_METRIC:
        raise InputError("--by applies to cost only", parameter="--by")
    if args.start and args.end and args.end < args.start:
        raise InputError("--end is before --start", parameter="--end")
    end = args.end + timedelta(days=1) if args.end else None
    with Store.reader(args.db) as store:
        frame = store.actuals(
            args.metric,
            Freq(args.freq),
            GroupBy(args.by) if args.by else None,
            start=args.start,
            end=end,
            basis=CostBasis(args.cost),
            currency=args.currency,
        )
    write_csv(frame, args.csv)
    return 0


def run_groups(args: argparse.Namespace) -> int:
    from forecasting.export import write_csv
    from forecasting.store import Store

    if args.set is None:
        with Store.reader(args.db) as store:
            write_csv(store.cost_group_rules(), args.csv)
        return 0
    rules = read_rules(Path(args.set))
    with Store(args.db) as store:
        store.set_cost_group_rules(rules)
        print(f"{len(rules)} cost group rules set; history regrouped", file=sys.stderr)
    return 0


def read_rules(path: Path) -> pd.DataFrame:
    """A rules CSV, checked row by row so an error names the row and column."""
    import pandas as pd

    from forecasting.ingest.files import read_csv_header
    from forecasting.store.costs import RULE_FIELDS

    if not path.is_file():
        raise InputError("no such file", file=str(path))
    read_csv_header(path)  # an empty or binary file is refused here, by name and row
    try:
        rules = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (ValueError, UnicodeDecodeError) as exc:  # pandas' ParserError is a ValueError
        raise InputError(
            f"not a rules CSV: {str(exc).strip().splitlines()[0]}", file=str(path)
        ) from None
    if "group_name" not in rules.columns:
        raise InputError("missing required column", file=str(path), column="group_name")
    unknown = [c for c in rules.columns if c not in RULE_FIELDS]
    if unknown:
        raise InputError(
            f"unexpected columns {unknown}; rules take group_name and any of "
            f"{', '.join(RULE_FIELDS[1:])}",
            file=str(path),
        )
    for row, name in enumerate(rules["group_name"], start=2):
        if not name.strip():
            raise InputError("empty group_name", file=str(path), row=row, column="group_name")
    return rules.replace("", None)


def run_serve(args: argparse.Namespace) -> int:
    env = dict(os.environ, CAPCOST_DB=str(Path(args.db).resolve()))
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP_ENTRY),
        "--server.headless",
        "true",
        "--server.port",
        str(args.port),
        "--server.address",
        args.address,
    ]
    # Streamlit reads .streamlit/config.toml from its working directory: run from the
    # project so the theme, the viewer toolbar and the error details apply wherever
    # `capcost serve` was typed (the address is passed above as well).
    return subprocess.call(cmd, env=env, cwd=APP_ENTRY.parent.parent)
