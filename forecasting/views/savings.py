"""The Savings page: levers stacked, commitments on the forecast, a stated plan; the inputs."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pandas as pd

from forecasting.errors import InputError
from forecasting.interface import Excuse, or_excuse
from forecasting.models.options import PathForecaster, run_models
from forecasting.presentation import (
    MISSING,
    cell_text,
    format_money,
    format_month,
    format_number,
    format_rate,
    readable_text,
)
from forecasting.presentation.figures import is_missing, money_decimals
from forecasting.savings.commitment_inputs import FORECAST_CHECK_DAYS
from forecasting.savings.service import (
    CommitmentResult,
    LeverResult,
    ReconcileResult,
    SavingsOptions,
    commitments,
    levers,
    read_stated,
    reconcile_stated,
    stored_stated,
)
from forecasting.scenario.catalogue import choice_label
from forecasting.store import Store
from forecasting.views.assumptions import Choices, forecast_text, settings_text
from forecasting.views.display import Card, Column


class InputKind(StrEnum):
    PERCENT = "pct"
    """A fraction, shown and typed in %."""
    NUMBER = "num"
    """A number; empty means not set."""
    CHECK = "check"
    CHOICE = "choice"
    """One of ``input_options``."""


@dataclass(frozen=True)
class LeverInput:
    """One input of a lever, prefilled from the assumption set's field of the same name."""

    field: str
    """A ``SavingsScenario`` field."""
    label: str
    kind: InputKind


LEVER_INPUTS: dict[str, tuple[str, tuple[LeverInput, ...]]] = {
    "right-size": (
        "Right-size",
        (
            LeverInput("cpu_percentile", "CPU percentile", InputKind.NUMBER),
            LeverInput("cpu_headroom", "CPU headroom %", InputKind.PERCENT),
            LeverInput("memory_headroom", "Memory headroom %", InputKind.PERCENT),
            LeverInput("lookback_days", "Look-back, days", InputKind.NUMBER),
        ),
    ),
    "cdn": (
        "CDN caching",
        (
            LeverInput("cdn_provider", "CDN", InputKind.CHOICE),
            LeverInput("origin_in_aws", "Origin in AWS", InputKind.CHECK),
            LeverInput("target_request_hit_ratio", "Target request hit ratio %", InputKind.PERCENT),
            LeverInput("target_byte_hit_ratio", "Target byte hit ratio %", InputKind.PERCENT),
        ),
    ),
    "database": (
        "Database",
        (
            LeverInput("database_provider", "Provider", InputKind.CHOICE),
            LeverInput("database_tier", "Tier (when the bill names none)", InputKind.CHOICE),
            LeverInput("top_queries_optimised", "Slowest queries optimised", InputKind.NUMBER),
            LeverInput("query_time_reduction", "Each faster by %", InputKind.PERCENT),
            # Prices the Capacity runway's disk headroom (the bill does not say the size).
            LeverInput("database_disk_gb", "Disk size (GB)", InputKind.NUMBER),
        ),
    ),
    "commitments": (
        "Commitments",
        (
            LeverInput("commitment_offering", "Offering", InputKind.CHOICE),
            LeverInput("commitment_term_years", "Term, years", InputKind.CHOICE),
            LeverInput("commitment_payment", "Payment", InputKind.CHOICE),
        ),
    ),
}
"""Per lever (in stacking order): its title and its inputs."""


def input_options(field: str, choices: Choices, values: Mapping[str, Any]) -> list[Any]:
    """What a "choice" input offers; the tiers follow the provider chosen in ``values``."""
    tiers = choices.database_tiers.get(values.get("database_provider", ""), ())
    return list(
        {
            "instance_type": choices.instance_types,
            "cdn_provider": choices.cdn_providers,
            "database_provider": tuple(choices.database_tiers),
            "database_tier": tiers,
            "commitment_offering": choices.commitment_offerings,
            "commitment_term_years": choices.commitment_terms,
            "commitment_payment": choices.commitment_payments,
        }.get(field, ())
    )


def edited_inputs(settings: tuple[tuple[str, Any], ...]) -> str:
    """The lever inputs an edit changed, as the inputs are labelled and their values read
    ("CDN caching: Target request hit ratio 80%; Database: Slowest queries optimised 20"),
    so a page sized on unsaved edits says which."""
    changed = dict(settings)
    parts = []
    for title, specs in LEVER_INPUTS.values():
        named = [
            f"{spec.label.removesuffix(' %')} {_input_text(spec, changed[spec.field])}"
            for spec in specs
            if spec.field in changed
        ]
        if named:
            parts.append(f"{title}: {', '.join(named)}")
    return "; ".join(parts)


def _input_text(spec: LeverInput, value: Any) -> str:
    if value is None:
        return "not set"
    if spec.kind is InputKind.CHECK:
        return "yes" if value else "no"
    if spec.kind in (InputKind.PERCENT, InputKind.NUMBER):
        number = round(float(value) * (100 if spec.kind is InputKind.PERCENT else 1), 6)
        text = format_number(number, 0 if number.is_integer() else None)
        return f"{text}%" if spec.kind is InputKind.PERCENT else text
    return choice_label(value)


@dataclass(frozen=True)
class SavingsView:
    """Levers, commitments and a stated plan; a part that cannot be computed is an Excuse.
    Money is in the billing currency, per month."""

    levers: LeverResult | Excuse | None
    """None when not asked for (the page builds the section it shows)."""
    commitments: CommitmentResult | Excuse | None
    """None when not asked for."""
    reconciliation: ReconcileResult | Excuse | None
    """None when no stated plan was given, or not asked for."""
    band_labels: tuple[str, str]
    """The savings band's lower and upper quantile of the paths as labels (the interval
    level's: ``("P10", "P90")`` at 80)."""
    currency: str
    """The billing currency every amount is in."""

    @property
    def lever_results(self) -> dict[str, str]:
        """Per lever: what it assumed and found in the data (empty without levers)."""
        if not isinstance(self.levers, LeverResult):
            return {}
        return {str(r.lever): str(r.assumptions) for r in self.levers.table.itertuples()}

    @property
    def lever_evidence(self) -> dict[str, str]:
        """Per lever: which data it read, over which period, and the figures it read there."""
        if not isinstance(self.levers, LeverResult):
            return {}
        table = self.levers.table
        return {str(r.lever): str(r.evidence) for r in table.itertuples() if r.evidence}


SECTIONS = {
    "levers": "Levers",
    "commitments": "Commitments",
    "stated": "Stated plan",
}
"""The page's sections, one shown at a time: code -> title (the link names it by its title:
``?sv_section=Stated+plan``)."""


def build_savings(
    store: Store,
    options: SavingsOptions,
    stated: str | bytes | pd.DataFrame | None = None,
    forecaster: PathForecaster = run_models,
    stated_source: str = "uploaded file",
    sections: tuple[str, ...] = tuple(SECTIONS),
) -> SavingsView:
    """``stated``: a stored plan's name, an uploaded CSV's bytes or its lines, or None;
    ``sections``: the parts to build (the others are None)."""
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise InputError(
            f"unknown section {sorted(unknown)[0]!r}; try: {', '.join(SECTIONS)}",
            parameter="sections",
        )

    def reconciliation() -> ReconcileResult:
        # The plan is checked against the month its own figures describe, whichever month
        # the levers are modelled on (the CLI's --base-month chooses another).
        plan = dataclasses.replace(options, base_month=None)
        if isinstance(stated, str):
            return reconcile_stated(store, plan, stored_stated(store, stated), stated)
        assert stated is not None
        lines = read_stated(stated, stated_source) if isinstance(stated, bytes) else stated
        return reconcile_stated(store, plan, lines, stated_source)

    return SavingsView(
        levers=or_excuse(lambda: levers(store, options, forecaster))
        if "levers" in sections
        else None,
        commitments=or_excuse(lambda: commitments(store, options, forecaster))
        if "commitments" in sections
        else None,
        reconciliation=or_excuse(reconciliation)
        if stated is not None and "stated" in sections
        else None,
        band_labels=options.band_labels,
        currency=", ".join(store.currencies()),
    )


def lever_cards(r: LeverResult) -> list[Card]:
    cur, esr = r.currency, r.effective_savings_rate
    return [
        Card(f"Spend {format_month(r.base_month)}", format_money(r.spend, cur, cents=False)),
        Card(
            "Stacked savings / month",
            format_money(r.stacked_total, cur, cents=False),
            f"{100 * r.stacked_total / r.spend:.1f}% of spend",
        ),
        Card(
            "Naive sum / month",
            format_money(r.naive_total, cur, cents=False),
            f"{r.naive_total - r.stacked_total:+,.0f} counted twice",
        ),
        Card(
            "Compute savings rate today",
            f"{esr:.1%}" if isinstance(esr, float) else str(esr or "n/a"),
            help="Effective savings rate of Compute usage: 1 - effective cost / list cost,"
            " over the base month (commitments and discounts already in the bill).",
        ),
    ]


def lever_columns(cur: str, lo: str, hi: str) -> dict[str, Column]:
    """The levers table's columns, in the order shown."""
    return {
        "order": Column("Order"),
        "lever": Column("Lever"),
        "category": Column("Acts on"),
        "base_monthly": Column(f"Base {cur}/month"),
        "monthly_savings": Column(f"Saving {cur}/month"),
        "lower": Column(lo),
        "upper": Column(hi),
        "percent_of_base": Column("% of base"),
        "naive_monthly": Column("Naive"),
        "assumptions": Column("Assumptions", "wide"),
        "evidence": Column("Evidence: data, period, figure read", "wide"),
    }


def _rate_decimals(a: float, b: float | None) -> int:
    """Cents, or as many more decimals (up to 4) as tell two hourly commitments apart: 6.723
    and 6.716 USD/h both print as 6.72 at cents, and two cards would show one figure."""
    for decimals in (2, 3, 4):
        if b is None or round(a, decimals) != round(b, decimals):
            return decimals
    return 2


def _hourly(value: float, cur: str, decimals: int) -> str:
    return f"{format_number(value, decimals)} {cur}/h"


def lever_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The levers as the page shows them: titled, and a band only where the lever has one.

    Right-size, CDN and database are measured on the base month's spend and their evidence
    (CPU percentiles, hit ratios, query time): given it, each is one figure, and printing it
    three times as P10 = P50 = P90 would claim a band of certainty that was never computed.
    Commitments are sized on the forecast's paths over the term: theirs is a real band."""
    point = table["monthly_savings"]
    flat = (table["lower"] - point).abs().le(0.005) & (table["upper"] - point).abs().le(0.005)
    return table.assign(
        lever=table["lever"].map(lever_title),
        lower=table["lower"].mask(flat),
        upper=table["upper"].mask(flat),
    )


def commitment_cards(r: CommitmentResult, cur: str) -> list[Card]:
    """The forecast method's commitment: size, expected saving with its P10 downside,
    utilisation, break-even."""
    best = r.table.iloc[0]
    aws = aws_row(r)
    other = None if aws is None else float(aws["hourly_commitment_usd"])
    decimals = _rate_decimals(float(best["hourly_commitment_usd"]), other)
    return [
        Card(
            "Recommended commitment",
            _hourly(best["hourly_commitment_usd"], cur, decimals),
            str(best["scope"]),
        ),
        Card(
            "Expected savings / month",
            format_money(best["expected_monthly_savings_usd"], cur, cents=False),
            f"{format_money(best['downside_monthly_savings_usd'], cur, cents=False)} at P10 demand",
            help="The mean over the forecast's paths: the saving a buyer can expect. The table "
            "below says why it differs from the saving at P50 demand.",
        ),
        Card("Utilisation", cell_text(r.table, "utilisation", best["utilisation"])),
        Card("Break-even month", str(best["break_even_month"])),
    ]


def aws_row(r: CommitmentResult) -> pd.Series | None:
    """The look-back AWS's console opens on (30 days), else the first window asked for."""
    rows = r.table[r.table["method"].str.startswith("look-back")]
    rows = rows[rows["scope"] == r.table.iloc[0]["scope"]].dropna(subset=["lookback_days"])
    if rows.empty:
        return None
    thirty = rows[rows["lookback_days"] == 30]
    row: pd.Series = (thirty if len(thirty) else rows).iloc[0]
    return row


def aws_cards(r: CommitmentResult, cur: str) -> list[Card]:
    """AWS's recommendation, in its own terms, over its look-back window's hourly usage."""
    row = aws_row(r)
    if row is None:
        return []
    days = int(row["lookback_days"])
    # Beside the forecast method's recommendation, the look-back's commitment says how far
    # from it it is: printed to the decimals that tell the two apart, the gap as the note.
    mine, theirs = (
        float(r.table.iloc[0]["hourly_commitment_usd"]),
        float(row["hourly_commitment_usd"]),
    )
    decimals = _rate_decimals(mine, theirs)
    gap = theirs - mine
    # A card's note is one short line (a longer one is cut off at "vs the foreca..."): the
    # gap and whom it is against; its share of the forecast method's is in the help.
    note, share = "same as the forecast", ""
    if round(gap, 4) != 0:
        sign = "+" if gap > 0 else "-"
        note = f"{sign}{_hourly(abs(gap), cur, decimals)} vs the forecast"
        if mine > 0:
            share = f" It is {gap / mine:+.1%} against the forecast method's commitment."
    on_demand = format_money(row["lookback_on_demand_usd_per_hour"], cur, cents=True)
    return [
        Card(
            f"AWS look-back, {days} days",
            _hourly(theirs, cur, decimals),
            note,
            help=f"Sized on the window's own hourly usage, {on_demand}/h on-demand, "
            f"assumed to repeat.{share}",
        ),
        Card(
            "Estimated savings / month",
            format_money(row["lookback_monthly_savings_usd"], cur, cents=False),
            f"{format_money(row['expected_monthly_savings_usd'], cur, cents=False)} on the "
            "forecast",
        ),
        Card(
            "Estimated utilisation",
            cell_text(r.table, "lookback_utilisation", row["lookback_utilisation"]),
        ),
        Card("Break-even month (look-back)", str(row["lookback_break_even_month"])),
    ]


def commitment_chart_frame(r: CommitmentResult) -> pd.DataFrame:
    """One bar label per row: the method, and the scope when there are several."""
    several = r.table["scope"].nunique() > 1
    label = r.table["method"] + (" · " + r.table["scope"] if several else "")
    return r.table.assign(label=label)


def demand_story(r: CommitmentResult, cur: str) -> str:
    """Why the expected saving (the cards') and the saving at P50 demand (the table's) are two
    figures, in the figures the page shows.

    The expected saving is the mean over the paths. A commitment's saving is capped by what
    it covers: on a path at or above that level every hour it saves its most, and no more
    however high demand goes; on a path that dips below it part of the commitment goes
    unused. So the median path (P50) often saves the cap while the mean, pulled down by the
    paths that dip, is lower; P50 and P90 then read the same figure.
    """
    if isinstance(r.by_demand, Excuse):
        return ""
    best = r.table.iloc[0]
    commit = _hourly(best["hourly_commitment_usd"], cur, 3)
    expected = float(best["expected_monthly_savings_usd"])
    rows = r.by_demand.set_index("demand")["monthly_savings_usd"]
    lead = (
        f"The same {commit} commitment if demand followed one quantile of the forecast every hour."
    )
    if "P50" not in rows:
        return lead
    median = float(rows["P50"])
    shown = {k: format_money(v, cur, cents=False) for k, v in {"e": expected, "m": median}.items()}
    covers = format_rate(best["covered_usd_per_hour"], cur, "h")
    if shown["e"] == shown["m"]:
        return f"{lead} At P50 it saves {shown['m']}/month, the expected saving."
    if median > expected:
        return (
            f"{lead} At P50 it is used in full and saves {shown['m']}/month, the most it can "
            f"(it covers {covers}; more demand saves no more). The expected "
            f"{shown['e']}/month is the mean over every path: lower, because on the paths "
            "where demand dips below what it covers part of the commitment goes unused."
        )
    return (
        f"{lead} At P50 it saves {shown['m']}/month; the expected {shown['e']}/month is the "
        "mean over every path, above it because the paths above the median save more than "
        "those below it lose."
    )


def _several_scopes(table: pd.DataFrame) -> bool:
    return bool(table["scope"].nunique() > 1)


def _any_upfront(table: pd.DataFrame) -> bool:
    return bool(table["upfront_usd"].fillna(0).ne(0).any())


def lookback_caption(r: CommitmentResult) -> str:
    """What the look-back table's rows share, said once instead of in a column on every row."""
    shared = []
    if not _several_scopes(r.table):
        shared.append(f"each covers {r.table['scope'].iloc[0]}")
    if not _any_upfront(r.table):
        shared.append("none paid upfront")
    tail = f" ({'; '.join(shared)})" if shared else ""
    return (
        "Each commitment as AWS reports it: on its look-back window's hourly usage, the "
        f"forecast method's on the last {FORECAST_CHECK_DAYS} days{tail}"
    )


def lookback_columns(cur: str, table: pd.DataFrame) -> dict[str, Column]:
    """Each commitment scored on its look-back window's own hourly usage, as AWS reports it
    (the forecast method's on the last 30 days). One grid across the page: a window is in its
    method's name, and a scope or an upfront of 0 shared by every row is said once, in
    ``lookback_caption``; the CSV keeps every column."""
    columns = {"method": Column("Method")}
    if _several_scopes(table):
        columns["scope"] = Column("Covers")
    columns |= {
        "hourly_commitment_usd": Column(f"Commit {cur}/h"),
        "covered_usd_per_hour": Column(f"Covers {cur}/h"),
    }
    if _any_upfront(table):
        columns["upfront_usd"] = Column(f"Upfront {cur}")
    return columns | {
        "lookback_on_demand_usd_per_hour": Column(f"On-demand {cur}/h"),
        "lookback_monthly_savings_usd": Column(f"Est. savings {cur}/month"),
        "lookback_utilisation": Column("Utilisation"),
        "lookback_coverage": Column("Coverage"),
        "lookback_break_even_month": Column("Break-even month"),
    }


def demand_columns(cur: str) -> dict[str, Column]:
    return {
        "coverage": Column("Coverage"),
        "utilisation": Column("Utilisation"),
        "usage_usd_per_hour": Column(f"Usage {cur}/h"),
        "monthly_savings_usd": Column(f"Savings {cur}/month"),
        "break_even_month": Column("Break-even month"),
    }


def commitment_table(r: CommitmentResult, cur: str) -> pd.DataFrame:
    """The commitments on the forecast's paths as the page shows them: the paths' band of
    savings as one "low–high" cell (two columns pushed the table onto a second grid), and a
    row's note only where it says more than the section's caption (``r.label``)."""
    t = r.table
    lows, highs = t["savings_lower_usd"], t["savings_upper_usd"]
    decimals = money_decimals([*lows, *highs], cur)

    def band(a: float, b: float) -> str:
        if is_missing(a) or is_missing(b):
            return MISSING
        low, high = format_number(a, decimals), format_number(b, decimals)
        return low if low == high else f"{low}–{high}"

    notes = t["note"].where(t["note"] != r.label, "")
    return t.assign(savings_band=[band(a, b) for a, b in zip(lows, highs, strict=True)], note=notes)


def commitment_caption(r: CommitmentResult, lo: str, hi: str) -> str:
    """What the paths table's figures are, and where its hidden downside columns are read."""
    where = "in the CSV"
    if not isinstance(r.by_demand, Excuse):
        where += " (the recommended commitment's are the P10 row of the table above)"
    return (
        "The same commitments on the forecast's sample paths over the term: the expected "
        f"saving is the mean over the paths, and {lo}–{hi} of paths the spread of the paths' "
        "savings. *At P10 demand* is the saving if demand stayed at its P10 every month, "
        "usually lower than the paths' P10, as few paths stay that low all term; its "
        f"utilisation and break-even are {where}."
    )


def commitment_columns(cur: str, lo: str, hi: str, table: pd.DataFrame) -> dict[str, Column]:
    """Each commitment on the forecast's sample paths over the term, on one grid: its size is
    in the look-back table above (same rows, same order), and utilisation and break-even at
    P10 demand are the CSV's (the recommended commitment's are the demand table's P10 row)."""
    columns = {"method": Column("Method")}
    if _several_scopes(table):
        columns["scope"] = Column("Covers")
    return columns | {
        "coverage": Column("Coverage"),
        "utilisation": Column("Utilisation"),
        # The mean over the paths (the cards' expected saving) and the spread of the paths'
        # savings: not the saving at P10 or P90 demand (the table above, and the downside).
        "expected_monthly_savings_usd": Column(f"Expected savings {cur}/month"),
        "savings_band": Column(f"{lo}–{hi} of paths"),
        "break_even_month": Column("Break-even month"),
        # The downside is the P10 of demand whatever the band's level.
        "downside_monthly_savings_usd": Column(f"At P10 demand {cur}/month"),
        "note": Column("Note", "wide"),
    }


def reconciliation_cards(r: ReconcileResult) -> list[Card]:
    cur, pct = r.currency, 100 / r.total_spend if r.total_spend else 0.0
    return [
        Card(
            "Stated savings / month",
            format_money(r.stated_total, cur, cents=False),
            f"{r.stated_total * pct:.1f}% of spend",
        ),
        Card(
            "Modelled, stacked",
            format_money(r.stacked_total, cur, cents=False),
            f"{r.stacked_total * pct:.1f}% of spend",
        ),
        Card(
            "Naive sum of the lines",
            format_money(r.naive_total, cur, cents=False),
            f"{r.naive_total - r.stacked_total:+,.0f} counted twice",
        ),
    ]


def flagged_summary(r: ReconcileResult) -> tuple[int, str]:
    """How many stated lines are flagged, and the sentence that says so."""
    flagged = int(r.lines["flags"].astype(str).str.len().gt(0).sum())
    base = f"base month {format_month(r.base_month)} ({r.base_month_reason})"
    return (
        flagged,
        readable_text(
            f"{flagged} of {len(r.lines)} lines flagged; {base}; {r.table.iloc[-1]['flags']}"
        ),
    )


def lever_title(lever: object) -> str:
    """A lever as the page's input columns title it: ``cdn`` is "CDN caching"."""
    return LEVER_INPUTS[str(lever)][0] if str(lever) in LEVER_INPUTS else str(lever)


def explain_levers(result: LeverResult) -> str:
    s, cur = result.scenario, result.currency
    lo, hi = result.options.band_labels
    return "\n".join(
        [
            f"- **Base**: spend per cost group in {format_month(result.base_month)} (FOCUS "
            f"EffectiveCost), {result.spend:,.0f} {cur} in all.",
            "- **Stacking**: levers act in this order, each on what the levers before it left "
            "of its cost group: right-size, CDN, database, then commitments (a commitment bought "
            "first would cover capacity the others remove). Saving = lever rate x remaining base.",
            "- **Naive sum** = each lever's rate x its untouched base, added up (what a "
            f"spreadsheet does): {result.naive_total:,.0f} vs {result.stacked_total:,.0f} {cur} "
            "stacked.",
            f"- **Right-size**: per fleet of the inventory, CPU at P{s.cpu_percentile:g} of "
            f"5-minute maxima over {s.lookback_days} days +{s.cpu_headroom:.0%} and max memory "
            f"+{s.memory_headroom:.0%} to the cheapest catalogue type (Fargate: task size by "
            "vCPU and GB) that fits, as Compute Optimizer does; saving = the fleet's bill x the "
            "share the new size saves; an under-provisioned fleet saves nothing. Without "
            "5-minute maxima: daily means, a coarse stand-in.",
            "- **CDN**: the hit ratio measured in the CDN analytics; origin requests avoided at "
            "the target x the marginal cost of a request (the slope of compute usage on origin "
            "requests: never fixed costs or commitment fees), plus the origin's egress at the "
            "bill's rate where it pays for it (AWS origins behind CloudFront do not).",
            f"- **Database**: the top {s.top_queries_optimised} queries of pg_stat_statements "
            f"made {s.query_time_reduction:.0%} faster take their share of the time off CPU "
            "(and of blocks read off IOPS); the cheapest "
            f"{s.database_provider} tier that still fits the peaks is the step down; the "
            "upgrade it defers is stated, not counted. Without query statistics: "
            f"{s.query_cpu_reduction:.0%} less CPU per query.",
            "- **Commitments**: see the commitment section; the expected monthly saving "
            f"({'-'.join(result.options.band_labels)} across paths) as a share of Compute, "
            "applied to what is left.",
            f"- **{lo} and {hi}**: only a lever sized on the forecast's paths has a band (the "
            "commitment, over its term); the others are measured on the base month's spend and "
            "their evidence, one figure each (— in the band's columns).",
            f"- {settings_text(result.scenario_name, result.options)}.",
            "",
            "**What each lever assumed here**",
            "",
            *(f"- *{r.lever}*: {r.assumptions}" for r in result.table.itertuples()),
            "",
            "**What each lever read in the data**",
            "",
            *(
                f"- *{lever}*: {text}"
                for lever, text in zip(result.table["lever"], result.table["evidence"], strict=True)
                if text
            ),
        ]
    )


def explain_commitments(result: CommitmentResult) -> str:
    t = result.terms
    return "\n".join(
        [
            "- **Eligible usage**, on-demand-equivalent $/h (FOCUS ListCost): a Compute Savings "
            "Plan covers EC2 instance hours, Fargate and Lambda duration anywhere; an RI covers "
            "EC2 of one family in one region (one row per scope), never Fargate, transfer or EBS.",
            "- **AWS's look-back** (the lookback_ columns): every hour of the last N days is a "
            "candidate level; the commitment that would have saved most over those hours, scored "
            "on them as AWS reports it: hourly commitment, estimated monthly savings (saving per "
            "hour x hours per month), utilisation, coverage, break-even if the window repeats. "
            "The forecast's commitment is scored the same way on the last 30 days.",
            "- **Forecast method**: total eligible usage, covered and not: "
            f"{forecast_text(result.options, 'its monthly mean')}, over the "
            f"{t.term_months}-month term; what commitments owned "
            f"cover (${t.existing_covered_usd_per_hour:,.2f}/h) comes off hour by hour, so the "
            "step down when they started is not read as a trend. The c with the highest "
            "expected saving over every path and hour (the d-quantile of what is left); each "
            "look-back's c is scored on the same paths beside it.",
            f"- A commitment of c $/h at {t.discount:.1%} off covers up to c / (1 - d) of usage "
            "each hour: **covered** = min(usage, c / (1 - d)); **saving** = covered - c; "
            "**coverage** = covered / usage; **utilisation** = covered x (1 - d) / c. Usage within "
            f"the day: {result.label.split('usage within the day: ')[-1].split(';')[0]}.",
            "- **Break-even month**: the first month from which the cumulative cash saving (any "
            "upfront paid at purchase) stays at least 0. **Downside**: the commitment if usage "
            "followed the P10 of the paths every month.",
            "- **Effective savings rate today** = 1 - EffectiveCost / ListCost of Compute usage.",
            f"- Prices: {result.label.split(' on ')[0]}.",
        ]
    )


def explain_reconciliation(result: ReconcileResult) -> str:
    return "\n".join(
        [
            f"- **Base in the data**: {format_month(result.base_month)} spend (EffectiveCost) of "
            "the line's category, matched as a cost group, then a FOCUS ServiceCategory, then a "
            "service.",
            "- **Implied base** = stated dollars / stated percent; flagged when it differs from "
            f"the base in the data by more than {result.tolerance:.0%}.",
            "- **Same spend**: flagged when two lines act on any of the same spend.",
            "- **Modelled** = the line's percent x what is left of its base after the lines "
            "stacked before it (right-size, CDN, database, others, then commitments), tracked "
            "service by service so a service inside a group is not saved twice. A commitment "
            "line acts only on on-demand usage it can cover (RIs: EC2; Savings Plans: EC2, "
            "Fargate, Lambda), never on spend a commitment already covers.",
            f"- **Base month** {format_month(result.base_month)}: "
            f"{readable_text(result.base_month_reason)}.",
            "- A line with only a percent states percent x its base in dollars; every total "
            "counts it like a line with dollars.",
            f"- **Totals**: stacked {result.stacked_total:,.0f} vs stated "
            f"{result.stated_total:,.0f} vs naive sum {result.naive_total:,.0f} {result.currency} "
            f"a month, of {result.total_spend:,.0f} spend.",
        ]
    )
