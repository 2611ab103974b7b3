"""Driver models: cost = fixed + variable x users per cost group, and scenarios on the users."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecasting.errors import InputError
from forecasting.interface import COST_METRIC, Freq, GroupBy
from forecasting.models.base import FloatArray, z_value

if TYPE_CHECKING:
    from forecasting.store import Store

# Hours in a month is a parameter of the per-request figures (730 = 8,760 / 12).
HOURS_PER_MONTH = 730.0
MIN_MONTHS = 6
TOTAL = "total"


@dataclass(frozen=True)
class DriverFit:
    """``cost = fixed + per_unit x driver`` for one cost group, fitted on monthly history."""

    group: str
    driver: str
    """The driver metric, e.g. ``users`` (monthly mean)."""
    fixed: float
    """Cost per month that does not move with the driver, in the cost's currency."""
    per_unit: float
    """Cost per month per unit of the driver (USD per user per month)."""
    cov: tuple[tuple[float, float], tuple[float, float]]
    """Covariance of (fixed, per_unit) estimates."""
    resid_sd: float
    """Robust sd of the monthly residuals, in currency per month."""
    months: int
    """Months of history the fit used."""

    @property
    def fixed_se(self) -> float:
        return math.sqrt(max(self.cov[0][0], 0.0))

    @property
    def per_unit_se(self) -> float:
        return math.sqrt(max(self.cov[1][1], 0.0))


def fit_driver(group: str, cost: pd.Series, driver: pd.Series, name: str = "users") -> DriverFit:
    """Robust (Huber) regression of monthly cost on the driver, aligned by month.

    Huber weights keep a one-off month (a refund, an upfront fee) from tilting the line
    the way least squares would.
    """
    import statsmodels.api as sm

    joined = pd.concat({"cost": cost, "driver": driver}, axis=1, join="inner").dropna()
    if len(joined) < MIN_MONTHS:
        raise InputError(
            f"{group}: {len(joined)} months with both cost and {name}; at least {MIN_MONTHS} "
            "are needed to fit fixed + per-unit cost",
            parameter="metric",
        )
    x = np.column_stack([np.ones(len(joined)), joined["driver"].to_numpy(float)])
    y = joined["cost"].to_numpy(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if np.ptp(y) == 0:  # a flat fee: no variable part to find
            return DriverFit(group, name, float(y[0]), 0.0, ((0.0, 0.0), (0.0, 0.0)), 0.0, len(y))
        res = sm.RLM(y, x, M=sm.robust.norms.HuberT()).fit()
    cov = np.asarray(res.cov_params(), dtype=float)
    return DriverFit(
        group=group,
        driver=name,
        fixed=float(res.params[0]),
        per_unit=float(res.params[1]),
        cov=((cov[0, 0], cov[0, 1]), (cov[1, 0], cov[1, 1])),
        resid_sd=float(res.scale),
        months=len(y),
    )


def fit_cost_drivers(cost: pd.DataFrame, users: pd.Series) -> list[DriverFit]:
    """One fit per cost group (``unique_id``) plus one for their total."""
    wide = cost.pivot_table(index="ds", columns="unique_id", values="y", aggfunc="sum")
    wide = wide.fillna(0.0)
    fits = [fit_driver(str(g), wide[g], users) for g in wide.columns]
    fits.append(fit_driver(TOTAL, wide.sum(axis=1), users))
    return fits


def rps_per_user(rps: pd.Series, users: pd.Series) -> tuple[float, float]:
    """Requests/s per user (least squares through the origin) and its standard error."""
    joined = pd.concat({"rps": rps, "users": users}, axis=1, join="inner").dropna()
    u, r = joined["users"].to_numpy(float), joined["rps"].to_numpy(float)
    ratio = float(np.dot(u, r) / np.dot(u, u))
    resid = r - ratio * u
    se = float(np.sqrt(np.sum(resid**2) / max(len(u) - 1, 1) / np.dot(u, u)))
    return ratio, se


def unit_economics(
    fits: Sequence[DriverFit],
    rps: tuple[float, float] | None = None,
    *,
    level: float = 80.0,
    hours_per_month: float = HOURS_PER_MONTH,
    seed: int = 0,
    draws: int = 20_000,
) -> pd.DataFrame:
    """Fixed cost, cost per user and per million requests per group, with ``level`` bands.

    Per million requests = per-user cost / (requests per user per month / 1e6); its band is
    simulated from both estimates' uncertainty.
    """
    z = z_value(level)
    rng = np.random.default_rng(seed)
    rows = []
    for f in fits:
        row: dict[str, Any] = {"group": f.group, "months": f.months, "level": level}
        for key, value, se in (
            ("fixed", f.fixed, f.fixed_se),
            ("per_user", f.per_unit, f.per_unit_se),
        ):
            row[key], row[f"{key}_lower"], row[f"{key}_upper"] = (
                value,
                value - z * se,
                value + z * se,
            )
        if rps is not None and rps[0] > 0:
            requests = rng.normal(rps[0], rps[1], draws) * hours_per_month * 3600 / 1e6
            per_user = rng.normal(f.per_unit, f.per_unit_se, draws)
            sims = per_user / np.maximum(requests, 1e-12)
            tail = (100 - level) / 200
            row["per_million_requests"] = f.per_unit / (rps[0] * hours_per_month * 3600 / 1e6)
            row["per_million_requests_lower"] = float(np.quantile(sims, tail))
            row["per_million_requests_upper"] = float(np.quantile(sims, 1 - tail))
        rows.append(row)
    return pd.DataFrame(rows)


def cost_paths(fit: DriverFit, users: FloatArray, seed: int = 0) -> FloatArray:
    """Cost paths from driver paths: each path draws its own (fixed, per_unit) and noise.

    A drawn per-unit cost below zero is cut to zero and so is a month's cost: more of the
    driver never lowers a group's cost, and no group is paid to run.
    """
    rng = np.random.default_rng(seed)
    n, h = users.shape
    theta = rng.multivariate_normal(
        [fit.fixed, fit.per_unit], np.asarray(fit.cov), n, check_valid="ignore"
    )
    # Drawn month by month: the first k months of a path do not depend on the horizon.
    noise = rng.standard_normal((h, n)).T * fit.resid_sd
    out: FloatArray = np.maximum(
        theta[:, [0]] + np.maximum(theta[:, [1]], 0.0) * users + noise, 0.0
    )
    return out


def store_unit_economics(
    store: Store, *, level: float = 80.0, hours_per_month: float = HOURS_PER_MONTH
) -> pd.DataFrame:
    """Unit economics of the stored cost per cost group, from complete months."""
    if not 0 < hours_per_month < math.inf:  # 0 divided by, and -730 gave negative rates
        raise InputError(
            f"hours in a month must be a positive number (730 on average), got {hours_per_month:g}",
            parameter="hours_per_month",
        )
    cost, currency = store.read_series(COST_METRIC, Freq.MONTH, GroupBy.GROUP, complete_only=True)
    users, _ = store.read_series("users", Freq.MONTH, complete_only=True)
    fits = fit_cost_drivers(cost, users.set_index("ds")["y"])
    rps = None
    if "requests_per_second" in store.stored_metrics():
        requests, _ = store.read_series("requests_per_second", Freq.MONTH, complete_only=True)
        rps = rps_per_user(requests.set_index("ds")["y"], users.set_index("ds")["y"])
    table = unit_economics(fits, rps, level=level, hours_per_month=hours_per_month)
    table.insert(1, "currency", currency)
    return table
