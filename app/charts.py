"""Pure (DataFrame, column names) -> plotly Figure builders, sharing one theme."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

# Okabe-Ito: distinguishable with the common colour-vision deficiencies and on a projector.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
BAND_ALPHA = 0.18
THEME = {
    "template": "plotly_white",
    "colorway": list(PALETTE),
    "font": {"size": 14},
    "margin": {"l": 10, "r": 10, "t": 50, "b": 10},
    "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
    "hovermode": "x unified",
}


def themed(fig: go.Figure, title: str, y_title: str = "") -> go.Figure:
    fig.update_layout(**THEME, title={"text": title}, yaxis_title=y_title)
    return fig


def lines(
    frame: pd.DataFrame, x: str, ys: Sequence[str], title: str, y_title: str = ""
) -> go.Figure:
    """One line per column in ``ys`` (gaps stay gaps: a missing day is not a zero)."""
    fig = go.Figure()
    for y in ys:
        fig.add_trace(go.Scatter(x=frame[x], y=frame[y], mode="lines", name=y, connectgaps=False))
    return themed(fig, title, y_title)


def stacked_bars(
    frame: pd.DataFrame, x: str, y: str, color: str, title: str, y_title: str = ""
) -> go.Figure:
    """Stacked bars of ``y`` per ``x``, one colour per value of ``color``."""
    fig = go.Figure()
    for name, part in frame.groupby(color, sort=True):
        fig.add_trace(go.Bar(x=part[x], y=part[y], name=str(name)))
    fig.update_layout(barmode="stack")
    return themed(fig, title, y_title)


def bars(frame: pd.DataFrame, x: str, y: str, title: str, y_title: str = "") -> go.Figure:
    fig = go.Figure(go.Bar(x=frame[x], y=frame[y], marker_color=PALETTE[0]))
    return themed(fig, title, y_title)
