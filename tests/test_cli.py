"""The CLI contract: every command has help; actuals prints the documented CSV; errors are clean."""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from forecasting.cli import build_parser, main


def _commands(
    parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
) -> list[tuple[str, ...]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append((*prefix, name))
                found.extend(_commands(sub, (*prefix, name)))
    return found


def test_core_commands_exist() -> None:
    names = {c[0] for c in _commands(build_parser())}
    assert {"demo", "actuals", "serve", "ingest"} <= names


@pytest.mark.parametrize("command", _commands(build_parser()), ids=" ".join)
def test_every_command_has_help(
    command: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: capcost " + " ".join(command))
    assert len(out.splitlines()) > 3


def _actuals(demo_db: Path, capsys: pytest.CaptureFixture[str], *args: str) -> pd.DataFrame:
    assert main(["actuals", *args, "--db", str(demo_db), "--csv", "-"]) == 0
    return pd.read_csv(io.StringIO(capsys.readouterr().out), dtype={"period": str})


def test_actuals_users_by_quarter(demo_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frame = _actuals(demo_db, capsys, "users", "--freq", "quarter")
    assert list(frame.columns) == ["ds", "period", "value", "unit", "complete"]
    q = frame.set_index("period")["value"]
    for quarter, planned in {"2026Q1": 50_000, "2026Q2": 75_000, "2026Q3": 100_000}.items():
        assert abs(q[quarter] / planned - 1) < 0.1
    assert frame["ds"].iloc[0] == "2024-01-01"
    assert (frame["unit"] == "users").all()


def test_actuals_cost_by_group_per_month(demo_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frame = _actuals(
        demo_db,
        capsys,
        "cost",
        "--freq",
        "month",
        "--by",
        "group",
        "--start",
        "2026-01-01",
        "--end",
        "2026-03-31",
    )
    assert list(frame.columns) == ["ds", "period", "group", "value", "unit", "complete"]
    assert sorted(frame["period"].unique()) == ["2026-01", "2026-02", "2026-03"]
    assert not frame.duplicated(["period", "group"]).any()
    shares = frame.groupby("group")["value"].sum() / frame["value"].sum()
    assert shares["Compute"] == pytest.approx(0.5, abs=0.03)


def test_actuals_cost_bases_differ(demo_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    window = ["--freq", "day", "--start", "2026-01-01", "--end", "2026-01-01"]
    billed = _actuals(demo_db, capsys, "cost", "--cost", "billed", *window)["value"].sum()
    effective = _actuals(demo_db, capsys, "cost", "--cost", "effective", *window)["value"].sum()
    assert billed > effective  # the Savings Plan fee bills on the 1st, amortized over the month


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["actuals", "nope"], "unknown metric 'nope'. Try: cost, cpu_utilization"),
        (["actuals", "users", "--by", "group"], "--by applies to cost only"),
        (
            ["actuals", "cost", "--start", "2026-02-01", "--end", "2026-01-01"],
            "--end is before --start",
        ),
    ],
)
def test_user_mistakes_exit_2_with_one_line(
    demo_db: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main([*args, "--db", str(demo_db)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("capcost: error:") and message in err
    assert "Traceback" not in err


def test_bad_date_and_choice_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    for args in (
        ["actuals", "users", "--start", "2026-13-01"],
        ["actuals", "users", "--freq", "week"],
    ):
        with pytest.raises(SystemExit) as exit_info:
            main(args)
        assert exit_info.value.code == 2
    assert "not a date" in capsys.readouterr().err


def test_missing_database_says_what_to_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["actuals", "users", "--db", str(tmp_path / "none.duckdb")]) == 1
    assert "capcost demo" in capsys.readouterr().err


def test_console_script_runs_as_a_process(demo_db: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "forecasting.cli", "actuals", "nope", "--db", str(demo_db)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Try:" in result.stderr


def test_demo_command_builds_a_database(tmp_path: Path) -> None:
    db = tmp_path / "d.duckdb"
    assert main(["demo", "--db", str(db), "--until", "2024-06-30", "--seed", "1"]) == 0
    assert db.exists() and not list(tmp_path.glob("*.tmp*"))


def test_groups_set_regroups_history(
    demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "copy.duckdb"
    db.write_bytes(demo_db.read_bytes())
    rules = tmp_path / "rules.csv"
    rules.write_text(
        "group_name,provider_name,service_category\nAWS compute,AWS,Compute\nEdge,Cloudflare,\n"
    )
    assert main(["groups", "--set", str(rules), "--db", str(db)]) == 0
    capsys.readouterr()
    frame = _actuals(
        db, capsys, "cost", "--by", "group", "--start", "2026-01-01", "--end", "2026-01-31"
    )
    assert set(frame["group"]) == {"AWS compute", "Edge", "Unallocated"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "group_name,provider_name\nCompute,AWS\n,Cloudflare\n",
            "row 3, column 'group_name': empty",
        ),
        ("group,provider_name\nCompute,AWS\n", "column 'group_name': missing required column"),
        ("group_name,colour\nCompute,red\n", "unexpected columns ['colour']"),
    ],
)
def test_groups_set_rejects_bad_rules_without_changing_anything(
    demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    rules = tmp_path / "rules.csv"
    rules.write_text(content)
    before = demo_db.read_bytes()
    assert main(["groups", "--set", str(rules), "--db", str(demo_db)]) == 2
    assert message in capsys.readouterr().err
    assert demo_db.read_bytes() == before
