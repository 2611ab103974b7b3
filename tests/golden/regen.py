"""Rewrites tests/golden/out from the current code: `python -m tests.golden.regen` (make golden).

Run it only when a change deliberately alters a command's output, then read `git diff tests/golden`.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from tests.golden.runner import GOLDEN, run_all


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="capcost-golden-") as tmp:
        files = run_all(Path(tmp))
    shutil.rmtree(GOLDEN, ignore_errors=True)
    GOLDEN.mkdir()
    for name, data in files.items():
        (GOLDEN / name).write_bytes(data)
    print(f"wrote {len(files)} files to {GOLDEN}")


if __name__ == "__main__":
    main()
