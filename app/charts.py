"""Pure (DataFrame, column names) -> plotly Figure builders, sharing one theme."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ParamSpec

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

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
P = ParamSpec("P")
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


DASHES = ("solid", "dash", "dot", "dashdot")
"""One per line of a chart: lines that coincide (P50 = P90) stay told apart."""


def lines(
    frame: pd.DataFrame,
    x: str,
    ys: Sequence[str],
    title: str,
    y_title: str = "",
    names: Mapping[str, str] | None = None,
    x_title: str = "",
    on_top: str | None = None,
) -> go.Figure:
    """One line per column in ``ys`` (gaps stay gaps: a missing day is not a zero), named in
    the legend by ``names`` (default: the column's name). A series that is never negative
    is drawn from zero: an axis starting near its lowest value makes a fall look steeper.
    ``on_top`` (one of ``ys``, the one a reader looks for: a P50) is drawn last, over the
    others, with markers, so that where another line equals it (P50 = P90) it is not hidden
    under that line; the legend keeps the order of ``ys``."""
    fig = go.Figure()
    drawn = sorted(range(len(ys)), key=lambda i: ys[i] == on_top)
    for i in drawn:
        y = ys[i]
        name = (names or {}).get(y, y)
        dash = DASHES[i % len(DASHES)] if len(ys) > 1 else "solid"
        top = y == on_top and len(ys) > 1
        fig.add_trace(
            go.Scatter(
                x=frame[x],
                y=frame[y],
                mode="lines+markers" if top else "lines",
                name=name,
                connectgaps=False,
                line={"dash": dash, "width": 2.5},
                marker={"size": 7} if top else None,
                legendrank=1000 - len(ys) + i,  # before later traces, in ys order
            )
        )
    if len(frame) and (frame[list(ys)].min(skipna=True) >= 0).all():
        fig.update_yaxes(rangemode="tozero")
    return themed(fig, title, y_title).update_xaxes(title_text=x_title or None)


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
            # Inside the plot's top edge, ending at its bar: above the plot it ran into the
            # legend there ("partial: to 1 Dec 2026" over "CDN").
            fig.add_annotation(
                x=at,
                y=1,
                yref="paper",
                text=note,
                showarrow=False,
                yanchor="top",
                xanchor="right",
                bgcolor="rgba(255,255,255,0.8)",
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
    marked = _running_mark(fig, frame, x, y, at, name, note)
    if marked is None:
        return fig
    trace, annotation = marked
    fig.add_trace(go.Scatter(trace))
    fig.add_annotation(annotation)
    return fig


def _running_mark(
    fig: go.Figure | Sequence[Trace],
    frame: pd.DataFrame,
    x: str,
    y: str,
    at: object | None,
    name: str,
    note: str,
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The running period's ring (a trace) and note (an annotation), as plain data; None
    when no row of ``frame`` is at ``at``."""
    hit = frame[frame[x] == at] if at is not None else frame.iloc[:0]
    if hit.empty:
        return None
    dated = pd.api.types.is_datetime64_any_dtype(frame[x])
    text = note.replace(": ", ":<br>", 1) if len(note) > NOTE_LINE_CHARS else note
    spot = free_spot(fig, hit[x].iloc[0], float(hit[y].iloc[0]), text, dated)
    trace = {
        "type": "scatter",
        "x": hit[x],
        "y": hit[y],
        "mode": "markers",
        "name": name,
        "marker": RUNNING_MARKER,
    }
    annotation = {
        "x": hit[x].iloc[0],
        "y": hit[y].iloc[0],
        "text": text,
        "showarrow": True,
        "arrowhead": 0,
        "bgcolor": "rgba(255,255,255,0.85)",  # legible where it lies over a band's fill
        **spot,
    }
    return trace, annotation


# Where a note beside a point goes is judged on the plot area as a chart is usually drawn: half
# a 1440 px page's width and the default height, less margins, title, legend and axes (px).
# The plotted values are placed as plotly's autorange places them, the note's box is sized
# from its text, and the spot chosen is the one crossing the fewest drawn lines and the least
# band, inside the plot. A narrower window scales both alike; only the text's size does not.
PLOT_PX = (420.0, 300.0)
CHAR_PX, LINE_PX = 7.6, 19.0
"""Width of a character and height of a line of the 14 px annotation font, px."""
NOTE_LINE_CHARS = 32
"""A note longer than this breaks after its first colon: a narrower box is easier to place."""
_ARMS = (30.0, 60.0, 95.0, 130.0)
_SIDES = ((0, 1), (-1, 1), (1, 1), (0, -1), (-1, -1), (1, -1))
"""(horizontal, vertical) directions of the note from its point, in order of preference:
above, above left, above right, then below."""


Trace = Mapping[str, Any]
"""A trace as plain data: its ``to_plotly_json()``, or the dict a builder composes."""


def _traces(fig: go.Figure | Sequence[Trace]) -> Sequence[Trace]:
    """What ``free_spot`` reads of each trace (a figure's ``to_plotly_json`` encodes arrays)."""
    if not isinstance(fig, go.Figure):
        return fig
    return [
        {"type": t.type, "x": t.x, "y": t.y, "mode": t.mode, "fill": t.fill}
        | {"line": {"width": t.line.width}}
        for t in fig.data
        if t.type == "scatter"
    ]


def _placed(
    fig: go.Figure | Sequence[Trace], dated: bool
) -> list[tuple[np.ndarray, np.ndarray, Trace]]:
    """Each scatter trace (of a figure, or traces as plain data) as (x in 0..1 of the x
    range, y, the trace): dates by time, categories in the order they first appear, as
    plotly lays them out."""
    traces = [
        t
        for t in _traces(fig)
        if t.get("type", "scatter") == "scatter"
        and t.get("x") is not None
        and t.get("y") is not None
    ]
    if dated:
        numbers = [
            pd.to_datetime(pd.Series(t["x"])).astype("int64").to_numpy(float) for t in traces
        ]
    else:
        order: dict[object, int] = {}
        for t in traces:
            for value in t["x"]:
                order.setdefault(value, len(order))
        numbers = [np.array([order[v] for v in t["x"]], dtype=float) for t in traces]
    low = min((n.min() for n in numbers if n.size), default=0.0)
    span = max((n.max() for n in numbers if n.size), default=1.0) - low or 1.0
    return [
        ((n - low) / span, np.asarray(t["y"], dtype=float), t)
        for n, t in zip(numbers, traces, strict=True)
    ]


def _drawn(placed: list[tuple[np.ndarray, np.ndarray, Trace]]) -> tuple[np.ndarray, np.ndarray]:
    """Points sampled along every drawn line (and markers), and inside every band, as
    (x 0..1, y) rows: what a note must not cover, and what it had better not."""
    lines, fills = [np.empty((0, 2))], [np.empty((0, 2))]
    steps = np.linspace(0, 1, 40)[:-1, None]
    previous: np.ndarray | None = None
    for u, y, trace in placed:
        ok = np.isfinite(y)
        mode = trace.get("mode") or "lines"
        if "lines" in mode and trace.get("line", {}).get("width") != 0 and ok.sum() > 1:
            uu, yy = u[ok], y[ok]
            along = [uu[:-1] + (uu[1:] - uu[:-1]) * steps, yy[:-1] + (yy[1:] - yy[:-1]) * steps]
            lines.append(np.column_stack([a.ravel() for a in along]))
        if "markers" in mode:
            lines.append(np.column_stack([u[ok], y[ok]]))
        if trace.get("fill") == "tonexty" and previous is not None and len(previous) == len(y):
            lo, hi = np.minimum(y, previous), np.maximum(y, previous)
            grid = np.linspace(0, 1, 12)[:, None]
            fills.append(np.column_stack([np.tile(u, len(grid)), (lo + (hi - lo) * grid).ravel()]))
        previous = y
    return np.concatenate(lines), np.concatenate(fills)


def free_spot(
    fig: go.Figure | Sequence[Trace], at_x: object, at_y: float, text: str, dated: bool
) -> dict[str, object]:
    """Arrow offset and anchors (``ax``, ``ay``, ``xanchor``, ``yanchor``) that put a note
    on the point (``at_x``, ``at_y``) where its box covers the fewest points of a drawn line,
    then the least band fill, inside the plot area, near the point."""
    width, height = PLOT_PX
    placed = _placed(fig, dated)
    lines, fills = _drawn(placed)
    values = np.concatenate([lines[:, 1], fills[:, 1], [at_y]])
    values = values[np.isfinite(values)]
    pad = 0.05 * (float(np.ptp(values)) or 1.0)  # about plotly's autorange margin
    bottom, top = float(values.min()) - pad, float(values.max()) + pad

    def to_px(points: np.ndarray) -> np.ndarray:
        return np.column_stack(
            [points[:, 0] * width, (points[:, 1] - bottom) / (top - bottom) * height]
        )

    lines, fills = to_px(lines), to_px(fills)
    u = next((float(n[i]) for n, _, t in placed for i, v in enumerate(t["x"]) if v == at_x), 0.0)
    ((pu, pv),) = to_px(np.array([[u, at_y]]))
    rows = text.split("<br>")
    box_w, box_h = CHAR_PX * max(map(len, rows)) + 8, LINE_PX * len(rows) + 6

    def cost(side: tuple[int, int], arm: float) -> float:
        h, v = side
        left = {0: pu - box_w / 2, -1: pu - arm / 2 - box_w, 1: pu + arm / 2}[h]
        low = pv + arm if v > 0 else pv - arm - box_h
        x0, y0, x1, y1 = left - 4, low - 4, left + box_w + 4, low + box_h + 4
        outside = max(0.0, -x0) + max(0.0, x1 - width) + max(0.0, -y0) + max(0.0, y1 - height)

        def covered(pts: np.ndarray) -> int:
            x, y = pts[:, 0], pts[:, 1]
            return int(((x > x0) & (x < x1) & (y > y0) & (y < y1)).sum())

        return 10.0 * covered(lines) + 0.2 * covered(fills) + 5.0 * outside + arm / 30

    (h, v), arm = min(((side, arm) for arm in _ARMS for side in _SIDES), key=lambda c: cost(*c))
    return {
        "ax": h * arm / 2,
        "ay": -v * arm,  # plotly's pixel offsets grow downwards
        "xanchor": {0: "center", -1: "right", 1: "left"}[h],
        "yanchor": "bottom" if v > 0 else "top",
    }


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def band_spec(
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
) -> dict[str, Any]:
    """The median as a line inside its shaded band; a stated reference as dashed markers;
    the point at ``x == running`` (a period still running) ringed and named.

    As plain data (``data`` and ``layout``), not validated: ``band`` validates it as a
    figure, ``panels`` validates several at once. Building each band as a ``go.Figure``,
    trace by trace, validated every trace, the layout and the note on their own, about
    40 ms a band."""
    colour = PALETTE[0]
    xs = _values(frame[x])
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "x": xs,
            "y": _values(frame[upper]),
            "mode": "lines",
            "line": {"width": 0},
            "name": labels[2],
            "showlegend": False,
        },
        {
            "type": "scatter",
            "x": xs,
            "y": _values(frame[lower]),
            "mode": "lines",
            "line": {"width": 0},
            "fill": "tonexty",
            "fillcolor": _rgba(colour, BAND_ALPHA),
            "name": f"{labels[0]}–{labels[2]}",
        },
        {
            "type": "scatter",
            "x": xs,
            "y": _values(frame[mid]),
            "mode": "lines+markers",
            "name": labels[1],
            "line": {"color": colour, "width": 3},
        },
    ]
    if reference is not None and reference in frame and frame[reference].notna().any():
        data.append(
            {
                "type": "scatter",
                "x": xs,
                "y": _values(frame[reference]),
                "mode": "lines+markers",
                "name": reference_name,
                "line": {"color": PALETTE[1], "dash": "dash", "width": 2},
                "marker": {"symbol": "diamond", "size": 10},
            }
        )
    layout = _themed_layout(title, y_title)
    marked = _running_mark(data, frame, x, mid, running, running_name, running_note)
    if marked is not None:
        trace, annotation = marked
        data.append(trace)
        layout["annotations"] = [annotation]
    return {"data": data, "layout": layout}


def _validated(build: Callable[P, Mapping[str, Any]]) -> Callable[P, go.Figure]:
    def made(*args: P.args, **kwargs: P.kwargs) -> go.Figure:
        return _figure(build(*args, **kwargs))

    made.__doc__ = f"``{build.__name__}`` as a figure, validated once."
    return made


band = _validated(band_spec)
"""The median as a line inside its shaded band; a stated reference as dashed markers;
the point at ``x == running`` (a period still running) ringed and named."""


def band_panels(
    frame: pd.DataFrame,
    x: str,
    bands: Sequence[tuple[str, str, str, str | None]],
    unit: str,
    labels: tuple[str, str, str] = ("P10", "P50", "P90"),
    running: object | None = None,
    running_name: str = "running period",
    running_note: str = "running",
) -> go.Figure:
    """One band a panel, for each (column, title, unit, reference column) of ``bands``: the
    column's ``_lower``/``_upper`` its band, ``unit`` where a band's own is ""; composed as
    plain data and validated once (four bands as figures took ~250 ms, two thirds of it
    plotly validating each on its own)."""
    parts = [
        band_spec(
            frame,
            x,
            col,
            f"{col}_lower",
            f"{col}_upper",
            title,
            own or unit,
            labels=labels,
            reference=ref,
            running=running,
            running_name=running_name,
            running_note=running_note,
        )
        for col, title, own, ref in bands
    ]
    return panels(parts)


def _themed_layout(title: str, y_title: str = "") -> dict[str, Any]:
    """``themed``'s layout as plain data."""
    return {
        **THEME,
        "title": {"text": title, "y": 0.97, "yanchor": "top"},
        "yaxis": {"title": {"text": y_title}},
    }


def _figure(spec: Mapping[str, Any]) -> go.Figure:
    """A plain-data figure validated once, in the theme's template: applied as plotly's
    default, which plotly takes as validated (set on the figure, plotly validated the
    whole template again, 15-36 ms a figure)."""
    if pio.templates.default != "capcost":  # streamlit imported after this module resets it
        pio.templates.default = "capcost"  # the same for every figure: safe between threads
    return go.Figure(spec)


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
    frame: pd.DataFrame,
    x: str,
    ys: dict[str, str],
    title: str,
    y_title: str = "",
    first_colour: int = 0,
) -> go.Figure:
    """Bars side by side per ``x``, one colour per column in ``ys`` (column -> legend name),
    from the palette's ``first_colour`` on (beside lines in one figure: colours not theirs)."""
    fig = go.Figure()
    for i, (column, name) in enumerate(ys.items()):
        colour = PALETTE[(first_colour + i) % len(PALETTE)]
        fig.add_trace(go.Bar(x=frame[x], y=frame[column], name=name, marker_color=colour))
    fig.update_layout(barmode="group")
    return themed(fig, title, y_title)


def forecast_spec(
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
) -> dict[str, Any]:
    """History, earlier forecasts (backtest fits, dotted, named ``fits_name``: whose they
    are), the forecast and its band; the forecast's point at ``ds == running`` (the month the
    data stops inside, nowcast from its observed days) ringed and named. ``made_on``: the
    forecast was made that day (a forecast as of an earlier date), marked by a line.

    ``history`` has ds, y; ``forecast`` ds, forecast, lower, upper; ``fits`` origin, ds, fit.
    As plain data, validated once by ``forecast_chart`` (trace by trace as a figure, with its
    layout and notes on their own, it took 100-150 ms)."""
    colour = PALETTE[0]
    xs = _values(forecast["ds"])
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "x": _values(history["ds"]),
            "y": _values(history["y"]),
            "mode": "lines+markers",
            "name": "actual",
            "line": {"color": "#444444", "width": 2},
            "marker": {"size": 4},
        }
    ]
    for i, (origin, part) in enumerate(fits.groupby("origin", sort=True)):
        data.append(
            {
                "type": "scatter",
                "x": _values(part["ds"]),
                "y": _values(part["fit"]),
                "mode": "lines",
                "name": fits_name,
                "legendgroup": "fits",
                "showlegend": i == 0,
                "hovertext": f"forecast made after {format_month(origin)}",
                "line": {"color": PALETTE[1], "dash": "dot", "width": 2},
            }
        )
    data += [
        {
            "type": "scatter",
            "x": xs,
            "y": _values(forecast["upper"]),
            "mode": "lines",
            "line": {"width": 0},
            "showlegend": False,
            "name": f"upper {level:g}%",
        },
        {
            "type": "scatter",
            "x": xs,
            "y": _values(forecast["lower"]),
            "mode": "lines",
            "line": {"width": 0},
            "fill": "tonexty",
            "fillcolor": _rgba(colour, BAND_ALPHA),
            "name": f"{level:g}% band",
        },
        {
            "type": "scatter",
            "x": xs,
            "y": _values(forecast["forecast"]),
            "mode": "lines+markers",
            "name": "forecast",
            "line": {"color": colour, "width": 3},
        },
    ]
    layout = _themed_layout(title, y_title)
    notes: list[dict[str, Any]] = []
    if made_on is not None:
        # A month's point sits on its first day: the line at the day the forecast was made.
        day = pd.Timestamp(str(made_on))
        layout["shapes"] = [
            {
                "type": "line",
                "x0": day,
                "x1": day,
                "xref": "x",
                "y0": 0,
                "y1": 1,
                "yref": "y domain",
                "line": {"color": "#888888", "dash": "dash"},
            }
        ]
        notes.append(
            {
                "x": day,
                "y": 1,
                "yref": "paper",
                "text": "forecast made",
                "showarrow": False,
                "xanchor": "right",
                "yanchor": "top",
            }
        )
    marked = _running_mark(data, forecast, "ds", "forecast", running, running_name, running_note)
    if marked is not None:
        trace, annotation = marked
        data.append(trace)
        notes.append(annotation)
    if notes:
        layout["annotations"] = notes
    return {"data": data, "layout": layout}


forecast_chart = _validated(forecast_spec)
"""History, backtest fits, the forecast and its band, the running month ringed: a figure."""


def _values(column: pd.Series) -> np.ndarray:
    """A column as the array plotly keeps (it converts a Series to one, about 1 ms each)."""
    return column.to_numpy()


PANEL_HEIGHT = 420
"""Height of one row of panels, px (a single chart is 450 with its title and legend)."""


def panels(
    figures: Sequence[go.Figure | Mapping[str, Any]], columns: int = 2, title: str = ""
) -> go.Figure:
    """The figures as panels of one figure, ``columns`` to a row, each under its own title,
    with one legend (an entry named alike in several panels is one entry: one colour, one
    meaning). One figure draws faster than several: the browser sets up, lays out and
    measures the text of each figure it draws, which costs more than its few traces.

    Composed as plain data and validated once: the grid as ``make_subplots`` lays it out,
    each panel's traces on its axes, its axes' settings and its notes; building it through
    the figure's own ``add_trace`` and ``update_*axes`` took 0.3-0.6 s of plotly's
    validation a chart. A figure may be given as plain data (``band_spec``), which is
    then validated only here."""
    if len(figures) == 1:
        (only,) = figures
        return only if isinstance(only, go.Figure) else _figure(only)
    plains = [f.to_plotly_json() if isinstance(f, go.Figure) else f for f in figures]
    rows = -(-len(figures) // columns)
    titles = tuple(p["layout"].get("title", {}).get("text") or "" for p in plains)
    layout = _grid(rows, columns, titles)
    data: list[dict[str, Any]] = []
    named: set[str] = set()
    notes = list(layout.get("annotations", []))
    for i, plain in enumerate(plains):
        axis = "" if i == 0 else str(i + 1)
        for trace in plain["data"]:
            trace = dict(trace)
            name = trace.get("name")
            shown = trace.get("showlegend") is not False and name not in named
            if shown:
                named.add(name)
            trace.pop("legendgroup", None)
            if name is not None:
                trace["legendgroup"] = name
            trace.update(showlegend=shown, xaxis=f"x{axis}", yaxis=f"y{axis}")
            data.append(trace)
        for side in ("xaxis", "yaxis"):
            _merge(layout.setdefault(f"{side}{axis}", {}), plain["layout"].get(side, {}))
        for note in plain["layout"].get("annotations", []):
            paper = note.get("yref") == "paper"
            notes.append(
                {**note, "xref": f"x{axis}", "yref": f"y{axis} domain" if paper else f"y{axis}"}
            )
    layout["annotations"] = notes
    modes = {p["layout"]["barmode"] for p in plains if p["layout"].get("barmode")}
    layout["barmode"] = modes.pop() if len(modes) == 1 else "group"
    height = PANEL_HEIGHT * rows + 60
    plot_px = height - THEME["margin"]["t"] - THEME["margin"]["b"]  # type: ignore[index]
    layout.update({k: v for k, v in THEME.items() if k != "legend"}, height=height)
    # The legend over the top row's titles, clear of them: 40 px above the plots.
    layout["legend"] = {**THEME["legend"], "y": 1 + 40 / plot_px}  # type: ignore[dict-item]
    if title:
        layout["title"] = {"text": title, "y": 0.99, "yanchor": "top"}
    return _figure({"data": data, "layout": layout})


@functools.cache
def _grid_layout(rows: int, columns: int, titles: tuple[str, ...]) -> str:
    grid = make_subplots(
        rows=rows,
        cols=columns,
        subplot_titles=list(titles),
        horizontal_spacing=0.1,
        vertical_spacing=0.32 / rows,
    )
    layout = grid.to_plotly_json()["layout"]
    layout.pop("template", None)
    return json.dumps(layout)


def _grid(rows: int, columns: int, titles: tuple[str, ...]) -> dict[str, Any]:
    """``make_subplots``' layout (axes' domains and anchors, the panels' titles), made once
    per shape and titles."""
    layout: dict[str, Any] = json.loads(_grid_layout(rows, columns, titles))
    return layout


def _merge(into: dict[str, Any], values: Mapping[str, Any]) -> None:
    """``values`` into ``into`` as plotly's ``update`` does: nested settings merged, the
    rest replaced."""
    for key, value in values.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value
