"""capcost forecast and capcost backtest: stored series or a CSV file, auto or a named model."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from typing import TYPE_CHECKING, Any

from forecasting.arguments import add_csv, iso_date, level, positive_int
from forecasting.errors import InputError
from forecasting.interface import COST_METRIC, STORED_FREQS, Freq

if TYPE_CHECKING:
    from forecasting.models.result import ForecastResult
    from forecasting.models.service import StoreForecast

RECORD, CHAIN, DIRECT = "record", "chain", "direct"
METHODS = (RECORD, CHAIN, DIRECT)
"""``--method``: the cost forecast of record, the demand chain or the direct forecast."""


def _add_inputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "metric",
        nargs="?",
        help="stored series: cost, users, requests_per_second, ... (or use --input)",
    )
    parser.add_argument(
        "--input",
        metavar="FILE.csv",
        help="forecast a CSV with columns ds,y or unique_id,ds,y instead (- reads stdin); "
        "any regular frequency, inferred from the dates unless --freq says",
    )
    parser.add_argument(
        "--by",
        choices=["group", "category", "service"],
        help="split cost by cost group, FOCUS ServiceCategory or service (stored cost only)",
    )
    parser.add_argument(
        "--freq",
        choices=[f.value for f in Freq],
        help="stored series: day, month (default) or quarter (summed from monthly sample "
        "paths); --input: the file's frequency when it cannot be inferred",
    )
    parser.add_argument(
        "--horizon",
        type=positive_int,
        help="periods ahead (default: one seasonal cycle, e.g. 12 months or 4 quarters; "
        "8 periods without a cycle)",
    )
    parser.add_argument(
        "--level",
        type=level,
        action="append",
        help="interval level in percent (default 80; repeat for several, e.g. --level 50 "
        "--level 95)",
    )
    parser.add_argument(
        "--model",
        default="auto",
        help="auto (median of the models that backtest well; default) or one of: naive, "
        "seasonal_naive, drift, linear, loglinear, theta, theta_statsmodels, ets, "
        "ets_statsmodels, arima, ets_log, theta_log, arima_log, combo (*_log: fitted on "
        "log(y), positive series)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the sample paths (default 0)")
    add_csv(parser)


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    fc = sub.add_parser(
        "forecast",
        parents=[common],
        help="forecast a stored series or a CSV file, with calibrated bands",
        description="Forecast each series with the median of the models (ETS, Theta, ARIMA, "
        "for positive series ETS, Theta and a trend on log(y), and a naive benchmark) whose "
        "rolling-origin backtest is within twice the best one's error, or with the model "
        "named by --model. The backtest scores two seasonal cycles ahead from every recent "
        "period whatever --horizon is, so a month's forecast does not depend on the horizon "
        "or the levels asked for. Bands are calibrated on the backtest errors (on the log "
        "scale for positive series: asymmetric, above zero). Output: unique_id, ds, "
        "forecast, lower, upper, level, model (and for a stored series complete, False for a "
        "period the data has not covered to its end); ds continues the series' own dates. "
        "Stored series use complete periods; a month the data stops inside is nowcast from "
        "its days (observed plus a daily forecast of the rest). Notes on what was adjusted "
        "(gaps, level shifts, fallbacks, the running month) go to stderr.",
    )
    _add_inputs(fc)
    fc.add_argument(
        "--method",
        choices=METHODS,
        help="stored total cost by month or quarter: record (the default with --model auto: "
        "whichever of the demand chain and the direct forecast of the bill scores better on "
        "past origins; the stderr note says which), chain (users -> req/s -> peak -> "
        "instances -> cost, the users forecast by --model) or direct (the bill on its own "
        "history by --model; the default with a named --model)",
    )
    fc.add_argument(
        "--scenario",
        help="stored cost or users: move the users forecast by a scenario (base, low, high, "
        "plan or a stored assumption set); cost follows through the demand chain, and base is "
        "the plain forecast",
    )
    fc.add_argument(
        "--freeze",
        metavar="NAME",
        help="store this forecast as the plan of record NAME, with its assumptions",
    )
    fc.set_defaults(handler=run_forecast)

    bt = sub.add_parser(
        "backtest",
        parents=[common],
        help="rolling-origin accuracy of each model on a stored series or a CSV file",
        description="Forecast with each candidate model from every recent period (origin) "
        "up to two seasonal cycles ahead and score each row's own forecasts: how many "
        "windows (origins) and errors stand behind it, MASE (averaged over steps), sMAPE "
        "(0-200), MAPE, bias and the coverage of the calibrated band (each block of origins "
        "scored with a calibration from the others), and beside it coverage_no_prior, the "
        "same band without the population prior, which only widens it. A combination's row "
        "scores the median of exactly the members it names; selected marks what capcost "
        "forecast uses.",
    )
    _add_inputs(bt)
    bt.add_argument(
        "--as-of",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help="the forecast made from the data up to this date (complete months, or days "
        "with --freq day) beside what happened after it. Columns: unique_id, ds, forecast, "
        "lower, upper, level, model, actual, error (forecast - actual), error_pct, inside "
        "(actual in the band), partial (the month the date falls inside, nowcast from its "
        "days). Stored total cost by month with --model auto: the cost forecast of record "
        "as it stood then (demand chain or direct, by the backtest on the data up to the "
        "date) and the other method, with columns method and of_record. The totals over "
        "the periods with actuals (forecast, band of the total, actual, error) go to stderr",
    )
    bt.set_defaults(handler=run_backtest)

    drivers = sub.add_parser(
        "drivers",
        parents=[common],
        help="unit economics: fixed cost and cost per user (and per million requests)",
        description="Fit monthly cost = fixed + per_user x users per cost group (robust "
        "regression on complete months) and report fixed cost per month, cost per user per "
        "month and cost per million requests, each with a band at --level. The total is "
        "fitted on the groups' sum.",
    )
    drivers.add_argument("--level", type=level, default=80.0, help="band level (default 80)")
    drivers.add_argument(
        "--hours-per-month",
        type=float,
        default=730.0,
        help="hours in a month, for requests per month (default 730)",
    )
    add_csv(drivers)
    drivers.set_defaults(handler=run_drivers)


def _check(args: argparse.Namespace) -> None:
    from forecasting.models.registry import check_model

    if (args.metric is None) == (args.input is None):
        raise InputError(
            "give a stored METRIC or --input FILE.csv (one of them)", parameter="metric"
        )
    if args.input is not None and args.by:
        raise InputError("--by applies to stored cost, not to --input", parameter="--by")
    if args.input is None and args.freq is not None and args.freq not in STORED_FREQS:
        raise InputError("stored series forecast by day, month or quarter", parameter="--freq")
    if getattr(args, "freeze", None) and args.input is not None:
        raise InputError(
            "--freeze stores a plan of a stored series, not of --input", parameter="--freeze"
        )
    check_model(args.model)


def _levels(args: argparse.Namespace) -> tuple[float, ...]:
    return tuple(args.level) if args.level else (80.0,)


def _compute(args: argparse.Namespace) -> StoreForecast | ForecastResult:
    from forecasting.models.api import forecast
    from forecasting.models.service import forecast_store, read_input
    from forecasting.store import Store

    _check(args)
    levels = _levels(args)
    method = _method(args)
    if args.input is not None:
        frame = read_input(args.input)
        return forecast(
            frame, h=args.horizon, freq=args.freq, level=levels, model=args.model, seed=args.seed
        )
    if method is not None:
        return _cost_forecast(args, method, levels)
    if getattr(args, "scenario", None):
        from forecasting.models.scenarios import scenario_forecast

        with Store.reader(args.db) as store:
            return scenario_forecast(
                store,
                args.metric,
                args.scenario,
                freq=Freq(args.freq or Freq.MONTH),
                by=args.by,
                h=args.horizon,
                level=levels,
                seed=args.seed,
            )
    with Store.reader(args.db) as store:
        return forecast_store(
            store,
            args.metric,
            freq=Freq(args.freq or Freq.MONTH),
            by=args.by,
            h=args.horizon,
            level=levels,
            model=args.model,
            seed=args.seed,
        )


def _method(args: argparse.Namespace) -> str | None:
    """The cost method ``forecast`` runs (None: a plain forecast of the series asked for)."""
    if not hasattr(args, "method"):
        return None  # backtest: the models' own accuracy on the series asked for
    method, scenario = args.method, args.scenario
    total = args.metric == COST_METRIC and not args.by and args.freq != Freq.DAY.value
    if not total:
        if method is not None:
            raise InputError(
                "--method applies to the stored total cost by month or quarter (without --by)",
                parameter="--method",
            )
        if scenario and args.metric == COST_METRIC:
            raise InputError(
                "with --scenario, cost is the total through the demand chain by month or "
                "quarter (no --by, no --freq day)",
                parameter="--scenario",
            )
        return None
    if method is None and args.model != "auto" and not scenario:
        print(
            f"capcost: note: this is the direct cost forecast by {args.model}, as asked; the "
            "cost forecast of record: --method record",
            file=sys.stderr,
        )
        return None
    return method or RECORD


def _cost_forecast(
    args: argparse.Namespace, method: str, levels: tuple[float, ...]
) -> StoreForecast:
    """The stored total cost by the forecast of record, the chain or the direct forecast; a
    note on stderr says which it is and how to get the other."""
    from forecasting.demand.chain import CHAIN as CHAIN_METHOD
    from forecasting.demand.chain import DIRECT as DIRECT_METHOD
    from forecasting.demand.record import cost_of_record
    from forecasting.models.options import ForecastOptions
    from forecasting.store import Store

    names = {CHAIN: CHAIN_METHOD, DIRECT: DIRECT_METHOD}
    options = ForecastOptions(level=levels[0], model=args.model, seed=args.seed)
    freq = Freq(args.freq or Freq.MONTH)
    horizon = args.horizon or (4 if freq is Freq.QUARTER else 12)
    quarters = _quarters_after(horizon, freq)
    with Store.reader(args.db) as store:
        record = cost_of_record(
            store,
            options,
            quarters=quarters,
            levels=levels,
            demand=args.scenario or "base",
            method=names.get(method),
        )
    out = record.store_forecast(freq)
    keep = sorted(out.table["ds"].unique())[:horizon]
    out = dataclasses.replace(out, table=out.table[out.table["ds"].isin(keep)])
    for note in record.notes:
        print(f"capcost: note: {note}", file=sys.stderr)
    shown, how = record.chosen.method, ""
    if shown == CHAIN_METHOD:
        shown += f" on the users forecast by {record.users_model}"
    if not record.scenario.is_base:
        shown += f" under the {record.scenario.name} scenario"
    elif method == RECORD:
        shown += ", the cost forecast of record"
    if record.other is not None and record.scenario.is_base:
        flag = CHAIN if record.other.method == CHAIN_METHOD else DIRECT
        how = f"; the {record.other.method}: --method {flag}"
    if method != RECORD:
        how += "; the forecast of record: --method record"
    print(f"capcost: note: this is the {shown} ({record.why}){how}", file=sys.stderr)
    return out


def _quarters_after(horizon: int, freq: Freq) -> int:
    """Quarters after the running one that cover ``horizon`` periods from the first."""
    return horizon - 1 if freq is Freq.QUARTER else -(-horizon // 3)


def _notes(result: ForecastResult) -> None:
    for excuse in result.excuses:
        print(f"capcost: note: {excuse}", file=sys.stderr)


def run_forecast(args: argparse.Namespace) -> int:
    from forecasting.export import write_csv
    from forecasting.models.result import FORECAST_COLUMNS
    from forecasting.models.service import StoreForecast, cli_table, freeze
    from forecasting.store import Store

    out = _compute(args)
    result = out.result if isinstance(out, StoreForecast) else out
    table = out.table if isinstance(out, StoreForecast) else out.forecast
    _notes(result)
    columns = [*FORECAST_COLUMNS, *(["complete"] if "complete" in table.columns else [])]
    write_csv(cli_table(table[columns]), args.csv)
    if args.freeze and isinstance(out, StoreForecast):
        level = _levels(args)[0]
        with Store(args.db) as store:
            plan_id = freeze(store, args.freeze, out, level, {"scenario": args.scenario})
        print(f"capcost: froze {args.freeze!r} as plan {plan_id}", file=sys.stderr)
    return 0


def run_backtest(args: argparse.Namespace) -> int:
    from forecasting.export import write_csv
    from forecasting.models.service import StoreForecast, cli_table

    if args.as_of is not None:
        return _run_as_of(args)
    out = _compute(args)
    result = out.result if isinstance(out, StoreForecast) else out
    _notes(result)
    write_csv(cli_table(result.backtest, digits=4), args.csv)
    return 0


def _run_as_of(args: argparse.Namespace) -> int:
    from forecasting.export import write_csv
    from forecasting.models.asof import compare, complete_by, forecast_as_of
    from forecasting.models.service import cli_table, read_input
    from forecasting.models.validation import validate_series
    from forecasting.store import Store

    _check(args)
    levels = _levels(args)
    options = {"h": args.horizon, "level": levels, "model": args.model, "seed": args.seed}
    if args.input is not None:
        frame = validate_series(read_input(args.input), source=args.input)
        freq = args.freq or "month"
        out = compare(complete_by(frame, args.as_of, freq), frame, args.as_of, freq=freq, **options)
    elif _record_as_of(args):
        return _run_cost_as_of(args, levels)
    else:
        with Store(args.db, read_only=True) as store:
            out = forecast_as_of(
                store, args.metric, args.as_of, freq=args.freq or "month", by=args.by, **options
            )
    _notes(out.result)
    _print_totals(args, out.totals)
    write_csv(cli_table(out.table, digits=6), args.csv)
    return 0


def _record_as_of(args: argparse.Namespace) -> bool:
    """The stored total cost by month, automatic: the cost forecast of record as of then."""
    total = args.metric == COST_METRIC and not args.by and args.freq in (None, Freq.MONTH.value)
    if total and args.model != "auto":
        print(
            f"capcost: note: this is the direct cost forecast by {args.model}, as asked; the "
            "cost forecast of record as of then: --model auto",
            file=sys.stderr,
        )
    return total and args.model == "auto"


def _run_cost_as_of(args: argparse.Namespace, levels: tuple[float, ...]) -> int:
    """The cost forecast of record made on --as-of (chain or direct, as its backtest on the
    data up to then chose) and the other method, both beside the bill."""
    from forecasting.demand.asof import cost_of_record_as_of
    from forecasting.export import write_csv
    from forecasting.models.service import cli_table
    from forecasting.store import Store

    with Store(args.db, read_only=True) as store:
        out = cost_of_record_as_of(store, args.as_of, h=args.horizon, levels=levels, seed=args.seed)
    for note in out.record.notes:
        print(f"capcost: note: {note}", file=sys.stderr)
    print(
        f"capcost: note: as of {args.as_of:%Y-%m-%d} the cost forecast of record was the "
        f"{out.record.chosen.method} ({out.record.why})",
        file=sys.stderr,
    )
    _print_totals(args, out.totals)
    write_csv(cli_table(out.table, digits=6), args.csv)
    return 0


def _print_totals(args: argparse.Namespace, totals: Any) -> None:
    for row in totals.to_dict("records"):
        name = str(row["unique_id"])
        if "method" in row:
            name += f", {row['method']}" + (" (of record)" if row["of_record"] else "")
        print(
            f"capcost: total of {row['periods']} period(s) after {args.as_of:%Y-%m-%d}, "
            f"{name}: forecast {row['forecast']:,.0f} ({row['level']:g}% band "
            f"{row['lower']:,.0f} to {row['upper']:,.0f}), actual {row['actual']:,.0f}, error "
            f"{row['error_pct']:+.1f}%; {row['inside']} of {row['periods']} inside the band",
            file=sys.stderr,
        )


def run_drivers(args: argparse.Namespace) -> int:
    from forecasting.export import write_csv
    from forecasting.models.drivers import store_unit_economics
    from forecasting.models.service import cli_table
    from forecasting.store import Store

    with Store.reader(args.db) as store:
        table = store_unit_economics(store, level=args.level, hours_per_month=args.hours_per_month)
    write_csv(cli_table(table, digits=6), args.csv)
    return 0
