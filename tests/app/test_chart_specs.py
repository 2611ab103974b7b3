"""The band charts' figures as data: the same JSON spec as the ``go.Figure`` code made.

``figures/*.json`` were written by the code before ``band_spec`` (each band built with
``add_trace`` and ``update_layout``, validated trace by trace) on the inputs below; a changed
trace, style, axis, note or legend entry makes these fail. Numbers are compared to 1e-12 of
their size, not bit for bit: numpy's ``sin`` and ``**`` kernels follow the CPU's vector
extensions, so the inputs' last bit differs from one machine to the next (seen on a new CI
machine). Regenerate them only for a change meant to be seen: ``python -m
tests.app.test_chart_specs``.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from app import charts
from forecasting.views import capacity as views

FIGURES = Path(__file__).resolve().parent / "figures"
RUNNING = "2026 Q1"


def plan_frame() -> pd.DataFrame:
    """Nine quarters of a plan as ``views.plan_chart_frame`` gives them, with a plan of
    record only for the quarters after the fourth, as for a plan stated mid-year."""
    quarters = [f"{2025 + q // 4} Q{q % 4 + 1}" for q in range(9)]
    steps = np.arange(len(quarters), dtype=float)
    columns: dict[str, Any] = {"quarter": quarters}
    for col, base in views_bases().items():
        mid = base * (1.045**steps) + 0.37 * base * np.sin(steps)
        columns[col] = mid
        columns[f"{col}_lower"] = mid * (0.93 - 0.01 * steps)
        columns[f"{col}_upper"] = mid * (1.06 + 0.02 * steps)
        columns[f"plan_{col}"] = np.where(steps >= 4, mid * 1.03, np.nan)
    return pd.DataFrame(columns)


def views_bases() -> dict[str, float]:
    bases = (1234.5, 56.75, 4.0, 12890.25)
    return {col: b for (col, *_), b in zip(views.PLAN_CHARTS, bases, strict=True)}


def plan_panels(make: Callable[..., Any] | None = None) -> Any:
    """Capacity's plan figure (``plan_figure`` on the page); with ``make``, one band a figure
    from it, composed by ``panels`` (how the code before ``band_panels`` made it)."""
    frame = plan_frame()
    options: dict[str, Any] = {
        "labels": ("P10", "P50", "P90"),
        "running": RUNNING,
        "running_name": f"{RUNNING}: running",
        "running_note": "running, data to 12 Feb 2026: observed months + forecast",
    }
    if make is None:
        return charts.band_panels(frame, "quarter", views.PLAN_CHARTS, "USD", **options)
    parts = [
        make(frame, "quarter", c, f"{c}_lower", f"{c}_upper", t, u or "USD", reference=r, **options)
        for c, t, u, r in views.PLAN_CHARTS
    ]
    return charts.panels(parts)


def dated_band() -> Any:
    """One band on calendar months, no reference, a short running note."""
    months = pd.date_range("2026-01-01", periods=8, freq="MS")
    mid = 100.0 + 7.5 * np.arange(8)
    frame = pd.DataFrame({"ds": months, "m": mid, "lo": mid - 9.0, "hi": mid + 11.0})
    return charts.band(
        frame, "ds", "m", "lo", "hi", "Cost", "USD", running=months[5], running_note="running"
    )


def forecast_figure(case: str) -> Any:
    """The Forecast page's chart: twelve months of history, three backtest origins, a
    six-month forecast whose first month is still running ("running"); or the forecast as
    made on an earlier day, with no backtests ("as_of")."""
    months = pd.date_range("2025-01-01", periods=18, freq="MS")
    y = 1000.0 + 35.5 * np.arange(18) + 80.25 * np.sin(np.arange(18))
    history = pd.DataFrame({"ds": months[:12], "y": y[:12]})
    mid = y[12:] * 1.01
    forecast = pd.DataFrame(
        {"ds": months[12:], "forecast": mid, "lower": mid * 0.9, "upper": mid * 1.12}
    )
    fits = pd.DataFrame(
        [
            (months[o], months[o + k], y[o + k] * (1.0 + 0.02 * k))
            for o in (5, 7, 9)
            for k in (1, 2)
        ],
        columns=["origin", "ds", "fit"],
    )
    if case == "as_of":
        return charts.forecast_chart(
            history,
            forecast,
            fits.iloc[:0],
            "Users: the forecast made on 3 Jan 2026",
            "users",
            90,
            made_on=pd.Timestamp("2026-01-03").date(),
        )
    return charts.forecast_chart(
        history,
        forecast,
        fits,
        "Cost: actuals, backtests and forecast",
        "USD",
        80,
        running=months[12],
        running_name="Jan 2026: nowcast",
        running_note="running, data to 12 Jan 2026: observed days + forecast",
        fits_name="backtest forecasts (median of 2 models)",
    )


FORECASTS = ("forecast_running", "forecast_as_of")


def spec(fig: charts.go.Figure) -> dict[str, Any]:
    plain: dict[str, Any] = json.loads(fig.to_json())
    return plain


def expected(name: str) -> dict[str, Any]:
    plain: dict[str, Any] = json.loads((FIGURES / f"{name}.json").read_text())
    return plain


RELATIVE = 1e-12


def _decoded(value: Any) -> Any:
    """``value`` with plotly's typed arrays (``{"dtype", "bdata"}``) as numpy arrays."""
    if isinstance(value, dict):
        if set(value) >= {"dtype", "bdata"}:
            flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
            if "shape" not in value:
                return flat
            shape = value["shape"]  # plotly writes it as text, "3, 2"
            if isinstance(shape, str):
                shape = [int(n) for n in shape.split(",")]
            return flat.reshape(tuple(shape))
        return {k: _decoded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decoded(v) for v in value]
    return value


def _differences(got: Any, want: Any, where: str = "") -> list[str]:
    if isinstance(want, dict) and isinstance(got, dict):
        if set(got) != set(want):
            return [f"{where}: keys {sorted(set(got) ^ set(want))} differ"]
        return [d for k in want for d in _differences(got[k], want[k], f"{where}.{k}")]
    if isinstance(want, list) and isinstance(got, list):
        if len(got) != len(want):
            return [f"{where}: {len(got)} items, not {len(want)}"]
        return [
            d
            for i, (g, w) in enumerate(zip(got, want, strict=True))
            for d in _differences(g, w, f"{where}[{i}]")
        ]
    if isinstance(want, np.ndarray) and isinstance(got, np.ndarray):
        if got.dtype != want.dtype or got.shape != want.shape:
            return [f"{where}: {got.dtype}{got.shape}, not {want.dtype}{want.shape}"]
        if got.dtype.kind == "f":
            same = np.isclose(got, want, rtol=RELATIVE, atol=0.0, equal_nan=True)
        else:
            same = got == want
        return [] if bool(np.all(same)) else [f"{where}: {got.tolist()} != {want.tolist()}"]
    if isinstance(want, float) and isinstance(got, float):
        return [] if math.isclose(got, want, rel_tol=RELATIVE) else [f"{where}: {got} != {want}"]
    return [] if type(got) is type(want) and got == want else [f"{where}: {got!r} != {want!r}"]


def assert_same(got: dict[str, Any], want: dict[str, Any]) -> None:
    """``got`` is ``want`` but for float noise in the last bits of its numbers."""
    differences = _differences(_decoded(got), _decoded(want))
    assert not differences, "\n".join(differences[:10])


def test_the_capacity_plan_panels_are_the_spec_the_figure_code_made() -> None:
    fig = plan_panels()
    assert isinstance(fig, charts.go.Figure)
    got, want = spec(fig), expected("plan_panels")
    assert [t["name"] for t in got["data"]] == [t["name"] for t in want["data"]]
    assert_same(got, want)
    assert_same(spec(plan_panels(charts.band)), want)  # the bands as figures, composed alike


def test_a_band_of_its_own_is_the_spec_the_figure_code_made() -> None:
    assert_same(spec(dated_band()), expected("band_dated"))


def test_one_panel_given_as_data_is_validated_into_a_figure() -> None:
    frame = plan_frame()
    part = charts.band_spec(frame, "quarter", "users", "users_lower", "users_upper", "Users")
    alone = charts.panels([part])
    assert isinstance(alone, charts.go.Figure)
    made = charts.band(frame, "quarter", "users", "users_lower", "users_upper", "Users")
    assert spec(alone) == spec(made)


def test_the_forecast_chart_is_the_spec_the_figure_code_made() -> None:
    for name in FORECASTS:
        fig = forecast_figure(name.removeprefix("forecast_"))
        assert isinstance(fig, charts.go.Figure)
        got, want = spec(fig), expected(name)
        assert [t["name"] for t in got["data"]] == [t["name"] for t in want["data"]]
        assert_same(got, want)


def test_the_figures_keep_the_theme_after_streamlit_sets_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Streamlit, imported after app.charts, makes its template plotly's default: the figures
    made from plain data are still in capcost's template, not in streamlit's."""
    import plotly.io as pio

    monkeypatch.setattr(pio.templates, "default", "streamlit")
    assert_same(spec(plan_panels()), expected("plan_panels"))
    assert_same(spec(dated_band()), expected("band_dated"))
    assert_same(spec(forecast_figure("running")), expected("forecast_running"))


def test_two_dimensional_arrays_and_number_types_are_compared() -> None:
    """plotly writes a 2-D array's shape as text; a float where an int was is a change."""
    grid = charts.go.Figure(
        charts.go.Scatter(x=[1.0, 2.0, 3.0], y=[4.0, 5.0, 6.0], customdata=np.ones((3, 2)))
    )
    plain = spec(grid)
    assert isinstance(plain["data"][0]["customdata"]["shape"], str)
    assert _decoded(plain)["data"][0]["customdata"].shape == (3, 2)
    assert not _differences(_decoded(plain), _decoded(spec(grid)))
    moved = charts.go.Figure(grid)
    moved.data[0].customdata = np.ones((3, 2)) * (1 + 1e-9)
    assert _differences(_decoded(spec(moved)), _decoded(plain))
    assert _differences({"size": 14.0}, {"size": 14})
    assert _differences({"size": 14}, {"size": 14.0})
    assert not _differences({"size": 14.0 * (1 + 1e-15)}, {"size": 14.0})


def test_a_changed_style_is_told_apart() -> None:
    """The comparison can fail: the same figure with the band's fill a shade off differs, and
    so does one with a band edge moved by a millionth, or a trace left out."""
    want = expected("plan_panels")
    fig = plan_panels()
    fig.data[1].fillcolor = "rgba(0,114,178,0.2)"
    assert _differences(_decoded(spec(fig)), _decoded(want))
    fig = plan_panels()
    fig.data[1].y = np.asarray(fig.data[1].y, dtype=float) * (1 + 1e-6)
    assert _differences(_decoded(spec(fig)), _decoded(want))
    fig = plan_panels()
    fig.data = fig.data[:-1]
    assert _differences(_decoded(spec(fig)), _decoded(want))
    assert not _differences(_decoded(spec(plan_panels())), _decoded(want))


def regenerate(make: Callable[..., Any] | None = None) -> None:
    """Write the figures; the code before ``band_panels`` wrote them with ``charts.band``."""
    FIGURES.mkdir(exist_ok=True)
    made = plan_panels(make) if make else plan_panels()
    made_forecasts = [(n, forecast_figure(n.removeprefix("forecast_"))) for n in FORECASTS]
    for name, fig in (("plan_panels", made), ("band_dated", dated_band()), *made_forecasts):
        text = json.dumps(spec(fig), indent=1, sort_keys=True)
        (FIGURES / f"{name}.json").write_text(text + "\n")


if __name__ == "__main__":
    regenerate()
