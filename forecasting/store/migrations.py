"""Numbered schema migrations, applied in order on open; never edit one that has shipped."""

from __future__ import annotations

# Cost columns are DECIMAL so that sums of billing rows match the invoice to the cent; 12
# decimal places keep the sub-cent unit prices that exports carry (0.0000004 per request).
MONEY = "DECIMAL(38, 12)"

_V1_CORE = f"""
CREATE SEQUENCE IF NOT EXISTS ingest_run_seq START 1;

CREATE TABLE ingest_runs (
    run_id       BIGINT PRIMARY KEY DEFAULT nextval('ingest_run_seq'),
    source       VARCHAR NOT NULL,
    parameters   JSON,
    started_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ,
    rows         BIGINT,
    status       VARCHAR NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'abandoned')),
    error        VARCHAR,
    watermark    VARCHAR,
    pid          INTEGER
);

-- FOCUS 1.2 columns by their FOCUS names; x_ columns are capcost's own (FOCUS's prefix for
-- custom columns). Timestamps are UTC, stored naive.
CREATE TABLE cost_line_items (
    ChargePeriodStart         TIMESTAMP NOT NULL,
    ChargePeriodEnd           TIMESTAMP NOT NULL,
    BillingPeriodStart        TIMESTAMP NOT NULL,
    BillingPeriodEnd          TIMESTAMP,
    BillingAccountId          VARCHAR,
    BillingAccountName        VARCHAR,
    BillingCurrency           VARCHAR NOT NULL,
    BilledCost                {MONEY} NOT NULL,
    EffectiveCost             {MONEY},
    ListCost                  {MONEY},
    ContractedCost            {MONEY},
    ProviderName              VARCHAR,
    PublisherName             VARCHAR,
    InvoiceIssuerName         VARCHAR,
    ServiceName               VARCHAR,
    ServiceCategory           VARCHAR,
    SubAccountId              VARCHAR,
    SubAccountName            VARCHAR,
    RegionId                  VARCHAR,
    ResourceId                VARCHAR,
    ResourceName              VARCHAR,
    ResourceType              VARCHAR,
    SkuId                     VARCHAR,
    PricingCategory           VARCHAR,
    ChargeCategory            VARCHAR,
    ChargeClass               VARCHAR,
    ChargeDescription         VARCHAR,
    CommitmentDiscountId      VARCHAR,
    CommitmentDiscountType    VARCHAR,
    ConsumedQuantity          DOUBLE,
    ConsumedUnit              VARCHAR,
    PricingQuantity           DOUBLE,
    PricingUnit               VARCHAR,
    Tags                      JSON,
    x_source                  VARCHAR NOT NULL,
    x_run_id                  BIGINT NOT NULL
);

CREATE TABLE metric_definitions (
    metric       VARCHAR PRIMARY KEY,
    unit         VARCHAR NOT NULL,
    aggregation  VARCHAR NOT NULL CHECK (aggregation IN ('mean', 'max', 'sum', 'last')),
    description  VARCHAR NOT NULL DEFAULT ''
);

-- dimensions is canonical JSON (sorted keys), '{{}}' for none, so it can be part of a key.
CREATE TABLE metric_observations (
    ts          TIMESTAMP NOT NULL,
    metric      VARCHAR NOT NULL,
    dimensions  VARCHAR NOT NULL DEFAULT '{{}}',
    value       DOUBLE NOT NULL,
    unit        VARCHAR NOT NULL,
    source      VARCHAR NOT NULL,
    run_id      BIGINT NOT NULL
);

-- Business rules mapping billing dimensions to budget categories (like AWS Cost Categories).
-- A NULL matcher is a wildcard; the lowest priority number that matches wins.
CREATE TABLE cost_group_rules (
    priority          INTEGER NOT NULL,
    group_name        VARCHAR NOT NULL,
    provider_name     VARCHAR,
    service_name      VARCHAR,
    service_category  VARCHAR,
    charge_category   VARCHAR,
    tag_key           VARCHAR,
    tag_value         VARCHAR,
    PRIMARY KEY (priority)
);

-- Daily rollups: pages and forecasts read these, never the line items.
CREATE TABLE cost_daily (
    day               DATE NOT NULL,
    BillingCurrency   VARCHAR NOT NULL,
    ProviderName      VARCHAR,
    ServiceName       VARCHAR,
    ServiceCategory   VARCHAR,
    SubAccountId      VARCHAR,
    RegionId          VARCHAR,
    PricingCategory   VARCHAR,
    ChargeCategory    VARCHAR,
    cost_group        VARCHAR NOT NULL,
    x_source          VARCHAR NOT NULL,
    BilledCost        {MONEY} NOT NULL,
    EffectiveCost     {MONEY} NOT NULL,
    ListCost          {MONEY} NOT NULL,
    line_items        BIGINT NOT NULL
);

CREATE TABLE metric_daily (
    day         DATE NOT NULL,
    metric      VARCHAR NOT NULL,
    dimensions  VARCHAR NOT NULL,
    mean        DOUBLE NOT NULL,
    max         DOUBLE NOT NULL,
    min         DOUBLE NOT NULL,
    sum         DOUBLE NOT NULL,
    last        DOUBLE NOT NULL,
    n           BIGINT NOT NULL,
    unit        VARCHAR NOT NULL,
    source      VARCHAR NOT NULL
);

-- Versioned assumption sets (capacity, savings, scenarios): payload is JSON.
CREATE TABLE assumption_sets (
    name        VARCHAR NOT NULL,
    version     INTEGER NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    note        VARCHAR NOT NULL DEFAULT '',
    payload     JSON NOT NULL,
    PRIMARY KEY (name, version)
);

-- Frozen forecasts ("plan of record") so the monthly review compares actuals with the plan.
CREATE SEQUENCE IF NOT EXISTS plan_seq START 1;
CREATE TABLE plans (
    plan_id      BIGINT PRIMARY KEY DEFAULT nextval('plan_seq'),
    name         VARCHAR NOT NULL,
    metric       VARCHAR NOT NULL,
    freq         VARCHAR NOT NULL,
    unit         VARCHAR NOT NULL,
    as_of        DATE NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    model        VARCHAR NOT NULL,
    level        INTEGER,
    assumptions  JSON NOT NULL
);
CREATE TABLE plan_values (
    plan_id    BIGINT NOT NULL,
    unique_id  VARCHAR NOT NULL,
    ds         DATE NOT NULL,
    forecast   DOUBLE NOT NULL,
    lower      DOUBLE,
    upper      DOUBLE,
    PRIMARY KEY (plan_id, unique_id, ds)
);

-- A stated savings plan (initiatives as someone wrote them down), reconciled by capcost savings.
CREATE TABLE stated_savings (
    plan_name        VARCHAR NOT NULL,
    line_no          INTEGER NOT NULL,
    initiative       VARCHAR NOT NULL,
    category         VARCHAR NOT NULL,
    percent          DOUBLE,
    monthly_savings  DOUBLE,
    currency         VARCHAR NOT NULL DEFAULT 'USD',
    PRIMARY KEY (plan_name, line_no)
);
"""

# What a run reports beyond its row count (API requests made, bytes scanned, estimated
# periods...), so the run log keeps it and not only the terminal that ran it.
_V2_RUN_DETAIL = """
ALTER TABLE ingest_runs ADD COLUMN detail JSON;
"""

# Savings evidence: what runs (the inventory behind the compute bill), what the CDN served, and
# what the database spent its time on (pg_stat_statements over a stated window).
_V3_EVIDENCE = """
CREATE TABLE compute_inventory (
    day            DATE NOT NULL,
    resource_id    VARCHAR NOT NULL,
    platform       VARCHAR NOT NULL,
    instance_type  VARCHAR NOT NULL,
    vcpu           DOUBLE NOT NULL,
    memory_gib     DOUBLE NOT NULL,
    instances      DOUBLE NOT NULL,
    hours          DOUBLE NOT NULL,
    source         VARCHAR NOT NULL,
    run_id         BIGINT NOT NULL
);

CREATE TABLE cdn_analytics (
    day              DATE NOT NULL,
    provider         VARCHAR NOT NULL,
    zone             VARCHAR NOT NULL,
    requests         DOUBLE NOT NULL,
    cached_requests  DOUBLE NOT NULL,
    bytes            DOUBLE NOT NULL,
    cached_bytes     DOUBLE NOT NULL,
    source           VARCHAR NOT NULL,
    run_id           BIGINT NOT NULL
);

-- queryid is PostgreSQL's signed 64-bit hash; total_exec_time is milliseconds over the window.
CREATE TABLE query_stats (
    period_start      TIMESTAMP NOT NULL,
    period_end        TIMESTAMP NOT NULL,
    database          VARCHAR NOT NULL,
    queryid           BIGINT NOT NULL,
    query             VARCHAR,
    calls             DOUBLE NOT NULL,
    total_exec_time   DOUBLE NOT NULL,
    rows              DOUBLE NOT NULL,
    shared_blks_read  DOUBLE,
    source            VARCHAR NOT NULL,
    run_id            BIGINT NOT NULL
);
"""

# Forecasts made when the data changes (`capcost refresh`, after the demo and each ingest), so
# that no page fits a model on its first visit. Typed columns, never pickles: a database file
# may come from someone else. ``key`` digests one series' history, the engine's code and the
# forecast's parameters except the horizon: a month's forecast does not depend on it, so the
# longest one is stored and sliced. Paths are row-major, n_paths x horizon.
_V4_FORECAST_RESULTS = """
CREATE TABLE forecast_results (
    key         VARCHAR NOT NULL,
    horizon     INTEGER NOT NULL,
    unique_id   VARCHAR NOT NULL,
    model       VARCHAR NOT NULL,
    ds          TIMESTAMP[] NOT NULL,
    mean        DOUBLE[] NOT NULL,
    n_paths     INTEGER NOT NULL,
    paths       DOUBLE[] NOT NULL,
    refresh_id  BIGINT NOT NULL
);
CREATE TABLE forecast_bands (
    key      VARCHAR NOT NULL,
    level    DOUBLE NOT NULL,
    lower    DOUBLE[] NOT NULL,
    upper    DOUBLE[] NOT NULL
);
CREATE TABLE forecast_candidates (
    key       VARCHAR NOT NULL,
    model     VARCHAR NOT NULL,
    forecast  DOUBLE[] NOT NULL,
    lower     DOUBLE[] NOT NULL,
    upper     DOUBLE[] NOT NULL
);
CREATE TABLE forecast_backtests (
    key        VARCHAR NOT NULL,
    unique_id  VARCHAR NOT NULL,
    model      VARCHAR NOT NULL,
    selected   BOOLEAN NOT NULL,
    horizon    INTEGER,
    windows    INTEGER,
    errors     INTEGER,
    mase       DOUBLE,
    smape      DOUBLE,
    mape       DOUBLE,
    bias       DOUBLE,
    bias_pct   DOUBLE,
    level      DOUBLE,
    coverage   DOUBLE
);
CREATE TABLE forecast_excuses (
    key       VARCHAR NOT NULL,
    position  INTEGER NOT NULL,
    reason    VARCHAR NOT NULL,
    context   JSON NOT NULL
);
-- One row per refresh that committed: the inputs' version it saw (data, cost group rules,
-- assumption sets, plans of record), so a page can say its stored results are out of date.
CREATE SEQUENCE IF NOT EXISTS refresh_seq START 1;
CREATE TABLE result_refreshes (
    refresh_id      BIGINT PRIMARY KEY DEFAULT nextval('refresh_seq'),
    started_at      TIMESTAMPTZ NOT NULL,
    finished_at     TIMESTAMPTZ NOT NULL,
    inputs_version  VARCHAR NOT NULL,
    computed        INTEGER NOT NULL,
    reused          INTEGER NOT NULL
);
"""

# Sample paths stored once per content: a series forecast at each band level draws the same
# paths (the level sets the band, not the draws), so the pages' four levels stored each
# 1,000 x 365 runway four times, most of a refreshed database. ``paths_digest`` names the
# content (the writer's digest; rows migrated here get an md5 of the text, as unique).
_V5_SHARED_PATHS = """
CREATE TABLE forecast_paths (
    digest  VARCHAR NOT NULL,
    paths   DOUBLE[] NOT NULL
);
ALTER TABLE forecast_results ADD COLUMN paths_digest VARCHAR;
UPDATE forecast_results SET paths_digest = md5(paths::VARCHAR);
INSERT INTO forecast_paths
    SELECT paths_digest, any_value(paths) FROM forecast_results GROUP BY paths_digest;
ALTER TABLE forecast_results DROP COLUMN paths;
"""

# Model fits the refresh made beside its forecasts (``models.stored_fits``): the demand chain's
# ratios and per-group cost lines at each backtest origin, which the pages' cost forecast of
# record reads instead of running a dozen robust regressions. ``value`` is the fit as JSON text
# (VARCHAR: a fit may hold NaN, which the JSON type refuses); ``key`` digests its inputs.
_V6_FIT_RESULTS = """
CREATE TABLE fit_results (
    key         VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,
    value       VARCHAR NOT NULL,
    refresh_id  BIGINT NOT NULL
);
"""

# Compute usage at its own granularity (an hourly CUR's hours), rolled up from the line items
# as cost_daily is, so that commitments read it instead of scanning the bill: 3 s a read on
# ten million line items. Filled here from the line items stored so far; each ingest keeps it
# up to date for the days it touches (``store.costs``).
_V7_COMPUTE_USAGE = f"""
CREATE TABLE compute_usage (
    ChargePeriodStart       TIMESTAMP NOT NULL,
    ChargePeriodEnd         TIMESTAMP NOT NULL,
    BillingCurrency         VARCHAR NOT NULL,
    ServiceName             VARCHAR,
    RegionId                VARCHAR,
    SkuId                   VARCHAR,
    ChargeDescription       VARCHAR,
    PricingCategory         VARCHAR,
    CommitmentDiscountType  VARCHAR,
    ListCost                {MONEY},
    cost                    {MONEY},
    ConsumedQuantity        DOUBLE
);
INSERT INTO compute_usage
SELECT ChargePeriodStart, ChargePeriodEnd, BillingCurrency, ServiceName, RegionId, SkuId,
       ChargeDescription, PricingCategory, CommitmentDiscountType,
       sum(coalesce(ListCost, EffectiveCost, BilledCost)),
       sum(coalesce(EffectiveCost, BilledCost)),
       sum(ConsumedQuantity)
FROM cost_line_items
WHERE ChargeCategory = 'Usage' AND (ServiceCategory = 'Compute' OR lower(ServiceName) IN
      ('amazon elastic compute cloud', 'amazon elastic container service', 'aws fargate',
       'aws lambda'))
GROUP BY ALL;
"""

# A stored backtest row also says what its band's coverage is without the population prior
# (the Forecast page shows both: the prior only widens a band). Rows stored before have
# another engine's key, so they are never served; they keep NULL.
_V8_COVERAGE_NO_PRIOR = """
ALTER TABLE forecast_backtests ADD COLUMN IF NOT EXISTS coverage_no_prior DOUBLE;
"""

# A stored band also keeps the band the series' own backtest errors alone would give (the
# Forecast page says how much of a band's width is the population prior's). Rows stored
# before have another engine's key, so they are never served; they keep NULL.
_V9_OWN_BANDS = """
ALTER TABLE forecast_bands ADD COLUMN IF NOT EXISTS own_lower DOUBLE[];
ALTER TABLE forecast_bands ADD COLUMN IF NOT EXISTS own_upper DOUBLE[];
"""

# No ART indexes: they slow DuckDB's bulk inserts and deletes, and zone maps already prune
# the range scans the store makes.
MIGRATIONS: list[tuple[int, str, str]] = [
    (1, "core schema", _V1_CORE),
    (2, "run detail", _V2_RUN_DETAIL),
    (3, "savings evidence", _V3_EVIDENCE),
    (4, "forecast results", _V4_FORECAST_RESULTS),
    (5, "forecast paths stored once", _V5_SHARED_PATHS),
    (6, "model fits stored", _V6_FIT_RESULTS),
    (7, "compute usage rollup", _V7_COMPUTE_USAGE),
    (8, "backtest coverage without the prior", _V8_COVERAGE_NO_PRIOR),
    (9, "bands without the prior", _V9_OWN_BANDS),
]
