"""Ingest runs as a whole: any split of an export gives the same totals, a killed run keeps
nothing, and the command line exists with help and clean errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecasting.cli import main
from forecasting.ingest.focus import load_focus
from forecasting.store import Store
from tests.conftest import ROOT, table_checksums
from tests.ingest import billing_fixtures as fx

FORMATS = ("csv", "csv.gz", "parquet")
FOCUS_PARQUET_TYPES = {
    "BilledCost": "DECIMAL(20, 10)",
    "EffectiveCost": "DOUBLE",
    "ChargePeriodStart": "TIMESTAMPTZ",
    "ChargePeriodEnd": "TIMESTAMPTZ",
    "BillingPeriodStart": "TIMESTAMP",
}
TOTALS_SQL = (
    "SELECT BillingAccountId, strftime(BillingPeriodStart, '%Y-%m'), ServiceCategory, "
    "CAST(ChargePeriodStart AS DATE), sum(BilledCost), sum(EffectiveCost), count(*) "
    "FROM cost_line_items GROUP BY ALL ORDER BY ALL"
)


def totals(store: Store) -> list[tuple[object, ...]]:
    return store.con.execute(TOTALS_SQL).fetchall()


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[object, ...]]:
    path = fx.write_csv(
        fx.focus_rows(), tmp_path_factory.mktemp("ref") / "all.csv", fx.FOCUS_HEADER
    )
    with Store() as store:
        load_focus(store, [path])
        return totals(store)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_any_split_into_files_ingests_to_the_same_totals(
    data: st.DataObject, tmp_path_factory: pytest.TempPathFactory, reference: list[object]
) -> None:
    rows = fx.focus_rows()
    parts = data.draw(st.integers(1, 4), label="files")
    owner = data.draw(st.lists(st.integers(0, parts - 1), min_size=len(rows), max_size=len(rows)))
    formats = data.draw(st.lists(st.sampled_from(FORMATS), min_size=parts, max_size=parts))
    folder = tmp_path_factory.mktemp("split")
    paths = []
    for part, kind in enumerate(formats):
        mine = [r for r, o in zip(rows, owner, strict=True) if o == part]
        if kind == "parquet":
            if mine:  # an exporter writes no empty Parquet part
                paths.append(
                    fx.write_parquet(mine, folder / f"p{part}.parquet", FOCUS_PARQUET_TYPES)
                )
        else:  # a CSV part may hold only its header
            paths.append(fx.write_csv(mine, folder / f"p{part}.{kind}", fx.FOCUS_HEADER))
    with Store() as store:
        load_focus(store, paths)
        assert totals(store) == reference


# -- a run killed half way --------------------------------------------------------------------
KILLED_INGEST = textwrap.dedent(
    """
    import sys, time
    from forecasting.ingest.focus import load_focus
    from forecasting.store import Store

    def progress(fraction, message):
        if message == "committing":  # every row is written, nothing is committed yet
            print("READY", flush=True)
            time.sleep(120)

    with Store(sys.argv[1]) as store:
        load_focus(store, [sys.argv[2]], progress=progress)
    """
)


def test_a_killed_ingest_keeps_nothing_and_is_logged_abandoned(tmp_path: Path) -> None:
    db = tmp_path / "capcost.duckdb"
    with Store(db) as store:
        load_focus(store, [fx.write_csv(fx.cur_legacy_rows(), tmp_path / "cur.csv")])
        before = table_checksums(store, exclude=("ingest_runs",))
    restated = [r | {"BilledCost": "7"} for r in fx.focus_rows() * 50]
    export = fx.write_csv(restated, tmp_path / "focus.csv", fx.FOCUS_HEADER)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_INGEST, str(db), str(export)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.strip() == "READY", child.stderr.read() if child.stderr else line
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=30)
    with Store(db) as store:
        assert table_checksums(store, exclude=("ingest_runs",)) == before
        runs = store.runs()
        assert [r["status"] for r in runs] == ["abandoned", "succeeded"]
        assert "none of its rows were kept" in runs[0]["error"]


# -- the command line ---------------------------------------------------------------------------
def test_ingest_focus_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["ingest", "focus", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "FOCUS 1.0-1.2" in out and "s3://bucket/prefix" in out


def test_ingest_lists_focus(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["ingest", "--help"])
    assert "focus" in capsys.readouterr().out


def test_ingest_focus_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = fx.focus_rows()
    path = fx.write_csv(rows, tmp_path / "focus.csv", fx.FOCUS_HEADER)
    db = tmp_path / "capcost.duckdb"
    assert main(["ingest", "focus", "--db", str(db), str(path)]) == 0
    err = capsys.readouterr().err
    assert f"{len(rows)} line items from 1 file(s) (FOCUS 1.0)" in err
    with Store(db, read_only=True) as store:
        total = store.con.execute("SELECT sum(BilledCost) FROM cost_line_items").fetchall()
    assert total == [(sum(fx.money(r["BilledCost"]) for r in rows),)]
    assert "BilledCost" in err and str(Decimal(total[0][0]).normalize()) != ""


def test_ingest_focus_bad_input_is_one_clean_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = fx.focus_rows()
    rows[1] |= {"BilledCost": "twelve"}
    path = fx.write_csv(rows, tmp_path / "focus.csv", fx.FOCUS_HEADER)
    code = main(["ingest", "focus", "--db", str(tmp_path / "x.duckdb"), str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("capcost: error: file ")
    assert "row 2, column 'BilledCost': cannot read 'twelve' as a number" in err
    code = main(["ingest", "focus", "--db", str(tmp_path / "x.duckdb"), str(tmp_path / "nope")])
    assert code == 2 and "no CSV, CSV.gz or Parquet files" in capsys.readouterr().err
