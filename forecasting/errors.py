"""Exceptions the library raises for bad input; the CLI and app turn them into clean messages."""

from __future__ import annotations


class CapcostError(Exception):
    """Base class: a problem the user can fix (bad input, missing data), never a bug."""


class InputError(CapcostError):
    """Invalid input. The message names the file, row and column, or the parameter."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        parameter: str | None = None,
    ) -> None:
        self.file = file
        self.row = row
        self.column = column
        self.parameter = parameter
        where = []
        if file is not None:
            where.append(f"file {file}")
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        if parameter is not None:
            where.append(f"parameter {parameter}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class UnknownNameError(InputError):
    """A name (metric, model, scenario...) that is not known; the message lists valid ones."""

    def __init__(self, kind: str, name: str, valid: list[str] | tuple[str, ...]) -> None:
        self.valid = list(valid)
        super().__init__(
            f"unknown {kind} {name!r}. Try: {', '.join(sorted(self.valid)) or '(none stored yet)'}",
            parameter=kind,
        )


class StoreError(CapcostError):
    """The database cannot be used as asked (missing file, locked, newer schema)."""


class SchemaOutdatedError(StoreError):
    """The file's schema is older than this capcost; opening it read-write migrates it."""
