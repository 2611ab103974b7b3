"""The chart builders: a running note placed clear of the lines, panels as one figure."""

from __future__ import annotations

import numpy as np
import pandas as pd

from app import charts

QUARTERS = [f"202{6 + (q // 4)} Q{q % 4 + 1}" for q in range(8)]


def banded(values: list[float], running: str) -> charts.go.Figure:
    frame = pd.DataFrame(
        {
            "quarter": QUARTERS,
            "y": values,
            "y_lower": [v * 0.8 for v in values],
            "y_upper": [v * (1 + 0.3 * i) for i, v in enumerate(values)],
        }
    )
    note = "running, data to 30 Nov 2026: observed months + forecast"
    return charts.band(
        frame, "quarter", "y", "y_lower", "y_upper", "Users", running=running, running_note=note
    )


def note_box(fig: charts.go.Figure) -> tuple[float, float, float, float]:
    """The note's box in the px frame ``free_spot`` judges in (x right, y up)."""
    width, height = charts.PLOT_PX
    note = fig.layout.annotations[0]
    placed = charts._placed(fig, dated=False)
    lines, fills = charts._drawn(placed)
    values = np.concatenate([lines[:, 1], fills[:, 1]])
    pad = 0.05 * float(np.ptp(values))
    bottom, top = float(values.min()) - pad, float(values.max()) + pad
    u = QUARTERS.index(note.x) / (len(QUARTERS) - 1)
    px, py = u * width + note.ax, (note.y - bottom) / (top - bottom) * height - note.ay
    rows = note.text.split("<br>")
    w, h = charts.CHAR_PX * max(map(len, rows)) + 8, charts.LINE_PX * len(rows) + 6
    left = {"center": px - w / 2, "right": px - w, "left": px}[note.xanchor]
    low = py if note.yanchor == "bottom" else py - h
    return left, low, left + w, low + h


def crossings(fig: charts.go.Figure) -> int:
    """Points of the drawn lines (the P50, not the band's invisible edges) inside the note."""
    width, height = charts.PLOT_PX
    x0, y0, x1, y1 = note_box(fig)
    placed = charts._placed(fig, dated=False)
    lines, fills = charts._drawn(placed)
    values = np.concatenate([lines[:, 1], fills[:, 1]])
    pad = 0.05 * float(np.ptp(values))
    bottom, top = float(values.min()) - pad, float(values.max()) + pad
    x, y = lines[:, 0] * width, (lines[:, 1] - bottom) / (top - bottom) * height
    return int(((x > x0) & (x < x1) & (y > y0) & (y < y1)).sum())


def test_the_running_note_covers_no_line_on_a_rising_or_a_falling_series() -> None:
    rising = banded([50, 72, 97, 144, 171, 215, 282, 366], "2026 Q4")
    falling = banded([366, 282, 215, 171, 144, 97, 72, 50], "2026 Q4")
    for fig in (rising, falling):
        assert crossings(fig) == 0
        note = fig.layout.annotations[0]
        assert note.text == "running, data to 30 Nov 2026:<br>observed months + forecast"
        x0, y0, x1, y1 = note_box(fig)
        width, height = charts.PLOT_PX
        assert x0 >= -4 and x1 <= width + 4 and y0 >= -4 and y1 <= height + 4  # in the plot


def test_a_note_straight_above_its_point_would_have_crossed_the_line() -> None:
    """The test above can fail: the old spot (centred, 40 px up) crosses a rising line."""
    fig = banded([50, 72, 97, 144, 230, 330, 420, 520], "2026 Q4")
    fig.layout.annotations[0].update(ax=0, ay=-40, xanchor="center", yanchor="bottom")
    fig.layout.annotations[0].text = "running, data to 30 Nov 2026: observed months + forecast"
    assert crossings(fig) > 0


def test_panels_are_one_figure_with_one_legend() -> None:
    figures = [banded([1, 2, 3, 4, 5, 6, 7, 8], "2026 Q4") for _ in range(4)]
    for i, fig in enumerate(figures):
        fig.layout.title.text = f"panel {i}"
        fig.layout.yaxis.title.text = f"unit {i}"
    fig = charts.panels(figures)
    assert [a.text for a in fig.layout.annotations if a.xref == "paper"] == [
        f"panel {i}" for i in range(4)
    ]
    assert [fig.layout[f"yaxis{'' if i == 0 else i + 1}"].title.text for i in range(4)] == [
        f"unit {i}" for i in range(4)
    ]
    shown = [t.name for t in fig.data if t.showlegend is not False]
    assert len(shown) == len(set(shown)) == 3  # band, P50, running: once each
    assert {t.xaxis for t in fig.data} == {"x", "x2", "x3", "x4"}
    notes = [a for a in fig.layout.annotations if a.xref != "paper"]
    assert [a.xref for a in notes] == ["x", "x2", "x3", "x4"]
    assert charts.panels(figures[:1]) is figures[0]


def test_a_never_negative_line_chart_starts_at_zero() -> None:
    frame = pd.DataFrame({"month": [1, 2, 3], "a": [0.7, 0.4, 0.1], "b": [0.7, 0.4, 0.1]})
    fig = charts.lines(frame, "month", ["a", "b"], "Cost per user", x_title="Month")
    assert fig.layout.yaxis.rangemode == "tozero"
    assert fig.layout.xaxis.title.text == "Month"
    assert [t.line.dash for t in fig.data] == ["solid", "dash"]  # equal lines stay apart
    below = charts.lines(frame.assign(a=[-1.0, 0.0, 1.0]), "month", ["a"], "Change")
    assert below.layout.yaxis.rangemode is None


def test_the_line_on_top_is_drawn_last_and_marked_where_another_equals_it() -> None:
    # Commitments: where the P50 and P90 demand curves are equal, the P50 (the one read) was
    # drawn first and hidden under the P90's dots.
    frame = pd.DataFrame(
        {
            "month": [1, 2, 3],
            "P10": [-5.0, 0.0, 5.0],
            "P50": [0.0, 4.0, 8.0],
            "P90": [0.0, 4.0, 8.0],
        }
    )
    fig = charts.lines(frame, "month", ["P10", "P50", "P90"], "Cumulative", on_top="P50")
    assert [t.name for t in fig.data] == ["P10", "P90", "P50"]  # P50 over the others
    assert fig.data[-1].mode == "lines+markers" and fig.data[0].mode == "lines"
    assert [t.line.dash for t in fig.data] == ["solid", "dot", "dash"]  # each keeps its dash
    ranked = sorted(fig.data, key=lambda t: t.legendrank)
    assert [t.name for t in ranked] == ["P10", "P50", "P90"]  # the legend reads in order
    bars = charts.grouped_bars(frame, "month", {"P10": "bars"}, "Bars")
    merged = charts.panels([fig, bars])
    # plotly ranks a trace without one at 1000: after the lines
    assert sorted(merged.data, key=lambda t: t.legendrank or 1000)[-1].name == "bars"
