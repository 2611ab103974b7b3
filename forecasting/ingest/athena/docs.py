"""Keep the Athena query quoted in this package's docstring equal to what it sends.

Run ``python -m forecasting.ingest.athena.docs`` after changing the query or the CUR rules.
"""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

from forecasting.ingest.athena.helpers import rollup_query

PACKAGE_INIT = Path(__file__).with_name("__init__.py")
_BEFORE = "there is no WHERE clause)::\n\n"
_AFTER = "\n\n(``tests/ingest/test_athena.py``"


def example_query() -> str:
    """The query for the docstring's example arguments, indented as a literal block."""
    sql, _ = rollup_query("cur", "cur2", start=date(2025, 1, 1), end=date(2025, 3, 31))
    return textwrap.indent(sql.rstrip("\n"), "    ")


def quoted_query(text: str) -> str:
    start = text.index(_BEFORE) + len(_BEFORE)
    return text[start : text.index(_AFTER, start)]


def rewrite() -> None:
    text = PACKAGE_INIT.read_text()
    PACKAGE_INIT.write_text(text.replace(quoted_query(text), example_query(), 1))


if __name__ == "__main__":
    rewrite()
