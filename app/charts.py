"""Pure (DataFrame, column names) -> plotly Figure builders, sharing one theme."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from forecasting.presentation import format_date, format_month

# Okabe-Ito: distinguishable with the common colour-vision deficiencies and on a projector.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
BAND_ALPHA = 0.18
# plotly_white less its defaults for the trace types capcost never draws (3D, maps, polar...):
# plotly copies a figure's whole template when it is set, about 20 ms a chart for the full
# one, and a page draws up to nine. As the default, it is applied once, when a figure is made.
TEMPLATE = go.layout.Template(
    layout=pio.templates["plotly_white"].layout,
    data={kind: pio.templates["plotly_white"].data[kind] for kind in ("scatter", "bar")},
)
pio.templates["capcost"] = TEMPLATE
pio.templates.default = "capcost"
THEME = {
    "colorway": list(PALETTE),
    "font": {"size": 14},
    # Room above the plot for the title and, under it, the legend: they must not overlap.
    "margin": {"l": 10, "r": 10, "t": 90, "b": 10},
    "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
    "hovermode": "x unified",
}


def themed(fig: go.Figure, title: str, y_title: str = "") -> go.Figure:
    if pio.templates.default != "capcost":  # streamlit imported after this module resets it
        fig.layout.template = TEMPLATE
    fig.update_layout(
        **THEME, title={"text": title, "y": 0.97, "yanchor": "top"}, yaxis_title=y_title
    )
    return fig


def lines(
    frame: pd.DataFrame,
    x: str,
    ys: Sequence[str],
    title: str,
    y_title: str = "",
    names: Mapping[str, str] | None = None,
) -> go.Figure:
    """One line per column in ``ys`` (gaps stay gaps: a missing day is not a zero), named in
    the legend by ``names`` (default: the column's name)."""
    fig = go.Figure()
    for y in ys:
        name = (names or {}).get(y, y)
        fig.add_trace(
            go.Scatter(x=frame[x], y=frame[y], mode="lines", name=name, connectgaps=False)
        )
    return themed(fig, title, y_title)


PARTIAL_PATTERN = "/"
"""Hatching of a bar whose period has not ended (forecasting.periods' ``complete`` False)."""


def _partial_marker(part: pd.DataFrame) -> dict[str, object]:
    """Hatch the bars of periods still running, when the frame says which (``complete``)."""
    if "complete" not in part:
        return {}
    shapes = ["" if done else PARTIAL_PATTERN for done in part["complete"].astype(bool)]
    return {"pattern": {"shape": shapes, "solidity": 0.5}}


def _mark_partial(fig: go.Figure, frame: pd.DataFrame, x: str, note: str) -> go.Figure:
    """Write ``note`` ("partial", "partial, to 26 Nov") over each running period: a
    part-month bar must not read as a drop."""
    if "complete" in frame:
        for at in frame.loc[~frame["complete"].astype(bool), x].unique():
            fig.add_annotation(
                x=at, y=1, yref="paper", text=note, showarrow=False, yanchor="bottom"
            )
    return fig


def stacked_bars(
    frame: pd.DataFrame,
    x: str,
    y: str,
    color: str,
    title: str,
    y_title: str = "",
    partial_note: str = "partial",
) -> go.Figure:
    """Stacked bars of ``y`` per ``x``, one colour per value of ``color``; periods still
    running (``complete`` False, when the frame has it) hatched and labelled partial."""
    fig = go.Figure()
    for name, part in frame.groupby(color, sort=True):
        fig.add_trace(go.Bar(x=part[x], y=part[y], name=str(name), marker=_partial_marker(part)))
    fig.update_layout(barmode="stack")
    return _mark_partial(themed(fig, title, y_title), frame, x, partial_note)


def bars(
    frame: pd.DataFrame,
    x: str,
    y: str,
    title: str,
    y_title: str = "",
    partial_note: str = "partial",
) -> go.Figure:
    """Bars of ``y`` per ``x``; running periods hatched and labelled as in ``stacked_bars``."""
    marker = {"color": PALETTE[0], **_partial_marker(frame)}
    fig = go.Figure(go.Bar(x=frame[x], y=frame[y], marker=marker))
    return _mark_partial(themed(fig, title, y_title), frame, x, partial_note)


RUNNING_MARKER = {"symbol": "circle-open", "size": 16, "line": {"width": 3}, "color": PALETTE[5]}
"""The point of a period still running, drawn over a line: part observed, part forecast."""


def _mark_running(
    fig: go.Figure, frame: pd.DataFrame, x: str, y: str, at: object | None, name: str, note: str
) -> go.Figure:
    """Ring the point of the running period ``at``, name it in the legend (``name``, short:
    the legend sits in one line under the title) and write ``note`` over the point, so a
    part-observed figure never reads as a whole observed one."""
    hit = frame[frame[x] == at] if at is not None else frame.iloc[:0]
    if hit.empty:
        return fig
    fig.add_trace(go.Scatter(x=hit[x], y=hit[y], mode="markers", name=name, marker=RUNNING_MARKER))
    fig.add_annotation(
        x=hit[x].iloc[0], y=hit[y].iloc[0], text=note, showarrow=True, arrowhead=0, ay=-40
    )
    return fig


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def band(
    frame: pd.DataFrame,
    x: str,
    mid: str,
    lower: str,
    upper: str,
    title: str,
    y_title: str = "",
    *,
    labels: tuple[str, str, str] = ("P10", "P50", "P90"),
    reference: str | None = None,
    reference_name: str = "Plan of record",
    running: object | None = None,
    running_name: str = "running period",
    running_note: str = "running",
) -> go.Figure:
    """The median as a line inside its shaded band; a stated reference as dashed markers;
    the point at ``x == running`` (a period still running) ringed and named."""
    colour = PALETTE[0]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=frame[x],
            y=frame[upper],
            mode="lines",
            line={"width": 0},
            name=labels[2],
            showlegend=False,
        )
    )
    fig.add_trace(
        go.Scatter(
            x=frame[x],
            y=frame[lower],
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor=_rgba(colour, BAND_ALPHA),
            name=f"{labels[0]}–{labels[2]}",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=frame[x],
            y=frame[mid],
            mode="lines+markers",
            name=labels[1],
            line={"color": colour, "width": 3},
        )
    )
    if reference is not None and reference in frame and frame[reference].notna().any():
        fig.add_trace(
            go.Scatter(
                x=frame[x],
                y=frame[reference],
                mode="lines+markers",
                name=reference_name,
                line={"color": PALETTE[1], "dash": "dash", "width": 2},
                marker={"symbol": "diamond", "size": 10},
            )
        )
    fig = themed(fig, title, y_title)
    return _mark_running(fig, frame, x, mid, running, running_name, running_note)


def waterfall(
    frame: pd.DataFrame, step: str, amount: str, naive: str, title: str, y_title: str = ""
) -> go.Figure:
    """Each step's amount stacked up to their total, and beside it the naive sum of ``naive``
    (what adding each saving on its untouched base would claim)."""
    values = frame[amount].astype(float).tolist()
    total, naive_total = sum(values), float(frame[naive].sum())
    fig = go.Figure(
        go.Waterfall(
            x=[*frame[step].astype(str), "stacked total"],
            y=[*values, total],
            measure=["relative"] * len(values) + ["total"],
            name="stacked, in order",
            text=[f"{v:,.0f}" for v in [*values, total]],
            textposition="outside",
            increasing={"marker": {"color": PALETTE[2]}},
            decreasing={"marker": {"color": PALETTE[5]}},
            totals={"marker": {"color": PALETTE[0]}},
            connector={"line": {"color": "#999999", "dash": "dot"}},
        )
    )
    fig.add_trace(
        go.Bar(
            x=["naive sum"],
            y=[naive_total],
            name="naive sum",
            marker_color=PALETTE[3],
            text=[f"{naive_total:,.0f}"],
            textposition="outside",
        )
    )
    fig.update_layout(barmode="overlay", yaxis={"rangemode": "tozero"})
    return themed(fig, title, y_title)


def timeline(
    frame: pd.DataFrame,
    label: str,
    start: str,
    end: str,
    marks: dict[str, str],
    title: str,
) -> go.Figure:
    """One row per ``label``: a line from ``start`` to ``end`` (the horizon) and a marker per
    column in ``marks`` (column -> legend name) on its date; a missing date is no marker,
    and the row says so at the horizon's end."""
    fig = go.Figure()
    for row in frame.to_dict("records"):
        fig.add_trace(
            go.Scatter(
                x=[row[start], row[end]],
                y=[row[label]] * 2,
                mode="lines",
                line={"color": "#BBBBBB", "width": 6},
                showlegend=False,
                hoverinfo="skip",
            )
        )
    symbols = ("diamond", "circle", "square")
    for i, (column, name) in enumerate(marks.items()):
        hit = frame[frame[column].notna()]
        fig.add_trace(
            go.Scatter(
                x=hit[column],
                y=hit[label],
                mode="markers+text",
                name=name,
                marker={"size": 16, "symbol": symbols[i % 3], "color": PALETTE[(1, 0, 2)[i % 3]]},
                text=[format_date(d) for d in hit[column]],
                # Two marks on one row can sit days apart: one label above, one below.
                textposition=("top center", "bottom center")[i % 2],
            )
        )
    missing = frame[frame[list(marks)].isna().all(axis=1)]
    if len(missing):
        fig.add_trace(
            go.Scatter(
                x=missing[end],
                y=missing[label],
                mode="markers+text",
                name="not within the horizon",
                marker={"symbol": "triangle-right", "size": 14, "color": "#777777"},
                text=["not within the horizon"] * len(missing),
                textposition="top left",
            )
        )
    fig.update_yaxes(type="category")
    fig.update_layout(hovermode="closest", height=max(300, 110 * len(frame) + 120))
    return themed(fig, title)


def grouped_bars(
    frame: pd.DataFrame, x: str, ys: dict[str, str], title: str, y_title: str = ""
) -> go.Figure:
    """Bars side by side per ``x``, one colour per column in ``ys`` (column -> legend name)."""
    fig = go.Figure()
    for i, (column, name) in enumerate(ys.items()):
        fig.add_trace(go.Bar(x=frame[x], y=frame[column], name=name, marker_color=PALETTE[i]))
    fig.update_layout(barmode="group")
    return themed(fig, title, y_title)


def forecast_chart(
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    fits: pd.DataFrame,
    title: str,
    y_title: str = "",
    level: float = 80,
    running: object | None = None,
    running_name: str = "running month",
    running_note: str = "running",
    fits_name: str = "backtest forecasts",
    made_on: object | None = None,
) -> go.Figure:
    """History, earlier forecasts (backtest fits, dotted, named ``fits_name``: whose they
    are), the forecast and its band; the forecast's point at ``ds == running`` (the month the
    data stops inside, nowcast from its observed days) ringed and named. ``made_on``: the
    forecast was made that day (a forecast as of an earlier date), marked by a line.

    ``history`` has ds, y; ``forecast`` ds, forecast, lower, upper; ``fits`` origin, ds, fit.
    """
    colour = PALETTE[0]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=history["ds"],
            y=history["y"],
            mode="lines+markers",
            name="actual",
            line={"color": "#444444", "width": 2},
            marker={"size": 4},
        )
    )
    for i, (origin, part) in enumerate(fits.groupby("origin", sort=True)):
        fig.add_trace(
            go.Scatter(
                x=part["ds"],
                y=part["fit"],
                mode="lines",
                name=fits_name,
                legendgroup="fits",
                showlegend=i == 0,
                hovertext=f"forecast made after {format_month(origin)}",
                line={"color": PALETTE[1], "dash": "dot", "width": 2},
            )
        )
    fig.add_trace(
        go.Scatter(
            x=forecast["ds"],
            y=forecast["upper"],
            mode="lines",
            line={"width": 0},
            showlegend=False,
            name=f"upper {level:g}%",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=forecast["ds"],
            y=forecast["lower"],
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor=_rgba(colour, BAND_ALPHA),
            name=f"{level:g}% band",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=forecast["ds"],
            y=forecast["forecast"],
            mode="lines+markers",
            name="forecast",
            line={"color": colour, "width": 3},
        )
    )
    fig = themed(fig, title, y_title)
    if made_on is not None:
        # A month's point sits on its first day: the line at the day the forecast was made.
        fig.add_vline(x=pd.Timestamp(str(made_on)), line={"color": "#888888", "dash": "dash"})
        fig.add_annotation(
            x=pd.Timestamp(str(made_on)),
            y=1,
            yref="paper",
            text="forecast made",
            showarrow=False,
            xanchor="right",
            yanchor="top",
        )
    return _mark_running(fig, forecast, "ds", "forecast", running, running_name, running_note)
