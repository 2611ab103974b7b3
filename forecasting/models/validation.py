"""The one place that checks long-format series frames and works out their frequency."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting.errors import InputError
from forecasting.interface import Excuse

# Seasonal cycle (periods per cycle) by pandas offset prefix. Weeks use 52: a year of weeks
# is the cycle that matters for demand; sub-daily data cycle once a day.
_SEASON_BY_PREFIX = {"Y": 1, "A": 1, "Q": 4, "M": 12, "W": 52, "D": 7, "B": 5}
_LABEL_BY_PREFIX = {
    "Y": "year",
    "A": "year",
    "Q": "quarter",
    "M": "month",
    "W": "week",
    "D": "day",
    "B": "business day",
    "h": "hour",
    "min": "minute",
    "s": "second",
}
# Coarse to fine: the coarsest calendar grid holding every date is the series' frequency.
_USER_FREQS = {"year": "YS", "quarter": "QS", "month": "MS", "week": "W", "day": "D", "hour": "h"}
# More than this share of a series' grid missing and interpolation would invent the series.
MAX_GAP_SHARE = 0.25


@dataclass(frozen=True)
class Frequency:
    """A regular sampling frequency and its seasonal cycle."""

    alias: str
    """pandas offset alias of the grid (``MS``, ``QS-JAN``, ``W-SUN``, ``D``, ``h``...)."""
    season_length: int
    """Periods per seasonal cycle (12 for months, 7 for days); 1 when there is none."""
    label: str
    """Plain name of one period (``month``, ``quarter``...)."""

    def future(self, last: pd.Timestamp, h: int) -> pd.DatetimeIndex:
        """The ``h`` period starts after ``last``, continuing the series' own grid."""
        return pd.date_range(last, periods=h + 1, freq=self.alias)[1:]


def frequency_from_alias(alias: str) -> Frequency:
    """The Frequency of a pandas offset alias such as ``MS``, ``QS-OCT`` or ``15min``."""
    offset = pd.tseries.frequencies.to_offset(alias)
    code = offset.rule_code
    prefix = next((p for p in ("min", "h", "s") if code == p), code[:1])
    label = _LABEL_BY_PREFIX.get(prefix, code)
    if prefix in ("h", "min", "s"):
        step = pd.Timestamp("2000-01-01") + offset - pd.Timestamp("2000-01-01")
        per_day = 86_400.0 / step.total_seconds()
        season = int(per_day) if per_day >= 2 and per_day.is_integer() else 1
    else:
        season = _SEASON_BY_PREFIX.get(prefix, 1) if offset.n == 1 else 1
    return Frequency(alias=offset.freqstr, season_length=season, label=label)


def user_frequency(name: str, first: pd.Timestamp) -> Frequency:
    """The Frequency a user names (``--freq month``), anchored on the series' first date."""
    if name not in _USER_FREQS:
        raise InputError(
            f"unknown frequency {name!r}; use one of {', '.join(_USER_FREQS)}", parameter="--freq"
        )
    return frequency_from_alias(_anchored(_USER_FREQS[name], first))


def _anchored(alias: str, first: pd.Timestamp) -> str:
    months = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
    if alias == "QS":
        return f"QS-{months[(first.month - 1) % 3]}"
    if alias == "YS":
        return f"YS-{months[first.month - 1]}"
    if alias == "W":
        return f"W-{('MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN')[first.day_of_week]}"
    return alias


def validate_series(frame: pd.DataFrame, *, source: str = "frame") -> pd.DataFrame:
    """Check a long frame ``unique_id, ds, y`` and return a clean sorted copy.

    ``y`` may be empty (a gap) but not text; ``ds`` must parse as dates; a series may not
    repeat a date. Errors name the row (1-based, as a spreadsheet counts data rows).
    """
    missing = [c for c in ("unique_id", "ds", "y") if c not in frame.columns]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(missing)}; expected ds,y or unique_id,ds,y",
            file=source,
        )
    out = pd.DataFrame({"unique_id": frame["unique_id"].astype(str)})
    out["ds"] = _parse_dates(frame["ds"], source)
    out["y"] = _parse_values(frame["y"], source)
    dup = out.duplicated(["unique_id", "ds"], keep="first")
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(
            f"date {out['ds'].iloc[row]:%Y-%m-%d} repeats in series {out['unique_id'].iloc[row]!r}",
            file=source,
            row=row + 1,
            column="ds",
        )
    if out.empty:
        raise InputError("no rows", file=source)
    return out.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)


def _parse_dates(values: pd.Series, source: str) -> pd.Series:
    parsed = pd.to_datetime(values, errors="coerce", utc=True, format="mixed")
    bad = parsed.isna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(f"not a date: {values.iloc[row]!r}", file=source, row=row + 1, column="ds")
    return parsed.dt.tz_localize(None).astype("datetime64[ns]")


def _parse_values(values: pd.Series, source: str) -> pd.Series:
    text = values.astype("string").str.strip()
    blank = text.isna() | (text == "")
    parsed = pd.to_numeric(text.where(~blank), errors="coerce").astype("float64")
    bad = (parsed.isna() & ~blank) | np.isinf(parsed)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"not a finite number: {values.iloc[row]!r}", file=source, row=row + 1, column="y"
        )
    return parsed


def infer_frequency(dates: pd.Series | pd.DatetimeIndex, *, source: str = "frame") -> Frequency:
    """The coarsest regular calendar grid (year, quarter, month, week, day...) holding every date.

    Gaps are allowed (they are filled later), irregular dates are not.
    """
    ds = pd.DatetimeIndex(pd.Series(dates).drop_duplicates().sort_values())
    if len(ds) < 3:
        raise InputError(
            "at least 3 dates are needed to infer the frequency; state it with --freq",
            file=source,
            column="ds",
        )
    with pd.option_context("future.infer_freq_returns_offset", True):
        exact = pd.infer_freq(ds)
    if exact is not None:
        return frequency_from_alias(str(pd.tseries.frequencies.to_offset(exact).freqstr))
    for alias in ("YS", "QS", "MS", "ME", "W", "D", "h"):
        anchored = _anchored(alias, ds[0])
        grid = pd.date_range(ds[0], ds[-1], freq=anchored)
        if ds.isin(grid).all() and len(ds) >= (1 - MAX_GAP_SHARE) * len(grid):
            return frequency_from_alias(anchored)
    step = pd.Series(ds).diff().dropna().min()
    raise InputError(
        f"dates are not on a regular grid (smallest step {step}); state the frequency with --freq",
        file=source,
        column="ds",
    )


def regularize(
    frame: pd.DataFrame, freq: Frequency
) -> tuple[dict[str, tuple[np.ndarray, pd.Timestamp]], list[Excuse]]:
    """Each series as a gap-free float array with its last date, and excuses for what changed.

    A few missing periods are filled by linear interpolation; when more than a quarter of the
    grid is missing, only the last stretch without gaps is kept, since interpolating most of
    a series would be forecasting from invented data.
    """
    series: dict[str, tuple[np.ndarray, pd.Timestamp]] = {}
    excuses: list[Excuse] = []
    sparse: list[InputError] = []
    for uid, part in frame.groupby("unique_id", sort=True):
        key = str(uid)
        values = part.set_index("ds")["y"]
        grid = pd.date_range(values.index[0], values.index[-1], freq=freq.alias)
        off_grid = ~values.index.isin(grid)
        if off_grid.any():
            raise InputError(
                f"series {key!r}: date {values.index[off_grid][0]:%Y-%m-%d} is not on the "
                f"{freq.label} grid ({freq.alias})",
                column="ds",
            )
        spacing = (
            float(np.median(np.diff(grid.get_indexer(values.index)))) if len(values) > 1 else 1
        )
        if spacing >= 2:
            # One sparse series among others (a service billed twice a year) is that series'
            # problem, not a wrong frequency: the others are forecast and it gets its reason.
            sparse.append(
                InputError(
                    f"series {key!r}: dates are {spacing:g} {freq.label}s apart, not one value "
                    f"per {freq.label}; state the right --freq or leave it out",
                    parameter="--freq",
                )
            )
            excuses.append(
                Excuse(
                    f"series {key!r}: {len(values)} values {spacing:g} {freq.label}s apart, too "
                    f"sparse to forecast per {freq.label}",
                    {"unique_id": key, "values": len(values), "spacing": spacing},
                )
            )
            continue
        y = values.reindex(grid).to_numpy(dtype=float)
        y, excuse = _fill_gaps(key, y, grid)
        if excuse is not None:
            excuses.append(excuse)
        if len(y):
            series[key] = (y, grid[-1])
    if sparse and not series:
        raise sparse[0]
    return series, excuses


def _fill_gaps(uid: str, y: np.ndarray, grid: pd.DatetimeIndex) -> tuple[np.ndarray, Excuse | None]:
    gaps = np.isnan(y)
    if not gaps.any():
        return y, None
    share = float(gaps.mean())
    if share > MAX_GAP_SHARE:
        last_gap = int(np.flatnonzero(gaps)[-1])
        kept = y[last_gap + 1 :]
        return kept, Excuse(
            f"series {uid!r}: {gaps.sum()} of {len(y)} periods missing; only the "
            f"{len(kept)} periods after the last gap are used",
            {
                "unique_id": uid,
                "missing": int(gaps.sum()),
                "kept_from": f"{grid[last_gap + 1]:%Y-%m-%d}",
            },
        )
    idx = np.arange(len(y))
    filled = y.copy()
    filled[gaps] = np.interp(idx[gaps], idx[~gaps], y[~gaps])
    return filled, Excuse(
        f"series {uid!r}: {gaps.sum()} missing period(s) filled by linear interpolation",
        {
            "unique_id": uid,
            "missing": int(gaps.sum()),
            "first_missing": f"{grid[gaps][0]:%Y-%m-%d}",
        },
    )
