"""Progress of an ingest: a tqdm bar on a terminal, a callback in the app, DuckDB's own progress."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:
    from tqdm import tqdm

# A progress callback gets the fraction done (0..1) and what is happening now; the app
# passes one that moves st.progress, the terminal gets a tqdm bar.
ProgressCallback = Callable[[float, str], None]


class Reporter:
    """Progress of one ingest: a tqdm bar on a terminal, a callback in the app, else silent."""

    def __init__(
        self,
        description: str,
        callback: ProgressCallback | None = None,
        *,
        thread_hook: Callable[[threading.Thread], None] | None = None,
    ) -> None:
        # The callback may run on a polling thread (see watch_query); ``thread_hook`` lets
        # the app attach its UI context to that thread before it starts.
        self.description = description
        self.callback = callback
        self.thread_hook = thread_hook
        self.fraction = 0.0
        self._bar: tqdm[Any] | None = None
        if callback is None and sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=100, desc=description, unit="%", leave=False, file=sys.stderr)

    @property
    def active(self) -> bool:
        return self.callback is not None or self._bar is not None

    def update(self, fraction: float, message: str) -> None:
        self.fraction = min(max(fraction, self.fraction), 1.0)
        if self.callback is not None:
            self.callback(self.fraction, message)
        if self._bar is not None:
            self._bar.set_postfix_str(message, refresh=False)
            self._bar.update(round(self.fraction * 100) - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

    def __enter__(self) -> Reporter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextmanager
def watch_query(
    con: duckdb.DuckDBPyConnection, reporter: Reporter, start: float, end: float, message: str
) -> Iterator[None]:
    """Move the reporter from ``start`` to ``end`` as DuckDB reports the running query's progress.

    A long INSERT is one statement, so without this the bar would sit still for minutes.
    """
    reporter.update(start, message)
    # DuckDB's own bar would print to stderr (into cron logs) on long statements.
    con.execute("SET enable_progress_bar_print = false")
    if not reporter.active:
        yield
        return
    con.execute("SET enable_progress_bar = true")
    done = threading.Event()

    def poll() -> None:
        while not done.wait(0.2):
            percent = con.query_progress()
            if percent >= 0:
                reporter.update(start + (end - start) * percent / 100.0, message)

    thread = threading.Thread(target=poll, daemon=True)
    if reporter.thread_hook is not None:
        reporter.thread_hook(thread)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
    reporter.update(end, message)
