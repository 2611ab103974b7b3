"""capcost forecast and capcost backtest: stored series or a CSV file, auto or a named model."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from forecasting.arguments import add_csv, iso_date, level, positive_int
from forecasting.errors import InputError
from forecasting.interface import STORED_FREQS, Freq

if TYPE_CHECKING:
    from forecasting.models.result import ForecastResult
    from forecasting.models.service import StoreForecast


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
        "--scenario",
        help="stored cost or users: apply a growth scenario to the users forecast and cost "
        "through the fitted fixed + per-user cost model (base, low, high or a stored "
        "assumption set)",
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
        "scored with a calibration from the others). A combination's row scores the median "
        "of exactly the members it names; selected marks what capcost forecast uses.",
    )
    _add_inputs(bt)
    bt.add_argument(
        "--as-of",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help="the forecast made from the data up to this date (complete months, or days "
        "with --freq day) beside what happened after it: per period actual, error and "
        "whether it fell in the band; the totals over the periods with actuals (forecast, "
        "band of the total, actual, error) go to stderr",
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
    if args.input is not None:
        frame = read_input(args.input)
        return forecast(
            frame, h=args.horizon, freq=args.freq, level=levels, model=args.model, seed=args.seed
        )
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
    from forecasting.store import Store

    _check(args)
    levels = _levels(args)
    options = {"h": args.horizon, "level": levels, "model": args.model, "seed": args.seed}
    if args.input is not None:
        frame = read_input(args.input)
        frame = frame.assign(ds=frame["ds"].map(_parse_ds), y=frame["y"].astype(float))
        freq = args.freq or "month"
        out = compare(complete_by(frame, args.as_of, freq), frame, args.as_of, freq=freq, **options)
    else:
        with Store(args.db, read_only=True) as store:
            out = forecast_as_of(
                store, args.metric, args.as_of, freq=args.freq or "month", by=args.by, **options
            )
    _notes(out.result)
    for row in out.totals.itertuples():
        print(
            f"capcost: total of {row.periods} period(s) after {args.as_of:%Y-%m-%d}, "
            f"{row.unique_id}: forecast {row.forecast:,.0f} ({row.level:g}% band "
            f"{row.lower:,.0f} to {row.upper:,.0f}), actual {row.actual:,.0f}, error "
            f"{row.error_pct:+.1f}%; {row.inside} of {row.periods} inside the band",
            file=sys.stderr,
        )
    write_csv(cli_table(out.table, digits=6), args.csv)
    return 0


def _parse_ds(text: str) -> object:
    import pandas as pd

    try:
        return pd.Timestamp(text)
    except ValueError:
        raise InputError(f"not a date: {text!r}", column="ds") from None


def run_drivers(args: argparse.Namespace) -> int:
    from forecasting.export import write_csv
    from forecasting.models.drivers import store_unit_economics
    from forecasting.models.service import cli_table
    from forecasting.store import Store

    with Store.reader(args.db) as store:
        table = store_unit_economics(store, level=args.level, hours_per_month=args.hours_per_month)
    write_csv(cli_table(table, digits=6), args.csv)
    return 0
