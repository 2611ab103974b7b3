"""The shipped price catalogue, its lookups and tiered prices, against hand calculations."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from forecasting.errors import InputError, UnknownNameError
from forecasting.scenario.catalogue import (
    Catalogue,
    Offering,
    Payment,
    PriceTier,
    load_catalogue,
    read_tables,
    tiered_cost,
)


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def test_catalogue_says_it_is_illustrative_and_dated(catalogue: Catalogue) -> None:
    assert catalogue.label() == "illustrative prices as of 2025-06-01"
    families = {t.family for t in catalogue.instance_types()}
    assert {"m6i", "m7i", "c6i", "c7i", "r6i", "t3", "m7g", "c7g"} <= families
    assert {"Supabase", "AWS"} <= set(catalogue.database["provider"])


def test_commitment_rates_match_hand_calculation(catalogue: Catalogue) -> None:
    au = catalogue.rate("m6i.large", Offering.RI_STANDARD, 3, Payment.ALL_UPFRONT)
    assert au.upfront_usd == 996 and au.hourly_usd == 0
    assert au.term_hours() == 3 * 8760
    assert au.effective_hourly() == pytest.approx(996 / 26_280)
    assert au.discount() == pytest.approx(1 - (996 / 26_280) / 0.096)
    assert au.upfront_share() == pytest.approx(1.0)
    pu = catalogue.rate("m6i.large", Offering.RI_STANDARD, 1, Payment.PARTIAL_UPFRONT)
    assert pu.effective_hourly() == pytest.approx(0.02856 + 250 / 8760)
    assert pu.effective_hourly(hours_per_month=720) == pytest.approx(0.02856 + 250 / 8640)
    nu = catalogue.rate("m6i.large", Offering.COMPUTE_SP, 1, Payment.NO_UPFRONT)
    assert nu.upfront_share() == 0 and nu.discount() == pytest.approx(0.28)


def test_every_commitment_is_cheaper_than_on_demand(catalogue: Catalogue) -> None:
    for t in catalogue.instance_types():
        for offering in (Offering.RI_STANDARD, Offering.COMPUTE_SP):
            for years in (1, 3):
                for payment in Payment:
                    rate = catalogue.rate(t.name, offering, years, payment)
                    assert 0.25 < rate.discount() < 0.7, (t.name, offering, years, payment)


def test_burstable_types_sustain_their_baseline_only(catalogue: Catalogue) -> None:
    assert catalogue.instance("t3.large").sustained_vcpu == pytest.approx(0.6)
    assert catalogue.instance("m6i.large").sustained_vcpu == 2


def test_database_tiers_cheapest_first(catalogue: Catalogue) -> None:
    tiers = catalogue.database_tiers("Supabase")
    prices = [t.hourly_usd for t in tiers]
    assert prices == sorted(prices) and tiers[0].tier == "micro"
    assert catalogue.database_tier("Supabase", "large").monthly_usd() == pytest.approx(0.1517 * 730)


def test_tiered_cost_charges_each_band_at_its_price(catalogue: Catalogue) -> None:
    tiers = catalogue.price_tiers("CloudFront", "egress_internet")
    assert tiered_cost(15 * 1024, tiers) == pytest.approx(10_240 * 0.085 + 5_120 * 0.080)
    assert tiered_cost(0, tiers) == 0
    assert tiers[-1].end == math.inf
    supabase = catalogue.price_tiers("Supabase", "egress_internet")
    assert tiered_cost(200, supabase) == 0  # inside the included 250 GB
    assert tiered_cost(1250, supabase) == pytest.approx(1000 * 0.09)


def test_tiered_cost_rejects_negative_quantity() -> None:
    with pytest.raises(InputError, match="quantity"):
        tiered_cost(-1, [PriceTier(0, math.inf, 1.0)])


def test_unknown_names_list_the_known_ones(catalogue: Catalogue) -> None:
    with pytest.raises(UnknownNameError, match=r"Try: .*m6i\.large"):
        catalogue.instance("m6i.lrage")
    with pytest.raises(UnknownNameError, match="Supabase"):
        catalogue.database_tiers("Neon")
    with pytest.raises(UnknownNameError, match="CloudFront egress_internet"):
        catalogue.price_tiers("Fastly", "egress_internet")


def _tables() -> dict[str, pd.DataFrame]:
    return read_tables()


def test_bad_price_names_file_row_and_column() -> None:
    tables = _tables()
    tables["compute"].loc[3, "hourly_usd"] = "-0.1"
    with pytest.raises(InputError, match=r"file compute.csv, row 5, column 'hourly_usd'"):
        Catalogue(**tables)


def test_duplicate_and_missing_columns_are_rejected() -> None:
    tables = _tables()
    tables["database"] = pd.concat([tables["database"], tables["database"].iloc[[0]]])
    with pytest.raises(InputError, match=r"database\.csv.*duplicate provider, tier"):
        Catalogue(**tables)
    tables = _tables()
    tables["metered"] = tables["metered"].drop(columns="price_usd")
    with pytest.raises(InputError, match=r"metered\.csv.*price_usd"):
        Catalogue(**tables)


def test_missing_catalogue_folder_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"compute\.csv"):
        load_catalogue(tmp_path)


def test_the_catalogue_is_read_once_per_version_of_its_files(tmp_path: Path) -> None:
    from forecasting.scenario.catalogue import FILES, folder

    for name in FILES.values():
        (tmp_path / name).write_bytes((folder() / name).read_bytes())
    first = load_catalogue(tmp_path)
    assert load_catalogue(tmp_path) is first  # unchanged files: not read again
    metered = tmp_path / FILES["metered"]
    text = metered.read_text()
    rows = text.splitlines()
    header, row = rows[0], rows[1].split(",")
    column = header.split(",").index("price_usd")
    row[column] = "123.456"
    metered.write_text("\n".join([header, ",".join(row), *rows[2:]]) + "\n")
    again = load_catalogue(tmp_path)  # a refreshed price list is read afresh
    assert again is not first
    assert 123.456 in set(again.metered["price_usd"].astype(float))
