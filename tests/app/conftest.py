"""AppTest fixtures: the app pointed at the demo database, with caches cleared per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py"


@pytest.fixture
def app_at(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[str | None], AppTest]]:
    """``app_at("app_pages/x.py")`` runs the app and switches to that page (None: default)."""
    monkeypatch.setenv("CAPCOST_DB", str(demo_db))
    st.cache_data.clear()

    def open_page(page: str | None = None) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=60)
        at.run()
        if page is not None:
            at.switch_page(page)
            at.run()
        return at

    yield open_page
    st.cache_data.clear()


@pytest.fixture
def empty_app_at(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[str], AppTest]]:
    """``empty_app_at("app_pages/x.py")``: that page on a migrated database with no data."""
    from forecasting.store import Store

    db = tmp_path / "empty.duckdb"
    Store(db).close()
    monkeypatch.setenv("CAPCOST_DB", str(db))
    st.cache_data.clear()

    def open_page(page: str) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=60)
        at.run()
        at.switch_page(page)
        at.run()
        assert not at.exception, at.exception
        return at

    yield open_page
    st.cache_data.clear()


def tables(at: AppTest) -> list[pd.DataFrame]:
    """Each table the page shows, once: a table wider than the screen is drawn as several
    grids of one frame (each showing some of its columns), which AppTest lists one by one."""
    out: list[pd.DataFrame] = []
    for grid in at.dataframe:
        frame = grid.value
        if not (out and out[-1].shape == frame.shape and out[-1].equals(frame)):
            out.append(frame)
    return out
