"""One figure as a person reads it: money, rates, percentages, periods, model names, headers."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

import numpy as np
import pandas as pd

MISSING = "—"
# ISO 4217 currencies without minor units in everyday use: never shown with cents.
ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "UGX", "PYG", "XOF"})
# Amounts below this show their cents: on a 17,035 monthly total cents are noise, on 12.40 not.
# A column goes by its typical (median) amount: one change of 11.18 among changes in the
# thousands does not put cents on all of them beside whole-dollar columns.
CENTS_BELOW = 100.0
# Unit prices and rates keep this many significant digits ($0.0416 per hour, not $0.04).
RATE_SIGNIFICANT = 4
MAX_DECIMALS = 4


def is_missing(value: object) -> bool:
    if value is None or value is pd.NaT:
        return True
    try:
        return bool(pd.isna(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False


def money_decimals(values: Any, currency: str | None = None) -> int:
    """0 or 2: cents only where they matter (the typical amount is below 100) and the currency
    has them."""
    if currency is not None and currency.upper() in ZERO_DECIMAL_CURRENCIES:
        return 0
    arr = np.abs(np.asarray(values, dtype=float).ravel())
    arr = arr[np.isfinite(arr) & (arr > 0)]
    return 2 if arr.size and float(np.median(arr)) < CENTS_BELOW else 0


def significant_decimals(values: Any, significant: int = 3, cap: int = MAX_DECIMALS) -> int:
    """Decimals that show the smallest non-zero magnitude to ``significant`` digits.

    Columns whose largest value is 10 or more stop at 2 decimals: sub-cent digits on such
    figures are machine noise, not information.
    """
    arr = np.abs(np.asarray(values, dtype=float).ravel())
    arr = arr[np.isfinite(arr) & (arr > 0)]
    if not arr.size:
        return 0
    decimals = significant - 1 - math.floor(math.log10(float(arr.min())))
    if float(arr.max()) >= 10:
        cap = min(cap, 2)
    return max(0, min(cap, decimals))


def round_half_up(value: float, decimals: int, scale: int = 1) -> Decimal:
    """``value x scale`` rounded as a person rounds the number they see: 0.2435 -> 24.4%.

    Binary floats would round 24.35 down (it is stored as 24.3499...); the shortest decimal
    that prints as the float is what people mean, so that is what is rounded.
    """
    exact = Decimal(repr(float(value))) * scale
    # Enough digits for the whole number: quantize refuses a result longer than the context's
    # precision (28), and an amount of 1e45 is still a number to print.
    digits = Context(prec=max(28, exact.adjusted() + decimals + 2))
    return exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP, context=digits)


def rounded(values: pd.Series, decimals: int, scale: int = 1) -> pd.Series:
    """A float column rounded half up to ``decimals`` (NaN stays NaN, no ``-0.0``)."""
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    out = [
        float(round_half_up(v, decimals, scale)) if math.isfinite(v) else v * scale for v in numbers
    ]
    return pd.Series(out, index=values.index, dtype=float) + 0.0


def format_number(value: object, decimals: int | None = None, scale: int = 1) -> str:
    """``1,234,567`` or ``0.0234``: thousands separators, no ``-0``, ``—`` when missing."""
    if is_missing(value):
        return MISSING
    number = float(value)  # type: ignore[arg-type]
    if math.isinf(number):
        return "∞" if number > 0 else "-∞"
    if decimals is None:
        decimals = significant_decimals([number * scale])
    text = f"{round_half_up(number, decimals, scale):,.{decimals}f}"
    return text[1:] if re.fullmatch(r"-[0,.]+", text) else text


def format_money(
    value: object, currency: str, *, cents: bool | None = None, signed: bool = False
) -> str:
    """``17,035 USD``, ``-12.40 EUR``, ``1,500 JPY``: the currency is always written;
    ``signed`` writes a change with its sign (``+1,018 USD``, never ``+0``)."""
    if is_missing(value):
        return MISSING
    decimals = money_decimals([value], currency) if cents is None else (2 if cents else 0)
    if currency.upper() in ZERO_DECIMAL_CURRENCIES:
        decimals = 0
    text = format_number(value, decimals)
    if signed and not text.startswith("-") and re.search(r"[1-9]", text):
        text = "+" + text
    return f"{text} {currency}"


def format_amount(value: object, currency: str) -> str:
    """An amount in running text, whole units: ``$1,027`` in USD (the savings and capacity
    notes' style), ``1,027 EUR`` in any other currency, so a non-USD bill never reads as $."""
    if is_missing(value):
        return MISSING
    text = format_number(value, 0)
    if currency.upper() != "USD":
        return f"{text} {currency}"
    return f"-${text[1:]}" if text.startswith("-") else f"${text}"


def shown_parts(parts: list[float], total: float, decimals: int = 0) -> list[float]:
    """``parts`` rounded to ``decimals`` so that they add up to ``total`` rounded: a person
    adds the figures shown (-230 + 59 must read -171 beside a -171 total, not -172).

    Each part is rounded half up; the rounding's shortfall goes, one unit at a time, to the
    parts that lost most to it (largest remainder), so no part moves by a unit or more."""
    unit = 10.0**-decimals
    target = float(round_half_up(total, decimals))
    shown = [float(round_half_up(p, decimals)) for p in parts]
    steps = round((target - sum(shown)) / unit)
    if steps:
        order = sorted(
            range(len(parts)), key=lambda i: (parts[i] - shown[i]) * (1 if steps > 0 else -1)
        )
        for i in order[::-1][: abs(steps)]:
            shown[i] += unit if steps > 0 else -unit
    return [round(p, decimals) + 0.0 for p in shown]


def format_rate(value: object, currency: str | None = None, unit: str | None = None) -> str:
    """A unit price or rate keeps its precision: ``0.0416 USD/hour``, ``0.6322 USD``."""
    if is_missing(value):
        return MISSING
    decimals = max(2, significant_decimals([value], RATE_SIGNIFICANT))
    text = format_number(value, decimals)
    if currency:
        text += f" {currency}"
    return f"{text}/{unit}" if unit else text


def format_percent(value: object, decimals: int = 1, *, fraction: bool = False) -> str:
    """``12.3%`` from 12.3 (or from 0.123 with ``fraction=True``)."""
    if is_missing(value):
        return MISSING
    return f"{format_number(value, decimals, 100 if fraction else 1)}%"


def _timestamp(value: object) -> pd.Timestamp | None:
    if is_missing(value):
        return None
    return pd.Timestamp(value)  # type: ignore[arg-type]


QUARTER_TEXT = re.compile(r"^(\d{4})-?Q([1-4])$")
MONTH_TEXT = re.compile(r"^(\d{4})-(\d{2})$")


def format_month(value: object) -> str:
    """``Nov 2026`` from a date, a timestamp or ``2026-11``."""
    if isinstance(value, str) and MONTH_TEXT.match(value):
        value = value + "-01"
    ts = _timestamp(value)
    return MISSING if ts is None else ts.strftime("%b %Y")


def format_quarter(value: object) -> str:
    """``2026 Q4`` from any date in the quarter or from ``2026Q4``."""
    if isinstance(value, str) and (hit := QUARTER_TEXT.match(value)):
        return f"{hit.group(1)} Q{hit.group(2)}"
    ts = _timestamp(value)
    return MISSING if ts is None else f"{ts.year} Q{ts.quarter}"


def format_date(value: object) -> str:
    """``30 Nov 2026``: a day, never with a midnight time."""
    ts = _timestamp(value)
    return MISSING if ts is None else f"{ts.day} {ts:%b %Y}"


def format_datetime(value: object) -> str:
    """``30 Nov 2026 14:05 UTC`` (stored timestamps are UTC); a midnight shows as a date."""
    ts = _timestamp(value)
    if ts is None:
        return MISSING
    if ts == ts.normalize():
        return format_date(ts)
    return f"{format_date(ts)} {ts:%H:%M} UTC"


def format_month_days(value: object, days: int | None) -> str:
    """The first ``days`` days of a month, as a running month is compared day for day:
    "Nov 2026 1–26", a single day "1 Nov 2026"; the whole month (``days`` None) "Nov 2026"."""
    if not days:
        return format_month(value)
    if isinstance(value, str) and MONTH_TEXT.match(value):
        value = value + "-01"
    if days == 1:
        return format_date(value)
    return f"{format_month(value)} 1–{days}"


# Dates, months and quarters as the machine writes them inside a sentence: "2026-11-18",
# "2026-11", "2026Q4". Not inside a path, a version or an identifier (the look-arounds).
_PROSE_DATE = re.compile(r"(?<![\w/.:-])(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(?![\w-])")
_PROSE_MONTH = re.compile(r"(?<![\w/.:-])(\d{4})-(0[1-9]|1[0-2])(?![\w-])")
_PROSE_QUARTER = re.compile(r"(?<![\w/.:-])(\d{4})-?Q([1-4])(?![\w-])")


def readable_text(text: str) -> str:
    """A sentence from the library as a person reads it: "2026-11-18 to 2026-12-01" is "18 Nov
    2026 to 1 Dec 2026", "in 2026-11" "in Nov 2026", "2026Q4" "2026 Q4"."""
    text = _PROSE_DATE.sub(lambda m: format_date(m.group(0)), text)
    text = _PROSE_MONTH.sub(lambda m: format_month(m.group(0)), text)
    return _PROSE_QUARTER.sub(lambda m: f"{m.group(1)} Q{m.group(2)}", text)


def format_period(value: object, freq: str) -> str:
    """A period label for ``day``, ``month`` or ``quarter``."""
    freq = str(freq)
    if freq == "quarter":
        return format_quarter(value)
    if freq == "month":
        return format_month(value)
    return format_date(value)


def running_label(start: object, freq: str, data_to: date | None, *, whole: bool) -> str:
    """A period's label, marked when it is still running on ``data_to`` (the last full day).

    A partial sum reads "Nov 2026 (to 26 Nov)"; a figure for the whole period that is part
    estimate (a nowcast, a running quarter in a plan) reads "2026 Q4 (running, data to 26
    Nov)". An ended period, or one the data has not reached (a forecast), keeps its label.
    """
    label = format_period(start, freq)
    ts = _timestamp(start)
    if ts is None or data_to is None or freq not in ("month", "quarter"):
        return label
    period = pd.Period(ts, freq="M" if freq == "month" else "Q")
    if not period.start_time.date() <= data_to < period.end_time.date():
        return label
    to = f"{data_to.day} {data_to:%b}"
    return f"{label} (running, data to {to})" if whole else f"{label} (to {to})"


MODEL_LABELS = {
    "auto": "Automatic",
    "naive": "Last value",
    "seasonal_naive": "Same period last cycle",
    "drift": "Drift",
    "linear": "Linear trend",
    "loglinear": "Exponential trend",
    "theta": "Theta",
    "theta_statsmodels": "Theta (statsmodels)",
    "ets": "Exponential smoothing",
    "ets_statsmodels": "Exponential smoothing (statsmodels)",
    "arima": "ARIMA",
    "ets_log": "Exponential smoothing (log scale)",
    "theta_log": "Theta (log scale)",
    "arima_log": "ARIMA (log scale)",
    "combo": "Combination",
    "actual": "Actual",
}
_COMBO = re.compile(r"^(combo|median)\((.*)\)$")


def model_label(spec: object) -> str:
    """A model as a reader names it: ``combo(ets+theta+arima)`` is "Median of 3 models".

    The full spec belongs in a tooltip or the expander beside it (see ``ColumnFormat.help``).
    """
    if is_missing(spec):
        return MISSING
    text = str(spec)
    hit = _COMBO.match(text)
    if hit:
        members = [m for m in re.split(r"[+,]", hit.group(2)) if m.strip()]
        if len(members) == 1:
            return model_label(members[0].strip())
        return f"Median of {len(members)} models"
    return MODEL_LABELS.get(text, text.replace("_", " ").capitalize())


_CODE = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")


def series_label(unique_id: object) -> str:
    """A series as people name it: ``total`` is "Total", ``requests_per_second``
    "Requests/s"; a cost group's or a service's own name ("Amazon CloudFront") stays."""
    text = str(unique_id)
    return header(text) if _CODE.fullmatch(text) else text


_SERIES_NOTE = re.compile(r"^series '([^']*)'(:? )")


def readable_note(text: str) -> str:
    """A library note as a page shows it: "series 'users': Dec 2026 is running ..." reads
    "Users: Dec 2026 is running ..." (the CLI keeps the quoted id, which a script can match);
    its dates read as ``readable_text`` writes them."""
    named = _SERIES_NOTE.sub(lambda m: f"{series_label(m.group(1))}{m.group(2)}", text, count=1)
    return readable_text(named)


def readable_notes(texts: Sequence[str]) -> list[str]:
    """Library notes as a page lists them (``readable_note``), where notes that say the same
    of several series are one line naming them all: "Users and Total: Dec 2026 is running
    (2 of 31 days observed) ...", not the sentence twice."""
    named: dict[str, list[str]] = {}
    for text in texts:
        match = _SERIES_NOTE.match(text)
        if match is None or match.group(2) != ": ":
            named.setdefault(readable_note(text), [])
            continue
        body = readable_text(text[match.end() :])
        names = named.setdefault(body, [])
        if (label := series_label(match.group(1))) not in names:
            names.append(label)
    return [f"{_joined(names)}: {body}" if names else body for body, names in named.items()]


def _joined(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


# Headers of the library's frames in words. Names not listed read as their words
# (``monthly_savings`` -> "Monthly savings"), with the abbreviations below spelled out.
HEADERS = {
    "unique_id": "Series",
    "ds": "Period",
    "y": "Value",
    "lo": "Low",
    "hi": "High",
    "lower": "Low",
    "upper": "High",
    "run_id": "Run",
    "plan_id": "Plan",
    "last_day": "Last day with data",
    "last_finished": "Last run finished",
    "last_status": "Last run",
    "started_at": "Started",
    "finished_at": "Finished",
    "rows": "Rows",
    "kind": "Kind",
    "mase": "MASE",
    "smape": "sMAPE %",
    "mape": "MAPE %",
    "bias_pct": "Bias %",
    "complete": "Complete period",
    "days_compared": "Days compared",
    "as_of": "As of",
    "group_name": "Cost group",
    "group": "Cost group",
    "threshold_pct": "Alert threshold %",
    "current_pct": "Current %",
    "max_p90_pct": "P90 peak %",
    "date_p50": "Date (P50)",
    "date_p90": "Date (P90)",
    "days_p50": "Days (P50)",
    "days_p90": "Days (P90)",
    "requests_per_second": "Requests/s",
    "requests_per_second_peak": "Peak requests/s",
    "change_percent": "Change %",
    "percent": "Share %",
    "percent_of_base": "% of base",
    "cost_per_million_requests": "Cost per million requests",
}
_WORDS = {
    "pct": "%",
    "percent": "%",
    "usd": "",
    "id": "ID",
    "rps": "req/s",
    "p10": "P10",
    "p50": "P50",
    "p90": "P90",
    "p99": "P99",
    "cpu": "CPU",
    "db": "DB",
    "cdn": "CDN",
    "ri": "RI",
    "sp": "SP",
    "lo": "low",
    "hi": "high",
}
_SUFFIX_WORDS = {"lower": "(low)", "upper": "(high)", "lo": "(low)", "hi": "(high)"}


def header(name: str) -> str:
    """A code name in words: ``unique_id`` -> "Series", ``users_lower`` -> "Users (low)"."""
    if name in HEADERS:
        return HEADERS[name]
    parts = [p for p in re.split(r"[_\s]+", str(name)) if p]
    if not parts:
        return str(name)
    if len(parts) > 1 and parts[-1] in _SUFFIX_WORDS:
        return f"{header('_'.join(parts[:-1]))} {_SUFFIX_WORDS[parts[-1]]}"
    words = [_WORDS.get(p.lower(), p) for p in parts]
    text = " ".join(w for w in words if w)
    return text[:1].upper() + text[1:] if text else str(name)
