"""The DuckDB connection: opening with lock retries, migrations, transactions and the run log."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from forecasting.errors import SchemaOutdatedError, StoreError
from forecasting.store.migrations import MIGRATIONS

MEMORY = ":memory:"

# Bumped whenever this process opens or closes a read-write store: a read-only reader's
# cached inputs_version (ResultsMixin) holds only while no write was made in this process
# since, besides the file's own stamp (which a write from another process changes).
_writes = 0


def write_generation() -> int:
    """How many read-write opens and closes this process has made (see ``_writes``)."""
    return _writes


def _wrote() -> None:
    global _writes
    _writes += 1


def file_stamp(path: str) -> tuple[Any, ...]:
    """What a commit to the DuckDB file at ``path`` changes: the file's and its WAL's inode,
    size, mtime and ctime (None for one that is not there)."""
    stamps: list[Any] = []
    for name in (path, f"{path}.wal"):
        try:
            st = os.stat(name)
        except FileNotFoundError:
            stamps.append(None)
            continue
        stamps.append((st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns))
    return tuple(stamps)


def _pid_alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _lock_conflict(exc: duckdb.Error) -> bool:
    """Whether opening failed only because someone else holds the file for now.

    Another process's connection locks the file (IOException); in this process, a read-only
    connection from another app session makes DuckDB refuse a read-write one (and vice versa)
    until it closes (ConnectionException "different configuration").
    """
    text = str(exc).lower()
    return (isinstance(exc, duckdb.IOException) and "lock" in text) or (
        isinstance(exc, duckdb.ConnectionException) and "different configuration" in text
    )


def _connect(path: str, read_only: bool, lock_timeout: float) -> duckdb.DuckDBPyConnection:
    """Open the file, retrying (bounded, backing off to 1 s) while it is held elsewhere.

    The one lock-retry of capcost: commands, ingests and the app's reads and writes all wait
    here instead of crashing.
    """
    deadline = time.monotonic() + lock_timeout
    delay = 0.05
    while True:
        try:
            return duckdb.connect(path, read_only=read_only)
        except duckdb.Error as exc:
            locked = _lock_conflict(exc)
            if locked and time.monotonic() >= deadline:
                # DuckDB's own text names a PID and a docs link; say what it means instead.
                raise StoreError(
                    f"{path} is busy: another capcost process (an ingest, the demo build or the "
                    f"app writing) held it for {lock_timeout:g} s; try again when it has finished"
                ) from exc
            if not locked:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else "unknown error"
                raise StoreError(f"cannot open {path}: {first}") from exc
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


def is_database_file(path: Path) -> bool:
    """Whether ``path`` is a DuckDB database file (its header carries DuckDB's magic bytes)."""
    try:
        with path.open("rb") as handle:
            return handle.read(12)[8:12] == b"DUCK"
    except OSError:
        return False


def refuse_non_database(path: Path) -> None:
    """Refuse a folder or a file that is not a DuckDB database.

    DuckDB opens any other file as an empty in-memory database: an ingest would report success
    and keep nothing, and every read would find no tables.
    """
    if path.is_dir():
        raise StoreError(f"{path} is a folder: the database must be a file (e.g. capcost.duckdb)")
    if path.is_file() and path.stat().st_size > 0 and not is_database_file(path):
        raise StoreError(
            f"{path} is not a DuckDB database (a CSV, JSON or Parquet file?): capcost will not "
            "open or overwrite it; name a .duckdb file"
        )


@dataclass
class Run:
    """An ingest run in progress: the writer counts rows and may set a watermark."""

    run_id: int
    source: str
    rows: int = 0
    watermark: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


class StoreCore:
    """Connection lifecycle shared by the Store's parts. Use ``Store`` rather than this."""

    def __init__(
        self, path: str | Path = MEMORY, *, read_only: bool = False, lock_timeout: float = 30.0
    ) -> None:
        self.path = str(path)
        self.read_only = read_only
        if self.path != MEMORY:
            refuse_non_database(Path(self.path))
            if read_only and not Path(self.path).exists():
                raise StoreError(
                    f"no database at {self.path}: run `capcost demo` or `capcost ingest ...` first"
                )
            if not read_only:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        if not read_only:
            _wrote()
        self.con = _connect(self.path, read_only, lock_timeout)
        self.con.execute("SET TimeZone = 'UTC'")
        if read_only:
            self._check_schema()
        else:
            self._migrate()
            self._mark_abandoned_runs()

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        self.con.close()
        if not self.read_only:
            _wrote()

    def __enter__(self) -> StoreCore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def schema_version(self) -> int:
        exists = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
        ).fetchone()
        if not exists or not exists[0]:
            return 0
        row = self.con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
        return int(row[0]) if row else 0

    def _migrate(self) -> None:
        self.con.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
        )
        current = self.schema_version()
        latest = MIGRATIONS[-1][0]
        if current > latest:
            raise StoreError(
                f"{self.path} has schema version {current}, newer than this capcost ({latest}): "
                "upgrade capcost"
            )
        for version, name, sql in MIGRATIONS:
            if version <= current:
                continue
            with self.transaction():
                self.con.execute(sql)
                self.con.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?)", [version, name, _now()]
                )

    def _check_schema(self) -> None:
        current, latest = self.schema_version(), MIGRATIONS[-1][0]
        if current > latest:
            raise StoreError(f"{self.path} has schema version {current}, newer than this capcost")
        if current < latest:
            self.con.close()
            raise SchemaOutdatedError(
                f"{self.path} has schema version {current}, expected {latest}: "
                "open it read-write once (any capcost command that writes) to migrate it"
            )

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: on any exception, including KeyboardInterrupt, roll back."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException as exc:
            self.con.execute("ROLLBACK")
            if _interrupted(exc):
                raise KeyboardInterrupt from None
            raise
        self.con.execute("COMMIT")

    def _stage(self, name: str, data: Any) -> None:
        if hasattr(data, "create_view"):
            data.create_view(name, replace=True)
        else:
            self.con.register(name, data)

    def _unstage(self, name: str) -> None:
        # A relation's view is a view of the database file, which would outlive the run and
        # point at the ingest's temporary files: drop it. A registered frame is unregistered
        # so that a large one can be freed.
        self.con.execute(f"DROP VIEW IF EXISTS {name}")
        with suppress(duckdb.Error):
            self.con.unregister(name)

    # -- ingest runs -----------------------------------------------------------------------
    def _mark_abandoned_runs(self) -> None:
        """A run still 'running' whose process is gone was killed mid-way: say so."""
        rows = self.con.execute(
            "SELECT run_id, pid FROM ingest_runs WHERE status = 'running'"
        ).fetchall()
        dead = [r[0] for r in rows if r[1] != os.getpid() and not _pid_alive(r[1])]
        if dead:
            self.con.execute(
                "UPDATE ingest_runs SET status = 'abandoned', finished_at = ?, "
                "error = 'the process ended before the run committed; none of its rows were kept' "
                "WHERE run_id IN (SELECT unnest(?::BIGINT[]))",
                [_now(), dead],
            )

    @contextmanager
    def ingest_run(self, source: str, parameters: dict[str, Any]) -> Iterator[Run]:
        """Log a run, then do its writes in one transaction.

        The 'running' row is committed first so that a killed process leaves a trace (marked
        abandoned on the next open); the data and the 'succeeded' status commit together.
        """
        row = self.con.execute(
            "INSERT INTO ingest_runs (source, parameters, started_at, status, pid) "
            "VALUES (?, ?, ?, 'running', ?) RETURNING run_id",
            [source, json.dumps(parameters, default=str, sort_keys=True), _now(), os.getpid()],
        ).fetchone()
        assert row is not None
        run = Run(run_id=int(row[0]), source=source)
        try:
            with self.transaction():
                yield run
                self.con.execute(
                    "UPDATE ingest_runs SET status = 'succeeded', finished_at = ?, rows = ?, "
                    "watermark = ?, detail = ? WHERE run_id = ?",
                    [_now(), run.rows, run.watermark, _json(run.detail), run.run_id],
                )
        except BaseException as exc:
            message = str(exc) or type(exc).__name__
            self.con.execute(
                "UPDATE ingest_runs SET status = 'failed', finished_at = ?, error = ?, detail = ? "
                "WHERE run_id = ?",
                [_now(), message, _json(run.detail), run.run_id],
            )
            raise

    def runs(self, source: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """The run log, newest first."""
        cur = self.con.execute(
            "SELECT run_id, source, parameters, started_at, finished_at, rows, status, error, "
            "watermark, detail FROM ingest_runs WHERE (? IS NULL OR source = ?) "
            "ORDER BY run_id DESC LIMIT ?",
            [source, source, limit],
        )
        cols = [d[0] for d in cur.description or []]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]

    def ingested_sources(self, *, besides: str = "demo") -> list[str]:
        """Sources (other than ``besides``) with at least one succeeded ingest run."""
        rows = self.con.execute(
            "SELECT DISTINCT source FROM ingest_runs WHERE status = 'succeeded' AND source <> ? "
            "ORDER BY 1",
            [besides],
        ).fetchall()
        return [str(r[0]) for r in rows]

    def last_watermark(self, source: str, key: str | None = None) -> str | None:
        """The watermark of the newest succeeded run of a source (optionally one parameter set)."""
        row = self.con.execute(
            "SELECT watermark FROM ingest_runs WHERE source = ? AND status = 'succeeded' "
            "AND watermark IS NOT NULL AND (? IS NULL OR parameters->>'key' = ?) "
            "ORDER BY run_id DESC LIMIT 1",
            [source, key, key],
        ).fetchone()
        return None if row is None else str(row[0])


def _interrupted(exc: BaseException) -> bool:
    """Ctrl-C inside a DuckDB statement surfaces as InterruptException, or as a RuntimeError
    "Query interrupted" when it lands while a result is fetched into pandas."""
    if isinstance(exc, duckdb.InterruptException):
        return True
    return isinstance(exc, RuntimeError) and "query interrupted" in str(exc).lower()


def _json(value: dict[str, Any]) -> str | None:
    return json.dumps(value, default=str, sort_keys=True) if value else None


def _now() -> datetime:
    return datetime.now(UTC)
