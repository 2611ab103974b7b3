"""Pure FOCUS/CUR helpers: an export's dialect from its header, and the SQL that maps it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from forecasting.errors import InputError
from forecasting.ingest.focus import settings
from forecasting.ingest.focus.settings import CurMapping
from forecasting.ingest.sql import quote, typed_sql

LEGACY_TAG_PREFIX = "resourceTags/"
SNAKE_TAG_PREFIX = "resource_tags_"


class Dialect(StrEnum):
    FOCUS = "focus"
    CUR = "cur"


@dataclass(frozen=True)
class Layout:
    """What one file holds: its dialect and columns, and (Parquet) the types it declares.

    ``types`` is None for CSV, whose types capcost declares itself (see ``csv_types``).
    """

    dialect: Dialect
    label: str
    columns: tuple[str, ...]
    types: tuple[str, ...] | None = None

    @property
    def parquet(self) -> bool:
        return self.types is not None

    def type_of(self, column: str) -> str | None:
        if self.types is None:
            return None
        return self.types[self.columns.index(column)]


@dataclass(frozen=True)
class FileGroup:
    """Files that share one header: DuckDB reads them in one scan."""

    layout: Layout
    files: tuple[Path, ...]


def detect(columns: Sequence[str], *, file: str) -> tuple[Dialect, str]:
    """The dialect and a readable label (``FOCUS 1.0``, ``AWS CUR 2.0``...) from a header."""
    names = set(columns)
    if settings.CUR_LEGACY_MARKER in names:
        return Dialect.CUR, "AWS CUR (legacy)"
    if settings.CUR_SNAKE_MARKER in names:
        label = "AWS CUR 2.0" if names & settings.CUR2_MARKERS else "AWS CUR (Parquet naming)"
        return Dialect.CUR, label
    if {_loose(n) for n in names} >= {_loose(m) for m in settings.FOCUS_MARKERS}:
        for version, markers in settings.FOCUS_VERSION_MARKERS:
            if names & markers:
                return Dialect.FOCUS, f"FOCUS {version}"
        return Dialect.FOCUS, "FOCUS 1.0"
    raise InputError(
        "not a FOCUS or AWS CUR export: a FOCUS export has BilledCost, ChargePeriodStart and "
        "BillingCurrency columns, a CUR has lineItem/UnblendedCost or line_item_unblended_cost",
        file=file,
    )


def cur_snake(name: str) -> str:
    """``lineItem/UnblendedCost`` -> ``line_item_unblended_cost`` (CUR 2.0's own rule).

    Every capital letter starts a word, so ``reservation/ReservationARN`` becomes
    ``reservation_reservation_a_r_n`` exactly as CUR 2.0 spells it.
    """
    if "/" not in name:
        return name
    return "_".join(re.sub(r"(?<!^)([A-Z])", r"_\1", part).lower() for part in name.split("/", 1))


def literal(text: str) -> str:
    """A SQL string literal (for tag keys taken from a header)."""
    return "'" + text.replace("'", "''") + "'"


def cur_columns(columns: Sequence[str]) -> dict[str, str]:
    """Canonical (CUR 2.0) name -> the file's own column name."""
    out: dict[str, str] = {}
    for raw in columns:
        out.setdefault(cur_snake(raw), raw)
    return out


def focus_source(columns: Sequence[str], column: str) -> str | None:
    """The file column that feeds a stored FOCUS column (its 0.5 alias if need be).

    Exact names first; then any spelling that differs only in case or underscores, as
    warehouse exports write them (``billedcost``, ``billed_cost``).
    """
    alias = settings.FOCUS_ALIASES.get(column)
    for wanted in (column, alias):
        if wanted in columns:
            return wanted
    loose = {_loose(column), _loose(alias or column)}
    return next((c for c in columns if _loose(c) in loose), None)


def _loose(name: str) -> str:
    return name.replace("_", "").replace(" ", "").lower()


def required_columns(dialect: Dialect, columns: Sequence[str], mapping: CurMapping) -> list[str]:
    """The file columns that must exist: those feeding the FOCUS columns every row needs."""
    if dialect is Dialect.FOCUS:
        return [focus_source(columns, c) or c for c in settings.REQUIRED]
    present = cur_columns(columns)
    needed = [mapping.rule(c).source for c in settings.REQUIRED]
    # A legacy file is told what it lacks in its own (legacy) spelling.
    legacy = any("/" in c for c in columns)
    return [present.get(c) or (_legacy_name(c) if legacy else c) for c in needed]


def _legacy_name(canonical: str) -> str:
    """``line_item_usage_start_date`` -> ``lineItem/UsageStartDate`` (for messages only)."""
    prefixes = {"line_item": "lineItem", "bill": "bill", "savings_plan": "savingsPlan"}
    for snake, camel in prefixes.items():
        if canonical.startswith(snake + "_"):
            rest = canonical[len(snake) + 1 :].split("_")
            return f"{camel}/" + "".join(word.capitalize() for word in rest)
    return canonical


def csv_types(dialect: Dialect, columns: Sequence[str], mapping: CurMapping) -> dict[str, str]:
    """The type DuckDB must read each CSV column as: text unless a rule needs a number or time.

    Declaring every column stops DuckDB's type sniffing, which turns 12-digit account ids
    into integers (losing leading zeros) and guesses differently file by file.
    """
    if len(set(columns)) != len(columns):
        duplicate = next(c for c in columns if list(columns).count(c) > 1)
        raise InputError("the header names this column twice", column=duplicate)
    types = dict.fromkeys(columns, "VARCHAR")
    if dialect is Dialect.CUR:
        for canonical, raw in cur_columns(columns).items():
            wanted = mapping.source_types.get(canonical, "VARCHAR")
            types[raw] = "TIMESTAMPTZ" if wanted.startswith("TIMESTAMP") else wanted
        return types
    for column, wanted in settings.FOCUS_TYPES.items():
        source = focus_source(columns, column)
        if source is not None and wanted not in ("VARCHAR", "JSON"):
            types[source] = _csv_read_type(wanted)
    return types


def focus_projection(layout: Layout) -> str:
    """SELECT list mapping a FOCUS file's columns onto the stored FOCUS columns."""
    items = []
    for column, target in settings.FOCUS_TYPES.items():
        raw = focus_source(layout.columns, column)
        if raw is None:
            items.append(f"CAST(NULL AS {target}) AS {column}")
            continue
        raw_type = layout.type_of(raw) if layout.parquet else _csv_read_type(target)
        if raw_type == settings.READ_MONEY:
            target = raw_type  # kept unrounded until the checks have seen it
        value = typed_sql(quote(raw), raw_type, target)
        if column == "BillingCurrency":  # ' usd' is USD; anything else is checked later
            value = f"upper(trim({value}))"
        items.append(f"{value} AS {column}")
    return ",\n".join(items)


def _csv_read_type(target: str) -> str:
    if target == settings.MONEY:
        return settings.READ_MONEY
    return "TIMESTAMPTZ" if target.startswith("TIMESTAMP") else target


def cur_projections(layout: Layout, mapping: CurMapping) -> tuple[str, str]:
    """Two SELECT lists: file columns -> canonical CUR columns, then canonical -> FOCUS."""
    present = cur_columns(layout.columns)
    inner = []
    for canonical, target in mapping.source_types.items():
        raw = present.get(canonical)
        if raw is None:
            inner.append(f"CAST(NULL AS {target}) AS {canonical}")
        else:
            raw_type = layout.type_of(raw) if layout.parquet else _csv_read_type(target)
            inner.append(f"{typed_sql(quote(raw), raw_type, target)} AS {canonical}")
    inner.append(f"{_cur_tags(layout, present)} AS resource_tags")
    outer = [
        f"CAST({rule.sql} AS {settings.FOCUS_TYPES[rule.column]}) AS {rule.column}"
        for rule in mapping.rules
    ]
    return ",\n".join(inner), ",\n".join(outer)


def _cur_tags(layout: Layout, present: dict[str, str]) -> str:
    """Resource tags as one JSON object, whichever way the export spells them."""
    if "resource_tags" in present:  # CUR 2.0: a map (Parquet) or JSON text (CSV)
        raw = present["resource_tags"]
        return typed_sql(quote(raw), layout.type_of(raw), "JSON")
    entries = [
        (raw[len(LEGACY_TAG_PREFIX) :], raw)
        for raw in layout.columns
        if raw.startswith(LEGACY_TAG_PREFIX)
    ] + [
        (canonical[len(SNAKE_TAG_PREFIX) :], raw)
        for canonical, raw in present.items()
        if canonical.startswith(SNAKE_TAG_PREFIX) and not raw.startswith(LEGACY_TAG_PREFIX)
    ]
    if not entries:
        return "CAST(NULL AS VARCHAR)"
    structs = ", ".join(
        f"{{'k': {literal(key)}, 'v': CAST({quote(raw)} AS VARCHAR)}}" for key, raw in entries
    )
    kept = f"list_filter([{structs}], lambda e: e.v IS NOT NULL AND e.v <> '')"
    return f"nullif(CAST(to_json(map_from_entries({kept})) AS VARCHAR), '{{}}')"


def source_column(layout: Layout, column: str, mapping: CurMapping) -> str | None:
    """The file column a problem in stored FOCUS ``column`` should be reported against."""
    if layout.dialect is Dialect.FOCUS:
        return focus_source(layout.columns, column)
    present = cur_columns(layout.columns)
    if column == "Tags":
        return present.get("resource_tags")
    canonical = mapping.rule(column).source
    return present.get(canonical) if canonical else None


def mapping_markdown(mapping: CurMapping) -> str:
    """The CUR -> FOCUS table as markdown (docs/ingest-cur-mapping.md is this output)."""
    lines = [
        "# AWS CUR -> FOCUS mapping",
        "",
        "Generated from `data/focus/cur_to_focus.toml` by "
        "`python -m forecasting.ingest.focus.helpers`; edit the TOML, then regenerate.",
        "Source columns use CUR 2.0 names; legacy names convert mechanically "
        "(`lineItem/UnblendedCost` -> `line_item_unblended_cost`). Rules follow the FinOps "
        "Foundation's focus_converters (`conversion_rules_export/markdown/aws-cur.md`); "
        "notes starting with *capcost* say where and why capcost departs from them.",
        "",
        "| FOCUS column | rule (DuckDB SQL over CUR columns) | note |",
        "|---|---|---|",
    ]
    for rule in mapping.rules:
        sql = " ".join(rule.sql.split()).replace("|", "\\|")
        note = rule.note.replace("|", "\\|")
        lines.append(f"| {rule.column} | `{sql}` | {note} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(mapping_markdown(settings.cur_mapping()), end="")
