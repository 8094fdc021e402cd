-- Warehouse layout. One DuckDB file; the ETL builds a new file and swaps it in, the app opens it read-only.
-- Layers: etl_* (lineage), dim_* (places), fct_* (plan and actual facts), mart_* (what the app reads).

CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR);
-- keys: schema_version, warehouse_version (changes on every successful load), built_at (ISO timestamp),
--       demo ('true'/'false'), data_as_of (latest household snapshot, YYYY-MM-DD)

CREATE TABLE etl_loads (
    load_id INTEGER PRIMARY KEY,
    started_at TIMESTAMP, finished_at TIMESTAMP,
    source VARCHAR,                    -- folder or file given to `python -m etl load`
    status VARCHAR,                    -- 'loaded' | 'unchanged' (every file already loaded)
    rows_in BIGINT, rows_loaded BIGINT, rows_rejected BIGINT,
    demo BOOLEAN
);
CREATE TABLE etl_load_files (
    load_id INTEGER, file_name VARCHAR, table_name VARCHAR, sha256 VARCHAR,
    rows_in BIGINT, rows_loaded BIGINT, rows_rejected BIGINT,
    status VARCHAR,                    -- 'loaded' | 'unchanged' (same checksum loaded before)
    as_of DATE                         -- households snapshots only
);
CREATE TABLE etl_rejects (
    load_id INTEGER, table_name VARCHAR, file_name VARCHAR,
    line BIGINT,                       -- 1-based line (CSV) or row (XLSX) in the file
    column_name VARCHAR, rule VARCHAR, value VARCHAR, message VARCHAR,
    county_code VARCHAR                -- the row's county (its county_code, or its village code's first 6 digits);
);                                     -- NULL when it has none (province/prefecture rows, unreadable codes)
CREATE TABLE etl_warnings (         -- loaded rows that break a register rule: they count, and are listed to correct
    load_id INTEGER, table_name VARCHAR, file_name VARCHAR,
    line BIGINT,                       -- as in etl_rejects
    column_name VARCHAR, rule VARCHAR,
    as_of DATE, household_id VARCHAR, village_code VARCHAR, county_code VARCHAR,  -- the row's key
    message VARCHAR                    -- fixed text per rule: no name, ID number or birth date
);                                     -- a snapshot's warnings go when a new file replaces that snapshot

CREATE TABLE dim_prefecture (
    prefecture_code VARCHAR PRIMARY KEY, -- 6 digits, e.g. 622900
    prefecture_name VARCHAR
);
CREATE TABLE dim_county (
    county_code VARCHAR PRIMARY KEY,   -- GB/T 2260, 6 digits
    county_name VARCHAR,
    prefecture_code VARCHAR,
    is_poverty_county BOOLEAN,
    poverty_type VARCHAR,              -- '片区' | '插花' | NULL
    deep_poverty VARCHAR,              -- '两州一县' | '省定' | NULL
    rural_population BIGINT,
    planned_exit_year SMALLINT,        -- 2017 means exited before the plan (the 18 of 2017)
    actual_exit_year SMALLINT,         -- assessment year; counted as exited from 31 Dec of that year
    actual_exit_date DATE,             -- date the exit was approved/announced, when known
    load_id INTEGER
);
CREATE TABLE dim_village (
    village_code VARCHAR PRIMARY KEY,  -- 12 digits, first 6 = county_code
    village_name VARCHAR, township_name VARCHAR,
    county_code VARCHAR,
    village_category VARCHAR,          -- '建档立卡贫困村' | '深度贫困非建档村'
    is_deep_poverty BOOLEAN,
    rural_population BIGINT,
    planned_exit_year SMALLINT,        -- <= 2017: exited before the plan (the 907)
    actual_exit_year SMALLINT,         -- counted as exited from 31 Dec of that year
    lon DOUBLE, lat DOUBLE,            -- WGS-84
    location_source VARCHAR,           -- 'reported' (from the file, checked) | 'synthetic' (generated inside the county)
    load_id INTEGER
);

CREATE TABLE fct_county_target (
    county_code VARCHAR, year SMALLINT, indicator VARCHAR, target BIGINT, load_id INTEGER,
    PRIMARY KEY (county_code, year, indicator)
);
-- indicators: people_exit, households_exit, villages_exit, industry_people, employment_people, relocation_people,
--             ecology_people, social_security_people, housing_households, water_households

CREATE TABLE fct_household_snapshot (
    as_of DATE,                        -- quarter end of the snapshot
    household_id VARCHAR,
    village_code VARCHAR, county_code VARCHAR,
    household_size SMALLINT,
    head_name VARCHAR,                 -- personal data: never leaves the server unmasked
    head_id_number VARCHAR,            -- personal data, 18 characters
    household_attribute VARCHAR,       -- 一般贫困户 | 低保贫困户 | 特困供养贫困户
    main_cause VARCHAR,
    pathways VARCHAR,                  -- as given, normalised to '产业,就业,…' in canonical order
    pw_industry BOOLEAN, pw_employment BOOLEAN, pw_relocation BOOLEAN, pw_ecology BOOLEAN,
    pw_social_security BOOLEAN, pw_housing BOOLEAN, pw_water BOOLEAN,
    planned_exit_year SMALLINT,
    status VARCHAR,                    -- 未脱贫 | 已脱贫 | 返贫
    exit_date DATE,
    load_id INTEGER
);

-- ref_plan_figures, ref_counties, ref_province_totals, ref_published_progress: data/reference/*.csv (public
-- facts with sources, as text), refreshed at every load; ref_plan_targets: plan_targets.csv (the catalog of the
-- plan's targets) with deadline DATE and value DOUBLE, the rest as text.

-- progress of the plan's targets as loaded from the input table target_progress (指标进展)
CREATE TABLE fct_target_progress (
    target_id VARCHAR,                 -- an id of ref_plan_targets
    unit_code VARCHAR,                 -- 620000, a prefecture, county or village code
    unit_level VARCHAR,                -- 'province' | 'prefecture' | 'county' | 'village'
    period_end DATE, value DOUBLE,     -- value in the target's unit
    is_demo BOOLEAN,                   -- loaded from a demo folder (DEMO.json)
    source VARCHAR, note VARCHAR, load_id INTEGER,
    PRIMARY KEY (target_id, unit_code, period_end)
);
-- what the app reads: fct_target_progress plus the real published figures (data/reference/published_progress.csv,
-- is_demo false, source = its citation), rebuilt at every load. A published figure replaces a demo row of the same
-- key; a non-demo loaded row replaces the published one (the county's own file is the newer word).
CREATE TABLE target_progress (
    target_id VARCHAR, unit_code VARCHAR, unit_level VARCHAR, period_end DATE, value DOUBLE,
    is_demo BOOLEAN, source VARCHAR, note VARCHAR, load_id INTEGER,
    county_code VARCHAR,               -- the unit's county (county and village rows), else NULL
    prefecture_code VARCHAR,           -- the unit's prefecture (prefecture, county and village rows), else NULL
    origin VARCHAR,                    -- 'input' (a loaded file) | 'published' (published_progress.csv)
    PRIMARY KEY (target_id, unit_code, period_end)
);

-- ---- marts: rebuilt from dim/fct after every load (etl/marts.py) ----
-- mart_snapshot(as_of, quarter_label '2019Q2', is_latest)
-- mart_county_year(as_of, county_code, year 2018..2020, pathway 'all'|'industry'|…|'water',
--                  plan_people, actual_people, plan_households, actual_households,
--                  plan_villages, actual_villages)          -- villages only on pathway 'all'
--     actual_* = households with status 已脱贫 whose exit_date falls in `year`, in the snapshot `as_of`;
--     actual_villages = villages with actual_exit_year = year, counted once 31 Dec of `year` <= as_of.
-- mart_county_status(as_of, county_code, households_total, people_total, remaining_households, remaining_people,
--                    exited_people, returned_households, returned_people, newly_returned_households,
--                    new_households, incidence, villages_total, villages_exited, villages_behind)
-- mart_village_status(as_of, village_code, county_code, households_total, people_total, remaining_households,
--                     remaining_people, exited_people_this_year, returned_households, incidence,
--                     planned_exit_year, actual_exit_year, exited, behind_schedule)
-- mart_county_breakdown(as_of, county_code, dimension 'status'|'attribute'|'cause', category, households, people)
-- mart_quarter_profile(year, quarter, people, share)     -- when in the year people exit (latest snapshot)
-- mart_reconciliation(level, code, name, check_name, year, expected, actual, difference)  -- mismatches only
