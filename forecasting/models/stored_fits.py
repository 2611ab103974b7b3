"""Model fits served from the store as forecasts are (``stored``): made at refresh, read by pages.

A fit here is a frozen dataclass of numbers (the demand chain's ratios and per-group cost
lines): cheap to store, but dozens of robust regressions, and statsmodels' 2.5 s import, to
make. :func:`fitted` wraps the function that makes one. Outside a ``stored.reading`` or
``stored.recording`` block it is the plain call. Inside one, a fit whose key is stored is
decoded from the store instead; a fit made inside a recording block is kept for the refresh to
store. The key digests the arguments (frame values at single precision, as a forecast's key
does: DuckDB's parallel sums differ in their last bits from read to read) and the source of
the fitting modules, so a fit is found only for exactly the inputs and code it was made with.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import inspect
import json
import typing
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import numpy as np
import pandas as pd

from forecasting.models import stored

P = ParamSpec("P")
T = TypeVar("T")


def fitted(kind: str, *depends: Callable[..., Any]) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """Serve ``fn``'s fits from the store within a reading block; ``kind`` names them in the
    store; the code of ``fn``'s module and of the modules of ``depends`` (what ``fn`` calls
    to fit) is in the key."""

    def decorate(fn: Callable[P, T]) -> Callable[P, T]:
        @functools.cache
        def version() -> str:
            modules = [inspect.getmodule(f) for f in (fn, *depends)]
            digest = hashlib.sha256(kind.encode())
            for module in modules:
                assert module is not None
                digest.update(inspect.getsource(module).encode())
            return digest.hexdigest()[:16]

        @functools.wraps(fn)
        def serve(*args: P.args, **kwargs: P.kwargs) -> T:
            memo = stored.active()
            if memo is None:
                return fn(*args, **kwargs)
            key = fit_key(version(), args, kwargs)
            value = _found(memo, kind, key)
            if value is not None:
                out: T = decode(typing.get_type_hints(fn)["return"], json.loads(value))
                return out
            made = fn(*args, **kwargs)
            memo.fit_misses += 1
            if memo.record:
                memo.fits[key] = (kind, encode(made))
            return made

        return serve

    return decorate


def _found(memo: stored.Memo, kind: str, key: str) -> str | None:
    if key in memo.fits:
        return memo.fits[key][1]
    if kind not in memo.fits_read:
        reader = getattr(memo.store, "read_fit_results", None)
        memo.fits_read[kind] = reader(kind) if reader is not None else {}
    value = memo.fits_read[kind].get(key)
    if value is not None:
        memo.fits_used.add(key)
    return value


def fit_key(version: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    digest = hashlib.sha256(version.encode())
    for part in args:
        digest.update(_part(part) + b"\0")
    for name, part in sorted(kwargs.items()):
        digest.update(name.encode() + b"=" + _part(part) + b"\0")
    return digest.hexdigest()[:32]


def _part(value: Any) -> bytes:
    """A stable digestable form: frames by their labels and values (floats at single
    precision), anything else by its repr (dataclasses, enums, numbers, strings)."""
    if isinstance(value, pd.Series):
        value = value.to_frame()
    if isinstance(value, pd.DataFrame):
        parts = [repr(list(value.columns)).encode(), _hashed(value.index.to_series())]
        parts += [_hashed(value[c]) for c in value.columns]
        return b"|".join(parts)
    return repr(value).encode()


def _hashed(column: pd.Series) -> bytes:
    if pd.api.types.is_float_dtype(column):
        return np.ascontiguousarray(column.to_numpy(np.float32)).tobytes()
    if pd.api.types.is_datetime64_any_dtype(column) or pd.api.types.is_integer_dtype(column):
        return np.ascontiguousarray(column.to_numpy(np.int64)).tobytes()
    return "\0".join(map(str, column)).encode()


# -- the codec: frozen dataclasses of numbers, strings and tuples of them, as JSON -------------
def encode(value: Any) -> str:
    """``value`` (a dataclass) as JSON; NaN and infinities as Python's json writes them."""
    return json.dumps(dataclasses.asdict(value), sort_keys=True)


def decode(kind: Any, value: Any) -> Any:
    """``value`` (parsed JSON) as ``kind``, the type it was encoded from."""
    if dataclasses.is_dataclass(kind) and isinstance(kind, type):
        hints = typing.get_type_hints(kind)
        fields = [f for f in dataclasses.fields(kind) if f.init]
        return kind(**{f.name: decode(hints[f.name], value[f.name]) for f in fields})
    if typing.get_origin(kind) is tuple:
        items = typing.get_args(kind)
        if len(items) == 2 and items[1] is Ellipsis:
            return tuple(decode(items[0], v) for v in value)
        return tuple(decode(k, v) for k, v in zip(items, value, strict=True))
    if kind in (float, int, str, bool):
        return kind(value)
    raise TypeError(f"a fit of {kind!r} cannot be stored: only dataclasses of numbers")
