"""Every CLI command's output on the fixed demo is byte for byte the stored one."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from tests.golden.runner import GOLDEN, REGEN_COMMAND, run_all


@pytest.fixture(scope="module")
def produced(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return run_all(tmp_path_factory.mktemp("golden"))


def _expected() -> list[str]:
    return sorted(p.name for p in GOLDEN.iterdir()) if GOLDEN.is_dir() else []


def test_the_same_files_are_produced(produced: dict[str, bytes]) -> None:
    assert sorted(produced) == _expected(), f"golden files differ; if intended: {REGEN_COMMAND}"


@pytest.mark.parametrize("name", _expected())
def test_output_is_byte_for_byte_the_golden_file(name: str, produced: dict[str, bytes]) -> None:
    expected = (GOLDEN / name).read_bytes()
    got = produced.get(name)
    assert got is not None, f"{name} is no longer produced; if intended: {REGEN_COMMAND}"
    if got != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.decode(errors="replace").splitlines(keepends=True),
                got.decode(errors="replace").splitlines(keepends=True),
                f"golden/{name}",
                "now",
                n=1,
            )
        )
        pytest.fail(
            f"{name} changed. If the change is intended, run `{REGEN_COMMAND}` and read "
            f"`git diff tests/golden`.\n{diff[:4000]}",
            pytrace=False,
        )


def test_golden_files_are_not_empty_of_output() -> None:
    # A golden set of only failures would prove nothing: most steps must succeed.
    exits = [(GOLDEN / n).read_bytes() for n in _expected() if n.endswith(".exit")]
    assert len(exits) > 40
    assert sum(e == b"0\n" for e in exits) >= len(exits) - 5


def test_goldens_hold_no_machine_paths() -> None:
    for name in _expected():
        assert b"/tmp/" not in (GOLDEN / name).read_bytes(), name
        assert str(Path.home()).encode() + b"/" not in (GOLDEN / name).read_bytes(), name
