"""What a page draws, made once per arguments in this server process and drawn again from here.

A rerun (a widget elsewhere on the page, a level revisited, the same page in another tab)
asks for the same figures and tables as the run before: a plotly figure of a few panels costs
0.2-0.6 s of plotly's validation (``make_subplots``, ``update_layout``) and a table's display
formats 0.1-0.4 s, more than the cached read behind them. ``made(build, *args)`` keeps
``build``'s result per its code and its arguments' content (the last ``KEPT``), so equal
data draws what was drawn. ``build`` must read nothing but its arguments, and its result must not
be changed by the caller (it is shared between runs and sessions).
"""

from __future__ import annotations

import hashlib
import pickle
import threading
import types
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import pandas as pd

P = ParamSpec("P")
T = TypeVar("T")

KEPT = 128
"""Results kept (least recently used dropped): a page's figures and tables are a few each."""

_MADE: OrderedDict[bytes, Any] = OrderedDict()
_LOCK = threading.Lock()


def made(build: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``build(*args, **kwargs)``, or the result of the same call made before; arguments
    that cannot be pickled are built every time."""
    try:
        key = _key(build, args, kwargs)
    except (pickle.PicklingError, TypeError, AttributeError):
        return build(*args, **kwargs)
    with _LOCK:
        if key in _MADE:
            _MADE.move_to_end(key)
            found: T = _MADE[key]
            return found
    result = build(*args, **kwargs)
    with _LOCK:
        _MADE[key] = result
        while len(_MADE) > KEPT:
            _MADE.popitem(last=False)
    return result


def clear() -> None:
    with _LOCK:
        _MADE.clear()


def _key(build: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> bytes:
    digest = hashlib.sha256(f"{build.__module__}.{build.__qualname__}".encode())
    code = getattr(build, "__code__", None)
    if code is not None:  # a page script is run afresh each time: its code, not its identity
        _code(digest, code)
    _update(digest, (args, sorted(kwargs.items())))
    return digest.digest()


def _update(digest: Any, value: Any) -> None:
    """``value`` into ``digest`` by content: a frame by its labels, dtypes and values (its
    pickle is not one: a frame read back from st.cache_data pickles apart from the one made),
    containers item by item, anything else pickled."""
    if isinstance(value, pd.Series):
        value = value.to_frame()
    if isinstance(value, pd.DataFrame):
        digest.update(b"frame" + repr((list(value.columns), list(map(str, value.dtypes)))).encode())
        try:
            hashed = pd.util.hash_pandas_object(value, index=True).to_numpy()
        except TypeError:  # unhashable cells (lists): by their text
            hashed = pd.util.hash_pandas_object(value.astype(str), index=True).to_numpy()
        digest.update(hashed.tobytes())
    elif isinstance(value, list | tuple):
        digest.update(f"{type(value).__name__}{len(value)}".encode())
        for item in value:
            _update(digest, item)
    elif isinstance(value, dict):
        digest.update(f"dict{len(value)}".encode())
        for key, item in value.items():
            _update(digest, key)
            _update(digest, item)
    else:
        digest.update(pickle.dumps(value, protocol=5))


def _code(digest: Any, code: types.CodeType) -> None:
    digest.update(code.co_code)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _code(digest, const)  # a comprehension's or a nested function's code
        else:
            digest.update(repr(const).encode())
    digest.update(repr(code.co_names).encode())
