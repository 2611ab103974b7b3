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
