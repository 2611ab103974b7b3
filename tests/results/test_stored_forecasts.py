"""Stored forecasts (forecasting.results): the same numbers as computing them, never stale,
written all or nothing by `capcost refresh`, and read by the pages without fitting."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from forecasting import views
from forecasting.capacity.service import CapacityOptions
from forecasting.cli import main
from forecasting.demand import chain
from forecasting.interface import Excuse
from forecasting.models import api, stored
from forecasting.results.commands import REFRESH_ENV, writes_data
from forecasting.results.refresh import refresh
from forecasting.savings.service import SavingsOptions
from forecasting.store import Store
from forecasting.views.forecast import ForecastRequest

APP = Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py"


def copy_db(source: Path, dest: Path) -> Path:
    shutil.copyfile(source, dest)
    return dest


@pytest.fixture(scope="module")
def refreshed(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo after one full `capcost refresh` (what every page shows by default)."""
    path = copy_db(demo_db, tmp_path_factory.mktemp("refreshed") / "capcost.duckdb")
    summary = refresh(path)
    assert summary.computed > 0 and summary.reused == 0
    # Nothing was stored before it, so nothing was kept, although the plans and outlooks it
    # made were served again from what it had just made (and name their inputs as used).
    assert summary.kept == 0
    assert "0 read from the store; 0 stored forecasts and fits kept" in summary.line(path)
    return path


@pytest.fixture
def scratch(refreshed: Path, tmp_path: Path) -> Path:
    return copy_db(refreshed, tmp_path / "capcost.duckdb")


def served(path: Path, build: Callable[[Store], Any]) -> tuple[Any, stored.Memo]:
    with Store.reader(path) as store, stored.reading(store) as found:
        return build(store), found


def computed(path: Path, build: Callable[[Store], Any]) -> Any:
    with Store.reader(path) as store:
        return build(store)


def no_fits(monkeypatch: pytest.MonkeyPatch) -> None:
    """No series forecast fitted, and no demand chain (its robust regressions) either."""

    def refuse(jobs: Any, n_jobs: Any = None) -> Any:
        asked = [(j.unique_id, j.h, len(j.y), str(j.last), j.levels, j.n_paths) for j in jobs]
        raise AssertionError(f"fitted {asked} although they are stored")

    def refuse_driver(group: str, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"fitted the chain's {group} cost line although it is stored")

    monkeypatch.setattr(api, "run_jobs", refuse)
    monkeypatch.setattr(chain, "fit_driver", refuse_driver)


def stored_rows(path: Path) -> pd.DataFrame:
    with Store.reader(path) as store:
        return store.con.execute(
            "SELECT key, horizon, unique_id, model, mean, paths FROM forecast_results "
            "JOIN forecast_paths ON digest = paths_digest ORDER BY key"
        ).df()


# -- the same numbers ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "request_",
    [
        ForecastRequest("Cost, total", 12, 80.0),
        ForecastRequest("Users", 6, 95.0),
        ForecastRequest("Cost by cost group", 9, 80.0),
    ],
    ids=lambda r: f"{r.series}-{r.horizon}-{r.level:g}",
)
def test_a_stored_forecast_page_equals_a_computed_one(
    refreshed: Path, request_: ForecastRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = computed(refreshed, lambda s: views.build_forecast(s, request_))
    no_fits(monkeypatch)
    # Stored at the longest horizon (24 months) and sliced to the one asked for.
    view, found = served(refreshed, lambda s: views.build_forecast(s, request_))
    assert found.misses == 0 and found.used
    for name in ("history", "table", "quarters", "backtest", "fits"):
        pd.testing.assert_frame_equal(getattr(view, name), getattr(fresh, name), obj=name)
    assert view.excuses == fresh.excuses
    # The band without the prior, read back from the store, and the note made from it.
    assert (view.own_band is None) == (fresh.own_band is None)
    if fresh.own_band is not None:
        pd.testing.assert_frame_equal(view.own_band, fresh.own_band, obj="own_band")
    assert view.band_note == fresh.band_note


def test_stored_capacity_and_savings_equal_computed_ones(
    refreshed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The pages' defaults at other levels they offer.
    capacity = CapacityOptions(level=95.0)
    months = computed(refreshed, lambda s: views.build_choices(s, None).full_months)
    savings = SavingsOptions(level=90.0, base_month=months[0], lookback=(7, 30, 60))

    def build(store: Store) -> tuple[Any, Any]:
        return views.build_capacity(store, capacity), views.build_savings(store, savings)

    fresh_capacity, fresh_savings = computed(refreshed, build)
    no_fits(monkeypatch)
    (cap, sav), found = served(refreshed, build)
    # The plan and the runway whole, the evidence levers and the commitments are served
    # too: nothing fitted, read or scanned again for them.
    assert found.misses == 0 and found.fit_misses == 0
    assert {"capacity plan", "runway", "savings levers", "commitments"} <= set(found.fits_read)
    assert_same_result(cap.plan, fresh_capacity.plan)
    assert_same_result(cap.runway, fresh_capacity.runway)
    pd.testing.assert_frame_equal(sav.levers.table, fresh_savings.levers.table)
    assert sav.levers.notes == fresh_savings.levers.notes
    assert sav.levers.effective_savings_rate == fresh_savings.levers.effective_savings_rate
    got, fresh = sav.commitments, fresh_savings.commitments
    pd.testing.assert_frame_equal(got.table, fresh.table)
    pd.testing.assert_frame_equal(got.by_demand, fresh.by_demand)
    pd.testing.assert_frame_equal(got.cumulative, fresh.cumulative)
    assert (got.label, got.terms, got.notes) == (fresh.label, fresh.terms, fresh.notes)
    assert got.effective_savings_rate == fresh.effective_savings_rate


def assert_same_result(got: Any, fresh: Any) -> None:
    """Every field of a plan or a runway, frames exactly."""
    for field in dataclasses.fields(fresh):
        a, b = getattr(got, field.name), getattr(fresh, field.name)
        if isinstance(b, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b, check_exact=True, obj=field.name)
        else:
            assert a == b, field.name


def served_whole(found: stored.Memo, kind: str) -> bool:
    return bool(found.fits_used & set(found.fits_read.get(kind, {})))


def test_the_capacity_page_reads_its_plan_and_runway_whole(refreshed: Path) -> None:
    """Another runway horizon is the same plan, another plan horizon or users scenario the
    same runway: each is read whole, so no cost of record or chain is even looked up."""
    options = CapacityOptions(level=50.0, days=30)
    fresh = computed(refreshed, lambda s: views.build_capacity(s, options, sections=("plan",)))
    view, found = served(refreshed, lambda s: views.build_capacity(s, options, sections=("plan",)))
    assert served_whole(found, "capacity plan") and "cost backtest" not in found.fits_read
    assert view.plan.options == options
    assert_same_result(view.plan, fresh.plan)
    options = CapacityOptions(quarters=2, demand="high")
    fresh = computed(refreshed, lambda s: views.build_capacity(s, options, sections=("runway",)))
    view, found = served(
        refreshed, lambda s: views.build_capacity(s, options, sections=("runway",))
    )
    assert served_whole(found, "runway") and found.misses == 0 and not found.used
    assert view.runway.options == options
    assert_same_result(view.runway, fresh.runway)


def test_commitments_of_other_terms_or_windows_are_not_served_for_these(
    refreshed: Path,
) -> None:
    """Stored commitments are found only for their own terms, windows, month and set: each
    of these is computed (and equals a fresh one), never another's served."""
    months = computed(refreshed, lambda s: views.build_choices(s, None).full_months)
    base = SavingsOptions(base_month=months[0], lookback=(7, 30, 60))
    import dataclasses

    for options in (
        dataclasses.replace(base, term_years=3),
        dataclasses.replace(base, lookback=(7, 30)),
        dataclasses.replace(base, offering="ri_standard"),
        dataclasses.replace(base, settings=(("hours_per_month", 720.0),)),
    ):

        def build(s: Store, o: SavingsOptions = options) -> Any:
            return views.build_savings(s, o, sections=("commitments",))

        view, found = served(refreshed, build)
        assert found.fit_misses == 1 and not found.fits_used, options
        fresh = computed(refreshed, build)
        if isinstance(fresh.commitments, Excuse):
            assert view.commitments == fresh.commitments
        else:
            pd.testing.assert_frame_equal(view.commitments.table, fresh.commitments.table)


def test_a_stand_in_forecasters_commitments_are_never_stored(refreshed: Path) -> None:
    from forecasting.models.options import run_models
    from forecasting.savings.service import commitments

    calls: list[int] = []

    def stand_in(frame: pd.DataFrame, h: int, freq: str, options: Any) -> Any:
        calls.append(h)
        return run_models(frame, h, freq, options)

    options = SavingsOptions(lookback=(7, 30, 60))
    with Store.reader(refreshed) as store, stored.recording(store) as found:
        commitments(store, options, stand_in)
    # Neither served the stored (engine's) commitments nor kept its own for a refresh.
    assert calls and not found.fits_used
    assert "commitments" not in {kind for kind, _ in found.fits.values()}


def test_the_levers_of_another_month_or_set_are_not_served_for_this_one(
    refreshed: Path,
) -> None:
    """A stored lever is found only for its own base month, assumption set and level: the
    levers of the month before on the page read as the month before's."""
    months = computed(refreshed, lambda s: views.build_choices(s, None).full_months)
    for options in (
        SavingsOptions(base_month=months[1], lookback=(7, 30, 60)),
        SavingsOptions(level=50.0, base_month=months[0], lookback=(7, 30, 60)),
        SavingsOptions(base_month=months[0], settings=(("cpu_headroom", 0.05),)),
    ):
        view, found = served(refreshed, lambda s, o=options: views.build_savings(s, o))
        fresh = computed(refreshed, lambda s, o=options: views.build_savings(s, o))
        pd.testing.assert_frame_equal(view.levers.table, fresh.levers.table)
    # The edited headroom: a set of its own, so its levers and its commitments are not
    # stored: computed.
    assert found.fit_misses == 2


def test_savings_on_each_month_of_the_last_year_is_stored(
    refreshed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from forecasting.results.refresh import BASE_MONTHS

    months = computed(refreshed, lambda s: views.build_choices(s, None).full_months)
    assert len(months) > BASE_MONTHS
    no_fits(monkeypatch)
    for month in (months[1], months[BASE_MONTHS - 1]):
        options = SavingsOptions(base_month=month, lookback=(7, 30, 60))
        view, found = served(refreshed, lambda s, o=options: views.build_savings(s, o))
        assert found.misses == 0 and view.levers.base_month == month
    older = SavingsOptions(base_month=months[BASE_MONTHS], lookback=(7, 30, 60))
    with pytest.raises(AssertionError, match="although they are stored"):
        served(refreshed, lambda s: views.build_savings(s, older))  # computed when asked


def test_the_reviews_anomalies_of_the_last_year_are_stored(
    refreshed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from forecasting.results.refresh import REVIEW_MONTHS

    months = computed(refreshed, views.months_with_cost)  # newest (running) first
    assert len(months) > REVIEW_MONTHS
    no_fits(monkeypatch)
    for month in (months[0], months[2], months[REVIEW_MONTHS - 1]):
        found, memo = served(refreshed, lambda s, m=month: views.build_anomalies(s, m))
        assert memo.misses == 0 and isinstance(found, pd.DataFrame), (month, found)
    with pytest.raises(AssertionError, match="although they are stored"):
        served(refreshed, lambda s: views.build_anomalies(s, months[REVIEW_MONTHS]))


def test_every_stored_assumption_set_opens_without_fitting(
    scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store(scratch) as store:  # a set that sizes pods differently: a chain of its own
        base = store.load_assumptions("apex-capacity")
        store.save_assumptions("lean", {**base, "target_cpu_utilisation": 0.8}, "test")
    refresh(scratch)
    no_fits(monkeypatch)
    options = CapacityOptions(scenario="lean")
    view, found = served(scratch, lambda s: views.build_capacity(s, options))
    assert found.misses == 0 and found.fit_misses == 0
    assert view.plan.assumptions.target_utilisation == 0.8


# -- never stale -----------------------------------------------------------------------------------
def ingest_more_users(path: Path, tmp_path: Path) -> None:
    """The rest of November's users: the month completes, so the data's version changes."""
    days = pd.date_range("2026-11-27", "2026-11-30", freq="D")
    csv = tmp_path / "users.csv"
    pd.DataFrame({"ts": days.strftime("%Y-%m-%d"), "value": 25_000.0}).to_csv(csv, index=False)
    assert main(["ingest", "metrics", str(csv), "--metric", "users", "--db", str(path)]) == 0


def test_new_data_is_forecast_afresh_and_the_page_says_why(scratch: Path, tmp_path: Path) -> None:
    request = ForecastRequest("Users", 12, 80.0)
    before, found = served(scratch, lambda s: views.build_forecast(s, request))
    assert found.misses == 0
    # The rest of November: the month completes, so the users history gains a month.
    ingest_more_users(scratch, tmp_path)

    def build(store: Store) -> tuple[Any, str]:
        from forecasting.results.refresh import freshness_note

        with stored.reading(store) as found:
            view = views.build_forecast(store, request)
        return view, freshness_note(store, found, scratch)

    (after, note), _ = served(scratch, build)
    assert after.history["ds"].max() > before.history["ds"].max()
    pd.testing.assert_frame_equal(
        after.table, computed(scratch, lambda s: views.build_forecast(s, request)).table
    )
    assert "the data changed since they were stored" in note and "capcost refresh --db" in note


def test_new_data_models_the_levers_and_the_backtest_afresh(scratch: Path, tmp_path: Path) -> None:
    """A stored lever or backtest is keyed on the data's version: after an ingest the page
    computes them again (and equals a page built from scratch), never the old ones."""

    def build(store: Store) -> tuple[Any, Any]:
        savings = SavingsOptions(lookback=(7, 30, 60))
        return views.build_capacity(store, CapacityOptions()), views.build_savings(store, savings)

    _, found = served(scratch, build)
    assert found.fit_misses == 0
    ingest_more_users(scratch, tmp_path)
    (cap, sav), found = served(scratch, build)
    made = {kind for kind, _ in found.fits.values()} if found.fits else set()
    assert found.fit_misses >= 2 and not made  # computed, not recorded: a page's read
    fresh_cap, fresh_sav = computed(scratch, build)
    pd.testing.assert_frame_equal(cap.plan.cost_backtest, fresh_cap.plan.cost_backtest)
    pd.testing.assert_frame_equal(sav.levers.table, fresh_sav.levers.table)
    assert cap.plan.table["users"].notna().all()


def test_capacity_and_savings_open_on_a_database_never_refreshed(demo_db: Path) -> None:
    """Nothing stored (the plain demo, as an ingest leaves a database with CAPCOST_REFRESH=0):
    the levers and the backtest are computed, as they were before they were stored."""

    def build(store: Store) -> tuple[Any, Any]:
        savings = SavingsOptions(lookback=(7, 30, 60))
        return views.build_capacity(store, CapacityOptions()), views.build_savings(store, savings)

    (cap, sav), found = served(demo_db, build)
    assert found.misses > 0 and found.fit_misses > 0 and not found.fits_used
    assert not isinstance(cap.plan, Excuse) and not isinstance(sav.levers, Excuse)
    assert len(cap.plan.cost_backtest) == 2 and len(sav.levers.table) == 4


def test_a_cost_group_rule_change_is_forecast_afresh(scratch: Path) -> None:
    request = ForecastRequest("Cost by cost group", 12, 80.0)
    with Store(scratch) as store:
        rules = store.cost_group_rules()
        first = rules.iloc[0]["group_name"]
        store.set_cost_group_rules(
            rules.assign(group_name=rules["group_name"].replace(first, "Core"))
        )
    view, found = served(scratch, lambda s: views.build_forecast(s, request))
    assert found.misses > 0 and "Core" in set(view.table["unique_id"])
    # The total does not depend on the groups: it is still served.
    _, total = served(scratch, lambda s: views.build_forecast(s, ForecastRequest("Cost, total")))
    assert total.misses == 0


# -- refresh: idempotent, all or nothing, one-line errors -------------------------------
def fit_rows(path: Path) -> list[tuple[str, str, str]]:
    with Store.reader(path) as store:
        return store.con.execute("SELECT kind, key, value FROM fit_results ORDER BY key").fetchall()


def test_a_second_refresh_reuses_everything_and_stores_the_same(scratch: Path) -> None:
    """The first refresh also stored what the stored results were made from (the cost
    backtest's forecasts and chains, the levers' forecasts); the pages never read those, so
    the second keeps only what pages read (and what the plans and runways they read whole
    were made from, which serve other horizons), and a third changes nothing."""
    first = stored_rows(scratch)
    second = refresh(scratch)
    assert second.computed == 0 and 0 < second.reused < len(first)
    before, fits = stored_rows(scratch), fit_rows(scratch)
    assert set(before["key"]) < set(first["key"])
    # Nothing new was made, so what it kept is what is stored: every forecast and fit.
    assert second.kept == len(set(before["key"]) | {key for _, key, _ in fits})
    assert f"{second.kept:,} stored forecasts and fits kept" in second.line(scratch)
    summary = refresh(scratch)
    # Read: all but the forecasts kept for the plans' other horizons.
    assert summary.computed == 0 and summary.reused == second.reused <= len(before)
    after = stored_rows(scratch)
    assert after["key"].tolist() == before["key"].tolist()
    assert fit_rows(scratch) == fits  # kept as they were
    kinds = sorted({kind for kind, _, _ in fits})
    assert kinds == [
        "capacity plan",
        "capacity plan inputs",
        "commitments",
        "cost backtest",
        "demand chain",
        "forecast page total",
        "forecast page total inputs",
        "overview outlook",
        "overview outlook inputs",
        "runway",
        "runway inputs",
        "savings levers",
    ]
    for a, b in zip(after["paths"], before["paths"], strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_refresh_that_reads_the_plans_keeps_what_they_were_made_from(
    scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second refresh reads the plans and runways whole; the forecasts and fits they
    were made from stay stored, for the horizons the page offers but does not store whole."""
    again = refresh(scratch)
    assert again.computed == 0
    no_fits(monkeypatch)
    options = CapacityOptions(level=95.0, quarters=7, days=200)
    view, found = served(scratch, lambda s: views.build_capacity(s, options))
    assert found.misses == 0 and found.fit_misses == 2  # the plan and the runway, made now
    assert not isinstance(view.plan, Excuse) and not isinstance(view.runway, Excuse)


def test_paths_are_stored_once_however_many_levels_share_them(scratch: Path) -> None:
    """Each band level is a forecast of its own, but the levels draw the same paths: those are
    stored once (the runway's 1,000 x 365 per metric was most of the file four times over),
    and a refresh that drops a forecast drops paths no forecast names any more."""
    with Store.reader(scratch) as store:
        con = store.con
        named = con.execute("SELECT count(DISTINCT paths_digest) FROM forecast_results").fetchone()
        rows = con.execute("SELECT count(*), count(DISTINCT digest) FROM forecast_paths").fetchone()
        runway = con.execute(
            "SELECT unique_id, count(*), count(DISTINCT paths_digest) FROM forecast_results "
            "WHERE unique_id = 'cpu_utilization' AND n_paths > 0 GROUP BY ALL"
        ).fetchall()
    assert rows == (named[0], named[0])  # one row per content, none unnamed
    assert runway == [("cpu_utilization", 4, 1)]  # four levels, one array of paths
    with Store(scratch) as store:
        keep = [
            k
            for (k,) in store.con.execute(
                "SELECT key FROM forecast_results WHERE n_paths = 0"
            ).fetchall()
        ]
        store.replace_forecast_results(
            [], keep, started_at=pd.Timestamp.now(tz="UTC"), inputs_version="x"
        )
        left = store.con.execute("SELECT count(*) FROM forecast_paths").fetchone()
    assert left == (1,)  # the empty array the kept forecasts without paths share


def test_the_chain_fits_are_stored_and_serve_the_same_record(refreshed: Path) -> None:
    from forecasting.demand.record import cost_of_record

    with Store.reader(refreshed) as store:
        kinds = store.con.execute(
            "SELECT kind, count(*) FROM fit_results WHERE kind = 'demand chain' GROUP BY 1"
        ).fetchall()
    # The chain of record and one per backtest origin (the pages' levels share them).
    assert kinds == [("demand chain", 1 + chain.COST_ORIGINS)]
    fresh = computed(refreshed, cost_of_record)
    record, found = served(refreshed, cost_of_record)
    # The chain of record and the stored backtest (its origins' chains are not asked for).
    assert found.fit_misses == 0 and len(found.fits_used) == 2
    assert record.chain == fresh.chain
    pd.testing.assert_frame_equal(record.backtest, fresh.backtest)
    pd.testing.assert_frame_equal(record.chosen.quarters, fresh.chosen.quarters)


def test_an_edited_assumption_fits_its_own_chain(refreshed: Path) -> None:
    import dataclasses

    from forecasting.demand.record import cost_of_record
    from forecasting.scenario import load_capacity

    def build(store: Store) -> Any:
        a = load_capacity(store, None)
        return cost_of_record(store, assumptions=dataclasses.replace(a, rps_per_instance=90.0))

    record, found = served(refreshed, build)
    # Its chain, one per backtest origin and the backtest itself.
    assert found.fit_misses == 2 + chain.COST_ORIGINS and not found.fits_used
    assert record.chain == computed(refreshed, build).chain


def test_a_failed_refresh_leaves_the_stored_results(scratch: Path) -> None:
    before = stored_rows(scratch)

    def failing(store: Store) -> list[Callable[[], object]]:
        def boom() -> None:
            raise RuntimeError("a model blew up")

        return [
            lambda: views.build_outlook(store),
            lambda: views.build_forecast(store, ForecastRequest("Users", 3, 90.0)),
            boom,
        ]

    with pytest.raises(RuntimeError, match="blew up"):
        refresh(scratch, failing)
    pd.testing.assert_frame_equal(stored_rows(scratch), before)
    with Store.reader(scratch) as store:
        assert store.latest_refresh()["refresh_id"] == 1  # type: ignore[index]


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda t: t / "absent.duckdb", "no database at"),
        (
            lambda t: (t / "bill.csv", (t / "bill.csv").write_text("a,b\n1,2\n"))[0],
            "is not a DuckDB database",
        ),
        (lambda t: t, "is a folder"),
    ],
    ids=["missing", "not-duckdb", "folder"],
)
def test_refresh_of_a_bad_database_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make: Any, expected: str
) -> None:
    path = make(tmp_path)
    assert main(["refresh", "--db", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("capcost: error: ") and expected in err


def test_writers_refresh_after_they_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(REFRESH_ENV, "1")
    db = tmp_path / "small.duckdb"
    assert main(["demo", "--db", str(db), "--until", "2024-06-30", "--seed", "3"]) == 0
    assert "series forecasts computed" in capsys.readouterr().err
    with Store.reader(db) as store:
        assert store.latest_refresh() is not None


@pytest.mark.parametrize(
    ("argv", "writes"),
    [
        (["demo"], True),
        (["ingest", "focus", "x.csv"], True),
        (["ingest", "metrics", "x.csv", "--metric", "users"], True),
        (["ingest", "pricing", "--dry-run"], False),
        (["groups"], False),
        (["groups", "--set", "rules.csv"], True),
        (["forecast", "cost"], False),
        (["refresh"], False),
    ],
)
def test_which_commands_refresh(argv: list[str], writes: bool) -> None:
    from forecasting.cli import build_parser

    assert writes_data(build_parser().parse_args(argv)) is writes


# -- the pages read them without fitting --------------------------------------------
@pytest.fixture
def page_on(
    refreshed: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[str | None], AppTest]]:
    monkeypatch.setenv("CAPCOST_DB", str(refreshed))
    st.cache_data.clear()

    def open_page(page: str | None) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=180)
        at.run()
        if page is not None:
            at.switch_page(page)
            at.run()
        assert not at.exception, at.exception
        return at

    yield open_page
    st.cache_data.clear()


def no_stored_rebuilt(monkeypatch: pytest.MonkeyPatch) -> None:
    """``no_fits``, and neither the cost backtest nor the commitments made again: a stored
    result a page asks for with other-looking but equal options (a widget's 80 for the
    refresh's 80.0) is still found."""
    from forecasting.demand import record
    from forecasting.savings import service

    no_fits(monkeypatch)

    def refuse(what: str) -> Callable[..., Any]:
        def refused(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError(f"{what} again although it is stored")

        return refused

    monkeypatch.setattr(record, "backtest_cost", refuse("backtested the cost"))
    # Sizing a commitment scans three years of hourly usage and scores every window on the
    # paths: stored, it is neither fitted nor scanned.
    monkeypatch.setattr(service, "commitment_rows", refuse("sized the commitments"))


@pytest.mark.parametrize(
    ("page", "section"),
    [
        (None, None),
        ("app_pages/forecast.py", None),
        ("app_pages/capacity.py", None),
        ("app_pages/capacity.py", ("cap_section", "runway")),
        ("app_pages/savings.py", None),
        ("app_pages/savings.py", ("sv_section", "commitments")),
        ("app_pages/review.py", None),
    ],
)
def test_pages_open_on_stored_forecasts_without_fitting(
    page_on: Callable[[str | None], AppTest],
    monkeypatch: pytest.MonkeyPatch,
    page: str | None,
    section: tuple[str, str] | None,
) -> None:
    no_stored_rebuilt(monkeypatch)
    at = page_on(page)
    if section is not None:
        at.segmented_control(key=section[0]).set_value(section[1]).run()
        assert not at.exception, at.exception
    assert not [c.value for c in at.caption if "computed now" in c.value]
    assert at.get("plotly_chart") or at.metric
    if section == ("sv_section", "commitments"):
        assert not at.error and any("Recommended commitment" in m.label for m in at.metric)


@pytest.mark.parametrize(
    ("page", "section"),
    [
        ("app_pages/capacity.py", ("cap_section", "plan")),
        ("app_pages/savings.py", ("sv_section", "levers")),
        ("app_pages/savings.py", ("sv_section", "commitments")),
    ],
)
def test_a_level_change_on_capacity_and_savings_reads_what_is_stored(
    page_on: Callable[[str | None], AppTest],
    monkeypatch: pytest.MonkeyPatch,
    page: str,
    section: tuple[str, str],
) -> None:
    no_stored_rebuilt(monkeypatch)
    at = page_on(page)
    at.segmented_control(key=section[0]).set_value(section[1]).run()
    for level in (90, 50, 95):
        at.select_slider[0].set_value(level).run()
        assert not at.exception, at.exception
        assert not at.error, [e.value for e in at.error]
    assert not [c.value for c in at.caption if "computed now" in c.value]


@pytest.fixture(scope="module")
def two_sets(refreshed: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The refreshed demo with a second assumption set (pods sized at 80% CPU), refreshed."""
    path = copy_db(refreshed, tmp_path_factory.mktemp("two-sets") / "capcost.duckdb")
    with Store(path) as store:
        base = store.load_assumptions("apex-capacity")
        store.save_assumptions("lean", {**base, "target_cpu_utilisation": 0.8}, "test")
    refresh(path)
    return path


@pytest.mark.parametrize(
    ("page", "prefix"), [("app_pages/capacity.py", "cap"), ("app_pages/savings.py", "sv")]
)
def test_a_set_change_reads_what_is_stored_and_a_revisit_opens_no_store(
    two_sets: Path, monkeypatch: pytest.MonkeyPatch, page: str, prefix: str
) -> None:
    """The set picker: each set's plan, levers and choices served whole from the store, and
    a set seen before read from the app's cache without opening the database at all."""
    monkeypatch.setenv("CAPCOST_DB", str(two_sets))
    st.cache_data.clear()
    no_stored_rebuilt(monkeypatch)
    opened: list[object] = []
    reader = Store.reader.__func__  # type: ignore[attr-defined]

    def counted(cls: type[Store], *args: Any, **kwargs: Any) -> Store:
        opened.append(args)
        return reader(cls, *args, **kwargs)  # type: ignore[no-any-return]

    monkeypatch.setattr(Store, "reader", classmethod(counted))
    at = AppTest.from_file(str(APP), default_timeout=180)
    at.run()
    at.switch_page(page).run()

    def pick(name: str) -> None:
        at.selectbox(key=f"{prefix}_set").set_value(name).run()
        assert not at.exception, at.exception
        assert not at.error, [e.value for e in at.error]
        assert at.session_state["assumption_set"] == name

    for name in ("lean", "apex-capacity"):
        pick(name)
    assert opened, "the first visit of a set reads the database"
    seen = len(opened)
    for name in ("lean", "apex-capacity", "lean"):
        pick(name)
    assert len(opened) == seen, "a set seen before opened the database again"
    assert not [c.value for c in at.caption if "computed now" in c.value]
    st.cache_data.clear()


def test_stepping_back_through_the_reviews_months_reads_what_is_stored(
    refreshed: Path, page_on: Callable[[str | None], AppTest], monkeypatch: pytest.MonkeyPatch
) -> None:
    months = computed(refreshed, views.months_with_cost)
    no_fits(monkeypatch)
    at = page_on("app_pages/review.py")
    for month in months[2:6]:
        at.selectbox(key="review_month").set_value(month).run()
        assert not at.exception, at.exception
        assert at.selectbox(key="review_month").value == month
    assert not [c.value for c in at.caption if "computed now" in c.value]


def test_a_level_and_a_horizon_change_read_stored_forecasts(
    page_on: Callable[[str | None], AppTest], monkeypatch: pytest.MonkeyPatch
) -> None:
    no_fits(monkeypatch)
    at = page_on("app_pages/forecast.py")
    at.slider[0].set_value(21).run()
    at.select_slider[0].set_value(95).run()
    assert not at.exception, at.exception
    table = at.dataframe[-1].value
    assert len(table) == 21 and set(table["level"]) == {95.0}


@pytest.mark.parametrize("series", ["Cost, total", "Users", "Cost by cost group"])
@pytest.mark.parametrize("horizon", [3, 12, 15])
def test_a_horizon_is_a_slice_of_the_longest_forecast(
    refreshed: Path, series: str, horizon: int
) -> None:
    from forecasting.views.forecast import MAX_HORIZON

    def build(store: Store) -> tuple[Any, Any]:
        longest = views.build_forecast(store, ForecastRequest(series, MAX_HORIZON))
        return longest.upto(horizon), views.build_forecast(store, ForecastRequest(series, horizon))

    (sliced, asked), _ = served(refreshed, build)
    for name in ("table", "quarters", "backtest", "fits", "history", "methods", "method_scores"):
        a, b = getattr(sliced, name), getattr(asked, name)
        assert (a is None) == (b is None), name
        if a is not None:
            pd.testing.assert_frame_equal(a, b.reset_index(drop=True), obj=name)
    assert len(sliced.table) == horizon * len(sliced.series)
    assert (sliced.record, sliced.excuses, sliced.cards) == (
        asked.record,
        asked.excuses,
        asked.cards,
    )


def test_a_horizon_change_on_the_page_recomputes_nothing(
    page_on: Callable[[str | None], AppTest], monkeypatch: pytest.MonkeyPatch
) -> None:
    from forecasting.demand import record

    built = []
    original = record.cost_of_record
    monkeypatch.setattr(
        record, "cost_of_record", lambda *a, **k: built.append(1) or original(*a, **k)
    )
    at = page_on("app_pages/forecast.py")
    # The Overview's outlook and the Forecast page's total (at the longest horizon) are read
    # whole from the store: neither builds its cost of record, on opening or after.
    assert not built
    for horizon in (6, 21, 9):
        at.slider[0].set_value(horizon).run()
        assert not at.exception, at.exception
        assert len(at.dataframe[-1].value) == horizon
    assert not built  # each horizon a slice of the one read on opening


def test_a_page_without_stored_forecasts_computes_and_says_so(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAPCOST_DB", str(demo_db))  # the plain demo: nothing stored
    st.cache_data.clear()
    at = AppTest.from_file(str(APP), default_timeout=180)
    at.run()
    at.switch_page("app_pages/forecast.py")
    at.run()
    st.cache_data.clear()
    notes = [c.value for c in at.caption if "computed now" in c.value]
    assert len(notes) == 1 and "none are stored in this database yet" in notes[0]
    assert "capcost refresh --db" in notes[0]


def test_the_data_page_refreshes_in_a_process_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app import state
    from forecasting.demo import build_demo

    db = tmp_path / "small.duckdb"
    build_demo(db, until=pd.Timestamp("2024-06-30").date(), seed=3)
    monkeypatch.setenv("CAPCOST_DB", str(db))
    monkeypatch.setenv(REFRESH_ENV, "0")
    assert state.start_refresh() is None
    monkeypatch.setenv(REFRESH_ENV, "1")
    proc = state.start_refresh()
    assert proc is not None and proc.wait(timeout=600) == 0
    with Store.reader(db) as store:
        assert store.latest_refresh() is not None
    assert "series forecasts computed" in Path(f"{db}.refresh.log").read_text()


def test_a_key_ignores_summation_noise_but_not_a_change() -> None:
    from forecasting.models.engine import SeriesJob
    from forecasting.models.validation import frequency_from_alias

    y = np.linspace(1000.0, 2000.0, 30)
    job = SeriesJob("total", y, pd.Timestamp("2026-10-01"), frequency_from_alias("MS"), 12, (80.0,))

    def key(**changes: Any) -> str:
        import dataclasses

        return stored.job_key(dataclasses.replace(job, **changes))

    # A sum taken in another order differs in its last bits: the same history.
    assert key(y=y * (1 + 2e-16)) == key()
    assert key(h=24) == key()  # the horizon is sliced, never keyed
    changed = y.copy()
    changed[-1] += 1.0
    assert len({key(), key(y=changed), key(levels=(95.0,)), key(seed=1), key(model="ets")}) == 5


# -- the Overview's outlook and the Forecast page's total, stored whole ---------------------------
def no_cost_of_record(monkeypatch: pytest.MonkeyPatch) -> None:
    from forecasting.demand import record

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("built the cost of record although the view is stored")

    monkeypatch.setattr(record, "cost_of_record", refuse)


def assert_same_view(got: Any, fresh: Any) -> None:
    """Two views field by field: frames by their values (a stored frame's index is a range)."""
    for name, value in vars(fresh).items():
        other = getattr(got, name)
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(
                other, value.reset_index(drop=True), obj=name, check_index_type=False
            )
        else:
            assert other == value, name


@pytest.mark.parametrize("level", [80.0, 50.0, 95.0])
def test_the_forecast_pages_total_is_served_whole_at_each_level(
    refreshed: Path, level: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    from forecasting.views.forecast import MAX_HORIZON

    request_ = ForecastRequest("Cost, total", MAX_HORIZON, level)
    fresh = computed(refreshed, lambda s: views.build_forecast(s, request_))
    no_cost_of_record(monkeypatch)
    no_fits(monkeypatch)
    view, found = served(refreshed, lambda s: views.build_forecast(s, request_))
    assert found.misses == 0 and found.fit_misses == 0
    assert "forecast page total" in found.fits_read
    assert_same_view(view, fresh)


def test_the_overviews_outlook_is_served_whole(
    refreshed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = computed(refreshed, views.build_outlook)
    assert not isinstance(fresh, Excuse)
    no_cost_of_record(monkeypatch)
    no_fits(monkeypatch)
    outlook, found = served(refreshed, views.build_outlook)
    assert found.fit_misses == 0 and outlook == fresh
    assert [c.value for c in outlook.cards] == [c.value for c in fresh.cards]


def test_a_stored_view_is_not_served_for_another_request_or_new_data(
    scratch: Path, tmp_path: Path
) -> None:
    from forecasting.views.forecast import MAX_HORIZON

    # A horizon the page does not build is computed, and right.
    shorter = ForecastRequest("Cost, total", 6, 80.0)
    fresh = computed(scratch, lambda s: views.build_forecast(s, shorter))
    view, found = served(scratch, lambda s: views.build_forecast(s, shorter))
    assert found.fit_misses >= 1
    assert_same_view(view, fresh)
    # New data: both are computed again, never the old ones served.
    longest = ForecastRequest("Cost, total", MAX_HORIZON, 80.0)

    def build(store: Store) -> tuple[Any, Any]:
        return views.build_forecast(store, longest), views.build_outlook(store)

    _, found = served(scratch, build)
    assert found.fit_misses == 0
    ingest_more_users(scratch, tmp_path)
    (total, outlook), found = served(scratch, build)
    assert found.fit_misses >= 2
    fresh_total, fresh_outlook = computed(scratch, build)
    assert_same_view(total, fresh_total)
    assert outlook == fresh_outlook
