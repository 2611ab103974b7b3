"""How a view's figures are headed: cards (label, formatted value, note) and raw-frame columns.

Values are formatted by forecasting.presentation; ``Column`` gives a library frame's columns
their headings where the page words them itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Tone(StrEnum):
    """How a card's note reads: plain text, a change, or a change where a rise is bad."""

    NOTE = "note"
    CHANGE = "change"
    RISE_IS_BAD = "rise_is_bad"
    """Spend: a rise shows in red, a fall in green."""


@dataclass(frozen=True)
class Card:
    """One headline figure: ``value`` already formatted with its unit ("12,345 USD")."""

    label: str
    value: str
    note: str = ""
    """A line under the value ("+1,200 USD vs previous month"); "" for none."""
    tone: Tone = Tone.NOTE
    help: str = ""
    """A tooltip, e.g. the band around the value."""


@dataclass(frozen=True)
class Column:
    """A table column's heading in words (with its unit); its figures are shown as
    forecasting.presentation reads them (separators, %, dates, periods)."""

    label: str
    format: str | None = None
    """"wide" for long text, or None."""
