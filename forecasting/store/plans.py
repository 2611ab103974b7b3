"""Versioned assumption sets, frozen forecasts (plans of record) and stated savings plans."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd

from forecasting.errors import InputError, UnknownNameError
from forecasting.store.core import StoreCore

PLAN_VALUE_COLUMNS = ("unique_id", "ds", "forecast", "lower", "upper")
STATED_COLUMNS = ("initiative", "category", "percent", "monthly_savings")


class PlansMixin(StoreCore):
    """Assumptions and plans: what people decided, kept so later months can be compared."""

    # -- assumption sets ----------------------------------------------------------------------
    def save_assumptions(self, name: str, payload: dict[str, Any], note: str = "") -> int:
        """Store a new version of a named assumption set; returns the version number."""
        if not name.strip():
            raise InputError("an assumption set needs a name", parameter="name")
        row = self.con.execute(
            "SELECT coalesce(max(version), 0) + 1 FROM assumption_sets WHERE name = ?", [name]
        ).fetchone()
        version = int(row[0]) if row else 1
        self.con.execute(
            "INSERT INTO assumption_sets VALUES (?, ?, ?, ?, ?)",
            [name, version, datetime.now(UTC), note, json.dumps(payload, sort_keys=True)],
        )
        return version

    def load_assumptions(self, name: str, version: int | None = None) -> dict[str, Any]:
        """The payload of a named assumption set (its newest version unless one is given)."""
        row = self.con.execute(
            "SELECT payload FROM assumption_sets WHERE name = ? AND (? IS NULL OR version = ?) "
            "ORDER BY version DESC LIMIT 1",
            [name, version, version],
        ).fetchone()
        if row is None:
            raise UnknownNameError("assumption set", name, self.assumption_set_names())
        loaded: dict[str, Any] = json.loads(row[0])
        return loaded

    def assumption_set_names(self) -> list[str]:
        rows = self.con.execute("SELECT DISTINCT name FROM assumption_sets ORDER BY 1").fetchall()
        return [r[0] for r in rows]

    # -- plans of record ----------------------------------------------------------------------
    def freeze_plan(
        self,
        *,
        name: str,
        metric: str,
        freq: str,
        unit: str,
        as_of: date,
        model: str,
        values: pd.DataFrame,
        level: int | None = None,
        assumptions: dict[str, Any] | None = None,
    ) -> int:
        """Store a forecast as a plan of record; ``values`` has unique_id, ds, forecast,
        lower, upper (bands may be null). Returns the plan id."""
        missing = [c for c in ("unique_id", "ds", "forecast") if c not in values.columns]
        if missing:
            raise InputError(f"plan values lack columns {missing}", parameter="values")
        frame = values.reindex(columns=list(PLAN_VALUE_COLUMNS)).copy()
        frame["ds"] = pd.to_datetime(frame["ds"]).dt.date
        with self.transaction():
            row = self.con.execute(
                "INSERT INTO plans (name, metric, freq, unit, as_of, created_at, model, level, "
                "assumptions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING plan_id",
                [
                    name,
                    metric,
                    freq,
                    unit,
                    as_of,
                    datetime.now(UTC),
                    model,
                    level,
                    json.dumps(assumptions or {}, sort_keys=True, default=str),
                ],
            ).fetchone()
            assert row is not None
            plan_id = int(row[0])
            self.con.register("_plan_values", frame)
            self.con.execute(
                "INSERT INTO plan_values SELECT ?, unique_id, ds, forecast, lower, upper "
                "FROM _plan_values",
                [plan_id],
            )
            self.con.unregister("_plan_values")
        return plan_id

    def plans(self, metric: str | None = None) -> pd.DataFrame:
        """Stored plans of record, newest first."""
        return self.con.execute(
            "SELECT plan_id, name, metric, freq, unit, as_of, created_at, model, level "
            "FROM plans WHERE (? IS NULL OR metric = ?) ORDER BY plan_id DESC",
            [metric, metric],
        ).df()

    def read_plan(self, plan_id: int) -> tuple[dict[str, Any], pd.DataFrame]:
        """A plan's metadata (with its assumptions) and its values."""
        cur = self.con.execute(
            "SELECT plan_id, name, metric, freq, unit, as_of, created_at, model, level, "
            "assumptions FROM plans WHERE plan_id = ?",
            [plan_id],
        )
        row = cur.fetchone()
        if row is None:
            known = [str(p) for p in self.plans()["plan_id"].tolist()]
            raise UnknownNameError("plan id", str(plan_id), known)
        meta = dict(zip([d[0] for d in cur.description or []], row, strict=True))
        meta["assumptions"] = json.loads(meta["assumptions"])
        values = self.con.execute(
            "SELECT unique_id, ds, forecast, lower, upper FROM plan_values WHERE plan_id = ? "
            "ORDER BY unique_id, ds",
            [plan_id],
        ).df()
        values["ds"] = pd.to_datetime(values["ds"])
        return meta, values

    def latest_plan(self, metric: str, name: str | None = None) -> int | None:
        """The newest plan id for a metric (optionally by name), or None."""
        row = self.con.execute(
            "SELECT plan_id FROM plans WHERE metric = ? AND (? IS NULL OR name = ?) "
            "ORDER BY created_at DESC, plan_id DESC LIMIT 1",
            [metric, name, name],
        ).fetchone()
        return None if row is None else int(row[0])

    # -- stated savings plans -----------------------------------------------------------------
    def save_stated_savings(self, plan_name: str, lines: pd.DataFrame, currency: str) -> None:
        missing = [c for c in STATED_COLUMNS if c not in lines.columns]
        if missing:
            raise InputError(f"stated savings lack columns {missing}", parameter="lines")
        frame = lines[list(STATED_COLUMNS)].copy()
        frame.insert(0, "line_no", range(1, len(frame) + 1))
        with self.transaction():
            self.con.execute("DELETE FROM stated_savings WHERE plan_name = ?", [plan_name])
            self.con.register("_stated", frame)
            self.con.execute(
                "INSERT INTO stated_savings SELECT ?, line_no, initiative, category, percent, "
                "monthly_savings, ? FROM _stated",
                [plan_name, currency],
            )
            self.con.unregister("_stated")

    def stated_savings(self, plan_name: str) -> pd.DataFrame:
        frame = self.con.execute(
            "SELECT initiative, category, percent, monthly_savings, currency FROM stated_savings "
            "WHERE plan_name = ? ORDER BY line_no",
            [plan_name],
        ).df()
        if frame.empty:
            names = [
                r[0]
                for r in self.con.execute(
                    "SELECT DISTINCT plan_name FROM stated_savings ORDER BY 1"
                ).fetchall()
            ]
            raise UnknownNameError("stated savings plan", plan_name, names)
        return frame
