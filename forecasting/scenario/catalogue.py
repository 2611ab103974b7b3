"""The price catalogue as typed lookups over its tables: compute, database, metered usage."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from pathlib import Path

import pandas as pd

from forecasting.errors import InputError, UnknownNameError
from forecasting.interface import Excuse

DEFAULT_HOURS_PER_MONTH = 730.0
CURRENCY = "USD"
"""What every price in the catalogue is in (the ``*_usd`` columns); no exchange rate is kept."""
DEFAULT_FOLDER = Path(__file__).resolve().parents[2] / "data" / "prices"
FILES = {"compute": "compute.csv", "database": "database.csv", "metered": "metered.csv"}

COMPUTE_COLUMNS = (
    "as_of",
    "region",
    "provider",
    "instance_type",
    "family",
    "arch",
    "vcpu",
    "memory_gib",
    "baseline_cpu",
    "offering",
    "term_years",
    "payment_option",
    "upfront_usd",
    "hourly_usd",
    "source",
)
DATABASE_COLUMNS = (
    "as_of",
    "region",
    "provider",
    "service",
    "tier",
    "vcpu",
    "memory_gib",
    "baseline_cpu",
    "max_connections",
    "pooler_connections",
    "baseline_iops",
    "hourly_usd",
    "source",
)
METERED_COLUMNS = (
    "as_of",
    "region",
    "provider",
    "item",
    "unit",
    "tier_start",
    "tier_end",
    "price_usd",
    "source",
)

_NUMERIC = {
    "compute": ("vcpu", "memory_gib", "baseline_cpu", "term_years", "upfront_usd", "hourly_usd"),
    "database": (
        "vcpu",
        "memory_gib",
        "baseline_cpu",
        "max_connections",
        "pooler_connections",
        "baseline_iops",
        "hourly_usd",
    ),
    "metered": ("tier_start", "price_usd"),
}
_KEYS = {
    "compute": ("instance_type", "offering", "term_years", "payment_option"),
    "database": ("provider", "tier"),
    "metered": ("provider", "item", "tier_start"),
}


class Offering(StrEnum):
    ON_DEMAND = "on_demand"
    RI_STANDARD = "ri_standard"
    """Standard Reserved Instances: one instance type in one region."""
    COMPUTE_SP = "compute_sp"
    """Compute Savings Plans: a $/hour commitment that floats across families and regions."""


class Payment(StrEnum):
    NO_UPFRONT = "no_upfront"
    PARTIAL_UPFRONT = "partial_upfront"
    ALL_UPFRONT = "all_upfront"


CHOICE_LABELS = {
    Offering.ON_DEMAND.value: "On demand",
    Offering.COMPUTE_SP.value: "Compute Savings Plan",
    Offering.RI_STANDARD.value: "Standard Reserved Instances",
    Payment.NO_UPFRONT.value: "No upfront",
    Payment.PARTIAL_UPFRONT.value: "Partial upfront",
    Payment.ALL_UPFRONT.value: "All upfront",
}
"""Offerings and payments as AWS names them on its pages (the stored value stays the code)."""


def choice_label(value: object) -> str:
    return CHOICE_LABELS.get(str(value), str(value))


def commitment_words(offering: object, term_years: int, payment: object) -> str:
    """A commitment in words: "Compute Savings Plan, 1 year, no upfront"."""
    years = f"{term_years} year" + ("" if term_years == 1 else "s")
    return f"{choice_label(offering)}, {years}, {choice_label(payment).lower()}"


@dataclass(frozen=True)
class InstanceType:
    name: str
    family: str
    arch: str
    vcpu: float
    memory_gib: float
    baseline_cpu: float
    """Share of each vCPU a burstable type may use all the time (1 for fixed performance)."""
    on_demand_hourly_usd: float

    @property
    def sustained_vcpu(self) -> float:
        """vCPUs the type can keep busy indefinitely (a t3.large sustains 2 x 30% = 0.6)."""
        return self.vcpu * self.baseline_cpu


@dataclass(frozen=True)
class CommitmentRate:
    """One commitment offering: paid up front once, plus every hour of the term."""

    instance_type: str
    offering: Offering
    term_years: int
    payment: Payment
    upfront_usd: float
    hourly_usd: float
    on_demand_hourly_usd: float

    def term_hours(self, hours_per_month: float = DEFAULT_HOURS_PER_MONTH) -> float:
        return self.term_years * 12 * hours_per_month

    def effective_hourly(self, hours_per_month: float = DEFAULT_HOURS_PER_MONTH) -> float:
        """Upfront spread evenly over the term's hours, plus the recurring hourly fee."""
        return self.hourly_usd + self.upfront_usd / self.term_hours(hours_per_month)

    def discount(self, hours_per_month: float = DEFAULT_HOURS_PER_MONTH) -> float:
        """Fraction off on-demand: 1 - effective / on-demand."""
        return 1 - self.effective_hourly(hours_per_month) / self.on_demand_hourly_usd

    def upfront_share(self, hours_per_month: float = DEFAULT_HOURS_PER_MONTH) -> float:
        """Share of the term's total cost paid at the start (0, about 0.5, or 1)."""
        total = self.effective_hourly(hours_per_month) * self.term_hours(hours_per_month)
        return self.upfront_usd / total if total else 0.0


@dataclass(frozen=True)
class DatabaseTier:
    provider: str
    service: str
    tier: str
    vcpu: float
    memory_gib: float
    baseline_cpu: float
    """Share of each vCPU the tier sustains (burstable t4g classes and Supabase's shared tiers)."""
    max_connections: float
    """Direct connections the server accepts."""
    pooler_connections: float
    """Client connections through the provider's pooler (same as direct when there is none)."""
    baseline_iops: float
    hourly_usd: float

    @property
    def sustained_vcpu(self) -> float:
        return self.vcpu * self.baseline_cpu

    def monthly_usd(self, hours_per_month: float = DEFAULT_HOURS_PER_MONTH) -> float:
        return self.hourly_usd * hours_per_month


@dataclass(frozen=True)
class PriceTier:
    """A volume band of a tiered price: ``price_usd`` per unit from ``start`` up to ``end``."""

    start: float
    end: float
    price_usd: float


def tiered_cost(quantity: float, tiers: list[PriceTier]) -> float:
    """Cost of ``quantity`` units under volume tiers (each unit at its own band's price)."""
    if quantity < 0 or math.isnan(quantity):
        raise InputError(f"quantity must be non-negative, got {quantity}", parameter="quantity")
    total = 0.0
    for tier in sorted(tiers, key=lambda t: t.start):
        if quantity <= tier.start:
            break
        total += (min(quantity, tier.end) - tier.start) * tier.price_usd
    return total


def _validate(frame: pd.DataFrame, table: str, columns: tuple[str, ...]) -> pd.DataFrame:
    file = f"{table}.csv"
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"missing columns {missing}", file=file)
    out = frame.copy()
    for col in _NUMERIC[table]:
        values = pd.to_numeric(out[col], errors="coerce")
        bad = values.isna() | (values < 0)
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            raise InputError(
                f"{out[col].iloc[row]!r} is not a non-negative number",
                file=file,
                row=row + 2,
                column=col,
            )
        out[col] = values.astype(float)
    dupes = out.duplicated(list(_KEYS[table]))
    if dupes.any():
        row = int(dupes.to_numpy().nonzero()[0][0])
        raise InputError(f"duplicate {', '.join(_KEYS[table])}", file=file, row=row + 2)
    return out


class Catalogue:
    """Prices to look up by name; build it from the three tables (see data/prices/README.md)."""

    def __init__(
        self, compute: pd.DataFrame, database: pd.DataFrame, metered: pd.DataFrame
    ) -> None:
        self.compute = _validate(compute, "compute", COMPUTE_COLUMNS)
        self.database = _validate(database, "database", DATABASE_COLUMNS)
        self.metered = _validate(metered, "metered", METERED_COLUMNS)
        self.compute["payment_option"] = self.compute["payment_option"].fillna("").astype(str)
        self.metered["tier_end"] = pd.to_numeric(self.metered["tier_end"], errors="coerce")

    @property
    def as_of(self) -> str:
        """The oldest date any row was priced on (the catalogue is no newer than that)."""
        dates = pd.concat([t["as_of"] for t in (self.compute, self.database, self.metered)])
        return str(dates.astype(str).min())

    @property
    def illustrative(self) -> bool:
        tables = (self.compute, self.database, self.metered)
        return any(t["source"].astype(str).str.startswith("illustrative").any() for t in tables)

    def label(self) -> str:
        kind = "illustrative prices" if self.illustrative else "prices"
        return f"{kind} as of {self.as_of}"

    def instance_types(self) -> list[InstanceType]:
        od = self.compute[self.compute["offering"] == Offering.ON_DEMAND.value]
        return [
            InstanceType(
                name=str(r["instance_type"]),
                family=str(r["family"]),
                arch=str(r["arch"]),
                vcpu=float(r["vcpu"]),
                memory_gib=float(r["memory_gib"]),
                baseline_cpu=float(r["baseline_cpu"]),
                on_demand_hourly_usd=float(r["hourly_usd"]),
            )
            for r in od.to_dict("records")
        ]

    @cached_property
    def _instances(self) -> dict[str, InstanceType]:
        return {t.name: t for t in self.instance_types()}

    @cached_property
    def _rates(self) -> dict[tuple[str, str, int, str], tuple[float, float]]:
        c = self.compute
        keys = zip(
            c["instance_type"],
            c["offering"],
            c["term_years"].astype(int),
            c["payment_option"],
            strict=True,
        )
        values = zip(c["upfront_usd"], c["hourly_usd"], strict=True)
        return {
            (str(a), str(b), int(y), str(p)): v
            for (a, b, y, p), v in zip(keys, values, strict=True)
        }

    def instance(self, name: str) -> InstanceType:
        found = self._instances
        if name not in found:
            raise UnknownNameError("instance type", name, list(found))
        return found[name]

    def rate(
        self, instance_type: str, offering: Offering, term_years: int, payment: Payment
    ) -> CommitmentRate:
        od = self.instance(instance_type)
        key = (instance_type, Offering(offering).value, term_years, Payment(payment).value)
        if key not in self._rates:
            raise InputError(
                f"no {offering} {term_years}-year {payment} rate for {instance_type}",
                parameter="commitment",
            )
        upfront, hourly = self._rates[key]
        return CommitmentRate(
            instance_type=instance_type,
            offering=Offering(offering),
            term_years=term_years,
            payment=Payment(payment),
            upfront_usd=float(upfront),
            hourly_usd=float(hourly),
            on_demand_hourly_usd=od.on_demand_hourly_usd,
        )

    def database_tiers(self, provider: str) -> list[DatabaseTier]:
        """A provider's tiers, cheapest first."""
        rows = self.database[self.database["provider"] == provider].sort_values("hourly_usd")
        if rows.empty:
            known = sorted(self.database["provider"].unique())
            raise UnknownNameError("database provider", provider, known)
        return [
            DatabaseTier(
                provider=str(r["provider"]),
                service=str(r["service"]),
                tier=str(r["tier"]),
                vcpu=float(r["vcpu"]),
                memory_gib=float(r["memory_gib"]),
                baseline_cpu=float(r["baseline_cpu"]),
                max_connections=float(r["max_connections"]),
                pooler_connections=float(r["pooler_connections"]),
                baseline_iops=float(r["baseline_iops"]),
                hourly_usd=float(r["hourly_usd"]),
            )
            for r in rows.to_dict("records")
        ]

    def database_tier(self, provider: str, tier: str) -> DatabaseTier:
        found = {t.tier: t for t in self.database_tiers(provider)}
        if tier not in found:
            raise UnknownNameError(f"{provider} tier", tier, list(found))
        return found[tier]

    def price_tiers(self, provider: str, item: str) -> list[PriceTier]:
        n = self.metered
        rows = n[(n["provider"] == provider) & (n["item"] == item)].sort_values("tier_start")
        if rows.empty:
            known = sorted(f"{p} {i}" for p, i in set(zip(n["provider"], n["item"], strict=True)))
            raise UnknownNameError("metered price", f"{provider} {item}", known)
        return [
            PriceTier(
                start=float(r["tier_start"]),
                end=math.inf if pd.isna(r["tier_end"]) else float(r["tier_end"]),
                price_usd=float(r["price_usd"]),
            )
            for r in rows.to_dict("records")
        ]


def folder() -> Path:
    """The catalogue folder: $CAPCOST_PRICES, else data/prices in the source tree."""
    return Path(os.environ.get("CAPCOST_PRICES", str(DEFAULT_FOLDER)))


def read_tables(base: Path | None = None) -> dict[str, pd.DataFrame]:
    """The catalogue's CSV files as text frames (numbers are checked by ``Catalogue``)."""
    base = base or folder()
    tables = {}
    for table, name in FILES.items():
        path = base / name
        if not path.is_file():
            raise InputError("price catalogue file not found", file=str(path))
        tables[table] = pd.read_csv(path, dtype=str, keep_default_na=False)
    return tables


_LOADED: dict[tuple[object, ...], Catalogue] = {}


def load_catalogue(base: Path | None = None) -> Catalogue:
    """The catalogue in ``base`` (default: $CAPCOST_PRICES or data/prices), read and checked
    once per version of its files (their modification times and sizes): a page build asks
    for it several times, and reading and checking the three tables took 0.3-1.2 s on a busy
    machine. The catalogue is shared: read it, never change its tables."""
    base = base or folder()
    stamps: list[object] = [str(base.resolve())]
    for name in FILES.values():
        path = base / name
        if not path.is_file():
            raise InputError("price catalogue file not found", file=str(path))
        stat = path.stat()
        stamps += [name, stat.st_mtime_ns, stat.st_size]
    key = tuple(stamps)
    found = _LOADED.get(key)
    if found is None:
        found = Catalogue(**read_tables(base))
        if len(_LOADED) > 8:  # a few folders at most (tests point at their own)
            _LOADED.clear()
        _LOADED[key] = found
    return found


def connection_upgrade(
    tiers: list[DatabaseTier], current: DatabaseTier, factor: float, hours_per_month: float = 730.0
) -> tuple[str, float] | Excuse:
    """The cheapest tier with ``factor`` x today's pooled connections, and its extra $/month.

    Tiers smaller than today's in CPU or memory are never proposed: the pool grows with load.
    Both the database lever and the pool's runway headroom price growth this way.
    """
    if factor <= 1:
        return current.tier, 0.0
    need = current.pooler_connections * factor
    bigger = [
        t
        for t in tiers
        if t.pooler_connections >= need - 1e-9
        and t.vcpu >= current.vcpu
        and t.memory_gib >= current.memory_gib
    ]
    if not bigger:
        return Excuse(
            f"no {current.provider} tier has {need:,.0f} pooled connections",
            {"current": current.tier, "factor": factor},
        )
    extra = bigger[0].monthly_usd(hours_per_month) - current.monthly_usd(hours_per_month)
    return bigger[0].tier, extra
