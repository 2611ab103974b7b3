"""inputs_version, read once per version of a read-only file: every write changes it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from forecasting.store import Store
from forecasting.store import results as store_results


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "capcost.duckdb"
    with Store(path) as store:
        store.save_assumptions("base", {"growth": 0.01})
    return path


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The versions read from the file (not from the cache), in order."""
    seen: list[str] = []
    read = Store._read_inputs_version

    def counted(self: Store) -> str:
        seen.append(read(self))
        return seen[-1]

    monkeypatch.setattr(Store, "_read_inputs_version", counted)
    return seen


def _version(path: Path | str) -> str:
    with Store.reader(path) as store:
        return store.inputs_version()


def _truth(path: Path) -> str:
    with Store.reader(path) as store:
        return store._read_inputs_version()


def test_a_reader_of_an_unchanged_file_reads_it_once(db: Path, reads: list[str]) -> None:
    first = _version(db)
    assert _version(db) == first
    assert _version(str(db.parent / "." / db.name)) == first  # the same file by another name
    assert reads == [first]


def test_a_write_in_this_process_changes_it(db: Path, reads: list[str]) -> None:
    before = _version(db)
    with Store(db) as store:
        store.save_assumptions("base", {"growth": 0.02})
    after = _version(db)
    assert after != before
    assert after == _truth(db)
    assert len(reads) == 3  # read again after the write (and once more by _truth)


def test_a_read_write_open_without_a_write_reads_it_again(db: Path, reads: list[str]) -> None:
    # This process's writers are counted, not their effects: opening one is enough.
    first = _version(db)
    Store(db).close()
    assert _version(db) == first
    assert len(reads) == 2


def _changed_by_another_process(db: Path, code: str) -> None:
    """Run ``code`` (``sys.argv[1]`` is the file) in a new interpreter: the version read
    after is a new one, and the one the file holds."""
    before = _version(db)
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code, str(db)], check=True, cwd=root)
    after = _version(db)
    assert after != before
    assert after == _truth(db)


def test_a_write_from_another_process_changes_it(db: Path, reads: list[str]) -> None:
    _changed_by_another_process(
        db,
        "import sys\n"
        "from forecasting.store import Store\n"
        "with Store(sys.argv[1]) as s:\n"
        "    s.save_assumptions('other', {'growth': 0.5})\n",
    )


def test_a_raw_commit_from_another_process_is_seen(db: Path, reads: list[str]) -> None:
    # Not through Store at all (no write generation of ours): the file's stamp alone says so.
    _changed_by_another_process(
        db,
        "import sys, duckdb\n"
        "con = duckdb.connect(sys.argv[1])\n"
        "con.execute(\"DELETE FROM assumption_sets WHERE name = 'base'\")\n"
        "con.close()\n",
    )


def test_a_write_that_leaves_the_inputs_alone_keeps_the_version(db: Path, reads: list[str]) -> None:
    # The file changed, so the version is read again, and is the same.
    before = _version(db)
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE scratch AS SELECT 1 AS x")
    con.close()
    assert _version(db) == before
    assert len(reads) == 2


def test_a_read_write_store_reads_it_every_time(db: Path, reads: list[str]) -> None:
    with Store(db) as store:
        first = store.inputs_version()
        store.save_assumptions("base", {"growth": 0.03})
        second = store.inputs_version()
    assert first != second
    assert reads == [first, second]


def test_a_memory_store_reads_it_every_time(reads: list[str]) -> None:
    with Store() as store:
        first = store.inputs_version()
        store.save_assumptions("base", {"growth": 0.03})
        assert store.inputs_version() != first
    assert len(reads) == 2


def test_a_replaced_file_is_read_again(db: Path, tmp_path: Path, reads: list[str]) -> None:
    before = _version(db)
    other = tmp_path / "other.duckdb"
    with Store(other) as store:
        store.save_assumptions("else", {"growth": 0.9})
    _version(other)
    other.replace(db)  # a new inode under the old name (a restored backup)
    after = _version(db)
    assert after != before
    assert after == _truth(db)


def test_the_cache_holds_one_entry_per_file(db: Path, tmp_path: Path) -> None:
    _version(db)
    _version(str(db))
    assert list(store_results._VERSIONS).count(str(db.resolve())) == 1
