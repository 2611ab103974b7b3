"""Rewrites tests/golden/out from the current code: `python -m tests.golden.regen` (make golden).

Run it only when a change deliberately alters a command's output, then read `git diff tests/golden`.
A file this machine prints as its ``other_cpus/`` alternate (this is the other CPU) keeps its
stored content; an alternate whose file really changed (it matches neither) is removed.

`python -m tests.golden.regen --other-cpu` writes, into ``tests/golden/other_cpus``, the files that
this machine prints differently from ``out`` with the same code (float noise past the test's
tolerance, see test_golden): run it on an unchanged checkout only, and say in the commit which
CPU and which figures.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from tests.golden.runner import GOLDEN, OTHER_CPUS, run_all
from tests.golden.test_golden import same_but_noise


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.golden.regen")
    parser.add_argument(
        "--other-cpu",
        action="store_true",
        help="keep out/ and write what differs on this CPU to other_cpus/",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="capcost-golden-") as tmp:
        files = run_all(Path(tmp))
    if args.other_cpu:
        OTHER_CPUS.mkdir(exist_ok=True)
        wrote = []
        for name, data in files.items():
            stored = GOLDEN / name
            if stored.is_file() and not same_but_noise(stored.read_bytes(), data):
                (OTHER_CPUS / name).write_bytes(data)
                wrote.append(name)
        print(f"wrote {len(wrote)} files to {OTHER_CPUS}: {', '.join(wrote) or 'none'}")
        return
    old = {p.name: p.read_bytes() for p in GOLDEN.iterdir()} if GOLDEN.is_dir() else {}
    alternates = {p.name: p.read_bytes() for p in OTHER_CPUS.glob("*")}
    for name, alternate in alternates.items():
        data = files.get(name)
        if name in old and data is not None and same_but_noise(alternate, data):
            files[name] = old[name]  # printed as the other CPU prints it: unchanged
        elif name not in old or data is None or not same_but_noise(old[name], data):
            (OTHER_CPUS / name).unlink()  # the output it was an alternate of has changed
            print(f"removed {OTHER_CPUS / name}: its golden file changed")
    shutil.rmtree(GOLDEN, ignore_errors=True)
    GOLDEN.mkdir()
    for name, data in files.items():
        (GOLDEN / name).write_bytes(data)
    print(f"wrote {len(files)} files to {GOLDEN}")


if __name__ == "__main__":
    main()
