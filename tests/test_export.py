"""CSV exports open cleanly in a spreadsheet and cannot run formulas."""

from __future__ import annotations

import io

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from forecasting.export import neutralise, to_csv_bytes


def test_formula_cells_are_neutralised_and_numbers_are_not() -> None:
    assert neutralise("=SUM(A1:A2)") == "'=SUM(A1:A2)"
    assert neutralise("+cmd|' /C calc'!A0") == "'+cmd|' /C calc'!A0"
    assert neutralise("@SUM(1)") == "'@SUM(1)"
    assert neutralise("-2+3") == "'-2+3"
    assert neutralise("-12.5") == "-12.5"
    assert neutralise("+3") == "+3"
    assert neutralise("1e-3") == "1e-3"
    assert neutralise(-4.0) == -4.0
    assert neutralise("Compute") == "Compute"


def test_csv_has_header_no_index_iso_dates() -> None:
    frame = pd.DataFrame(
        {"ds": pd.to_datetime(["2026-01-01"]), "group": ["=HYPERLINK()"], "value": [-1.5]}
    )
    text = to_csv_bytes(frame).decode()
    assert text.splitlines() == ["ds,group,value", "2026-01-01,'=HYPERLINK(),-1.5"]


@given(st.lists(st.text(min_size=1), min_size=1, max_size=5))
def test_no_exported_text_cell_starts_a_formula(cells: list[str]) -> None:
    text = to_csv_bytes(pd.DataFrame({"c": cells})).decode()
    for value in pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)["c"]:
        looks_numeric = value.lstrip("+-").replace(".", "", 1).replace("e", "", 1).isdigit()
        assert looks_numeric or not value.startswith(("=", "+", "-", "@"))
