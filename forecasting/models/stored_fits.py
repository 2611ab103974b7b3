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
import enum
import functools
import hashlib
import inspect
import json
import types
import typing
import weakref
from collections.abc import Callable
from datetime import date
from types import ModuleType
from typing import Any, ParamSpec, TypeVar

import numpy as np
import pandas as pd

from forecasting.interface import Excuse
from forecasting.models import stored
from forecasting.models.options import ForecastOptions

P = ParamSpec("P")
T = TypeVar("T")


def fitted(
    kind: str,
    *depends: Callable[..., Any] | ModuleType,
    keyed: Callable[..., tuple[Any, ...] | None] | None = None,
    engine: bool = False,
    keeps_inputs: bool = False,
) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """Serve ``fn``'s fits from the store within a reading block; ``kind`` names them in the
    store; the code of ``fn``'s module and of the modules of ``depends`` (what ``fn`` calls
    to fit, or those modules) is in the key, and the forecasting engine's
    (``stored.engine_version``) when ``engine`` (``fn`` forecasts). ``keyed`` (called with
    ``fn``'s arguments) names what the result depends on when the arguments are not all
    digestable: a Store by :func:`store_part`, a catalogue by :func:`catalogue_part`, never
    a callable that cannot change it; None when this call's result is not one to store (see
    :func:`stored.is_engine`).

    ``keeps_inputs``: a refresh that serves this result keeps what it was made from (the
    forecasts and fits it asked for, stored beside it as ``<kind> inputs``), where it would
    drop them unread: a plan's forecasts also serve the page's other horizons, which are
    not stored whole. Without it (a backtest) they go; what made them is not read again."""

    def decorate(fn: Callable[P, T]) -> Callable[P, T]:
        @functools.cache
        def version() -> str:
            modules = [inspect.getmodule(f) for f in (fn, *depends)]
            digest = hashlib.sha256(kind.encode())
            if engine:
                digest.update(stored.engine_version().encode())
            for module in modules:
                assert module is not None
                digest.update(inspect.getsource(module).encode())
            return digest.hexdigest()[:16]

        @functools.wraps(fn)
        def serve(*args: P.args, **kwargs: P.kwargs) -> T:
            memo = stored.active()
            if memo is None:
                return fn(*args, **kwargs)
            if keyed is None:
                key = fit_key(version(), args, kwargs)
            else:
                parts = keyed(*args, **kwargs)
                if parts is None:  # not a result to store (a stand-in forecaster)
                    return fn(*args, **kwargs)
                key = fit_key(version(), parts, {})
            value = _found(memo, kind, key)
            memo.touch([key])
            inputs = (f"{kind} inputs", f"{key} inputs")
            if value is not None:
                if keeps_inputs and memo.record:  # what made it stays stored with it
                    kept = json.loads(_found(memo, *inputs) or "[]")
                    memo.fits_used.update(kept)
                    memo.touch(kept)
                out: T = decode(typing.get_type_hints(fn)["return"], json.loads(value))
                return out
            memo.touched.append(set())
            try:
                made = fn(*args, **kwargs)
            finally:
                asked = memo.touched.pop()
            memo.fit_misses += 1
            if keeps_inputs:
                memo.touch(asked)
            if memo.record:
                memo.fits[key] = (kind, encode(made))
                if keeps_inputs:
                    memo.fits[inputs[1]] = (inputs[0], json.dumps(sorted(asked)))
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


def store_part(store: Any) -> tuple[str, str]:
    """What a result read from ``store`` depends on: the version of its inputs (every
    committed ingest run, the cost group rules, the assumption sets, the plans) and the day
    its reads stop at (``Store.as_it_stood``)."""
    return str(store.inputs_version()), str(getattr(store, "until", None))


def forecast_part(options: ForecastOptions) -> ForecastOptions:
    """The forecast's own options (and the assumption set's) of a page's wider options, so
    that the page's other settings (quarters, base month, look-back windows) share a result
    that does not read them."""
    fields = dataclasses.fields(ForecastOptions)
    return ForecastOptions(**{f.name: getattr(options, f.name) for f in fields})


@dataclasses.dataclass(frozen=True)
class Digested:
    """A key's part already in its digestable form (:func:`_part`'s bytes), made once."""

    data: bytes


_CATALOGUES: weakref.WeakKeyDictionary[Any, tuple[Digested, ...]] = weakref.WeakKeyDictionary()


def catalogue_part(catalogue: Any) -> tuple[Digested, ...]:
    """What a result priced from ``catalogue`` depends on: its three tables (compute,
    database, metered), as :func:`fit_key` reads them (the same key as the frames give),
    made once per catalogue. ``load_catalogue`` reads one per version of its files and its
    tables are never changed; digesting them took 16 ms of each plan's and levers' key, and
    a page asks for several keys a run."""
    found = _CATALOGUES.get(catalogue)
    if found is None:
        tables = (catalogue.compute, catalogue.database, catalogue.metered)
        found = tuple(Digested(_part(t)) for t in tables)
        _CATALOGUES[catalogue] = found
    return found


def _part(value: Any) -> bytes:
    """A stable digestable form: frames by their labels and values (floats at single
    precision), anything else by its repr (dataclasses, enums, numbers, strings)."""
    if isinstance(value, Digested):
        return value.data
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
# A field may also be ``X | Excuse`` (an answer or why there is none): an Excuse is written as
# its reason and its context (numbers and text), marked so it never reads as an ``X``; or
# ``X | None`` (None is JSON's null, which no ``X`` is written as). Enums are their values,
# dates and timestamps ISO text, dicts their items (keys as text, read back as the key type).
def encode(value: Any) -> str:
    """``value`` (a dataclass) as JSON; NaN and infinities as Python's json writes them."""
    return json.dumps(_plain(value), sort_keys=True)


def _plain(value: Any) -> Any:
    """Fields by name, tuples as lists, a frame as its columns' dtypes and values (dates as
    ISO text, numbers as they are: Python's json writes a float's shortest exact repr)."""
    if isinstance(value, Excuse):
        return {"excuse": value.reason, "context": _plain(value.context)}
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    if isinstance(value, date):  # a Timestamp or a datetime too
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, pd.DataFrame):
        columns = {}
        for name in value.columns:
            column = value[name]
            if pd.api.types.is_datetime64_any_dtype(column):
                values: list[Any] = [None if pd.isna(v) else v.isoformat() for v in column]
            elif column.dtype == object:  # e.g. a runway's dates beside "not within the horizon"
                values = [{"date": v.isoformat()} if _is_day(v) else v for v in column]
            else:
                values = column.tolist()
            columns[str(name)] = {"dtype": str(column.dtype), "values": values}
        return {"columns": list(map(str, value.columns)), "data": columns}
    if isinstance(value, np.generic):
        return value.item()
    return value


def decode(kind: Any, value: Any) -> Any:
    """``value`` (parsed JSON) as ``kind``, the type it was encoded from."""
    if kind is Any:  # e.g. a setting's value: numbers and text, as JSON has them
        return value
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        options = typing.get_args(kind)
        members = [k for k in options if k not in (Excuse, types.NoneType)]
        if len(members) == 1:
            if value is None and types.NoneType in options:
                return None
            excused = isinstance(value, dict) and set(value) == {"excuse", "context"}
            if excused and Excuse in options:
                return Excuse(value["excuse"], value["context"])
            return decode(members[0], value)
    if dataclasses.is_dataclass(kind) and isinstance(kind, type):
        hints = typing.get_type_hints(kind)
        fields = [f for f in dataclasses.fields(kind) if f.init]
        return kind(**{f.name: decode(hints[f.name], value[f.name]) for f in fields})
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind(value)
    if kind is pd.Timestamp:
        return pd.Timestamp(value)
    if kind is date:
        return date.fromisoformat(value)
    if typing.get_origin(kind) is dict:
        keys, values = typing.get_args(kind)
        return {decode(keys, k): decode(values, v) for k, v in value.items()}
    if typing.get_origin(kind) is tuple:
        items = typing.get_args(kind)
        if len(items) == 2 and items[1] is Ellipsis:
            return tuple(decode(items[0], v) for v in value)
        return tuple(decode(k, v) for k, v in zip(items, value, strict=True))
    if kind is pd.DataFrame:
        data = value["data"]
        frame = pd.DataFrame({c: data[c]["values"] for c in value["columns"]})
        for c in value["columns"]:
            dtype = data[c]["dtype"]
            if dtype.startswith("datetime64"):
                frame[c] = pd.to_datetime(frame[c]).astype(dtype)
            elif dtype == "object":
                frame[c] = pd.Series(
                    [date.fromisoformat(v["date"]) if _day_cell(v) else v for v in frame[c]],
                    dtype=object,
                )
            else:
                frame[c] = frame[c].astype(dtype)
        return frame.reindex(columns=value["columns"])
    if kind in (float, int, str, bool):
        return kind(value)
    raise TypeError(
        f"a fit of {kind!r} cannot be stored: only dataclasses of numbers, text, dates, enums "
        "and frames"
    )


def _is_day(value: Any) -> bool:
    """A calendar day in a text column (not a timestamp: those are datetime columns)."""
    return type(value) is date


def _day_cell(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"date"}
