"""Stored forecasts: what `capcost refresh` computed for the pages, in typed tables."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from forecasting.interface import BACKTEST_COLUMNS
from forecasting.store.core import MEMORY, StoreCore, file_stamp, write_generation

# What one stored series forecast is made of, table by table (forecasting.results assembles
# them into a SeriesForecast; the store knows only rows and arrays).
RESULT_TABLES = (
    "forecast_results",  # its paths by digest in forecast_paths, shared between keys
    "forecast_bands",
    "forecast_candidates",
    "forecast_backtests",
    "forecast_excuses",
)
# The stored backtest rows have the engine's backtest table's columns.
BACKTEST_FIELDS = BACKTEST_COLUMNS
# A read-only file's inputs_version by its real path: (this process's write generation, the
# file's stamp) -> the version. Five queries a read (6.5-13 ms on the demo), and the app
# asks for it in every stored result's key.
_VERSIONS: dict[str, tuple[tuple[Any, ...], str]] = {}


class ResultsMixin(StoreCore):
    """Forecasts stored by key (a digest of one series' history and the parameters)."""

    def read_forecast_results(self, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Per key found: ``horizon, unique_id, model, ds, mean, paths`` (n_paths x horizon),
        ``bands`` {level: (lower, upper)}, ``own_bands`` (the same without the population
        prior, where stored), ``candidates`` {model: (forecast, lower, upper)},
        ``backtest`` (list of rows) and ``excuses`` (list of (reason, context))."""
        if not keys:
            return {}
        wanted = list(dict.fromkeys(keys))
        main: dict[str, Any] = self.con.execute(
            "SELECT key, horizon, unique_id, model, ds, mean, n_paths, paths_digest "
            "FROM forecast_results JOIN forecast_paths ON digest = paths_digest "
            "WHERE key IN (SELECT unnest(?::VARCHAR[]))",
            [wanted],
        ).fetchnumpy()
        # The paths through ``self.read_forecast_paths``: each band level is a key of its
        # own but draws the same paths, so a reader that keeps that read (the app, a refresh)
        # reads a level's paths once for all the levels.
        paths = self.read_forecast_paths(sorted({str(d) for d in main["paths_digest"]}))
        found: dict[str, dict[str, Any]] = {}
        for i, key in enumerate(main["key"]):
            h, n = int(main["horizon"][i]), int(main["n_paths"][i])
            drawn = paths[str(main["paths_digest"][i])]
            found[str(key)] = {
                "horizon": h,
                "unique_id": str(main["unique_id"][i]),
                "model": str(main["model"][i]),
                "ds": pd.DatetimeIndex(main["ds"][i]),
                "mean": np.asarray(main["mean"][i], dtype=float),
                "paths": np.array(drawn, dtype=float).reshape(n, -1 if n else 0),
                "bands": {},
                "own_bands": {},
                "candidates": {},
                "backtest": [],
                "excuses": [],
            }
        if not found:
            return found
        hit = list(found)
        for key, level, lower, upper, own_lower, own_upper in self.con.execute(
            "SELECT key, level, lower, upper, own_lower, own_upper FROM forecast_bands "
            "WHERE key IN (SELECT unnest(?::VARCHAR[])) ORDER BY key, level",
            [hit],
        ).fetchall():
            found[key]["bands"][float(level)] = (_floats(lower), _floats(upper))
            if own_lower is not None and own_upper is not None:
                found[key]["own_bands"][float(level)] = (_floats(own_lower), _floats(own_upper))
        for key, model, forecast, lower, upper in self.con.execute(
            "SELECT key, model, forecast, lower, upper FROM forecast_candidates "
            "WHERE key IN (SELECT unnest(?::VARCHAR[])) ORDER BY key, rowid",
            [hit],
        ).fetchall():
            found[key]["candidates"][model] = (_floats(forecast), _floats(lower), _floats(upper))
        columns = ", ".join(BACKTEST_FIELDS)
        cur = self.con.execute(
            f"SELECT key, {columns} FROM forecast_backtests "
            "WHERE key IN (SELECT unnest(?::VARCHAR[])) ORDER BY key, rowid",
            [hit],
        )
        for key, *values in cur.fetchall():
            row = dict(zip(BACKTEST_FIELDS, values, strict=True))
            found[key]["backtest"].append({k: _nan(v) for k, v in row.items()})
        for key, reason, context in self.con.execute(
            "SELECT key, reason, context FROM forecast_excuses "
            "WHERE key IN (SELECT unnest(?::VARCHAR[])) ORDER BY key, position",
            [hit],
        ).fetchall():
            found[key]["excuses"].append((reason, json.loads(context)))
        return found

    def read_forecast_paths(self, digests: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored sample paths by digest, each flat (a forecast's ``n_paths`` rows of its
        horizon, row after row)."""
        if not digests:
            return {}
        found = self.con.execute(
            "SELECT digest, paths FROM forecast_paths "
            "WHERE digest IN (SELECT unnest(?::VARCHAR[]))",
            [list(digests)],
        ).fetchnumpy()
        return {
            str(d): np.asarray(p, dtype=float)
            for d, p in zip(found["digest"], found["paths"], strict=True)
        }

    def read_fit_results(self, kind: str) -> dict[str, str]:
        """Every stored model fit of ``kind``: key -> the fit as JSON text."""
        found = self.con.execute(
            "SELECT key, value FROM fit_results WHERE kind = ?", [kind]
        ).fetchall()
        return {str(key): str(value) for key, value in found}

    def replace_forecast_results(
        self,
        rows: Sequence[dict[str, Any]],
        keep: Sequence[str],
        *,
        started_at: datetime,
        inputs_version: str,
        fits: Sequence[tuple[str, str, str]] = (),
    ) -> int:
        """One refresh, all or nothing: store ``rows`` (new forecasts, keyed as the reader
        expects) and ``fits`` (new model fits: key, kind, value), keep the stored ``keep``
        keys (forecasts and fits), drop every other stored one, and log the refresh. Returns
        the refresh id."""
        new_keys = [str(r["key"]) for r in rows] + [key for key, _, _ in fits]
        with self.transaction():
            row = self.con.execute(
                "INSERT INTO result_refreshes (started_at, finished_at, inputs_version, computed, "
                "reused) VALUES (?, ?, ?, ?, ?) RETURNING refresh_id",
                [started_at, datetime.now(UTC), inputs_version, len(rows), len(keep)],
            ).fetchone()
            assert row is not None
            refresh_id = int(row[0])
            kept = list(dict.fromkeys([*keep, *new_keys]))
            for table in (*RESULT_TABLES, "fit_results"):
                # Replaced keys go too: a key computed again replaces its row.
                self.con.execute(
                    f"DELETE FROM {table} WHERE key NOT IN (SELECT unnest(?::VARCHAR[])) "
                    "OR key IN (SELECT unnest(?::VARCHAR[]))",
                    [kept, new_keys],
                )
            if rows:
                self._insert_results(rows, refresh_id)
            if fits:
                frame = pd.DataFrame(list(fits), columns=["key", "kind", "value"])
                self._append("fit_results", frame.assign(refresh_id=refresh_id))
            self.con.execute(
                "DELETE FROM forecast_paths WHERE digest NOT IN "
                "(SELECT paths_digest FROM forecast_results)"
            )
        return refresh_id

    def _insert_results(self, rows: Sequence[dict[str, Any]], refresh_id: int) -> None:
        paths = [np.ascontiguousarray(r["paths"], dtype=float) for r in rows]
        digests = [_digest(p) for p in paths]
        shared = dict(zip(digests, paths, strict=True))  # one row per content
        self._append(
            "forecast_paths",
            pd.DataFrame({"digest": list(shared), "paths": [p.ravel() for p in shared.values()]}),
            where="digest NOT IN (SELECT digest FROM forecast_paths)",
        )
        main = pd.DataFrame(
            {
                "key": [r["key"] for r in rows],
                "horizon": [int(r["horizon"]) for r in rows],
                "unique_id": [r["unique_id"] for r in rows],
                "model": [r["model"] for r in rows],
                "ds": [list(pd.DatetimeIndex(r["ds"]).to_pydatetime()) for r in rows],
                "mean": [np.asarray(r["mean"], dtype=float) for r in rows],
                "n_paths": [int(np.shape(p)[0]) for p in paths],
                "paths_digest": digests,
            }
        )
        bands = pd.DataFrame(
            [
                (r["key"], float(level), _floats(lo), _floats(hi), *_own(r, level))
                for r in rows
                for level, (lo, hi) in r["bands"].items()
            ],
            columns=["key", "level", "lower", "upper", "own_lower", "own_upper"],
        )
        candidates = pd.DataFrame(
            [
                (r["key"], name, _floats(f), _floats(lo), _floats(hi))
                for r in rows
                for name, (f, lo, hi) in r["candidates"].items()
            ],
            columns=["key", "model", "forecast", "lower", "upper"],
        )
        backtests = pd.DataFrame(
            [(r["key"], *(b.get(f) for f in BACKTEST_FIELDS)) for r in rows for b in r["backtest"]],
            columns=["key", *BACKTEST_FIELDS],
        )
        excuses = pd.DataFrame(
            [
                (r["key"], i, reason, json.dumps(context, sort_keys=True, default=str))
                for r in rows
                for i, (reason, context) in enumerate(r["excuses"])
            ],
            columns=["key", "position", "reason", "context"],
        )
        self._append("forecast_results", main.assign(refresh_id=refresh_id))
        for table, frame in (
            ("forecast_bands", bands),
            ("forecast_candidates", candidates),
            ("forecast_backtests", backtests),
            ("forecast_excuses", excuses),
        ):
            if len(frame):
                self._append(table, frame)

    def _append(self, table: str, frame: pd.DataFrame, where: str = "TRUE") -> None:
        """Insert the whole frame at once, its columns matched to the table's by name."""
        self.con.register("_results", frame)
        try:
            self.con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _results WHERE {where}")
        finally:
            self.con.unregister("_results")

    def latest_refresh(self) -> dict[str, Any] | None:
        """The newest committed refresh: ``refresh_id, finished_at, inputs_version``."""
        cur = self.con.execute(
            "SELECT refresh_id, finished_at, inputs_version, computed, reused "
            "FROM result_refreshes ORDER BY refresh_id DESC LIMIT 1"
        )
        row = cur.fetchone()
        if row is None:
            return None
        return dict(zip([d[0] for d in cur.description or []], row, strict=True))

    def inputs_version(self) -> str:
        """A digest of what stored results depend on: the data (every committed ingest run),
        the cost group rules, the assumption sets and the plans of record.

        On a read-only file it is read once per version of the file: while this connection
        is open no one can write it (DuckDB's lock), and a later connection finds it again
        only if no read-write store was opened or closed in this process since and the file
        and its WAL have the same inode, size, mtime and ctime (a commit from another
        process changes them). A read-write store (or ``:memory:``) always reads it."""
        if not self.read_only or self.path == MEMORY:
            return self._read_inputs_version()
        where = os.path.realpath(self.path)
        stamp = (write_generation(), file_stamp(where))
        known = _VERSIONS.get(where)
        if known is not None and known[0] == stamp:
            return known[1]
        version = self._read_inputs_version()
        if (write_generation(), file_stamp(where)) == stamp:
            _VERSIONS[where] = (stamp, version)
        return version

    def _read_inputs_version(self) -> str:
        parts = [
            "SELECT run_id, source, finished_at FROM ingest_runs WHERE status = 'succeeded' "
            "ORDER BY run_id",
            "SELECT * FROM cost_group_rules ORDER BY priority",
            "SELECT name, version FROM assumption_sets ORDER BY name, version",
            "SELECT plan_id FROM plans ORDER BY plan_id",
            "SELECT plan_name, line_no, percent, monthly_savings FROM stated_savings "
            "ORDER BY plan_name, line_no",
        ]
        digest = hashlib.sha256()
        for sql in parts:
            digest.update(repr(self.con.execute(sql).fetchall()).encode())
        return digest.hexdigest()[:16]


def _digest(paths: np.ndarray) -> str:
    """Names an n_paths x horizon array by its shape and values (bit for bit); every empty
    one alike (the reader makes any empty one 0 x 0)."""
    digest = hashlib.sha256(repr(paths.shape if paths.size else (0, 0)).encode())
    digest.update(paths.tobytes())
    return digest.hexdigest()[:32]


def _own(row: dict[str, Any], level: float) -> tuple[np.ndarray | None, np.ndarray | None]:
    """A stored row's band at ``level`` without the population prior (None: not made)."""
    own = row.get("own_bands", {}).get(level)
    return (None, None) if own is None else (_floats(own[0]), _floats(own[1]))


def _floats(values: Any) -> np.ndarray:
    return np.asarray(values, dtype=float)


def _nan(value: Any) -> Any:
    return np.nan if value is None else value
