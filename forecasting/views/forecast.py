"""The Forecast page: a stored series' forecast, its backtests and its quarters."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasting.demand.chain import CHAIN, DIRECT
from forecasting.demand.record import MADE_BY, TOTAL
from forecasting.errors import InputError
from forecasting.interface import COST_METRIC, Excuse, Freq, GroupBy
from forecasting.models import stored_fits
from forecasting.models.api import forecast
from forecasting.models.intervals import MIN_SCORES
from forecasting.models.options import ForecastOptions
from forecasting.models.result import ForecastResult
from forecasting.models.service import forecast_store
from forecasting.presentation import (
    format_date,
    format_money,
    format_month,
    format_number,
    format_percent,
    model_label,
)
from forecasting.presentation.figures import format_amount
from forecasting.presentation.gap import explain_gap
from forecasting.store import Store
from forecasting.views.display import Card

# Where the page's series choices point: (metric, cost split).
SERIES_CHOICES: dict[str, tuple[str, str | None]] = {
    "Users": ("users", None),
    "Requests/s (average)": ("requests_per_second", None),
    "Requests/s (peak)": ("requests_per_second_peak", None),
    "Cost, total": (COST_METRIC, None),
    "Cost by cost group": (COST_METRIC, "group"),
    "Cost by FOCUS category": (COST_METRIC, "category"),
    "Cost by service": (COST_METRIC, "service"),
}
# Rolling-origin windows drawn on the chart: what the automatic pipeline said back then.
FIT_WINDOWS = 3
# Months each of those forecasts runs, whatever the page's horizon: one forecast per series
# and origin, so a horizon change only slices stored forecasts (a year: one season).
FIT_MONTHS = 12
# How far back the page offers a forecast as it was made: two years of month ends.
AS_OF_MONTHS = 24
# The page's longest horizon. A forecast's month k does not depend on how far it runs (its
# paths are drawn step by step, its models chosen one season ahead), so the page builds this
# once and shows a slice of it: a horizon change recomputes nothing (``ForecastView.upto``).
MAX_HORIZON = 24


@dataclass(frozen=True)
class ForecastRequest:
    """What the Forecast page asks for."""

    series: str = "Cost, total"
    """A key of ``SERIES_CHOICES``."""
    horizon: int = 12
    """Months ahead."""
    level: float = 80.0
    """Interval level, % (80: the band holds about 80% of actuals)."""
    model: str = "auto"
    """A registered model's name, or "auto" (chosen by rolling-origin backtest)."""
    as_of: date | None = None
    """Forecast from the data up to the end of this day, beside what happened after it
    (None: from all the data)."""

    def __post_init__(self) -> None:
        if self.series not in SERIES_CHOICES:
            raise ValueError(f"series must be one of {', '.join(SERIES_CHOICES)}")


@dataclass(frozen=True)
class ForecastView:
    """A monthly forecast of one stored series (or one per group) and how good it has been.

    Values are in ``unit`` (the billing currency for cost); ``ds`` is the first day of the
    month (quarter) the row forecasts.
    """

    metric: str
    """The stored metric, e.g. "cost" or "users"."""
    unit: str
    """The metric's unit, e.g. "USD" or "users"."""
    level: float
    """Interval level of every band, %."""
    history: pd.DataFrame
    """Complete months the forecast was fitted on: ``unique_id, ds, y``."""
    table: pd.DataFrame
    """Per month: ``unique_id, ds, forecast, lower, upper, level, model``."""
    quarters: pd.DataFrame
    """The same per quarter, bands from summed monthly sample paths; for cost also
    ``forecast_per_month, lower_per_month, upper_per_month`` (a quarter's cost / 3), as the
    capacity plan budgets it."""
    backtest: pd.DataFrame
    """Accuracy of the chosen and the competing models at this horizon (``unique_id, model,
    mase, smape, coverage (%), selected``)."""
    fits: pd.DataFrame
    """Automatic forecasts made at earlier origins (``unique_id, origin, ds, fit``) for the
    largest series, drawn beside the actuals."""
    excuses: tuple[str, ...]
    """Why a series or model could not be forecast as asked."""
    methods: pd.DataFrame | None = None
    """Total cost with model auto: both cost forecasts per quarter (``unique_id, ds, method,
    forecast, lower, upper, level, of_record, complete``), the demand chain and the direct
    forecast of the bill; None otherwise."""
    method_scores: pd.DataFrame | None = None
    """Their backtest on the bill (``method, windows, errors, horizon, smape, mape, bias_pct,
    selected``: the one of record)."""
    record: str = ""
    """Which cost forecast is the one of record and why, in words ("" when not cost)."""
    data_to: date | None = None
    """The last full day of the series' data: a period it stops inside is running (its row
    is a nowcast, observed days plus a forecast of the rest)."""
    as_of: date | None = None
    """The forecast was made from the data up to this day; ``table`` then also has
    ``actual, error, error_pct, inside, partial`` and ``history`` runs past it."""
    totals: pd.DataFrame | None = None
    """With ``as_of``: per series (and cost method) the total of the months with actuals,
    forecast and actual (``models.asof.TOTAL_COLUMNS``, for cost ``method, of_record``)."""
    fits_label: str = "backtest forecasts"
    """What the chart's dotted lines are: whose forecasts from earlier origins."""
    users_quarters: pd.DataFrame | None = None
    """Total cost by the chain: the users forecast it ran on per quarter (``ds, forecast``)."""
    own_band: pd.DataFrame | None = None
    """Per month, the band as the series' own backtest errors alone set it, without the
    population prior (``unique_id, ds, lower, upper``, at ``level``): ``table``'s band is
    this one widened toward the prior. None where the band is not one series' (the demand
    chain's) or not made."""
    chain_band: bool = False
    """The band is the demand chain's (users paths carried through to the bill), not one
    series' backtest-calibrated band."""

    @property
    def running_month(self) -> pd.Timestamp | None:
        """The forecast's month that the data stops inside (None: it starts after the data)."""
        if self.data_to is None:
            return None
        month = pd.Timestamp(self.data_to).to_period("M").start_time
        return month if (self.table["ds"] == month).any() else None

    @property
    def series(self) -> list[str]:
        """The forecast's series (one, or one per group), sorted."""
        return sorted(self.table["unique_id"].unique())

    @property
    def largest(self) -> str:
        """The series with the largest history total (shown first)."""
        return _largest(self.history)

    def only(self, unique_id: str) -> ForecastView:
        """The same view with every frame cut to one series."""
        return dataclasses.replace(
            self,
            history=_rows(self.history, unique_id),
            table=_rows(self.table, unique_id),
            quarters=_rows(self.quarters, unique_id),
            backtest=_rows(self.backtest, unique_id),
            fits=_rows(self.fits, unique_id),
            own_band=None if self.own_band is None else _rows(self.own_band, unique_id),
        )

    def upto(self, horizon: int) -> ForecastView:
        """The first ``horizon`` months of this forecast (and the quarters they reach), as a
        forecast made ``horizon`` months ahead shows them. Not for a forecast as of a past
        day, whose table runs as far as it was asked."""
        if self.as_of is not None:
            raise ValueError("a forecast as of a past day is built at its own horizon")
        quarters = _first(self.quarters, max(1, -(-horizon // 3)))
        methods = self.methods
        if methods is not None:
            methods = methods[methods["ds"].isin(quarters["ds"])].reset_index(drop=True)
        own = None if self.own_band is None else _first(self.own_band, horizon)
        return dataclasses.replace(
            self,
            table=_first(self.table, horizon),
            quarters=quarters,
            methods=methods,
            own_band=own,
        )

    @property
    def method_gap(self) -> str:
        """Why the two cost forecasts beside each other part ways by the last quarter shown."""
        if self.methods is None or self.as_of is not None:
            return ""
        point = self.methods.pivot_table(index="ds", columns="method", values="forecast")
        if not {CHAIN, DIRECT} <= set(point.columns):
            return ""
        rows = pd.DataFrame({"chain": point[CHAIN], "direct": point[DIRECT]})
        if self.users_quarters is not None:
            users = self.users_quarters.drop_duplicates("ds").set_index("ds")["forecast"]
            rows["users"] = users.reindex(rows.index)
        return explain_gap(
            rows.rename_axis("ds").reset_index(), self.method_scores, self.unit, "quarter"
        )

    @property
    def band_note(self) -> str:
        """Why the band of the first series is as wide as it is at the last month shown, in
        words: how far its edges sit from the forecast, how much of its width the series'
        own backtest errors set and how much the population prior, and the month past
        which no backtest reaches ("" for a forecast as of a past day, or without a band)."""
        if self.as_of is not None or self.table.empty:
            return ""
        uid = self.series[0]
        table = _rows(self.table, uid).sort_values("ds")
        table = table[table["level"] == self.level]
        if table.empty:
            return ""
        last = table.iloc[-1]
        money = self.unit if self.metric == COST_METRIC else None
        edges = _edges(last, self.level, money, self.unit)
        if self.chain_band:
            return (
                f"{edges} The band is the demand chain's: the users forecast's band (the Users "
                "series says why it is as wide as it is), where requests per user may settle, "
                "the month-to-month peak over average, and each cost group's rates and "
                "month-to-month spread around its driver, carried through to the bill."
            )
        chosen = self.chosen[self.chosen["unique_id"] == uid]
        if chosen.empty or self.own_band is None:
            return edges
        row = chosen.iloc[0]
        own = _rows(self.own_band, uid).set_index("ds").reindex(table["ds"])
        running = self.running_month
        ahead = table["ds"] != running if running is not None else table["ds"].notna()
        words = _width_words(table, own, ahead.to_numpy(), row, money)
        return f"{edges} {words}" if words else edges

    @property
    def chosen(self) -> pd.DataFrame:
        """The backtest rows of the models the forecast uses."""
        return self.backtest[self.backtest["selected"]]

    @property
    def cards(self) -> list[Card]:
        """The model of the first series, and its backtest MASE and band coverage; for total
        cost the forecast of record and both methods' backtest errors."""
        spec = str(self.table["model"].iloc[0])
        if self.totals is not None and self.as_of is not None:
            money = self.unit if self.metric == COST_METRIC else None
            return _as_of_cards(self.totals, self.as_of, self.level, money)
        if self.method_scores is not None and not self.method_scores.empty:
            chosen = str(self.method_scores.loc[self.method_scores["selected"], "method"].iloc[0])
            return [
                Card("Cost forecast of record", chosen.capitalize(), help=self.record),
                *[
                    Card(
                        f"Backtest sMAPE, {row['method']}"
                        + (" (of record)" if row["method"] == chosen else ""),
                        format_percent(row["smape"]),
                        help=f"0-200%, on the bill: {row['errors']} months forecast from "
                        f"{row['windows']} past origins, up to {row['horizon']} months ahead"
                        + (
                            ", each origin choosing its models from the history before it, "
                            "as the forecast does (the backtest table below scores today's "
                            "choice at those origins, so its figure can differ)"
                            if row["method"] == DIRECT
                            else ""
                        ),
                    )
                    for row in self.method_scores.to_dict("records")
                ],
            ]
        cards = [Card("Model", model_label(spec), help=f"Full spec: {spec}")]
        if not self.chosen.empty:
            row = self.chosen.iloc[0]
            cards += [
                Card(
                    "Backtest MASE",
                    format_number(row["mase"], 2),
                    help="< 1 beats the seasonal naive",
                ),
                Card(
                    f"Backtest coverage, {self.level:g}% band",
                    format_percent(row["coverage"], 0),
                    help="Share of backtest actuals inside the band, each block of origins "
                    "scored with a band calibrated on the others",
                ),
                Card(
                    "Without the population prior",
                    format_percent(row["coverage_no_prior"], 0),
                    help="The same backtest with bands from its own errors alone. The band "
                    "shown is widened toward how far series like this one erred (the "
                    "population prior), never narrowed, so its coverage usually reads higher",
                ),
            ]
        return cards

    @property
    def notes(self) -> str:
        """How the figures are computed (Markdown)."""
        level = f"{self.level:g}"
        return f"""
- Fitted on complete months only (the running month would look like a drop), in {self.unit}.
- A month that stands out from the months on both sides (a credit, a refund, a burst of a few
  days) is a one-off: the models are fitted with its neighbours' level there (a note below
  names it), so it does not read as noise that hides the trend; backtests score the month as
  it was, so the band still allows for such months.
- **auto** fits seasonal naive, naive, drift, Theta, ETS and ARIMA, scores each on
  rolling-origin backtests at this horizon, and takes the median of those that backtest well
  (or a single model when it is clearly better).
- The **{level}% band** is calibrated on the backtest errors, so about {level}% of actuals
  should fall inside; the backtest's *coverage* is the share that did. Where the backtest
  holds few errors per step, the band is widened toward the population's error scale (never
  narrowed), so its coverage reads above {level}%; *without the population prior* is the
  coverage the backtest's own errors alone would give.
- **MASE** is the mean absolute error over that of a seasonal naive forecast in-sample (under 1
  beats it); **sMAPE** is the M-competition definition, a percentage from 0% to 200%.
- Dotted lines: what the same pipeline forecast from earlier months, beside what happened.
- Quarters sum monthly sample paths, so a quarter's band is the band of its total (narrower
  than adding three monthly bands); the running quarter includes its observed months.
"""


def _shown(value: float, money: str | None) -> str:
    """A figure in running text: ``$1,549`` for money (``format_amount``), else whole."""
    return format_amount(value, money) if money else format_number(value, 0)


def _edges(row: pd.Series, level: float, money: str | None, unit: str) -> str:
    """The band at one month in words: its edges and how far each sits from the forecast."""
    point, low, high = float(row["forecast"]), float(row["lower"]), float(row["upper"])
    units = "" if money else f" {unit}"
    words = (
        f"**Why the band is this wide.** In {format_month(row['ds'])} the {level:g}% band "
        f"runs from {_shown(low, money)} to {_shown(high, money)}{units} around a forecast "
        f"of {_shown(point, money)}"
    )
    if point <= 0:
        return words + "."
    ratio = low / point
    if low < 0:
        bottom = "below zero"
    elif low == 0:
        bottom = "reaches zero"  # a band clipped at zero says so
    elif ratio < 0.005:
        bottom = "above zero but under 0.005x"  # 0.00x would read as zero
    else:
        bottom = f"{format_number(ratio, 2)}x"
    return (
        f"{words}: its top is {format_number(high / point, 1)}x the forecast, its bottom {bottom}."
    )


def _width_words(
    table: pd.DataFrame,
    own: pd.DataFrame,
    ahead: npt.NDArray[np.bool_],
    row: pd.Series,
    money: str | None,
) -> str:
    """How much of the last month's band the series' own backtest errors set, how many of
    them stand behind it, and where the backtests stop (past there only the prior speaks).

    The backtest scores ``horizon`` steps from ``windows`` consecutive origins, the last
    one a step before the data ends, so step k is scored from ``windows - k + 1`` of them;
    steps count from the first month forecast after the data (a running month is nowcast
    from its own days, not a step).
    """
    width = (table["upper"] - table["lower"]).to_numpy(float)
    own_width = (own["upper"] - own["lower"]).to_numpy(float)
    if not (np.isfinite(own_width[-1]) and width[-1] > 0):
        return ""
    horizon, windows = int(row["horizon"]), int(row["windows"])
    steps = np.cumsum(ahead)  # the step each month forecast ahead is (0: the nowcast)
    k = int(steps[-1])
    reached = windows - k + 1 if 1 <= k <= horizon else 0
    errors = int(row["errors"])
    counted = (
        f"{_count(errors, 'error')} from {_count(windows, 'origin')}, up to "
        f"{_count(horizon, 'month')} ahead"
    )
    if errors < MIN_SCORES:
        # Too few to calibrate on: the engine draws the model's own band, which neither the
        # errors nor the prior touch (so the two bands are equal, and say nothing of who set
        # them).
        return (
            f"The series' backtest has only {counted}: too few to calibrate a band on, so "
            "the band is the model's own spread, set neither by those errors nor by the "
            "population prior."
        )
    evidence = f"The series' own backtest errors ({counted})"
    own_low, own_high = float(own["lower"].iloc[-1]), float(own["upper"].iloc[-1])
    low, high = float(table["lower"].iloc[-1]), float(table["upper"].iloc[-1])
    share = own_width[-1] / width[-1]
    if np.isclose(own_low, low, rtol=1e-9, atol=0) and np.isclose(
        own_high, high, rtol=1e-9, atol=0
    ):
        out = f"{evidence} set all of it: the population prior adds nothing here."
    elif share >= 1 - 1e-9:
        # The prior weighed in but the band is no wider for it: its thin tail leans further
        # (the lean is read against the wider unit) or its bottom is clipped at zero.
        out = (
            f"{evidence} would alone give {_shown(own_low, money)} to "
            f"{_shown(own_high, money)}, as wide or wider: the population prior weighed in "
            "too, and moved the band's edges here rather than widening it."
        )
    else:
        far = (
            "none of them reaches this far"
            if reached <= 0
            else f"only {reached} of the {windows} {'reaches' if reached == 1 else 'reach'} "
            "this far"
            if reached < windows
            else f"all {windows} reach this far"
        )
        out = (
            f"{evidence} would alone give {_shown(own_low, money)} to "
            f"{_shown(own_high, money)}, {format_percent(100 * share, 0)} "
            f"of that width: {far}. The other {format_percent(100 * (1 - share), 0)} is the "
            "population prior: how far series like this one, moving as fast, erred that far "
            "ahead in public forecasting-competition series (M1, M3, Tourism)."
        )
    beyond = (steps > horizon) & ahead
    if beyond.any():
        at = int(np.argmax(beyond))
        since = format_month(table["ds"].iloc[at - 1]) if at else ""
        widened = bool((width[beyond] > own_width[beyond] * (1 + 1e-9)).all())
        out += f" No backtest reaches past {since}: " + (
            f"from {format_month(table['ds'].iloc[at])} the band is the prior's alone."
            if widened
            else "the band there carries the furthest backtested errors on."
        )
    return out


def _count(n: int, what: str) -> str:
    """``n`` things in words: "1 error", "78 errors"."""
    return f"{format_number(n, 0)} {what}{'' if n == 1 else 's'}"


def _rows(frame: pd.DataFrame, unique_id: str) -> pd.DataFrame:
    return frame[frame["unique_id"] == unique_id]


def _first(frame: pd.DataFrame, periods: int) -> pd.DataFrame:
    """Each series' first ``periods`` periods (by ``ds``)."""
    rank = frame.groupby("unique_id")["ds"].rank(method="dense")
    return frame[rank <= periods].reset_index(drop=True)


def build_forecast(store: Store, request: ForecastRequest) -> ForecastView | Excuse:
    """Forecast the chosen series ``horizon`` months ahead from its complete months."""
    horizon, level, model = request.horizon, request.level, request.model
    metric, by = SERIES_CHOICES[request.series]
    if metric != COST_METRIC and metric not in store.stored_metrics():
        return Excuse(f"no {metric} stored: ingest it with `capcost ingest metrics FILE`")
    if request.as_of is not None:
        return _as_of(store, request)
    if metric == COST_METRIC and by is None and model == "auto":
        return _cost_of_record(store, request)
    monthly = forecast_store(
        store, metric, freq=Freq.MONTH, by=by, h=horizon, level=(level,), model=model
    )
    quarters = forecast_store(
        store,
        metric,
        freq=Freq.QUARTER,
        by=by,
        h=max(1, -(-horizon // 3)),
        level=(level,),
        model=model,
    )
    table = quarters.table
    if metric == COST_METRIC:
        table = table.assign(
            **{f"{c}_per_month": table[c] / 3 for c in ("forecast", "lower", "upper")}
        )
    main = _largest(monthly.history)
    return ForecastView(
        own_band=own_bands(monthly.result, level),
        metric=metric,
        unit=monthly.unit,
        level=level,
        history=monthly.history,
        table=monthly.table,
        quarters=table,
        backtest=monthly.result.backtest,
        fits=backtest_fits(monthly.history[monthly.history["unique_id"] == main], model),
        excuses=tuple(e.reason for e in monthly.result.excuses),
        data_to=store.last_full_day(metric),
    )


def _view_key(store: Store, request: ForecastRequest) -> tuple[object, ...]:
    return (stored_fits.store_part(store), request)


# The page's view of the total cost is stored whole by the refresh (at each level it offers,
# the longest horizon, sliced by the page): its cost of record, the chain and the tables are
# 1 s a first visit or a level change, read from the store in milliseconds. Keyed on the
# store's data, the request, the engine and what makes the cost of record (MADE_BY).
@stored_fits.fitted(
    "forecast page total", *MADE_BY, keyed=_view_key, engine=True, keeps_inputs=True
)
def _cost_of_record(store: Store, request: ForecastRequest) -> ForecastView:
    """Total cost: the cost forecast of record (the Capacity plan's, the Overview's and the
    CLI's), with the other method's quarters and both backtests beside it."""
    from forecasting.demand.record import cost_of_record

    horizon, level = request.horizon, request.level
    quarters = max(1, -(-horizon // 3))
    record = cost_of_record(store, ForecastOptions(level=level), quarters=quarters)
    chosen = record.chosen
    months = chosen.months[chosen.months["ds"].isin(sorted(chosen.months["ds"])[:horizon])]
    table = chosen.quarters[chosen.quarters["ds"].isin(sorted(chosen.quarters["ds"])[:quarters])]
    table = table.assign(**{f"{c}_per_month": table[c] / 3 for c in ("forecast", "lower", "upper")})
    both = [f for f in (record.chosen, record.other) if f is not None]
    methods = pd.concat(
        [
            f.quarters[f.quarters["ds"].isin(table["ds"])].assign(
                method=f.method, of_record=f is record.chosen
            )
            for f in both
        ],
        ignore_index=True,
    )[["unique_id", "ds", "method", "forecast", "lower", "upper", "level", "of_record", "complete"]]
    direct = record.method(DIRECT) if record.other is not None or chosen.method == DIRECT else None
    engine = direct.result if direct is not None else chosen.result
    # The dotted lines are the backtests of the forecast shown: the chain's when it is the
    # one of record (drawing the direct forecast's under it mislabelled them).
    fits = _record_fits(record.fits, chosen.method) if len(record.fits) else None
    words = f"The cost forecast of record is the {chosen.method} ({record.why})."
    if record.other is not None:
        words += f" The {record.other.method} is beside it."
    history = record.history
    return ForecastView(
        metric=COST_METRIC,
        unit=record.currency,
        level=level,
        history=history,
        table=months,
        quarters=table,
        backtest=engine.backtest,
        fits=fits if fits is not None else backtest_fits(history, request.model),
        fits_label=f"backtest forecasts, {chosen.method}",
        excuses=record.notes,
        methods=methods,
        method_scores=record.backtest if not record.backtest.empty else None,
        record=words,
        data_to=store.last_full_day(COST_METRIC),
        users_quarters=record.users_quarters,
        own_band=own_bands(chosen.result, level, months["ds"]) if chosen.method == DIRECT else None,
        chain_band=chosen.method == CHAIN,
    )


def own_bands(
    result: ForecastResult, level: float, months: pd.Series | None = None
) -> pd.DataFrame | None:
    """Per series and month, the band its own backtest errors alone set at ``level``
    (``unique_id, ds, lower, upper``), the months in ``months`` when given; None when no
    series has one."""
    frames = [
        pd.DataFrame({"unique_id": uid, "ds": s.ds, "lower": lo, "upper": hi})
        for uid, s in result.series.items()
        if level in s.own_bands
        for lo, hi in [s.own_bands[level]]
    ]
    if not frames:
        return None
    out = pd.concat(frames, ignore_index=True)
    if months is not None:
        out = out[out["ds"].isin(months)]
    return out.reset_index(drop=True)


def as_of_dates(
    months: list[str], back: int = AS_OF_MONTHS, data_to: date | None = None
) -> list[date]:
    """The Forecast page's as-of choices: the last day of each month before the newest of
    ``months`` (``YYYY-MM``, any order), newest first, ``back`` of them; with ``data_to``
    (the last day with data) only those followed by a month that has ended by then: a
    forecast beside what happened needs a whole month to have happened."""
    ordered = sorted(months, reverse=True)[1:]
    ends = [pd.Period(m, freq="M") for m in ordered]
    if data_to is not None:
        ends = [m for m in ends if (m + 1).end_time.date() <= data_to]
    return [m.end_time.date() for m in ends[:back]]


def _record_fits(fits: pd.DataFrame, method: str) -> pd.DataFrame:
    """``FIT_WINDOWS`` of the cost backtest's forecasts by ``method``: the earliest origins
    (the longest forecasts), a third of the origins apart, as the other series' are drawn."""
    mine = fits[fits["method"] == method]
    origins = sorted(mine["origin"].unique())
    step = max(1, len(origins) // FIT_WINDOWS)
    keep = origins[::step][:FIT_WINDOWS]
    out = mine[mine["origin"].isin(keep)].assign(unique_id=TOTAL)
    return out[["unique_id", "origin", "ds", "fit"]].reset_index(drop=True)


def _as_of(store: Store, request: ForecastRequest) -> ForecastView | Excuse:
    """The forecast made from the data up to ``request.as_of`` beside what happened: for
    total cost the cost forecast of record as it stood then, the other method beside it."""
    from forecasting.demand.asof import cost_of_record_as_of
    from forecasting.models.asof import forecast_as_of

    assert request.as_of is not None
    metric, by = SERIES_CHOICES[request.series]
    level, as_of = (request.level,), request.as_of
    group = GroupBy(by) if by else None
    history, unit = store.read_series(metric, Freq.MONTH, group, complete_only=True)
    methods, record = None, ""
    try:
        if metric == COST_METRIC and by is None and request.model == "auto":
            cost = cost_of_record_as_of(store, as_of, h=request.horizon, levels=level)
            table, totals, methods = cost.of_record(cost.table), cost.totals, cost.table
            history = history.groupby("ds", as_index=False)["y"].sum().assign(unique_id=TOTAL)
            backtest = cost.record.backtest.assign(unique_id=TOTAL)
            record = (
                f"As of {format_date(as_of)} the cost forecast of record was the "
                f"{cost.record.chosen.method} ({cost.record.why})."
            )
        else:
            out = forecast_as_of(
                store, metric, as_of, by=by, h=request.horizon, level=level, model=request.model
            )
            table, totals, backtest = out.table, out.totals, out.result.backtest
    except InputError as exc:
        return Excuse(str(exc))
    return ForecastView(
        metric=metric,
        unit=unit,
        level=request.level,
        history=history,
        table=table.drop(columns=[c for c in ("method", "of_record") if c in table]),
        quarters=table.iloc[:0],
        backtest=backtest,
        fits=pd.DataFrame(columns=["unique_id", "origin", "ds", "fit"]),
        excuses=(),
        methods=methods,
        record=record,
        data_to=as_of,
        as_of=as_of,
        totals=totals,
    )


def _as_of_cards(
    totals: pd.DataFrame, as_of: date, level: float, currency: str | None
) -> list[Card]:
    """The total of the months since ``as_of``: forecast against actual, and how many months
    fell inside the band; for cost the forecast of record's (the other in the help)."""
    rows = totals[totals["of_record"].astype(bool)] if "of_record" in totals else totals
    row = rows.iloc[0]
    after = f"the {row['periods']} months after {format_date(as_of)}"

    def shown(value: object) -> str:
        return format_money(value, currency, cents=False) if currency else format_number(value)

    others = "; ".join(
        f"the {r['method']}: {r['error_pct']:+.1f}%, {r['inside']} of {r['periods']} inside"
        for r in totals.to_dict("records")
        if "method" in r and not r["of_record"]
    )
    return [
        Card(
            "Forecast then, total",
            shown(row["forecast"]),
            help=f"{after}; {level:g}% band {shown(row['lower'])} to {shown(row['upper'])}",
        ),
        Card("Actual total", shown(row["actual"]), help=after),
        Card(
            "Error of the total",
            f"{row['error_pct']:+.1f}%",
            help=f"{row['inside']} of {row['periods']} months inside the {level:g}% band"
            + (f" ({others})" if others else ""),
        ),
    ]


def _largest(history: pd.DataFrame) -> str:
    return str(history.groupby("unique_id")["y"].sum().idxmax())


def backtest_fits(history: pd.DataFrame, model: str) -> pd.DataFrame:
    """Forecasts the same pipeline made from earlier origins, for drawing beside the actuals.

    Each runs ``FIT_MONTHS`` (at most a third of the history); origins step back a third of
    that from the end, as the engine's own backtest does.
    """
    n = len(history)
    h = min(FIT_MONTHS, max(1, n // 3))
    step = max(1, h // FIT_WINDOWS)
    frames = []
    for k in range(FIT_WINDOWS, 0, -1):
        origin = n - h - (k - 1) * step
        if origin < 8:
            continue
        past = history.iloc[:origin]
        result = forecast(past, h=h, freq=Freq.MONTH, level=(80.0,), model=model)
        fit = result.forecast[["unique_id", "ds", "forecast"]].rename(columns={"forecast": "fit"})
        frames.append(fit.assign(origin=pd.Timestamp(past["ds"].max())))
    if not frames:
        return pd.DataFrame(columns=["unique_id", "origin", "ds", "fit"])
    return pd.concat(frames, ignore_index=True)[["unique_id", "origin", "ds", "fit"]]
