"""The cost forecast of record as it was made on an earlier date, beside what happened.

The year-ago forecast of the bill is the one the app would have shown that day: the
backtest on the data up to the date chooses between the demand chain and the direct
forecast, and the other is set beside it, both against the months billed since.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import pandas as pd

from forecasting.demand.record import TOTAL, CostForecast, CostOfRecord, cost_of_record
from forecasting.errors import InputError
from forecasting.interface import COST_METRIC, Freq
from forecasting.models.asof import AS_OF_COLUMNS, TOTAL_COLUMNS, beside_actuals, totals
from forecasting.models.options import ForecastOptions, PathForecaster, run_models

if TYPE_CHECKING:
    from forecasting.store import Store

METHOD_COLUMNS = ("method", "of_record")
RECORD_AS_OF_COLUMNS = (*AS_OF_COLUMNS, *METHOD_COLUMNS)
"""``capcost backtest cost --as-of``: the as-of columns of both methods' months, then
``method`` (demand chain or direct cost forecast) and ``of_record`` (the one chosen then)."""
RECORD_TOTAL_COLUMNS = (*TOTAL_COLUMNS, *METHOD_COLUMNS)
# Complete months of the bill a forecast needs by the as-of date (as for any series).
MIN_MONTHS = 3
DEFAULT_MONTHS = 12


@dataclass(frozen=True)
class CostAsOf:
    """The cost forecast of record made on ``as_of`` and the other method, beside the bill."""

    as_of: date
    table: pd.DataFrame
    """``RECORD_AS_OF_COLUMNS``: per method, month and level the forecast, the bill, the
    error (forecast - actual, in ``record.currency``) and whether the bill fell in the band."""
    totals: pd.DataFrame
    """``RECORD_TOTAL_COLUMNS``: per method and level, over the months billed since."""
    record: CostOfRecord
    """The cost of record as computed on the data up to ``as_of``."""

    def of_record(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows of ``table`` or ``totals`` that belong to the forecast of record."""
        return frame[frame["of_record"].astype(bool)]


def cost_of_record_as_of(
    store: Store,
    as_of: date,
    *,
    h: int | None = None,
    levels: tuple[float, ...] = (80.0,),
    seed: int = 0,
    forecaster: PathForecaster = run_models,
) -> CostAsOf:
    """The total cost forecast of record from the data up to ``as_of`` (``h`` months, default
    12), both methods beside the bill since."""
    months = DEFAULT_MONTHS if h is None else h
    if months < 1:
        raise InputError("horizon must be at least 1 month", parameter="--horizon")
    bill, _ = store.read_series(COST_METRIC, Freq.MONTH, complete_only=True)
    actuals = bill.groupby("ds", as_index=False)["y"].sum().assign(unique_id=TOTAL)
    then = store.as_it_stood(as_of)
    seen, _ = then.read_series(COST_METRIC, Freq.MONTH, complete_only=True)
    if seen["ds"].nunique() < MIN_MONTHS:
        raise InputError(
            f"fewer than {MIN_MONTHS} complete months of cost by {as_of:%Y-%m-%d}",
            parameter="--as-of",
        )
    options = ForecastOptions(level=levels[0], seed=seed)
    record = cost_of_record(then, options, forecaster, quarters=-(-months // 3), levels=levels)
    running = pd.Timestamp(as_of).to_period("M").start_time
    tables, sums = [], []
    for f in (record.chosen, record.other):
        if f is None:
            continue
        table = beside_actuals(_first(f, months), actuals, running)
        chosen = f is record.chosen
        tables.append(table.assign(method=f.method, of_record=chosen))
        sums.append(totals(f.result, table).assign(method=f.method, of_record=chosen))
    return CostAsOf(
        as_of,
        pd.concat(tables, ignore_index=True)[list(RECORD_AS_OF_COLUMNS)],
        pd.concat(sums, ignore_index=True)[list(RECORD_TOTAL_COLUMNS)],
        record,
    )


def _first(f: CostForecast, months: int) -> pd.DataFrame:
    """The method's first ``months`` months (the record runs to whole quarters)."""
    keep = sorted(f.months["ds"].unique())[:months]
    return f.months[f.months["ds"].isin(keep)].reset_index(drop=True)
