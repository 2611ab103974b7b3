"""The Forecast page: a stored series' forecast, its backtests and its quarters."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date

import pandas as pd

from forecasting.demand.chain import DIRECT
from forecasting.interface import COST_METRIC, Excuse, Freq
from forecasting.models.api import forecast
from forecasting.models.options import ForecastOptions
from forecasting.models.service import forecast_store
from forecasting.presentation import model_label
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
        )

    @property
    def chosen(self) -> pd.DataFrame:
        """The backtest rows of the models the forecast uses."""
        return self.backtest[self.backtest["selected"]]

    @property
    def cards(self) -> list[Card]:
        """The model of the first series, and its backtest MASE and band coverage; for total
        cost the forecast of record and both methods' backtest errors."""
        spec = str(self.table["model"].iloc[0])
        if self.method_scores is not None and not self.method_scores.empty:
            scores = self.method_scores.set_index("method")["smape"]
            chosen = str(self.method_scores.loc[self.method_scores["selected"], "method"].iloc[0])
            return [
                Card("Cost forecast of record", chosen.capitalize(), help=self.record),
                *[
                    Card(
                        f"Backtest sMAPE, {m}" + (" (of record)" if m == chosen else ""),
                        f"{v:.1f}",
                        help="0-200, on the bill three months ahead from past origins",
                    )
                    for m, v in scores.items()
                ],
            ]
        cards = [Card("Model", model_label(spec), help=f"Full spec: {spec}")]
        if not self.chosen.empty:
            row = self.chosen.iloc[0]
            cards += [
                Card("Backtest MASE", f"{row['mase']:.2f}", help="< 1 beats the seasonal naive"),
                Card(f"Backtest coverage of the {self.level:g}% band", f"{row['coverage']:.0f}%"),
            ]
        return cards

    @property
    def notes(self) -> str:
        """How the figures are computed (Markdown)."""
        level = f"{self.level:g}"
        return f"""
- Fitted on complete months only (the running month would look like a drop), in {self.unit}.
- **auto** fits seasonal naive, naive, drift, Theta, ETS and ARIMA, scores each on
  rolling-origin backtests at this horizon, and takes the median of those that backtest well
  (or a single model when it is clearly better).
- The **{level}% band** is calibrated on the backtest errors, so about {level}% of actuals
  should fall inside; the coverage above is what the backtests measured.
- **MASE** is the mean absolute error over that of a seasonal naive forecast in-sample; **sMAPE**
  is the M-competition definition (0-200).
- Dotted lines: what the same pipeline forecast from earlier months, beside what happened.
- Quarters sum monthly sample paths, so a quarter's band is the band of its total (narrower
  than adding three monthly bands); the running quarter includes its observed months.
"""


def _rows(frame: pd.DataFrame, unique_id: str) -> pd.DataFrame:
    return frame[frame["unique_id"] == unique_id]


def build_forecast(store: Store, request: ForecastRequest) -> ForecastView | Excuse:
    """Forecast the chosen series ``horizon`` months ahead from its complete months."""
    horizon, level, model = request.horizon, request.level, request.model
    metric, by = SERIES_CHOICES[request.series]
    if metric != COST_METRIC and metric not in store.stored_metrics():
        return Excuse(f"no {metric} stored: ingest it with `capcost ingest metrics FILE`")
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
        fits=backtest_fits(history, request.model),
        excuses=record.notes,
        methods=methods,
        method_scores=record.backtest if not record.backtest.empty else None,
        record=words,
        data_to=store.last_full_day(COST_METRIC),
    )


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
