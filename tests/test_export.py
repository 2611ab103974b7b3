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


def _lines_as_a_cr_reader_sees_them(data: bytes) -> list[str]:
    """Every line, for a reader that ends a line at CR, LF or CRLF, quotes or not."""
    return data.decode().replace("\r\n", "\n").replace("\r", "\n").split("\n")


def test_a_bare_cr_cannot_start_a_formula_row() -> None:
    """Issue 12 item 9: ``Amazon S3\\r=cmd|...`` reached every CSV unquoted."""
    frame = pd.DataFrame({"ServiceName": ["Amazon S3\r=cmd|' /C calc'!A0", "EC2"], "cost": [1, 2]})
    data = to_csv_bytes(frame)
    assert data.startswith(b'ServiceName,cost\n"Amazon S3\r')  # the CR cell is quoted
    for line in _lines_as_a_cr_reader_sees_them(data):
        assert not line.lstrip('"').startswith(("=", "+", "-", "@")), line
    back = pd.read_csv(io.BytesIO(data), dtype=str)
    assert back["ServiceName"].tolist() == ["Amazon S3\r'=cmd|' /C calc'!A0", "EC2"]


@given(st.lists(st.text(alphabet='ab=+-@\r\n\t," ', min_size=1), min_size=1, max_size=5))
def test_every_line_of_every_cell_is_guarded_and_the_rows_survive(cells: list[str]) -> None:
    data = to_csv_bytes(pd.DataFrame({"c": cells, "n": range(len(cells))}))
    back = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    assert back["n"].tolist() == [str(i) for i in range(len(cells))]  # no row was split
    for value in back["c"]:
        for line in value.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
            looks_numeric = line.lstrip("+-").replace(".", "", 1).isdigit()
            assert looks_numeric or not line.startswith(("=", "+", "-", "@", "\t")), value
