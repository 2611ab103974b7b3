"""Misuse of the command line (issue 12): one line naming the parameter or file, a non-zero
exit, never a traceback, and no stored table changed (checksums before and after)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from forecasting.cli import main
from forecasting.ingest import aws
from forecasting.store import Store
from tests.conftest import ROOT, SHARED_DATA, table_checksums
from tests.ingest import billing_fixtures as fx

NO_AWS = {
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    "AWS_CONFIG_FILE": "/nonexistent",
    "AWS_EC2_METADATA_DISABLED": "true",
}


@dataclass(frozen=True)
class Misuse:
    """A command given something wrong: ``argv(db, tmp)``, the message and the exit code."""

    argv: Callable[[Path, Path], list[str]]
    message: str
    code: int = 2
    env: dict[str, str] | None = None


def _file(tmp: Path, name: str, data: bytes) -> str:
    (tmp / name).write_bytes(data)
    return str(tmp / name)


def _prices(tmp: Path) -> str:
    return str(shutil.copytree(ROOT / "data" / "prices", tmp / "prices"))


def _focus_csv(tmp: Path) -> str:
    return str(fx.write_csv(fx.focus_rows(), tmp / "focus.csv", fx.FOCUS_HEADER))


CASES = {
    "--db is a CSV": Misuse(
        lambda db, t: ["actuals", "cost", "--db", _focus_csv(t)],
        "is not a DuckDB database",
        1,
    ),
    "ingest into a --db that is JSON": Misuse(
        lambda db, t: ["ingest", "focus", _focus_csv(t), "--db", _file(t, "x.json", b'{"a": 1}')],
        "is not a DuckDB database",
        1,
    ),
    "--db is Parquet": Misuse(
        lambda db, t: ["actuals", "users", "--db", _file(t, "x.parquet", b"PAR1....PAR1")],
        "is not a DuckDB database",
        1,
    ),
    "--csv equal to --db": Misuse(
        lambda db, t: ["actuals", "users", "--db", str(db), "--csv", str(db)],
        "parameter --csv: ",
        2,
    ),
    "--csv is a folder": Misuse(
        lambda db, t: ["actuals", "users", "--db", str(db), "--csv", str(t)],
        "is a folder: give a file name",
    ),
    "--csv in a missing folder": Misuse(
        lambda db, t: ["actuals", "users", "--db", str(db), "--csv", str(t / "no" / "x.csv")],
        "no folder",
    ),
    "demo --db is a folder": Misuse(
        lambda db, t: ["demo", "--db", str(t), "--until", "2024-06-30"], "is a folder", 1
    ),
    "demo over ingested data": Misuse(
        lambda db, t: ["demo", "--db", str(db), "--until", "2024-06-30"],
        "holds data ingested from focus, which the demo would replace: pass --force",
    ),
    "groups --set an empty file": Misuse(
        lambda db, t: ["groups", "--set", _file(t, "r.csv", b""), "--db", str(db)],
        "the file is empty",
    ),
    "groups --set a binary file": Misuse(
        lambda db, t: ["groups", "--set", _file(t, "r.csv", b"\x00\xff\xfe\x80"), "--db", str(db)],
        "is not UTF-8",
    ),
    "groups --set an open quote": Misuse(
        lambda db, t: ["groups", "--set", _file(t, "r.csv", b'group_name\n"A\n'), "--db", str(db)],
        "not a rules CSV",
    ),
    "s3 without credentials": Misuse(
        lambda db, t: ["ingest", "focus", "s3://b/x", "--region", "us-east-1", "--db", str(db)],
        "no AWS credentials found",
        1,
        NO_AWS,
    ),
    "s3 with a bogus profile": Misuse(
        lambda db, t: ["ingest", "focus", "s3://bucket/x", "--profile", "bogus", "--db", str(db)],
        "parameter --profile: no AWS profile named 'bogus'",
        2,
        NO_AWS,
    ),
    "s3 at an unreachable endpoint": Misuse(
        lambda db, t: ["ingest", "focus", "s3://b/x", "--region", "us-east-1", "--db", str(db)],
        "S3: Could not connect to the endpoint URL",
        1,
        NO_AWS
        | {
            "AWS_ACCESS_KEY_ID": "x",
            "AWS_SECRET_ACCESS_KEY": "y",
            "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9",
        },
    ),
    "pricing without credentials": Misuse(
        lambda db, t: ["ingest", "pricing", "--dry-run", "--prices", _prices(t), "--db", str(db)],
        "no AWS credentials found",
        1,
        NO_AWS,
    ),
    "drivers --hours-per-month 0": Misuse(
        lambda db, t: ["drivers", "--hours-per-month", "0", "--db", str(db)],
        "parameter hours_per_month: hours in a month must be a positive number",
    ),
    "drivers --hours-per-month -730": Misuse(
        lambda db, t: ["drivers", "--hours-per-month", "-730", "--db", str(db), "--csv", "-"],
        "must be a positive number (730 on average), got -730",
    ),
    "plan --set with text for a number": Misuse(
        lambda db, t: ["plan", "--set", "target_utilisation=abc", "--db", str(db)],
        "target_utilisation must be a number, got 'abc'",
    ),
    "plan --quarters 10000": Misuse(
        lambda db, t: ["plan", "--quarters", "10000", "--db", str(db)],
        "parameter quarters: quarters must be from 1 to 300",
    ),
}


@pytest.fixture
def real_db(demo_db: Path, tmp_path: Path) -> Path:
    """The demo plus one real (non-demo) ingest, copied so each case may try to break it."""
    db = tmp_path / "db" / "capcost.duckdb"
    db.parent.mkdir()
    shutil.copyfile(demo_db, db)
    data = tmp_path / "data"
    data.mkdir()
    assert main(["ingest", "focus", _focus_csv(data), "--db", str(db)]) == 0
    return db


def _checksums(db: Path) -> dict[str, tuple[int, str]]:
    with Store(db, read_only=True) as store:
        # A refused ingest logs its failed run; every other table must be as it was.
        return table_checksums(store, exclude=("ingest_runs",))


@pytest.mark.parametrize("case", list(CASES))
def test_misuse_is_one_line_and_changes_nothing(
    real_db: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    case: str,
) -> None:
    misuse = CASES[case]
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in (misuse.env or {}).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(aws, "DEFAULT_MAX_ATTEMPTS", 1)  # an unreachable endpoint fails at once
    work = tmp_path / "work"
    work.mkdir()
    before = _checksums(real_db)
    capsys.readouterr()
    assert main(misuse.argv(real_db, work)) == misuse.code
    err = capsys.readouterr().err
    assert err.startswith("capcost: error:") and err.count("\n") == 1, err
    assert misuse.message in err
    assert _checksums(real_db) == before
    assert not list(work.glob("*.tmp")), "a half-written file was left behind"


def test_demo_force_replaces_ingested_data(real_db: Path) -> None:
    assert main(["demo", "--db", str(real_db), "--until", "2024-06-30", "--force"]) == 0
    with Store(real_db, read_only=True) as store:
        assert store.ingested_sources() == []


def test_a_tag_key_ending_in_a_backslash_is_a_rule_that_matches(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [r | {"Tags": '{"team\\\\": "web"}'} for r in fx.focus_rows()]
    db = tmp_path / "t.duckdb"
    assert (
        main(["ingest", "focus", str(fx.write_csv(rows, tmp_path / "f.csv")), "--db", str(db)]) == 0
    )
    rules = tmp_path / "rules.csv"
    rules.write_text("group_name,tag_key\nWeb,team\\\n")
    assert main(["groups", "--set", str(rules), "--db", str(db)]) == 0
    with Store(db, read_only=True) as store:
        groups = store.con.execute("SELECT DISTINCT cost_group FROM cost_daily").fetchall()
    assert groups == [("Web",)]


def test_ctrl_c_while_writing_keeps_nothing(
    real_db: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """DuckDB reports Ctrl-C during a fetch as RuntimeError('Query interrupted')."""

    def interrupted(*args: object, **kwargs: object) -> int:
        raise RuntimeError("Query interrupted")

    monkeypatch.setattr(Store, "replace_cost_periods", interrupted)
    before = _checksums(real_db)
    rows = [r | {"BilledCost": "1.5"} for r in fx.focus_rows()]
    path = fx.write_csv(rows, tmp_path / "again.csv", fx.FOCUS_HEADER)
    capsys.readouterr()
    assert main(["ingest", "focus", str(path), "--db", str(real_db)]) == 130
    err = capsys.readouterr().err
    assert err == "capcost: interrupted; nothing of the interrupted run was kept\n"
    with Store(real_db, read_only=True) as store:
        assert table_checksums(store, exclude=("ingest_runs",)) == before
        assert store.runs(limit=1)[0]["status"] == "failed"


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="../shared/data is absent")
def test_db_naming_the_real_focus_sample_is_refused_and_left_alone(
    capsys: pytest.CaptureFixture[str],
) -> None:
    sample = SHARED_DATA / "focus" / "focus_sample.csv"
    data = sample.read_bytes()
    assert main(["ingest", "focus", str(sample), "--db", str(sample)]) == 1
    assert "is not a DuckDB database" in capsys.readouterr().err
    assert sample.read_bytes() == data


def test_a_rule_cell_with_a_cr_stays_one_rule(
    real_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exported rules read back as the same rules, however a reader ends its lines."""
    rules = tmp_path / "rules.csv"
    rules.write_bytes(b'group_name,service_name\n"Storage","Amazon S3\r=cmd|\' /C calc\'!A0"\n')
    assert main(["groups", "--set", str(rules), "--db", str(real_db)]) == 0
    out = tmp_path / "out.csv"
    assert main(["groups", "--db", str(real_db), "--csv", str(out)]) == 0
    data = out.read_bytes()
    assert b"\"Amazon S3\r'=cmd" in data
    for line in data.decode().replace("\r", "\n").split("\n"):
        assert not line.startswith("="), line
