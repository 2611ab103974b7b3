"""Runs the golden cases through ``forecasting.cli.main`` in a child process with pinned BLAS
kernels, and collects their bytes."""

from __future__ import annotations

import contextlib
import io
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from forecasting.cli import main
from tests.golden.cases import CASES, INPUTS, SEED, UNTIL, Case

GOLDEN = Path(__file__).resolve().parent / "out"
# The same code's output as printed on another CPU, where float noise goes past the test's
# tolerance (regen.py --other-cpu writes them; test_golden accepts either).
OTHER_CPUS = Path(__file__).resolve().parent / "other_cpus"
REGEN_COMMAND = "make golden"
REPOSITORY = Path(__file__).resolve().parents[2]
# OpenBLAS picks its kernels by the CPU: on this project's two kinds of machine (AVX-512, whose
# SkylakeX kernels it chose, and AVX2) the same code printed an ARIMA bias 3e-7 apart and sized
# the RI commitment on c6i 4% apart (a model at the edge of the combination's threshold). Any
# x86-64 CPU with AVX2 and FMA runs the Haswell kernels, so the goldens pin them there and one
# set of files holds on both (measured: with it, the AVX-512 machine prints the AVX2 one's
# files byte for byte). One BLAS thread: a threaded sum adds in another order.
PINNED_CORE = "Haswell"
# argparse wraps help text to the terminal; a fixed width keeps --help output the same anywhere.
HELP_COLUMNS = "100"


def build_demo(folder: Path) -> tuple[Path, bytes]:
    """The demo every case reads, built by the CLI itself; returns its path and stderr."""
    db = folder / "demo.duckdb"
    outputs = _run(("demo", "--db", str(db), "--until", UNTIL, "--seed", SEED), folder)
    return db, outputs["stderr"]


def run_case(case: Case, demo: Path, folder: Path) -> dict[str, bytes]:
    """``{file name: bytes}`` of one case: stdout, stderr and exit code per step, CSVs written."""
    work = folder / case.name
    work.mkdir(parents=True)
    db = demo
    if case.writes:
        db = work / "copy.duckdb"
        shutil.copyfile(demo, db)
    out: dict[str, bytes] = {}
    for number, step in enumerate(case.steps, start=1):
        argv = [arg.format(db=db, work=work) for arg in step]
        if "--db" not in argv:
            argv += ["--db", str(db)]
        prefix = case.name if len(case.steps) == 1 else f"{case.name}.{number}"
        for kind, data in _run(tuple(argv), work).items():
            if data:  # an empty stdout or stderr is not worth a file
                out[f"{prefix}.{kind}"] = _anonymous(data, folder)
    for written in sorted(work.glob("*.csv")):
        out[f"{case.name}.{written.name}"] = written.read_bytes()
    return out


def run_help() -> bytes:
    """``--help`` of every command and subcommand, one after another."""
    from forecasting.cli import build_parser
    from tests.test_cli import _commands

    chunks = []
    for command in [(), *_commands(build_parser())]:
        outputs = _run((*command, "--help"), Path.cwd())
        chunks.append(b"$ capcost " + " ".join(command).encode() + b" --help\n")
        chunks.append(outputs["stdout"])
    return b"".join(chunks)


def run_all(folder: Path) -> dict[str, bytes]:
    """Every golden file's expected content, computed from scratch under ``folder`` by a child
    process whose OpenBLAS kernels are pinned (``PINNED_CORE``): they are chosen when the
    library loads, so this process, which has numpy loaded already, cannot change them."""
    files = folder / "golden-files"
    child = subprocess.run(
        [sys.executable, "-m", "tests.golden.runner", str(folder), str(files)],
        cwd=REPOSITORY,
        env={**os.environ, **pinned_environment()},
        capture_output=True,
        text=True,
        check=False,
    )
    if child.returncode != 0:
        raise RuntimeError(f"the golden cases failed (exit {child.returncode}):\n{child.stderr}")
    return {path.name: path.read_bytes() for path in sorted(files.iterdir())}


def pinned_environment() -> dict[str, str]:
    """The variables that make the BLAS kernels the same on every x86-64 CPU with AVX2 and FMA;
    elsewhere (another architecture, or a CPU that cannot run them) only the thread count."""
    pinned = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    if platform.machine().lower() in ("x86_64", "amd64") and _has_avx2_fma():
        pinned["OPENBLAS_CORETYPE"] = PINNED_CORE
    return pinned


def _has_avx2_fma() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text().split()
    except OSError:  # not Linux: unknown, so not pinned
        return False
    return "avx2" in flags and "fma" in flags


def _run_all_here(folder: Path) -> dict[str, bytes]:
    demo, stderr = build_demo(folder)
    out = {"demo.stderr": _anonymous(stderr, folder), "help.stdout": run_help()}
    for case in CASES:
        out.update(run_case(case, demo, folder))
    return out


def _run(argv: tuple[str, ...], cwd: Path) -> dict[str, bytes]:
    stdout = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
    stderr = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
    with _environment(cwd), contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            code = main(list(argv))
        except SystemExit as exc:  # --help and argparse's usage errors
            code = exc.code if isinstance(exc.code, int) else 1
    return {
        "stdout": stdout.buffer.getvalue(),  # type: ignore[attr-defined]
        "stderr": stderr.buffer.getvalue(),  # type: ignore[attr-defined]
        "exit": f"{code}\n".encode(),
    }


@contextlib.contextmanager
def _environment(cwd: Path) -> Iterator[None]:
    # No refresh after the writing commands: it takes seconds per write and prints a time.
    saved = {name: os.environ.get(name) for name in ("COLUMNS", "CAPCOST_REFRESH")}
    os.environ.update(COLUMNS=HELP_COLUMNS, CAPCOST_REFRESH="0")
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                del os.environ[name]
            else:
                os.environ[name] = value


def _anonymous(data: bytes, folder: Path) -> bytes:
    """Scratch and repository paths replaced so the files do not depend on where they ran."""
    return data.replace(str(folder).encode(), b"<tmp>").replace(str(INPUTS).encode(), b"<inputs>")


if __name__ == "__main__":  # the child of run_all: python -m tests.golden.runner FOLDER FILES
    scratch, into = Path(sys.argv[1]), Path(sys.argv[2])
    into.mkdir(parents=True)
    for name, data in _run_all_here(scratch).items():
        (into / name).write_bytes(data)
