"""Every CLI command's output on the fixed demo is the stored one: byte for byte, but for the
last digits of numbers that carry float noise.

numpy picks its exp/log/sum kernels by the CPU's vector extensions, so one build of the same
code on the same inputs prints band edges that differ in the tenth significant digit from one
machine to the next (4547.85036 on one, 4547.850361 on another, measured). A number therefore
matches when it is within 1e-7 of the stored one relative to its size, or, for a number printed
with decimals, within one unit of its last printed digit (a rounding that noise tipped over).
Text around the numbers, integers (instances, counts) and the number of lines match exactly.

Noise can go further than that: an ARIMA fit's bias, a mean of errors that nearly cancel, moves
in its 7th digit; and a candidate model scored at the edge of the combination's threshold is in
on one CPU and out on another, so the figures sized on it move by percents (both seen on two
machines here with the same code: backtest_cost_by_group_quarter, and the RI commitment sized on
c6i's forecast in commitments_ri). Those two came from OpenBLAS's kernels, which the runner now
pins on any x86-64 CPU with AVX2 (runner.PINNED_CORE), so both machines print the same files.
For a CPU that cannot be pinned so, ``other_cpus/`` can hold what it prints (regen --other-cpu),
and either passes; a changed output matches neither."""

from __future__ import annotations

import difflib
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.golden.runner import (
    GOLDEN,
    OTHER_CPUS,
    PINNED_CORE,
    REGEN_COMMAND,
    pinned_environment,
    run_all,
)


@pytest.fixture(scope="module")
def produced(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return run_all(tmp_path_factory.mktemp("golden"))


def _expected() -> list[str]:
    return sorted(p.name for p in GOLDEN.iterdir()) if GOLDEN.is_dir() else []


def test_the_same_files_are_produced(produced: dict[str, bytes]) -> None:
    assert sorted(produced) == _expected(), f"golden files differ; if intended: {REGEN_COMMAND}"


NUMBER = re.compile(rb"\d+(?:\.(\d+))?(?:[eE][-+]?\d+)?")
BETWEEN = re.compile(rb"\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")  # the same, capturing nothing
RELATIVE = 1e-7


def _numbers_match(want: re.Match[bytes], got: re.Match[bytes]) -> bool:
    if want.group() == got.group():
        return True
    a, b = float(want.group()), float(got.group())
    places = max(len(want.group(1) or b""), len(got.group(1) or b""))
    last_digit = 10.0**-places if places else 0.0
    return math.isclose(a, b, rel_tol=RELATIVE) or abs(a - b) <= last_digit * (1 + 1e-9)


def same_but_noise(expected: bytes, got: bytes) -> bool:
    """``got`` is ``expected`` up to float noise in its numbers (module docstring)."""
    if expected == got:
        return True
    want_lines, got_lines = expected.splitlines(), got.splitlines()
    if len(want_lines) != len(got_lines):
        return False
    for want, line in zip(want_lines, got_lines, strict=True):
        if want == line:
            continue
        if BETWEEN.split(want) != BETWEEN.split(line):  # the text between numbers
            return False
        pairs = zip(NUMBER.finditer(want), NUMBER.finditer(line), strict=False)
        if len(NUMBER.findall(want)) != len(NUMBER.findall(line)):
            return False
        if not all(_numbers_match(w, g) for w, g in pairs):
            return False
    return True


def test_noise_is_told_from_a_change() -> None:
    row = b"rps,2026-11-27,4738.550483,4547.85036,4933.939356,80.0,combo,False"
    assert same_but_noise(
        row, b"rps,2026-11-27,4738.550483,4547.850361,4933.939355,80.0,combo,False"
    )
    # A rounding that noise tipped: one unit of the last printed digit.
    assert same_but_noise(b"cost 4,547.85 USD", b"cost 4,547.86 USD")
    assert not same_but_noise(b"cost 4,547.85 USD", b"cost 4,547.87 USD")
    assert not same_but_noise(row, row.replace(b"4547.85036", b"4547.86036"))
    assert not same_but_noise(b"155 instances", b"156 instances")  # integers are exact
    assert not same_but_noise(row, row.replace(b"combo", b"theta"))
    assert not same_but_noise(row, row + b"\nmore")
    assert not same_but_noise(b"1.5", b"1.5.2")


@pytest.mark.parametrize("name", _expected())
def test_output_is_byte_for_byte_the_golden_file(name: str, produced: dict[str, bytes]) -> None:
    expected = (GOLDEN / name).read_bytes()
    got = produced.get(name)
    assert got is not None, f"{name} is no longer produced; if intended: {REGEN_COMMAND}"
    other = OTHER_CPUS / name
    if other.is_file() and same_but_noise(other.read_bytes(), got):
        return  # as printed on the other CPU
    if not same_but_noise(expected, got):
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


def test_other_cpus_alternates_are_of_golden_files_and_differ_from_them() -> None:
    """An alternate is kept only for a file that exists and that it does not already match
    (one that matched would be dead weight; one of no golden file would never be read)."""
    for path in OTHER_CPUS.glob("*"):
        assert (GOLDEN / path.name).is_file(), f"{path.name}: no such golden file"
        assert not same_but_noise((GOLDEN / path.name).read_bytes(), path.read_bytes()), path


def test_goldens_hold_no_machine_paths() -> None:
    for name in [*_expected(), *(f"../other_cpus/{p.name}" for p in OTHER_CPUS.glob("*"))]:
        assert b"/tmp/" not in (GOLDEN / name).read_bytes(), name
        assert str(Path.home()).encode() + b"/" not in (GOLDEN / name).read_bytes(), name


def test_the_cases_run_on_the_pinned_blas_kernels() -> None:
    """The child ``run_all`` starts loads OpenBLAS with the pinned kernels where the CPU can
    run them (threadpoolctl reads what the library chose), so goldens do not follow the CPU."""
    pinned = pinned_environment()
    script = (
        "import numpy, threadpoolctl; "
        "print(*sorted({i.get('architecture') for i in threadpoolctl.threadpool_info() "
        "if i['internal_api'] == 'openblas'}))"
    )
    child = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, **pinned},
        capture_output=True,
        text=True,
        check=True,
    )
    assert pinned["OPENBLAS_NUM_THREADS"] == "1"
    if "OPENBLAS_CORETYPE" not in pinned:
        pytest.skip("this CPU cannot run the pinned kernels: goldens may need other_cpus/")
    assert child.stdout.split() == [PINNED_CORE]
