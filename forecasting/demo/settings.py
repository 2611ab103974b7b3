"""The demo company's figures, read from data/demo/apex_omnihub.toml."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
COMPANY_FILE = DATA_DIR / "demo" / "apex_omnihub.toml"

STATED_PLAN_NAME = "apex-2026"
CAPACITY_SET_NAME = "apex-capacity"
PLAN_OF_RECORD_NAME = "APEX OmniHub 2026 capacity plan"


@cache
def company() -> dict[str, Any]:
    """The parsed company file (cached: it never changes while running)."""
    with COMPANY_FILE.open("rb") as fh:
        return tomllib.load(fh)
