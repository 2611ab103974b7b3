"""What a person should never read in a table: the checks the presentation tests and the
browser tests share (issue 13's "machine-printed" cells and code-name headers)."""

from __future__ import annotations

import re

# Five or more decimals anywhere, or three or more on a figure of 10 and more (sub-cent
# digits on an amount): 49694.555949156944, 1035.2787380000009, -0.002340788589073009.
_LONG_DECIMALS = re.compile(r"\d\.\d{5,}")
_SUB_CENT = re.compile(r"(?<![\d.,])-?(?:\d{1,3}(?:,\d{3})+|[1-9]\d+)\.\d{3,}")
_MIDNIGHT = re.compile(r"\d{4}-\d{2}-\d{2}[ T]00:00(?::00)?")
_CODE_NAME = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
# A cell that is a code name with an underscore (``db_connection_pool_utilization``,
# ``no_upfront``) or a month or quarter as the machine keys it (``2026-11``, ``2026Q4``).
# ... or a JSON object or list as the store keeps it (``{"database":"apex-prod-db"}``, ``{}``).
_CODE_CELL = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+|\d{4}-\d{2}|\d{4}Q[1-4]|\{.*\}|\[.*\]")


def machine_printed(cell: str) -> bool:
    """True for a cell that prints what the machine holds rather than what a person reads."""
    return bool(_LONG_DECIMALS.search(cell) or _SUB_CENT.search(cell) or _MIDNIGHT.search(cell))


def code_name_header(text: str) -> bool:
    """True for a header that is a code name (``unique_id``, ``ds``, ``last_finished``)."""
    return bool(_CODE_NAME.fullmatch(text.strip()))


def machine_label(cell: str) -> bool:
    """True for a cell that names a thing or a period as the code does, not as people do."""
    return bool(_CODE_CELL.fullmatch(cell.strip()))


# A date, month or quarter as the machine keys it inside a sentence ("data runs to
# 2026-12-01", "base month 2026-02", "2026Q4"); not inside a path or a name ("/x/2026-11.csv").
_PROSE_DATE = re.compile(
    r"(?<![\w/.:-])\d{4}-(?:0[1-9]|1[0-2])(?:-\d{2})?(?![\w-])|\b\d{4}Q[1-4]\b"
)
# An accuracy figure without its unit: "sMAPE 10.0" (it is a percentage, 0-200%).
_BARE_ACCURACY = re.compile(r"\b(?:s?MAPE|bias)\s+[-+]?\d+(?:\.\d+)?(?![\d.]*\s?%)", re.IGNORECASE)


def machine_prose(text: str) -> list[str]:
    """What in a sentence a person should not read: machine dates and unitless accuracy."""
    return _PROSE_DATE.findall(text) + _BARE_ACCURACY.findall(text)


def rounded_text(value: float, decimals: int, suffix: str = "") -> str:
    """``value`` rounded half up to ``decimals`` as a person writes it (``96%``, ``0.34``):
    an oracle written apart from forecasting.presentation, for the cards that use it."""
    from decimal import ROUND_HALF_UP, Decimal

    step = Decimal(1).scaleb(-decimals)
    return f"{Decimal(repr(float(value))).quantize(step, rounding=ROUND_HALF_UP):,}{suffix}"
