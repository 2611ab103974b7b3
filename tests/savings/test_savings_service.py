"""The savings service the CLI and the Savings page share: stated plans, options, parts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from forecasting.errors import InputError
from forecasting.savings.service import (
    SavingsOptions,
    read_stated,
    stored_stated,
)
from forecasting.store import Store

FAST = {"model": "drift", "paths": 200, "seed": 1}
HEADER = b"initiative,category,percent,monthly_savings\n"


def test_read_stated_from_bytes_and_from_a_path(tmp_path: Path) -> None:
    content = HEADER + b"RI,Compute,20,800\nCDN,CDN,,200\n"
    from_bytes = read_stated(content, "upload.csv")
    path = tmp_path / "plan.csv"
    path.write_bytes(content)
    pd.testing.assert_frame_equal(from_bytes, read_stated(path))
    assert from_bytes["percent"].isna().tolist() == [False, True]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "file upload.csv: not a readable CSV"),
        (b"\xff\xfe\x00", "file upload.csv: not a readable CSV"),
        (HEADER + b"RI,Compute,-5,\n", "file upload.csv, row 2, column 'percent'"),
    ],
)
def test_unreadable_stated_plans_name_the_file(content: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        read_stated(content, "upload.csv")


def test_a_stored_plan_in_another_currency_is_refused(demo_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "copy.duckdb"
    db.write_bytes(demo_db.read_bytes())
    with Store(db) as store:
        lines = pd.DataFrame(
            [{"initiative": "RI", "category": "Compute", "percent": 20.0, "monthly_savings": 800.0}]
        )
        store.save_stated_savings("euro-plan", lines, "EUR")
        assert len(stored_stated(store, "apex-2026")) == 4
        with pytest.raises(InputError, match="'euro-plan' is in EUR, the bill in USD"):
            stored_stated(store, "euro-plan")


@pytest.mark.parametrize(
    ("fields", "message"),
    [({"tolerance": 1.0}, "parameter tolerance"), ({"lookback": (0,)}, "parameter lookback")],
)
def test_options_out_of_range_are_input_errors(fields: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        SavingsOptions(**fields)  # type: ignore[arg-type]


def test_the_exports_are_the_cli_csv_byte_for_byte(
    demo_db: Path, demo_store: Store, tmp_path: Path
) -> None:
    from forecasting.cli import main
    from forecasting.export import to_csv_bytes
    from forecasting.savings.service import commitments, levers, reconcile_stated

    options = SavingsOptions(**FAST)
    cli = ["--db", str(demo_db), "--model", "drift", "--paths", "200", "--seed", "1"]
    out = tmp_path / "out.csv"
    assert main(["savings", *cli, "--csv", str(out)]) == 0
    assert to_csv_bytes(levers(demo_store, options).export()) == out.read_bytes()
    assert main(["commitments", *cli, "--csv", str(out)]) == 0
    assert to_csv_bytes(commitments(demo_store, options).export()) == out.read_bytes()
    stated = stored_stated(demo_store, "apex-2026")
    stated.to_csv(tmp_path / "stated.csv", index=False)
    assert main(["savings", *cli, "--stated", str(tmp_path / "stated.csv"), "--csv", str(out)]) == 0
    reconciled = reconcile_stated(demo_store, options, stated, "apex-2026")
    assert to_csv_bytes(reconciled.export()) == out.read_bytes()
