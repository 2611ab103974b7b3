"""Opening waits for whoever holds the file, bounded: the one lock-retry every writer uses."""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import pytest

from forecasting.errors import StoreError
from forecasting.store import Store


def _held_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    Store(path).close()  # create and migrate the file
    return duckdb.connect(str(path), read_only=True)


def test_a_writer_waits_for_a_reader_of_this_process_to_close(tmp_path: Path) -> None:
    path = tmp_path / "held.duckdb"
    reader = _held_read_only(path)
    threading.Timer(0.3, reader.close).start()
    with Store(path, lock_timeout=10) as store:  # refused until the reader closes
        assert store.schema_version() > 0


def test_a_writer_gives_up_with_a_clear_error_when_the_file_stays_held(tmp_path: Path) -> None:
    path = tmp_path / "held.duckdb"
    reader = _held_read_only(path)
    try:
        with pytest.raises(StoreError, match=f"{path} is busy"):
            Store(path, lock_timeout=0.2)
    finally:
        reader.close()
