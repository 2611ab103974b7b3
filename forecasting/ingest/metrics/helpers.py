"""Pure helpers for metric files: which columns hold time and value, and the --dimension pairs."""

from __future__ import annotations

import re
from collections.abc import Sequence

from forecasting.errors import InputError
from forecasting.interface import COST_METRIC

# Metric names become series ids and CLI arguments: keep them plain.
METRIC_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]{0,99}$")


def check_metric_name(name: str) -> str:
    if not METRIC_NAME.match(name) or name == COST_METRIC:
        raise InputError(
            f"{name!r} is not a usable metric name: start with a letter, then letters, digits, "
            "'_', '.' or '-' (and 'cost' is reserved for billing data)",
            parameter="--metric",
        )
    return name


def pick_column(
    columns: Sequence[str],
    given: str | None,
    candidates: Sequence[str],
    *,
    role: str,
    parameter: str,
    file: str,
    exclude: Sequence[str] = (),
) -> str:
    """The column named by the user, else the first usual name present, else the only one left."""
    if given is not None:
        if given not in columns:
            raise InputError(
                f"no {role} column {given!r}; the file has {', '.join(columns)}",
                file=file,
                parameter=parameter,
            )
        return given
    lowered = {c.lower(): c for c in columns}
    for name in candidates:
        if name in lowered and lowered[name] not in exclude:
            return lowered[name]
    left = [c for c in columns if c not in exclude]
    if len(left) == 1:
        return left[0]
    raise InputError(
        f"cannot tell which column holds the {role}: name it with {parameter} "
        f"(the file has {', '.join(columns)})",
        file=file,
        parameter=parameter,
    )


def parse_dimensions(pairs: Sequence[str]) -> dict[str, str]:
    """``["service=api", "region=eu-west-1"]`` -> a dict; a repeated key is an error."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise InputError(f"not key=value: {pair!r}", parameter="--dimension")
        if key in out:
            raise InputError(f"dimension {key!r} given twice", parameter="--dimension")
        out[key] = value
    return out
