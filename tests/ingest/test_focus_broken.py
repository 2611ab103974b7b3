"""Broken exports: a message naming the file, row and column, and no change to the data."""

from __future__ import annotations

import gzip
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from forecasting.errors import InputError
from forecasting.ingest.focus import load_focus
from forecasting.store import Store
from tests.conftest import SHARED_DATA, table_checksums
from tests.ingest import billing_fixtures as fx

CUR2_HEADER = SHARED_DATA / "cur" / "cur2-header.txt"


@dataclass(frozen=True)
class Broken:
    """How to break an export, and what the error must say."""

    build: Callable[[Path], list[Path]]
    message: str
    file: str | None = None
    row: int | None = None
    column: str | None = None


def focus(tmp: Path, name: str = "bad.csv", **changes: dict[str, str]) -> list[Path]:
    """The FOCUS fixture with row ``rN`` (data row N, from 1) changed."""
    rows = fx.focus_rows()
    for key, change in changes.items():
        index = int(key[1:]) - 1
        rows[index] = rows[index] | change
    return [fx.write_csv(rows, tmp / name, fx.FOCUS_HEADER)]


def focus_without(tmp: Path, column: str) -> list[Path]:
    header = [c for c in fx.FOCUS_HEADER if c != column]
    return [fx.write_csv(fx.focus_rows(), tmp / "bad.csv", header)]


def cur(tmp: Path, **changes: dict[str, str]) -> list[Path]:
    rows = fx.cur_legacy_rows()
    for key, change in changes.items():
        rows[int(key[1:]) - 1] |= change
    return [fx.write_csv(rows, tmp / "bad.csv", fx.CUR_LEGACY_HEADER)]


def cur2_full(tmp: Path, **changes: dict[str, str]) -> list[Path]:
    """CUR 2.0 rows under the full 113-column header of a real export, row ``rN`` changed."""
    header = CUR2_HEADER.read_text().splitlines()[0].split(",") if CUR2_HEADER.exists() else []
    rows = [dict.fromkeys(header, "") | r for r in fx.cur2_rows()]
    for key, change in changes.items():
        rows[int(key[1:]) - 1] |= change
    extra = [c for c in rows[0] if c not in header]
    return [fx.write_csv(rows, tmp / "bad.csv", header + extra)]


def damaged(
    change: Callable[[bytes], bytes], name: str = "bad.csv"
) -> Callable[[Path], list[Path]]:
    """The FOCUS fixture's bytes, changed: a file cut short, a stray quote, other encodings."""

    def build(tmp: Path) -> list[Path]:
        data = fx.write_csv(fx.focus_rows(), tmp / "whole.csv", fx.FOCUS_HEADER).read_bytes()
        (tmp / "whole.csv").unlink()
        (tmp / name).write_bytes(change(data))
        return [tmp / name]

    return build


def cut_in_fourth_tags(data: bytes) -> bytes:
    """Cut inside the quoted JSON Tags of data row 4 (lines 0..3 are header and rows 1-3)."""
    row4 = data.split(b"\n", 4)
    start = len(b"\n".join(row4[:4])) + 1
    return data[: data.index(b'""team', start)]


def truncated_gzip(tmp: Path) -> list[Path]:
    rows = fx.focus_rows() * 300
    full = fx.write_csv(rows, tmp / "full.csv.gz", fx.FOCUS_HEADER).read_bytes()
    (tmp / "full.csv.gz").unlink()
    path = tmp / "bad.csv.gz"
    path.write_bytes(full[: len(full) * 2 // 3])
    return [path]


def short_last_row(tmp: Path) -> list[Path]:
    [path] = focus(tmp)
    with path.open("a") as handle:
        handle.write("1.25,012345678901,Acme\n")
    return [path]


def parquet_text_cost(tmp: Path) -> list[Path]:
    rows = fx.focus_rows()
    rows[3] = rows[3] | {"BilledCost": "abc"}
    types = {"ChargePeriodStart": "TIMESTAMPTZ", "ChargePeriodEnd": "TIMESTAMPTZ"}
    return [fx.write_parquet(rows, tmp / "bad.parquet", types)]


def good_then_bad(tmp: Path) -> list[Path]:
    rows = [r | {"BilledCost": "99"} for r in fx.focus_rows()]
    good = fx.write_csv(rows, tmp / "a-good.csv", fx.FOCUS_HEADER)
    return [good, *focus(tmp, "b-bad.csv", r3={"BilledCost": "oops"})]


def focus_and_cur(tmp: Path) -> list[Path]:
    return [*focus(tmp, "a.csv"), fx.write_csv(fx.cur_legacy_rows(), tmp / "b.csv")]


def write(name: str, data: bytes) -> Callable[[Path], list[Path]]:
    def build(tmp: Path) -> list[Path]:
        (tmp / name).write_bytes(data)
        return [tmp / name]

    return build


CASES = {
    "bad date": Broken(
        lambda t: focus(t, r5={"ChargePeriodStart": "2024-13-45T00:00:00Z"}),
        "cannot read '2024-13-45T00:00:00Z' as a date/time",
        "bad.csv",
        5,
        "ChargePeriodStart",
    ),
    "text in a cost column": Broken(
        lambda t: focus(t, r3={"BilledCost": "12,50"}),
        "cannot read '12,50' as a number",
        "bad.csv",
        3,
        "BilledCost",
    ),
    "several bad values": Broken(
        lambda t: focus(t, r2={"ListCost": "n/a"}, r9={"EffectiveCost": "-"}),
        "cannot read 'n/a' as a number (2 rows have problems; this is the first)",
        "bad.csv",
        2,
        "ListCost",
    ),
    "missing required column": Broken(
        lambda t: focus_without(t, "BillingPeriodStart"),
        "missing required column",
        "bad.csv",
        None,
        "BillingPeriodStart",
    ),
    "truncated gzip": Broken(truncated_gzip, "truncated or corrupt gzip file", "bad.csv.gz"),
    "unknown currency": Broken(
        lambda t: focus(t, r8={"BillingCurrency": "US$"}),
        "unknown currency 'US$'",
        "bad.csv",
        8,
        "BillingCurrency",
    ),
    "mixed currency in one account": Broken(
        lambda t: focus(t, r10={"BillingCurrency": "EUR"}),
        "bills 2024-09 in several currencies (EUR, USD)",
        "bad.csv",
        10,
        "BillingCurrency",
    ),
    "missing cost": Broken(
        lambda t: focus(t, r6={"BilledCost": "NULL"}),
        "1 line items have no BilledCost",
        "bad.csv",
        6,
        "BilledCost",
    ),
    "missing billing period": Broken(
        lambda t: focus(t, r11={"BillingPeriodStart": ""}),
        "1 line items have no BillingPeriodStart",
        "bad.csv",
        11,
        "BillingPeriodStart",
    ),
    "tags not JSON": Broken(
        lambda t: focus(t, r1={"Tags": "{team: web"}),
        "1 line items have Tags that are not a JSON object",
        "bad.csv",
        1,
        "Tags",
    ),
    "short last row": Broken(
        short_last_row, "missing columns in this row", "bad.csv", len(fx.focus_rows()) + 1
    ),
    "not a billing export": Broken(
        write("bad.csv", b"a,b\n1,2\n"), "not a FOCUS or AWS CUR export", "bad.csv"
    ),
    "empty file": Broken(write("bad.csv", b""), "the file is empty", "bad.csv"),
    "not parquet": Broken(
        write("bad.parquet", b"PAR1 this is not parquet"),
        "cannot read this Parquet file",
        "bad.parquet",
    ),
    "duplicate column": Broken(
        write("bad.csv", b"BilledCost,BilledCost,ChargePeriodStart,BillingCurrency\n"),
        "the header names this column twice",
        "bad.csv",
        None,
        "BilledCost",
    ),
    "parquet text cost": Broken(
        parquet_text_cost, "cannot read 'abc' as a number", "bad.parquet", 4, "BilledCost"
    ),
    "CUR bad cost": Broken(
        lambda t: cur(t, r7={"lineItem/UnblendedCost": "n/a"}),
        "cannot read 'n/a' as a number",
        "bad.csv",
        7,
        "lineItem/UnblendedCost",
    ),
    "CUR bad date": Broken(
        lambda t: cur(t, r2={"lineItem/UsageStartDate": "yesterday"}),
        "cannot read 'yesterday' as a date/time",
        "bad.csv",
        2,
        "lineItem/UsageStartDate",
    ),
    "CUR missing column": Broken(
        lambda t: [
            fx.write_csv(
                fx.cur_legacy_rows(),
                t / "bad.csv",
                [c for c in fx.CUR_LEGACY_HEADER if c != "lineItem/UsageStartDate"],
            )
        ],
        "missing required column",
        "bad.csv",
        None,
        "lineItem/UsageStartDate",
    ),
    "good file then a bad one": Broken(
        good_then_bad, "cannot read 'oops' as a number", "b-bad.csv", 3, "BilledCost"
    ),
    "FOCUS and CUR together": Broken(focus_and_cur, "mix FOCUS and CUR exports"),
    # Values that read but would poison the store (issue 12, items 1 and 2).
    "year 9999": Broken(
        lambda t: focus(
            t,
            r5={
                "ChargePeriodStart": "9999-12-31 23:00:00",
                "ChargePeriodEnd": "9999-12-31 23:59:59",
            },
        ),
        "1 line items have a date outside 1990-01-01..2100-12-31",
        "bad.csv",
        5,
        "ChargePeriodStart",
    ),
    "year 0001": Broken(
        lambda t: focus(t, r7={"ChargePeriodStart": "0001-01-01T00:00:00Z"}),
        "a date outside 1990-01-01..2100-12-31",
        "bad.csv",
        7,
        "ChargePeriodStart",
    ),
    "billing period in 2999": Broken(
        lambda t: focus(t, r2={"BillingPeriodEnd": "2999-01-01T00:00:00Z"}),
        "a date outside",
        "bad.csv",
        2,
        "BillingPeriodEnd",
    ),
    "charge ends before it starts": Broken(
        lambda t: focus(t, r4={"ChargePeriodEnd": "2024-09-01T00:00:00Z"}),
        "1 line items have a charge period that ends before it starts",
        "bad.csv",
        4,
        "ChargePeriodEnd",
    ),
    "charge after its billing period": Broken(
        lambda t: focus(
            t,
            r3={
                "ChargePeriodStart": "2024-12-01T00:00:00Z",
                "ChargePeriodEnd": "2024-12-02T00:00:00Z",
            },
        ),
        "a charge that starts after its billing period ends",
        "bad.csv",
        3,
        "ChargePeriodStart",
    ),
    "billing period ends before it starts": Broken(
        lambda t: focus(t, r6={"BillingPeriodEnd": "2024-08-01T00:00:00Z"}),
        "a billing period that ends before it starts",
        "bad.csv",
        6,
        "BillingPeriodEnd",
    ),
    "NaN quantity": Broken(
        lambda t: focus(t, r4={"ConsumedQuantity": "NaN"}),
        "1 line items have a quantity that is not a finite number",
        "bad.csv",
        4,
        "ConsumedQuantity",
    ),
    "infinite quantity": Broken(
        lambda t: focus(t, r8={"ConsumedQuantity": "-inf"}),
        "not a finite number",
        "bad.csv",
        8,
        "ConsumedQuantity",
    ),
    "quantity 1e309": Broken(
        lambda t: focus(t, r9={"ConsumedQuantity": "1e309"}),
        "not a finite number",
        "bad.csv",
        9,
        "ConsumedQuantity",
    ),
    "cost with 16 decimals": Broken(
        lambda t: focus(t, r4={"BilledCost": "0.0000000000000001"}),
        "a cost with more than 12 decimal places",
        "bad.csv",
        4,
        "BilledCost",
    ),
    "cost of a quadrillion": Broken(
        lambda t: focus(t, r5={"ListCost": "2000000000000000"}),
        "a cost of 1e15 or more",
        "bad.csv",
        5,
        "ListCost",
    ),
    "costs whose sum overflows": Broken(
        lambda t: focus(t, **{f"r{i}": {"BilledCost": "5" + "0" * 19} for i in (3, 4, 5, 6)}),
        "a cost of 1e15 or more",
        "bad.csv",
        3,
        "BilledCost",
    ),
    "cost beyond 20 digits": Broken(
        lambda t: focus(t, r2={"BilledCost": "99999999999999999999999999.9"}),
        "cannot read '99999999999999999999999999.9' as a number",
        "bad.csv",
        2,
        "BilledCost",
    ),
    "CUR costs whose sum overflows": Broken(
        lambda t: cur(t, **{f"r{i}": {"lineItem/UnblendedCost": "9" * 25} for i in (2, 3)}),
        "a cost of 1e15 or more",
        "bad.csv",
        2,
        "lineItem/UnblendedCost",
    ),
    "CUR date in 9999": Broken(
        lambda t: cur(t, r3={"lineItem/UsageStartDate": "9999-12-31T00:00:00.000Z"}),
        "a date outside",
        "bad.csv",
        3,
        "lineItem/UsageStartDate",
    ),
    "CUR 2.0 impossible date": Broken(
        lambda t: cur2_full(t, r2={"line_item_usage_start_date": "2026-13-45T99:00:00Z"}),
        "cannot read '2026-13-45T99:00:00Z' as a date/time",
        "bad.csv",
        2,
        "line_item_usage_start_date",
    ),
    # Files DuckDB cannot parse: the error path must explain, never crash (issue 12, 4 and 8).
    "truncated inside a quoted field": Broken(
        damaged(cut_in_fourth_tags),
        "ends inside a quoted field after row 3 (truncated?)",
        "bad.csv",
    ),
    "unbalanced quote": Broken(
        damaged(lambda d: d.replace(b",Acme,", b',"Acme,', 1)),
        "an unbalanced quote in row 1",
        "bad.csv",
    ),
    "bare CR splits a row": Broken(
        damaged(lambda d: d.replace(b",Acme,", b",Ac\rme,", 1)),
        "row 1 has 3 cells where the header has 23",
        "bad.csv",
    ),
    "Latin-1 byte": Broken(
        damaged(lambda d: d.replace(b"per hour", "per h\u00f6ur".encode("latin-1"), 1)),
        "byte 0xf6 in row 1 is not UTF-8",
        "bad.csv",
    ),
    "small truncated gzip": Broken(
        damaged(lambda d: gzip.compress(d * 20)[:1500], "bad.csv.gz"),
        "truncated or corrupt gzip file (it stops before its end); it ends after data row",
        "bad.csv.gz",
    ),
}


@pytest.fixture(scope="module")
def loaded_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database that already holds data, so that 'unchanged' means something."""
    good = tmp_path_factory.mktemp("good")
    db = good / "capcost.duckdb"
    with Store(db) as store:
        load_focus(store, focus(good, "focus.csv"))
        load_focus(store, [fx.write_csv(fx.cur_legacy_rows(), good / "cur.csv")])
    return db


@pytest.fixture
def loaded(loaded_file: Path, tmp_path: Path) -> Iterator[Store]:
    db = tmp_path / "capcost.duckdb"
    shutil.copyfile(loaded_file, db)
    with Store(db) as store:
        yield store


@pytest.mark.parametrize("case", list(CASES))
def test_broken_file_is_refused_and_changes_nothing(
    loaded: Store, tmp_path: Path, case: str
) -> None:
    broken = CASES[case]
    paths = broken.build(tmp_path)
    before = table_checksums(loaded, exclude=("ingest_runs",))
    with pytest.raises(InputError) as err:
        load_focus(loaded, paths)
    error = err.value
    assert broken.message in str(error)
    if broken.file is not None:
        assert error.file is not None and Path(error.file).name == broken.file
    assert (error.row, error.column) == (broken.row, broken.column)
    assert table_checksums(loaded, exclude=("ingest_runs",)) == before
    last = loaded.runs(limit=1)[0]
    assert (last["status"], last["error"]) == ("failed", str(error))


def test_truncated_gzip_says_how_far_it_got(tmp_path: Path) -> None:
    [path] = truncated_gzip(tmp_path)
    with gzip.open(path, "rt") as handle, pytest.raises(EOFError):
        handle.read()
    store = Store()
    with pytest.raises(InputError, match=r"it ends after data row \d+") as err:
        load_focus(store, [path])
    assert "data row 0:" not in str(err.value)


@pytest.mark.parametrize("name", ["x*.csv", "x?.csv", "x[1].csv"])
def test_a_file_named_like_a_glob_is_read_alone(tmp_path: Path, name: str) -> None:
    """DuckDB globs `*`, `?` and `[` in any path: `x*.csv` must not read `x1.csv` too."""
    for neighbour in ("x1.csv", "xa.csv"):
        fx.write_csv(fx.focus_rows(days=2), tmp_path / neighbour, fx.FOCUS_HEADER)
    path = fx.write_csv(fx.focus_rows(), tmp_path / name, fx.FOCUS_HEADER)
    store = Store()
    assert load_focus(store, [path]).rows == len(fx.focus_rows())
    rows = fx.focus_rows()
    rows[2] |= {"BilledCost": "oops"}
    fx.write_csv(rows, path, fx.FOCUS_HEADER)
    with pytest.raises(InputError) as err:
        load_focus(store, [path])
    assert (err.value.file, err.value.row, err.value.column) == (str(path), 3, "BilledCost")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (cut_in_fourth_tags, "file t.csv: ends inside a quoted field after row 3 (truncated?)"),
        (
            lambda d: d.replace(b"2024-09-28T00:00:00Z", b"9999-12-31T23:00:00Z", 1),
            "file t.csv, row 4, column 'ChargePeriodStart': 1 line items have a date outside",
        ),
    ],
)
def test_the_upload_box_says_the_same_naming_the_upload(
    loaded: Store, tmp_path: Path, change: Callable[[bytes], bytes], message: str
) -> None:
    from forecasting.ingest.upload import UploadKind, ingest_upload

    data = change(fx.write_csv(fx.focus_rows(), tmp_path / "x.csv", fx.FOCUS_HEADER).read_bytes())
    before = table_checksums(loaded, exclude=("ingest_runs",))
    with pytest.raises(InputError) as err:
        ingest_upload(loaded, "t.csv", data, UploadKind.BILLING)
    assert str(err.value).startswith(message)
    assert table_checksums(loaded, exclude=("ingest_runs",)) == before
