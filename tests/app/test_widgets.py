"""Tables that fit the screen: a wide table cut into grids, long text read below them."""

from __future__ import annotations

import pandas as pd

from app import widgets


def test_a_wide_table_is_cut_into_grids_that_fit_each_led_by_its_first_column() -> None:
    columns = ["Quarter"] + [f"Figure number {i} (USD)" for i in range(12)]
    data = pd.DataFrame(
        {c: ["2026 Q4 (running, data to 30 Nov)"] if c == "Quarter" else [12345.0] for c in columns}
    )
    labels = {c: c for c in columns}
    grids = widgets.fitted(columns, data, labels)
    assert len(grids) > 1
    assert all(g[0] == "Quarter" for g in grids)
    assert [c for g in grids for c in g[1:]] == columns[1:]  # every column once, in order
    for grid in grids:
        assert sum(widgets._width(data[c], labels[c]) for c in grid) <= widgets.GRID_PX


def test_a_narrow_table_is_one_grid() -> None:
    data = pd.DataFrame({"Metric": ["CPU"], "Threshold %": [70.0]})
    assert widgets.fitted(["Metric", "Threshold %"], data, {c: c for c in data}) == [
        ["Metric", "Threshold %"]
    ]


def test_long_text_is_listed_below_as_text_not_markdown() -> None:
    data = pd.DataFrame({"lever": ["Right-size"], "flags": ["acts on $1,119 of *spend*"]})
    lines = widgets._note_lines(data, "lever", ["flags"], {"flags": "Flags"})
    assert lines == [r"- **Right-size**: *Flags*: acts on \$1,119 of \*spend\*"]


def test_rows_with_one_note_share_its_bullet() -> None:
    """Four commitment methods with one note read it once, their names joined; a row with a
    note of its own keeps its bullet, in the order the rows come."""
    data = pd.DataFrame(
        {
            "method": ["forecast", "look-back 7 days", "look-back 30 days", "look-back 60 days"],
            "note": [
                "1 year, no upfront",
                "1 year, no upfront",
                "window short",
                "1 year, no upfront",
            ],
        }
    )
    lines = widgets._note_lines(data, "method", ["note"], {"note": "Note"})
    assert lines == [
        "- **forecast, look-back 7 days, look-back 60 days**: *Note*: 1 year, no upfront",
        "- **look-back 30 days**: *Note*: window short",
    ]


def test_a_split_table_repeats_the_columns_that_tell_its_rows_apart() -> None:
    """One series' quarters: "Series" reads "Total" on every row, so a further grid led by it
    alone would not say which quarter a row is; the period is repeated with it."""
    columns = ["unique_id", "ds"] + [f"figure_{i}" for i in range(10)]
    data = pd.DataFrame(
        {
            "unique_id": ["Total"] * 3,
            "ds": ["2027 Q1", "2027 Q2", "2027 Q3"],
            **{f"figure_{i}": [12345.0, 23456.0, 34567.0] for i in range(10)},
        }
    )
    labels = {c: f"A long header for {c}" for c in columns}
    grids = widgets.fitted(columns, data, labels)
    assert len(grids) > 1 and all(g[:2] == ["unique_id", "ds"] for g in grids)
    assert [c for g in grids for c in g[2:]] == columns[2:]
    # A first column that tells the rows apart leads alone.
    assert all(
        g[0] == "ds" and g[1] != "unique_id" for g in widgets.fitted(columns[1:], data, labels)
    )


def test_a_table_fits_beside_a_chart_only_when_all_its_columns_do() -> None:
    """The Cost review's variance of a running month (day-for-day headers, cents) no longer
    fits half the page: it was drawn there with its last column scrolled out of sight."""
    whole = pd.DataFrame(
        {
            "group": ["Compute", "Database"],
            "previous": [8001.2, 3598.4],
            "current": [8884.3, 3963.1],
            "change": [883.1, 364.7],
            "change_percent": [11.0, 10.1],
        }
    )
    running = {"previous": "1 Nov 2026 (USD)", "current": "1 Dec 2026 (USD)"}
    cents = whole.assign(previous=[264.88, 147.46], current=[304.6, 161.58])
    assert widgets.fits(whole.iloc[:, :3], widgets.HALF_PX, currency="USD")
    assert not widgets.fits(cents, widgets.HALF_PX, currency="USD", labels=running)
    assert widgets.fits(cents, widgets.GRID_PX, currency="USD", labels=running)
