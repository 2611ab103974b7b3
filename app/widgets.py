"""The pickers, editors and notes more than one page uses (Capacity and Savings share most)."""

from __future__ import annotations

import contextlib
import json
import re
import zlib
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any, TypeGuard

import pandas as pd
import streamlit as st

from app import downloads, memo, state
from forecasting.export import to_csv_bytes
from forecasting.interface import Excuse
from forecasting.presentation import (
    MISSING,
    ColumnFormat,
    display_table,
    model_label,
    readable_text,
)
from forecasting.presentation.tables import PERIOD_LABELS
from forecasting.views.display import Card, Column, Tone

LEVELS = [50, 80, 90, 95]
"""Interval levels, %, a forecasting page offers."""


def forecast_defaults(prefix: str, default_set: str, **more: Any) -> None:
    """Session defaults of a forecasting page's widgets (``<prefix>_level`` ...), then those
    a link sets: ?model=drift&paths=200&seed=1 opens the page with those forecast settings
    (once per session: a later widget change wins)."""
    values = {"level": 80, "model": "auto", "paths": 1000, "seed": 0, **more}
    st.session_state.setdefault("assumption_set", default_set)
    for key, value in values.items():
        st.session_state.setdefault(f"{prefix}_{key}", value)
    if st.session_state.get(f"{prefix}_from_url"):
        return
    st.session_state[f"{prefix}_from_url"] = True
    for name, parse in {"model": str, "paths": int, "seed": int}.items():
        with contextlib.suppress(ValueError):
            value = parse(st.query_params.get(name, ""))
            if name != "model" or value in state.model_choices():
                st.session_state[f"{prefix}_{name}"] = value


def notice(prefix: str) -> None:
    """Show (once) what a button callback left for the next run, e.g. "Saved ..."."""
    if found := st.session_state.pop(f"{prefix}_notice", None):
        getattr(st, found[0])(found[1])


def note(text: str) -> None:
    st.info(readable_text(text), icon=":material/info:")


def excused(value: object, lead: str = "") -> TypeGuard[Excuse]:
    """Show ``value``'s reason as an info if it is an Excuse (``lead`` before it); say if so."""
    if isinstance(value, Excuse):
        note(f"{lead}{value.reason}")
        return True
    return False


def set_picker(column: Any, sets: tuple[str, ...], default: str, prefix: str, **kw: Any) -> None:
    """The assumption set selector; the choice is shared by every page (``assumption_set``)."""
    options = list(sets) or [default]
    selected = st.session_state["assumption_set"]
    column.selectbox(
        "Assumption set",
        options,
        index=options.index(selected) if selected in options else 0,
        key=f"{prefix}_set",
        on_change=lambda: st.session_state.update(assumption_set=st.session_state[f"{prefix}_set"]),
        **kw,
    )


def forecast_settings(column_level: Any, column_model: Any, prefix: str) -> None:
    """Interval level and model in two columns; paths and seed in a collapsed expander."""
    column_level.select_slider("Interval level %", LEVELS, key=f"{prefix}_level")
    column_model.selectbox(
        "Model", state.model_choices(), key=f"{prefix}_model", format_func=model_label
    )


def forecast_values(prefix: str) -> dict[str, Any]:
    """The forecast options the page's widgets hold: level, model, paths, seed."""
    state_of = st.session_state
    return {
        "level": state_of[f"{prefix}_level"],
        "model": state_of[f"{prefix}_model"],
        "paths": int(state_of[f"{prefix}_paths"]),
        "seed": int(state_of[f"{prefix}_seed"]),
    }


def simulation_settings(prefix: str, extra: int = 0) -> list[Any]:
    """Sample paths and seed; returns ``extra`` more columns of the same row for the page."""
    with st.expander("Simulation settings", icon=":material/tune:"):
        columns = st.columns(2 + extra)
        columns[0].number_input("Sample paths", 1, 5000, key=f"{prefix}_paths")
        columns[1].number_input("Random seed", 0, 2**31 - 1, key=f"{prefix}_seed")
    return columns[2:]


def digest(payload: Mapping[str, Any]) -> int:
    """A key suffix that changes with the set's values, so editors refill from a new set."""
    return zlib.crc32(json.dumps(payload, sort_keys=True, default=str).encode())


def save_set(name: str, payload: dict[str, Any], prefix: str, page: str) -> None:
    """Button callback: runs before the rerun, so it may set the set selector's own state."""
    name = name.strip()
    saved = state.save_assumptions(name, payload, note=f"edited on the {page} page")
    if isinstance(saved, Excuse):
        st.session_state[f"{prefix}_notice"] = ("info", f"Not saved: {saved.reason}")
        return
    st.session_state.update({"assumption_set": name, f"{prefix}_set": name})
    st.session_state[f"{prefix}_notice"] = ("success", f"Saved **{name}** version {saved}.")


def save_row(label: str, value: str, payload: dict[str, Any], prefix: str, page: str) -> None:
    """A set name and a Save button that stores ``payload`` under it."""
    n1, n2 = st.columns([3, 1], vertical_alignment="bottom")
    name = n1.text_input(label, value=value)
    n2.button(
        "Save",
        icon=":material/save:",
        on_click=save_set,
        disabled=not name.strip(),
        args=(name, payload, prefix, page),
    )


def download(
    label: str,
    frame: pd.DataFrame | Callable[[], pd.DataFrame],
    name: str,
    where: Any = st,
) -> None:
    """A CSV download of ``frame``, or of what ``frame()`` returns (a result's ``export``),
    written when the button is clicked: a run that is not a download writes no CSV (a
    page's every run wrote and hashed each of its CSVs, 1-6 ms a table). A click does not
    rerun the page, and one that fails says why under the button (``downloads.button``)."""
    made = frame if callable(frame) else (lambda: frame)
    downloads.button(
        label,
        lambda: to_csv_bytes(made()),
        name,
        "text/csv",
        where,
        icon=":material/download:",
    )


def explained(text: str) -> None:
    """How a section's figures are computed; the library's own sentences in it (assumptions,
    evidence) read their dates as people write them ("18 Nov 2026", "Nov 2026")."""
    with st.expander("How is this computed", icon=":material/help:"):
        st.markdown(readable_text(text))


def cards(items: Sequence[Card], columns: int | None = None) -> None:
    """One metric per column, in rows of ``columns`` (default: all in one row); a row of
    fewer cards keeps the row's width, and no card is dropped."""
    width = columns or len(items) or 1
    for start in range(0, len(items), width):
        row = items[start : start + width]
        for column, item in zip(st.columns(width), row, strict=False):
            card(item, column)


def card(item: Card, where: Any = st) -> None:
    """One headline figure: its note coloured as its tone says, the band or source as help."""
    where.metric(
        item.label,
        item.value,
        delta=item.note or None,
        delta_color="inverse" if item.tone is Tone.RISE_IS_BAD else "off",
        delta_arrow="off" if item.tone is Tone.NOTE else "auto",
        help=item.help or None,
    )


def _config(fmt: ColumnFormat, wide: bool | str | int) -> Any:
    spec = fmt.streamlit()
    if spec["type"] == "number":
        return st.column_config.NumberColumn(fmt.label, format=spec["format"], help=spec["help"])
    if spec["type"] == "date":
        return st.column_config.DateColumn(fmt.label, format=spec["format"], help=spec["help"])
    if spec["type"] == "checkbox":
        return st.column_config.CheckboxColumn(fmt.label, help=spec["help"])
    if isinstance(wide, bool):
        width: str | int | None = "large" if wide else None
    else:
        width = wide
    return st.column_config.TextColumn(fmt.label, help=spec["help"], width=width)


def readable(
    frame: pd.DataFrame,
    *,
    currency: str | None = None,
    freq: str | None = None,
    labels: Mapping[str, str] | None = None,
    wide: Sequence[str] = (),
    order: Sequence[str] | None = None,
    where: Any = st,
    data_to: date | None = None,
    whole: bool = False,
    budget: float = 0,
) -> None:
    """A library frame as a person reads it (forecasting.presentation): headers in words,
    money with separators, periods as "Nov 2026" or "2026 Q4", dates without a time; with
    ``data_to`` (the last full day) the running period says so in its label, "Nov 2026 (to
    26 Nov)" (``whole``: "(running, data to 26 Nov)", for a whole-period estimate).

    The data keeps its code-name columns (headers are the column_config labels), so tests
    and selections address columns as the library names them. Columns that do not fit
    ``budget`` px across (default: the page's width, ``GRID_PX``) go on to a further grid.
    """
    options = _options(
        {
            "currency": currency,
            "freq": freq,
            "labels": labels,
            "wide": wide,
            "order": order,
            "data_to": data_to,
            "whole": whole,
        }
    )
    data, config, grids, notes = memo.made(prepared, frame, **options, budget=budget)
    for columns in grids:
        where.dataframe(
            data,
            hide_index=True,
            column_config=config,
            column_order=columns,
            placeholder=MISSING,  # a missing cell reads "—", not "None"
        )
    if notes:
        where.markdown(notes)


def _options(kw: Mapping[str, Any]) -> dict[str, Any]:
    """``readable``'s options as ``prepared`` takes them (hashable, for ``memo``)."""
    order = kw.get("order")
    return {
        "currency": kw.get("currency"),
        "freq": kw.get("freq"),
        "labels": dict(kw.get("labels") or {}),
        "wide": tuple(kw.get("wide", ())),
        "order": None if order is None else tuple(order),
        "data_to": kw.get("data_to"),
        "whole": bool(kw.get("whole", False)),
    }


def prepared(
    frame: pd.DataFrame,
    *,
    currency: str | None,
    freq: str | None,
    labels: dict[str, str],
    wide: tuple[str, ...],
    order: tuple[str, ...] | None,
    data_to: date | None,
    whole: bool,
    budget: float = 0,
) -> tuple[pd.DataFrame, dict[str, Any], list[list[str]], str]:
    """What ``readable`` draws: the data, its column configs, the grids' columns and the
    long text below them (Markdown, "" for none). Made once per frame (``memo``)."""
    # Numbers are rounded to what is shown, not only formatted: a grid's copied cell and its
    # accessible text carry the value itself, which would otherwise keep every machine digit.
    shown = display_table(
        frame,
        currency=currency,
        freq=freq,
        labels=labels,
        data_to=data_to,
        whole=whole,
    )
    formats = list(shown.columns.values())
    data = shown.frame.set_axis([fmt.name for fmt in formats], axis=1)
    labels = {fmt.name: fmt.label for fmt in formats}
    # A period marked as running ("2026 Q4 (running, data to 26 Nov)") needs room to be read.
    marked = {
        c: int(_width(data[c], labels[c]))
        for c in PERIOD_LABELS
        if c in data and data_to is not None
    }
    config = {
        fmt.name: _config(fmt, fmt.name in wide or marked.get(fmt.name, False)) for fmt in formats
    }
    names = [c for c in order if c in config] if order is not None else list(config)
    # Long text (assumptions, evidence, flags) never fits a cell: read below the grid, in
    # full. The grid keeps it in its data (a copy or a selection still has it).
    kinds = {fmt.name: fmt.kind for fmt in formats}
    notes = [c for c in names if c in wide and kinds[c] == "text"]
    grids = fitted([c for c in names if c not in notes], data, labels, budget)
    if not notes:
        return data, config, grids, ""
    # What each row is: its first text column (a lever's name, not its order).
    texts = [c for c in names if c not in notes and kinds[c] in ("text", "series", "model")]
    key = next(iter(texts), next((c for c in names if c not in notes), None))
    return data, config, grids, "\n".join(_note_lines(data, key, notes, labels))


GRID_PX = 940
"""The width a table has on a 1400 px screen, less the sidebar: what fits without a scroll."""
HALF_PX = (GRID_PX - 16) / 2
"""A table's width in one of two columns (``st.columns(2)``, a 1 rem gap between)."""


def _width(cells: pd.Series, label: str) -> float:
    """About the px a grid column takes: its widest cell or header at the grid's font (a
    header's letters are narrower than a figure's digits)."""
    texts = cells.map(lambda v: f"{v:,}" if isinstance(v, float | int) else str(v))
    longest = int(texts.str.len().max()) if len(texts) else 0
    return max(6.2 * len(label) + 24, 7.2 * longest + 16)


def _key_columns(columns: list[str], data: pd.DataFrame, most: int = 3) -> list[str]:
    """The leading columns that tell the rows apart (a quarter; a series and its period):
    the first alone unless its values repeat ("Total" on every row of one series)."""
    keys = columns[:1]
    while (
        len(keys) < min(most, len(columns) - 1)
        and len(data) > 1
        and data[keys].astype(str).duplicated().any()
    ):
        keys = columns[: len(keys) + 1]
    return keys


def fitted(
    columns: list[str], data: pd.DataFrame, labels: Mapping[str, str], budget: float = 0
) -> list[list[str]]:
    """``columns`` cut into grids that each fit ``budget`` px across (default ``GRID_PX``),
    the columns that say what a row is (a quarter, a metric) repeated in each: a column
    scrolled out of sight at the right is a column a reader never sees."""
    if not columns:
        return []
    budget = budget or GRID_PX
    keys = _key_columns(columns, data)
    key_px = sum(_width(data[k], labels[k]) for k in keys)
    grids: list[list[str]] = [list(keys)]
    used = key_px
    for column in columns[len(keys) :]:
        need = _width(data[column], labels[column])
        if used + need > budget and len(grids[-1]) > len(keys):
            grids.append(list(keys))
            used = key_px
        grids[-1].append(column)
        used += need
    return grids


def fits(frame: pd.DataFrame, budget: float, **kw: Any) -> bool:
    """Whether ``readable(frame, **kw)`` shows every column in one grid ``budget`` px across
    (a page lays a table beside a chart only when it does)."""
    _data, _config, grids, _notes = memo.made(prepared, frame, **_options(kw), budget=budget)
    return len(grids) <= 1


def _note_lines(
    data: pd.DataFrame, key: str | None, notes: list[str], labels: Mapping[str, str]
) -> list[str]:
    """One bullet per row: what it is (its ``key`` cell) and each long-text cell, headed.
    Rows whose notes say the same thing share one bullet, their keys joined: four methods
    with one note read it once, not four times."""
    bodies: dict[str, list[str]] = {}
    for _, row in data.iterrows():
        parts = [
            f"*{labels[c]}*: {_plain(row[c])}"
            for c in notes
            if isinstance(row[c], str) and row[c].strip()
        ]
        if parts:
            body = "; ".join(parts)
            keys = bodies.setdefault(body, [])
            if key is not None and _plain(row[key]) not in keys:
                keys.append(_plain(row[key]))
    return [
        f"- **{', '.join(keys)}**: {body}" if keys else f"- {body}" for body, keys in bodies.items()
    ]


_MARKDOWN = re.compile(r"([\\`*_~#$|<>\[\]])")


def _plain(value: object) -> str:
    """Text as it is, not as markdown: "$1,119 ... $2,000" must not read as a formula."""
    return _MARKDOWN.sub(r"\\\1", str(value))


def table(
    frame: pd.DataFrame,
    columns: Mapping[str, Column],
    only: bool = False,
    *,
    currency: str | None = None,
    data_to: date | None = None,
    whole: bool = False,
) -> None:
    """A dataframe headed by ``columns`` (``only``: show just those, in that order); figures
    read as ``readable`` shows them."""
    labels = {name: c.label for name, c in columns.items()}
    wide = [name for name, c in columns.items() if c.format == "wide"]
    readable(
        frame,
        currency=currency,
        labels=labels,
        wide=wide,
        order=list(columns) if only else None,
        data_to=data_to,
        whole=whole,
    )


def section(choices: Mapping[str, str], key: str) -> str:
    """Which of a page's sections to show (code -> title), one at a time: only it is built
    and drawn. The choice is in the URL by its title (``?<key>=Stated+plan``), so every
    section can be linked to."""
    first = next(iter(choices))
    chosen = st.segmented_control(
        "Section",
        list(choices),
        default=first,
        required=True,
        format_func=choices.__getitem__,
        key=key,
        bind="query-params",
        label_visibility="collapsed",
    )
    return str(chosen) if chosen in choices else first
